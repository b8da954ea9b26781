-- Issue 32: the account's life (api.md, "The account's life"). Only additions: an older
-- replica keeps working beside a newer one during a rolling update.

ALTER TABLE users ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT false;

-- What the client called the computer, and when the sign-in was last renewed.
ALTER TABLE refresh_families ADD COLUMN device TEXT;
ALTER TABLE refresh_families ADD COLUMN last_used_at TIMESTAMPTZ;

-- One-time codes, stored as a keyed hash (HMAC-SHA-256 with a server key). One row per account
-- and purpose: a new code replaces the row, so only the newest one of its kind can work.
CREATE TABLE account_codes (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('password_reset', 'email_verification', 'email_change')),
    code_hash BYTEA NOT NULL,
    -- The address an e-mail change switches to once its code comes back.
    new_email TEXT,
    wrong_tries INTEGER NOT NULL DEFAULT 0,
    expires_at TIMESTAMPTZ NOT NULL,
    spent_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, purpose)
);

-- Mail waiting to be sent, written in the transaction that caused it. `payload` holds what the
-- letter needs (a code, an address) and is emptied, with the recipient, once the SMTP server
-- accepted the mail; the row stays a while (without them) for the per-address limits and to
-- say what was sent. `user_id` is set null when the account goes: the mail that confirms a
-- deletion still leaves.
CREATE TABLE mail_outbox (
    id BIGSERIAL PRIMARY KEY,
    user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    locale TEXT NOT NULL DEFAULT 'en',
    recipient TEXT NOT NULL,
    payload JSONB NOT NULL DEFAULT '{}'::jsonb,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- A replica sending it holds it until then; past it, another may try.
    claimed_until TIMESTAMPTZ,
    sent_at TIMESTAMPTZ,
    failed_at TIMESTAMPTZ,
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_mail_outbox_due ON mail_outbox (next_attempt_at)
    WHERE sent_at IS NULL AND failed_at IS NULL;
CREATE INDEX idx_mail_outbox_user_kind ON mail_outbox (user_id, kind, created_at);

-- A deleted account's person in PostHog, to be deleted there too (when forwarding and PostHog's
-- private API are configured): written in the deletion's transaction, sent by any replica, then
-- removed. It holds only the account's random analytics id.
CREATE TABLE analytics_erasures (
    id BIGSERIAL PRIMARY KEY,
    distinct_id TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_analytics_erasures_due ON analytics_erasures (next_attempt_at);
