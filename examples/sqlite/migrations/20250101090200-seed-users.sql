-- Seed data for a first look.
-- mongrate:up
INSERT INTO users (email) VALUES ('ada@example.com'), ('grace@example.com');
INSERT INTO posts (user_id, title, body, published_at)
SELECT id, 'Hello; world', 'The first post of ' || email, '2025-01-01T09:00:00Z' FROM users;

-- mongrate:down
DELETE FROM posts WHERE title = 'Hello; world';
DELETE FROM users WHERE email IN ('ada@example.com', 'grace@example.com');
