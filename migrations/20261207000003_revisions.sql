-- Issue 33: one counter per account that grows with every write to its profile, studio
-- config, onboarding flags or completion, so a computer can ask "anything new?" with one
-- indexed read (GET /user/me with If-None-Match → 304). A per-row counter bumped in the same
-- UPDATE as the write, not a clock: it never goes back or repeats, whichever replica writes
-- and however many write at once (the row lock orders them).
ALTER TABLE users ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
