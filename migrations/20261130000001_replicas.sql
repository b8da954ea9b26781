-- Everything a replica used to keep in memory now lives here, so any number of replicas can
-- serve one database (shared/design/api.md, "Running several replicas").

-- Sign-in and sign-up limits (server/src/throttle.rs). `key` is a SHA-256 digest of the
-- scope and the e-mail and/or address, so no address is stored in clear.
CREATE TABLE auth_throttle (
    key BYTEA PRIMARY KEY,
    scope VARCHAR(16) NOT NULL,
    failures INTEGER NOT NULL,
    window_started_at TIMESTAMPTZ NOT NULL,
    threshold INTEGER NOT NULL,
    max_delay_seconds INTEGER NOT NULL,
    locked_until TIMESTAMPTZ,
    last_success_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_auth_throttle_updated ON auth_throttle (updated_at);

-- Idempotency keys: when the current attempt started (a takeover resets it, `created_at`
-- stays the first), and whether an attempt ended without knowing if Vapi did the work.
ALTER TABLE idempotency_keys
    ADD COLUMN attempt_started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    ADD COLUMN outcome_unknown BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX idx_idempotency_keys_created ON idempotency_keys (created_at);
