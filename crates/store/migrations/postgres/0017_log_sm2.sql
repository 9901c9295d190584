-- 国密 for the transparency log, where an installation's 密评 requires it: an SM2
-- key (GB/T 32918) that signs every checkpoint beside the Ed25519 key, and the SM3
-- root (GB/T 32905) of the same leaves, as a frontier like log_head's, which each
-- checkpoint states in an extension line. Absent until `liancha log sm2-key`.
CREATE TABLE log_sm2 (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    signer TEXT NOT NULL,
    verifier TEXT NOT NULL,
    -- The log's size when the key was made: checkpoints from there on carry it.
    since BIGINT NOT NULL,
    frontier BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- The key stays: only the frontier moves on with each append.
CREATE TRIGGER log_sm2_no_delete BEFORE DELETE ON log_sm2
FOR EACH ROW EXECUTE FUNCTION transparency_log_append_only();
CREATE TRIGGER log_sm2_key_kept BEFORE UPDATE ON log_sm2
FOR EACH ROW WHEN (NEW.signer IS DISTINCT FROM OLD.signer OR NEW.verifier IS DISTINCT FROM OLD.verifier
    OR NEW.since IS DISTINCT FROM OLD.since OR NEW.id IS DISTINCT FROM OLD.id
    OR NEW.created_at IS DISTINCT FROM OLD.created_at)
EXECUTE FUNCTION transparency_log_append_only();
