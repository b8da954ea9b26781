-- Issue 33: the server keeps the live assistant up to date when it holds the Vapi key and an
-- assistant a computer created and recorded (`live_kept`). No queue: `revision` says what the
-- owner last wrote, `live_applied_revision` what the live assistant was last built from; a kept
-- account is due while the first is ahead. Accounts the server keeps nothing for never become
-- due, so their writes cost nothing more.
ALTER TABLE users
    ADD COLUMN live_kept BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN live_applied_revision BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN live_due_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    ADD COLUMN live_attempts INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN live_applied_body JSONB,
    ADD COLUMN live_error TEXT;

-- Whether the server keeps the account's assistant follows its key and its recorded assistants,
-- whichever code (or replica, older ones included) changes them. A change moves the revision,
-- so the computers hear who keeps Ava up to date now; what Vapi runs was built from what the
-- account holds at that moment, so nothing is due until the next write.
CREATE FUNCTION ava_live_kept(account integer) RETURNS void LANGUAGE sql AS $$
    UPDATE users u SET live_kept = k.kept,
                       revision = u.revision + 1,
                       live_applied_revision = u.revision + 1,
                       live_error = NULL
    FROM (SELECT EXISTS (SELECT 1 FROM vapi_credentials WHERE user_id = account)
                 AND EXISTS (SELECT 1 FROM assistants WHERE user_id = account
                             AND payload -> 'metadata' ? 'provisioning_id') AS kept) k
    WHERE u.id = account AND u.live_kept IS DISTINCT FROM k.kept;
$$;

CREATE FUNCTION ava_live_kept_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM ava_live_kept(OLD.user_id);
    ELSE
        PERFORM ava_live_kept(NEW.user_id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER vapi_credentials_live_kept AFTER INSERT OR UPDATE OR DELETE ON vapi_credentials
    FOR EACH ROW EXECUTE FUNCTION ava_live_kept_changed();
CREATE TRIGGER assistants_live_kept AFTER INSERT OR UPDATE OR DELETE ON assistants
    FOR EACH ROW EXECUTE FUNCTION ava_live_kept_changed();

UPDATE users u SET live_kept = true, live_applied_revision = u.revision
WHERE EXISTS (SELECT 1 FROM vapi_credentials v WHERE v.user_id = u.id)
  AND EXISTS (SELECT 1 FROM assistants a WHERE a.user_id = u.id
              AND a.payload -> 'metadata' ? 'provisioning_id');

CREATE INDEX users_live_due ON users (live_due_at)
    WHERE live_kept AND revision > live_applied_revision;
