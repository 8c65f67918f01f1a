-- Posts belong to a user; most reads list a user's posts newest first.
-- mongrate:up
CREATE TABLE posts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    published_at TEXT
);
CREATE INDEX posts_user_published_idx ON posts (user_id, published_at);

-- mongrate:down
DROP INDEX posts_user_published_idx;
DROP TABLE posts;
