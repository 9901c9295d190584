-- The key of `entities` becomes a unique index with a name of its own, `entities_id`,
-- instead of the implicit index of `id TEXT PRIMARY KEY`, which cannot be dropped.
-- The first import into an empty directory drops it and builds it once at the end by
-- sorting, as the PostgreSQL import does with its primary key: a million ids inserted
-- one by one into the index cost more than writing the rows themselves. The table is
-- the same rowid table with the same unique index as before. No table refers to
-- `entities` by foreign key, and no view or trigger names it, so it is rebuilt here.

CREATE TABLE entities_new (
    id TEXT NOT NULL,
    reg_no TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    industry TEXT,
    -- Checked against townships by the importer; no foreign key, which would cost
    -- a lookup per row of every bulk load (on PostgreSQL, more than the load itself).
    township TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    legal_rep TEXT NOT NULL DEFAULT '',
    registered_on DATE,
    status TEXT NOT NULL,
    risk_class TEXT NOT NULL CHECK (risk_class IN ('A', 'B', 'C', 'D')),
    abnormal BOOLEAN NOT NULL DEFAULT FALSE,
    blacklisted BOOLEAN NOT NULL DEFAULT FALSE,
    tags TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL
);

INSERT INTO entities_new (rowid, id, reg_no, name, entity_type, industry, township, address,
    legal_rep, registered_on, status, risk_class, abnormal, blacklisted, tags, updated_at)
SELECT rowid, id, reg_no, name, entity_type, industry, township, address,
    legal_rep, registered_on, status, risk_class, abnormal, blacklisted, tags, updated_at
FROM entities;

DROP TABLE entities;
ALTER TABLE entities_new RENAME TO entities;
CREATE UNIQUE INDEX entities_id ON entities (id);
