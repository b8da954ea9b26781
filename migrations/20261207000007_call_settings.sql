-- Issue 34: the call settings an owner chooses at step 7 (null: the safe default: 30-minute
-- calls, no background sound, no recording). The model checks every value; columns only, so an
-- older replica keeps working beside a newer one.
ALTER TABLE users
    ADD COLUMN call_length VARCHAR,
    ADD COLUMN background_sound VARCHAR,
    ADD COLUMN call_recording VARCHAR;
