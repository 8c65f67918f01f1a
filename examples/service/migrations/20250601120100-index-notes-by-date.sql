-- Listing the newest notes reads this index.
-- mongrate:up
CREATE INDEX notes_created_at_idx ON notes (created_at);

-- mongrate:down
DROP INDEX notes_created_at_idx;
