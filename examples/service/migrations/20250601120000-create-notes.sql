-- The service's own table: short notes, newest first.
-- mongrate:up
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- mongrate:down
DROP TABLE notes;
