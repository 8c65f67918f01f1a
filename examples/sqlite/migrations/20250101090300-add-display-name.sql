-- Users get a display name, filled from their email and kept filled by a trigger.
-- mongrate:up
ALTER TABLE users ADD COLUMN display_name TEXT;
UPDATE users SET display_name = substr(email, 1, instr(email, '@') - 1);
CREATE TRIGGER users_default_display_name AFTER INSERT ON users
WHEN NEW.display_name IS NULL
BEGIN
    UPDATE users SET display_name = substr(NEW.email, 1, instr(NEW.email, '@') - 1) WHERE id = NEW.id;
END;

-- mongrate:down
DROP TRIGGER users_default_display_name;
ALTER TABLE users DROP COLUMN display_name;
