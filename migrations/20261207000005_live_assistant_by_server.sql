-- Issue 33: the server keeps the live assistant up to date when it holds the Vapi key. No
-- queue: `revision` says what the owner last wrote, `live_applied_revision` what the live
-- assistant was last built from; an account is due while the first is ahead. Existing accounts
-- start due once (the worker finds most have nothing for it to keep and settles them).
ALTER TABLE users
    ADD COLUMN live_applied_revision BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN live_due_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    ADD COLUMN live_attempts INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN live_applied_body JSONB,
    ADD COLUMN live_error TEXT;
CREATE INDEX users_live_due ON users (live_due_at) WHERE revision > live_applied_revision;
