-- 上报: each export of published results to the provincial platform, with the window
-- of changes it covered (after `since`, up to `until`), so the next export takes
-- what changed after it.
CREATE TABLE upward_exports (
    id INTEGER PRIMARY KEY,
    county TEXT NOT NULL,
    since TIMESTAMP,
    until TIMESTAMP NOT NULL,
    rows INTEGER NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('json', 'xlsx', 'csv')),
    at TIMESTAMP NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id)
);
CREATE INDEX upward_exports_county ON upward_exports (county, until);
