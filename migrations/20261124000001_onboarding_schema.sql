-- The seed's four tables, column for column (shared/seed/onboarding-audit.md, part 1), with
-- timestamptz for every timestamp, NOT NULL where the seed gives a default, and one row per
-- user in each per-user table (unique user_id, which is also the index the seed asks for).

CREATE TABLE users (
    id SERIAL PRIMARY KEY,
    email VARCHAR NOT NULL UNIQUE,
    hashed_password VARCHAR NOT NULL,
    is_active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),

    -- Step 1: profile
    full_name VARCHAR,
    organization_name VARCHAR,
    industry VARCHAR,
    timezone VARCHAR,
    locale VARCHAR(5),
    marketing_opt_in BOOLEAN NOT NULL DEFAULT FALSE,
    accept_terms BOOLEAN NOT NULL DEFAULT FALSE,

    -- Step 3: Ava persona
    persona VARCHAR,
    job_to_be_done TEXT,
    languages JSONB NOT NULL DEFAULT '[]'::jsonb,
    tone VARCHAR,
    guidelines TEXT,

    -- Step 5: telephony
    strategy VARCHAR,
    number VARCHAR,
    business_hours VARCHAR,
    fallback_email VARCHAR,

    -- Step 6: integrations
    calendar VARCHAR,
    workspace_apps JSONB NOT NULL DEFAULT '[]'::jsonb,
    crm VARCHAR,

    -- Step 8: plan
    plan VARCHAR NOT NULL DEFAULT 'free',
    seats INTEGER NOT NULL DEFAULT 1 CHECK (seats BETWEEN 1 AND 500),

    -- Completion
    onboarding_completed BOOLEAN NOT NULL DEFAULT FALSE,
    onboarding_completed_at TIMESTAMPTZ
);

-- Secrets are AES-256-GCM ciphertexts (base64 of nonce || ciphertext || tag); the key id says
-- which key sealed them, so keys can be rotated without re-encrypting everything at once.
CREATE TABLE vapi_credentials (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    vapi_api_key_encrypted VARCHAR NOT NULL,
    vapi_api_key_preview VARCHAR,
    encryption_key_id VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX idx_vapi_user ON vapi_credentials (user_id);

CREATE TABLE twilio_credentials (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    account_sid VARCHAR NOT NULL,
    auth_token_encrypted VARCHAR NOT NULL,
    phone_number VARCHAR,
    encryption_key_id VARCHAR NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX idx_twilio_user ON twilio_credentials (user_id);

CREATE TABLE user_onboarding (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    onboarding_vapi_skipped BOOLEAN NOT NULL DEFAULT FALSE,
    onboarding_twilio_skipped BOOLEAN NOT NULL DEFAULT FALSE,
    onboarding_assistant_created BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX idx_user_onboarding_user ON user_onboarding (user_id);

-- Assistants created through the API (or recorded after a client created them in Vapi).
CREATE TABLE assistants (
    id SERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    vapi_assistant_id VARCHAR NOT NULL UNIQUE,
    name VARCHAR NOT NULL,
    payload JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX idx_assistants_user ON assistants (user_id);

-- Idempotency-Key: the first request's answer, replayed to retries with the same key.
-- A row with no response is a request still running (or one that died; see the server).
CREATE TABLE idempotency_keys (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    key VARCHAR(255) NOT NULL,
    request_hash BYTEA NOT NULL,
    response_status SMALLINT,
    response_body JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
