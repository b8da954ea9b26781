-- Issue 23: accounts that hold under abuse and bad networks. Only additions: an older replica
-- keeps working beside a newer one during a rolling update.

-- One row per sign-in (a family of refresh tokens): its absolute end, and the row refresh and
-- logout both lock, so a logout racing a refresh always wins.
CREATE TABLE refresh_families (
    family_id BYTEA PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_refresh_families_user ON refresh_families (user_id);
CREATE INDEX idx_refresh_families_expires ON refresh_families (expires_at);

-- Families that existed before: their end is the newest token's, as it was.
INSERT INTO refresh_families (family_id, user_id, expires_at, revoked_at)
SELECT family_id, min(user_id), max(expires_at), max(revoked_at)
FROM refresh_tokens GROUP BY family_id
ON CONFLICT DO NOTHING;

-- The token a refresh spent to issue this one: a retry of that refresh (its answer lost)
-- finds its unused successor by it and retires it.
ALTER TABLE refresh_tokens ADD COLUMN parent_hash BYTEA;

-- Per-account ceilings: events accepted in the last day, read by the events route.
CREATE INDEX idx_events_user_received ON onboarding_events (user_id, received_at);

-- An event PostHog refused for good (a 4xx other than a wrong key or a rate limit) is set
-- aside with why, so the events after it still go.
ALTER TABLE onboarding_events ADD COLUMN dead_lettered_at TIMESTAMPTZ;
ALTER TABLE onboarding_events ADD COLUMN dead_letter_reason TEXT;
CREATE INDEX idx_events_to_forward ON onboarding_events (received_at)
    WHERE forwarded_at IS NULL AND dead_lettered_at IS NULL;
