-- Issue 31: an account's place for a new assistant is taken before the Vapi call that makes
-- it, so parallel creates at the ceiling make one assistant in Vapi, not one each. A place is
-- given back when the call fails, taken over by the assistant's row when it succeeds, and
-- lapses by itself if the replica holding it dies in between.
CREATE TABLE assistant_reservations (
    id BIGSERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_assistant_reservations_user ON assistant_reservations (user_id, expires_at);
