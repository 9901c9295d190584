-- no-transaction
-- 许可核查: a department's check on site of what an applicant for a licence declared
-- is an inspection of an enterprise like any other (国办发〔2024〕54号): checked in,
-- counted toward the year's cap, shown to the entity.
--
-- SQLite cannot change a CHECK in place: `targeted_inspections` is rebuilt as in
-- 0009, its columns in the same order, with foreign keys off for the rebuild (the
-- attachments of targeted inspections point at it) and checked for the whole
-- database before the commit.

PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE targeted_inspections_new (
    id INTEGER PRIMARY KEY,
    county TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    department TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('complaint', 'referral', 'data-lead', 'licensing')),
    document_ref TEXT NOT NULL,
    inspected_on DATE NOT NULL,
    year INTEGER NOT NULL,
    items TEXT NOT NULL DEFAULT '',
    findings TEXT NOT NULL DEFAULT '',
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    check_in_mode TEXT NOT NULL DEFAULT 'legacy' CHECK (check_in_mode IN ('code', 'paper', 'legacy')),
    checked_in_at TIMESTAMP,
    inspectors TEXT NOT NULL DEFAULT '',
    inspector_ids TEXT NOT NULL DEFAULT '',
    latitude_e6 INTEGER,
    longitude_e6 INTEGER,
    accuracy_m INTEGER,
    paper_reason TEXT NOT NULL DEFAULT '',
    UNIQUE (county, id),
    FOREIGN KEY (county, department) REFERENCES departments (county, code)
);
INSERT INTO targeted_inspections_new (id, county, entity_id, department, source, document_ref,
    inspected_on, year, items, findings, created_by, created_at, check_in_mode, checked_in_at,
    inspectors, inspector_ids, latitude_e6, longitude_e6, accuracy_m, paper_reason)
SELECT id, county, entity_id, department, source, document_ref,
    inspected_on, year, items, findings, created_by, created_at, check_in_mode, checked_in_at,
    inspectors, inspector_ids, latitude_e6, longitude_e6, accuracy_m, paper_reason
FROM targeted_inspections;
DROP TABLE targeted_inspections;
ALTER TABLE targeted_inspections_new RENAME TO targeted_inspections;
CREATE INDEX targeted_inspections_entity ON targeted_inspections (county, entity_id, year);

CREATE TEMP TABLE migration_0031_check (violations INTEGER CHECK (violations = 0));
INSERT INTO migration_0031_check SELECT COUNT(*) FROM pragma_foreign_key_check;
DROP TABLE migration_0031_check;

COMMIT;
PRAGMA foreign_keys = ON;
