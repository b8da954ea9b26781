-- The seed's onboarding analytics (its part 7, issue 12): every event a desktop sent, stored
-- once per (user, event id) however often it is resent. `forwarded_at` marks what reached
-- PostHog, so a restart or an outage sends nothing twice and loses nothing.
CREATE TABLE onboarding_events (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id UUID NOT NULL,
    name VARCHAR(40) NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    properties JSONB NOT NULL,
    context JSONB NOT NULL,
    forwarded_at TIMESTAMPTZ,
    PRIMARY KEY (user_id, id)
);

-- The funnel report: cohorts by the time they started, then each user's events by name.
CREATE INDEX idx_events_started ON onboarding_events (occurred_at, user_id)
    WHERE name = 'onboarding_started';
CREATE INDEX idx_events_user_name ON onboarding_events (user_id, name);
-- Forwarding reads the oldest events not yet forwarded.
CREATE INDEX idx_events_unforwarded ON onboarding_events (received_at)
    WHERE forwarded_at IS NULL;

-- The one id PostHog sees for a user: random, so it names no one and cannot be guessed from
-- the user's row number.
ALTER TABLE users ADD COLUMN analytics_id UUID NOT NULL DEFAULT gen_random_uuid();
