-- Step 5: the owner's own phone, where Ava hands over the calls she cannot take (E.164, checked
-- by the model). Only adds a column: an older replica keeps working beside a newer one.
ALTER TABLE users ADD COLUMN fallback_phone VARCHAR;
