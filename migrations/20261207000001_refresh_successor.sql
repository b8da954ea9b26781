-- Issue 31: a retry of a refresh whose answer was lost gets the *same* successor again, so a
-- copy of a just-spent token can never fork the sign-in. The successor is kept sealed with a
-- key only the spent token itself yields (the server keeps its digest, never the token), and
-- the retries of one token are counted and bounded. Only additions: an older replica keeps
-- working beside a newer one during a rolling update.
ALTER TABLE refresh_tokens ADD COLUMN successor_sealed BYTEA;
ALTER TABLE refresh_tokens ADD COLUMN retries INTEGER NOT NULL DEFAULT 0;
