-- 实施细则 kept in versions: a change is a new version with the date it takes effect
-- (a rule book adopted in December for the new year), never an overwrite; a task
-- keeps the version its plan was sealed under. The rule book in force on a day is
-- the version with the latest effective date on or before it (the later saved when
-- two share a date). Versions from before versions were kept have no date: they
-- are in force since before any dated one.
CREATE TABLE rule_books_new (
    county TEXT NOT NULL REFERENCES divisions (code),
    domain TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    effective_from DATE,
    ratio_a_bp INTEGER NOT NULL CHECK (ratio_a_bp BETWEEN 0 AND 10000),
    ratio_b_bp INTEGER NOT NULL CHECK (ratio_b_bp BETWEEN 0 AND 10000),
    ratio_c_bp INTEGER NOT NULL CHECK (ratio_c_bp BETWEEN 0 AND 10000),
    ratio_d_bp INTEGER NOT NULL CHECK (ratio_d_bp BETWEEN 0 AND 10000),
    annual_cap INTEGER NOT NULL CHECK (annual_cap >= 1),
    publication_deadline_days INTEGER NOT NULL CHECK (publication_deadline_days >= 1),
    min_team_size INTEGER NOT NULL CHECK (min_team_size >= 2),
    recuse_same_township BOOLEAN NOT NULL,
    saved_at TIMESTAMP,
    PRIMARY KEY (county, domain, version)
);
INSERT INTO rule_books_new (county, domain, version, effective_from, ratio_a_bp, ratio_b_bp, ratio_c_bp,
    ratio_d_bp, annual_cap, publication_deadline_days, min_team_size, recuse_same_township, saved_at)
SELECT county, domain, 1, NULL, ratio_a_bp, ratio_b_bp, ratio_c_bp, ratio_d_bp, annual_cap,
    publication_deadline_days, min_team_size, recuse_same_township, NULL FROM rule_books;
DROP TABLE rule_books;
ALTER TABLE rule_books_new RENAME TO rule_books;

-- The version a task's plan was sealed under (none for drafts, and for tasks sealed
-- before versions were kept).
ALTER TABLE tasks ADD COLUMN rule_book_version INTEGER;
