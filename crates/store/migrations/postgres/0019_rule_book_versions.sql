-- 实施细则 kept in versions: a change is a new version with the date it takes effect
-- (a rule book adopted in December for the new year), never an overwrite; a task
-- keeps the version its plan was sealed under. The rule book in force on a day is
-- the version with the latest effective date on or before it (the later saved when
-- two share a date). Versions from before versions were kept have no date: they
-- are in force since before any dated one.
ALTER TABLE rule_books ADD COLUMN version BIGINT NOT NULL DEFAULT 1 CHECK (version >= 1);
ALTER TABLE rule_books ALTER COLUMN version DROP DEFAULT;
ALTER TABLE rule_books ADD COLUMN effective_from DATE;
ALTER TABLE rule_books ADD COLUMN saved_at TIMESTAMPTZ;
ALTER TABLE rule_books DROP CONSTRAINT rule_books_pkey, ADD PRIMARY KEY (county, domain, version);

-- The version a task's plan was sealed under (none for drafts, and for tasks sealed
-- before versions were kept).
ALTER TABLE tasks ADD COLUMN rule_book_version BIGINT;
