-- Issue 33: what step 7 holds lives on the server too, so a second computer builds the same
-- assistant (null: the field follows what the wizard writes from the other answers). The
-- model checks every value; columns only, so an older replica keeps working beside a newer one.
ALTER TABLE users
    ADD COLUMN assistant_name VARCHAR,
    ADD COLUMN assistant_voice_id VARCHAR,
    ADD COLUMN assistant_first_message TEXT,
    ADD COLUMN assistant_instructions TEXT,
    ADD COLUMN assistant_instructions_basis VARCHAR;
