-- The transparency log (issue 17): one for the installation, holding every public
-- event of every county (plan sealed, draw, substitution, publication, cancellation,
-- credit listing) as a leaf of an RFC 6962 Merkle tree, with its checkpoints signed
-- by the installation's Ed25519 key. Rows are only ever added; the entries' own
-- hashes, the checkpoints and the witnesses' cosignatures make any later change seen.

-- The signing key, made at the first start (signed-note encodings).
CREATE TABLE log_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    origin TEXT NOT NULL,
    signer TEXT NOT NULL,
    verifier TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- The tree's head: its size, the roots of its complete subtrees (32 bytes each,
-- largest first), and the latest signed checkpoint. Its one row is locked by every
-- append, which so takes the next index in the order of commits.
CREATE TABLE log_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    size BIGINT NOT NULL,
    frontier BLOB NOT NULL,
    checkpoint TEXT NOT NULL
);
INSERT INTO log_head (id, size, frontier, checkpoint) VALUES (1, 0, X'', '');

CREATE TABLE log_entries (
    idx BIGINT PRIMARY KEY,
    county TEXT NOT NULL REFERENCES divisions (code),
    kind TEXT NOT NULL,
    task_id BIGINT,
    at TIMESTAMP NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX log_entries_task ON log_entries (county, task_id, idx);

-- The tree's hashes at the levels tiles are made of (0, 8, 16, …).
CREATE TABLE log_nodes (
    level INTEGER NOT NULL,
    idx BIGINT NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (level, idx)
);

-- Every checkpoint signed, so that a witness can be shown the one it cosigns.
CREATE TABLE log_checkpoints (
    size BIGINT PRIMARY KEY,
    note TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);

-- The witnesses whose cosignatures the installation accepts (C2SP
-- tlog-cosignature keys, name+id+base64), registered by its administrator.
CREATE TABLE log_witnesses (
    name TEXT PRIMARY KEY,
    verifier TEXT NOT NULL,
    added_at TIMESTAMP NOT NULL
);

-- A witness's cosignature of one checkpoint: the signature line as the witness
-- made it, and the time it says it signed.
CREATE TABLE log_cosignatures (
    size BIGINT NOT NULL REFERENCES log_checkpoints (size),
    witness TEXT NOT NULL REFERENCES log_witnesses (name),
    line TEXT NOT NULL,
    cosigned_at TIMESTAMP NOT NULL,
    received_at TIMESTAMP NOT NULL,
    PRIMARY KEY (size, witness)
);
CREATE INDEX log_cosignatures_witness ON log_cosignatures (witness, size);

-- Each county's audit trail as a hash chain: link n is SHA-256 of link n-1 and of
-- the entry; the head (newest link) is locked by every audited change and goes
-- into the county's transparency-log entries, so a change made in the database
-- around the application is found by `liancha audit verify`, and named.
CREATE TABLE audit_heads (
    county TEXT PRIMARY KEY REFERENCES divisions (code),
    seq BIGINT NOT NULL,
    hash BLOB NOT NULL
);
CREATE TABLE audit_chain (
    county TEXT NOT NULL REFERENCES divisions (code),
    seq BIGINT NOT NULL,
    audit_id BIGINT NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (county, seq),
    UNIQUE (county, audit_id)
);

-- Rows of the log are never changed (the head row is the tree's, and moves on).
CREATE TRIGGER log_entries_no_update BEFORE UPDATE ON log_entries
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER log_entries_no_delete BEFORE DELETE ON log_entries
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER log_nodes_no_update BEFORE UPDATE ON log_nodes
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER log_nodes_no_delete BEFORE DELETE ON log_nodes
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER log_checkpoints_no_update BEFORE UPDATE ON log_checkpoints
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER log_checkpoints_no_delete BEFORE DELETE ON log_checkpoints
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER log_key_no_update BEFORE UPDATE ON log_key
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER log_key_no_delete BEFORE DELETE ON log_key
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER log_cosignatures_no_update BEFORE UPDATE ON log_cosignatures
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER log_cosignatures_no_delete BEFORE DELETE ON log_cosignatures
BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;
CREATE TRIGGER audit_chain_no_update BEFORE UPDATE ON audit_chain
BEGIN SELECT RAISE(ABORT, 'audit_chain is append-only'); END;
CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain
BEGIN SELECT RAISE(ABORT, 'audit_chain is append-only'); END;
