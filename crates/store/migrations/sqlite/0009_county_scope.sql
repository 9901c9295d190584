-- no-transaction
-- Every county-owned row names its county (the GB/T 2260 code of `divisions`), as
-- the first column of its key, and every foreign key between county-owned tables
-- carries it: a row can never point into another county, whatever a query does
-- (docs/tenancy.md). Accounts name their division (a county, or a prefecture or
-- province office). Rows from before belong to the one county the installation ran,
-- 牟定县 (migration 0007).
--
-- SQLite cannot change a key in place: each table is rebuilt as the manual's
-- "other kinds of table schema changes" says, with foreign keys off for the rebuild
-- and checked for the whole database before the commit.

PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE townships_new (
    county TEXT NOT NULL REFERENCES divisions (code),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (county, code),
    UNIQUE (county, name)
);
INSERT INTO townships_new (county, code, name, position)
SELECT '532323', code, name, position FROM townships;

-- A department of a county, or an office of a prefecture or province.
CREATE TABLE departments_new (
    county TEXT NOT NULL REFERENCES divisions (code),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    domain TEXT NOT NULL CHECK (domain IN ('market', 'ecology', 'culture', 'transport', 'agriculture')),
    PRIMARY KEY (county, code),
    UNIQUE (county, name)
);
INSERT INTO departments_new (county, code, name, domain)
SELECT '532323', code, name, domain FROM departments;

-- The key is the named unique index `entities_id`, which the first import of an empty
-- directory drops and builds at the end (migration 0006).
CREATE TABLE entities_new (
    county TEXT NOT NULL,
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
INSERT INTO entities_new (rowid, county, id, reg_no, name, entity_type, industry, township, address,
    legal_rep, registered_on, status, risk_class, abnormal, blacklisted, tags, updated_at)
SELECT rowid, '532323', id, reg_no, name, entity_type, industry, township, address,
    legal_rep, registered_on, status, risk_class, abnormal, blacklisted, tags, updated_at
FROM entities;

CREATE TABLE inspectors_new (
    county TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    department TEXT NOT NULL,
    certificate_no TEXT NOT NULL,
    certificate_valid_until DATE NOT NULL,
    specialties TEXT NOT NULL DEFAULT '',
    township TEXT,
    status TEXT NOT NULL,
    phone TEXT,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (county, id),
    FOREIGN KEY (county, department) REFERENCES departments (county, code),
    FOREIGN KEY (county, township) REFERENCES townships (county, name)
);
INSERT INTO inspectors_new (county, id, name, department, certificate_no, certificate_valid_until,
    specialties, township, status, phone, updated_at)
SELECT '532323', id, name, department, certificate_no, certificate_valid_until,
    specialties, township, status, phone, updated_at FROM inspectors;

CREATE TABLE items_new (
    county TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    department TEXT NOT NULL,
    content TEXT NOT NULL DEFAULT '',
    methods TEXT NOT NULL DEFAULT '',
    authority TEXT NOT NULL DEFAULT '',
    entity_types TEXT NOT NULL DEFAULT '',
    published BOOLEAN NOT NULL,
    version INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (county, code),
    FOREIGN KEY (county, department) REFERENCES departments (county, code)
);
INSERT INTO items_new (county, code, name, legal_basis, department, content, methods, authority,
    entity_types, published, version, updated_at)
SELECT '532323', code, name, legal_basis, department, content, methods, authority,
    entity_types, published, version, updated_at FROM items;

CREATE TABLE item_versions_new (
    county TEXT NOT NULL,
    code TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    department TEXT NOT NULL,
    content TEXT NOT NULL,
    methods TEXT NOT NULL,
    authority TEXT NOT NULL,
    entity_types TEXT NOT NULL,
    published BOOLEAN NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (county, code, version),
    FOREIGN KEY (county, code) REFERENCES items (county, code)
);
INSERT INTO item_versions_new (county, code, version, name, legal_basis, department, content, methods,
    authority, entity_types, published, recorded_at)
SELECT '532323', code, version, name, legal_basis, department, content, methods,
    authority, entity_types, published, recorded_at FROM item_versions;

CREATE TABLE joint_item_lists_new (
    county TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    domain TEXT NOT NULL,
    lead_department TEXT NOT NULL,
    published BOOLEAN NOT NULL,
    PRIMARY KEY (county, code),
    FOREIGN KEY (county, lead_department) REFERENCES departments (county, code)
);
INSERT INTO joint_item_lists_new (county, code, name, domain, lead_department, published)
SELECT '532323', code, name, domain, lead_department, published FROM joint_item_lists;

CREATE TABLE joint_item_list_items_new (
    county TEXT NOT NULL,
    list_code TEXT NOT NULL,
    item_code TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (county, list_code, item_code),
    FOREIGN KEY (county, list_code) REFERENCES joint_item_lists (county, code) ON DELETE CASCADE,
    FOREIGN KEY (county, item_code) REFERENCES items (county, code)
);
INSERT INTO joint_item_list_items_new (county, list_code, item_code, position)
SELECT '532323', list_code, item_code, position FROM joint_item_list_items;

CREATE TABLE rule_books_new (
    county TEXT NOT NULL REFERENCES divisions (code),
    domain TEXT NOT NULL,
    ratio_a_bp INTEGER NOT NULL CHECK (ratio_a_bp BETWEEN 0 AND 10000),
    ratio_b_bp INTEGER NOT NULL CHECK (ratio_b_bp BETWEEN 0 AND 10000),
    ratio_c_bp INTEGER NOT NULL CHECK (ratio_c_bp BETWEEN 0 AND 10000),
    ratio_d_bp INTEGER NOT NULL CHECK (ratio_d_bp BETWEEN 0 AND 10000),
    annual_cap INTEGER NOT NULL CHECK (annual_cap >= 1),
    publication_deadline_days INTEGER NOT NULL CHECK (publication_deadline_days >= 1),
    min_team_size INTEGER NOT NULL CHECK (min_team_size >= 2),
    recuse_same_township BOOLEAN NOT NULL,
    PRIMARY KEY (county, domain)
);
INSERT INTO rule_books_new (county, domain, ratio_a_bp, ratio_b_bp, ratio_c_bp, ratio_d_bp, annual_cap,
    publication_deadline_days, min_team_size, recuse_same_township)
SELECT '532323', domain, ratio_a_bp, ratio_b_bp, ratio_c_bp, ratio_d_bp, annual_cap,
    publication_deadline_days, min_team_size, recuse_same_township FROM rule_books;

-- An account works in its division: a county, or a prefecture or province office.
CREATE TABLE users_new (
    id INTEGER PRIMARY KEY,
    division TEXT NOT NULL REFERENCES divisions (code),
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'coordinator', 'department-admin', 'inspector', 'oversight', 'township')),
    department TEXT,
    township TEXT,
    inspector_id TEXT,
    password_hash TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMP,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    FOREIGN KEY (division, department) REFERENCES departments (county, code),
    FOREIGN KEY (division, township) REFERENCES townships (county, name),
    FOREIGN KEY (division, inspector_id) REFERENCES inspectors (county, id)
);
INSERT INTO users_new (id, division, username, display_name, role, department, township, inspector_id,
    password_hash, must_change_password, failed_logins, locked_until, disabled, created_at)
SELECT id, '532323', username, display_name, role, department, township, inspector_id,
    password_hash, must_change_password, failed_logins, locked_until, disabled, created_at FROM users;

-- The division whose trail an entry belongs to: a county's, or a prefecture's or
-- province's office for what they did above the counties.
CREATE TABLE audit_log_new (
    id INTEGER PRIMARY KEY,
    county TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    user_id INTEGER,
    username TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    task_id INTEGER,
    before_value TEXT,
    after_value TEXT,
    UNIQUE (county, id)
);
INSERT INTO audit_log_new (id, county, at, user_id, username, action, object_type, object_id, task_id,
    before_value, after_value)
SELECT id, '532323', at, user_id, username, action, object_type, object_id, task_id,
    before_value, after_value FROM audit_log;

CREATE TABLE calendar_days_new (
    county TEXT NOT NULL REFERENCES divisions (code),
    day DATE NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('off', 'work')),
    name TEXT NOT NULL,
    PRIMARY KEY (county, day)
);
INSERT INTO calendar_days_new (county, day, kind, name)
SELECT '532323', day, kind, name FROM calendar_days;

CREATE TABLE conflict_declarations_new (
    id INTEGER PRIMARY KEY,
    county TEXT NOT NULL,
    inspector_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('tie', 'entity-request')),
    reason TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (county, id),
    FOREIGN KEY (county, inspector_id) REFERENCES inspectors (county, id)
);
INSERT INTO conflict_declarations_new (id, county, inspector_id, entity_id, kind, reason, created_at)
SELECT id, '532323', inspector_id, entity_id, kind, reason, created_at FROM conflict_declarations;

CREATE TABLE annual_plans_new (
    id INTEGER PRIMARY KEY,
    county TEXT NOT NULL,
    year INTEGER NOT NULL,
    domain TEXT NOT NULL,
    title TEXT NOT NULL,
    lead_department TEXT NOT NULL,
    published_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (county, id),
    UNIQUE (county, year, domain),
    FOREIGN KEY (county, lead_department) REFERENCES departments (county, code)
);
INSERT INTO annual_plans_new (id, county, year, domain, title, lead_department, published_at, created_at)
SELECT id, '532323', year, domain, title, lead_department, published_at, created_at FROM annual_plans;

CREATE TABLE annual_plan_departments_new (
    county TEXT NOT NULL,
    plan_id INTEGER NOT NULL,
    department TEXT NOT NULL,
    PRIMARY KEY (county, plan_id, department),
    FOREIGN KEY (county, plan_id) REFERENCES annual_plans (county, id) ON DELETE CASCADE,
    FOREIGN KEY (county, department) REFERENCES departments (county, code)
);
INSERT INTO annual_plan_departments_new (county, plan_id, department)
SELECT '532323', plan_id, department FROM annual_plan_departments;

CREATE TABLE annual_plan_entries_new (
    id INTEGER PRIMARY KEY,
    county TEXT NOT NULL,
    plan_id INTEGER NOT NULL,
    month INTEGER NOT NULL CHECK (month BETWEEN 1 AND 12),
    title TEXT NOT NULL,
    items TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT '',
    UNIQUE (county, id),
    FOREIGN KEY (county, plan_id) REFERENCES annual_plans (county, id) ON DELETE CASCADE
);
INSERT INTO annual_plan_entries_new (id, county, plan_id, month, title, items, scope)
SELECT id, '532323', plan_id, month, title, items, scope FROM annual_plan_entries;

CREATE TABLE tasks_new (
    id INTEGER PRIMARY KEY,
    county TEXT NOT NULL,
    year INTEGER NOT NULL,
    title TEXT NOT NULL,
    domain TEXT NOT NULL,
    mode TEXT NOT NULL,
    lead_department TEXT NOT NULL,
    plan_entry_id INTEGER,
    state TEXT NOT NULL CHECK (state IN ('draft', 'committed', 'drawn', 'published', 'cancelled')),
    scope TEXT NOT NULL,
    quotas TEXT,
    team_count INTEGER NOT NULL CHECK (team_count >= 1),
    team_size INTEGER NOT NULL CHECK (team_size >= 2),
    avoid_same_township BOOLEAN NOT NULL,
    inspection_start DATE NOT NULL,
    inspection_end DATE NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    committed_at TIMESTAMP,
    plan_digest TEXT,
    plan_json TEXT,
    drawn_at TIMESTAMP,
    record_json TEXT,
    published_at TIMESTAMP,
    cancelled_at TIMESTAMP,
    cancel_reason TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    UNIQUE (county, id),
    FOREIGN KEY (county, lead_department) REFERENCES departments (county, code),
    FOREIGN KEY (county, plan_entry_id) REFERENCES annual_plan_entries (county, id)
);
INSERT INTO tasks_new (id, county, year, title, domain, mode, lead_department, plan_entry_id, state, scope,
    quotas, team_count, team_size, avoid_same_township, inspection_start, inspection_end, created_by,
    created_at, committed_at, plan_digest, plan_json, drawn_at, record_json, published_at, cancelled_at,
    cancel_reason, version)
SELECT id, '532323', year, title, domain, mode, lead_department, plan_entry_id, state, scope,
    quotas, team_count, team_size, avoid_same_township, inspection_start, inspection_end, created_by,
    created_at, committed_at, plan_digest, plan_json, drawn_at, record_json, published_at, cancelled_at,
    cancel_reason, version FROM tasks;

CREATE TABLE task_items_new (
    county TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    item_code TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (county, task_id, item_code),
    FOREIGN KEY (county, task_id) REFERENCES tasks (county, id) ON DELETE CASCADE,
    FOREIGN KEY (county, item_code) REFERENCES items (county, code)
);
INSERT INTO task_items_new (county, task_id, item_code, position)
SELECT '532323', task_id, item_code, position FROM task_items;

CREATE TABLE task_sources_new (
    county TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    not_before TIMESTAMP NOT NULL,
    revealed TEXT,
    PRIMARY KEY (county, task_id, position),
    FOREIGN KEY (county, task_id) REFERENCES tasks (county, id) ON DELETE CASCADE
);
INSERT INTO task_sources_new (county, task_id, position, text, not_before, revealed)
SELECT '532323', task_id, position, text, not_before, revealed FROM task_sources;

CREATE TABLE task_exclusions_new (
    county TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (county, task_id, entity_id),
    FOREIGN KEY (county, task_id) REFERENCES tasks (county, id) ON DELETE CASCADE
);
INSERT INTO task_exclusions_new (county, task_id, entity_id, reason)
SELECT '532323', task_id, entity_id, reason FROM task_exclusions;

CREATE TABLE task_witnesses_new (
    id INTEGER PRIMARY KEY,
    county TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    organisation TEXT NOT NULL DEFAULT '',
    UNIQUE (county, id),
    FOREIGN KEY (county, task_id) REFERENCES tasks (county, id) ON DELETE CASCADE
);
INSERT INTO task_witnesses_new (id, county, task_id, name, role, organisation)
SELECT id, '532323', task_id, name, role, organisation FROM task_witnesses;

CREATE TABLE team_members_new (
    county TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    team_no INTEGER NOT NULL,
    position INTEGER NOT NULL,
    inspector_id TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    replaced_by TEXT,
    replace_reason TEXT,
    PRIMARY KEY (county, task_id, team_no, position),
    FOREIGN KEY (county, task_id) REFERENCES tasks (county, id) ON DELETE CASCADE
);
INSERT INTO team_members_new (county, task_id, team_no, position, inspector_id, active, replaced_by, replace_reason)
SELECT '532323', task_id, team_no, position, inspector_id, active, replaced_by, replace_reason FROM team_members;

-- The check code is printed on the notice and looked up province-wide by itself
-- (visits_check_code); unique within its county, where a key can hold it.
CREATE TABLE visits_new (
    county TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    draw_order INTEGER NOT NULL,
    team_no INTEGER,
    state TEXT NOT NULL CHECK (state IN ('pending', 'submitted', 'returned', 'published', 'unassigned', 'replaced')),
    check_code TEXT NOT NULL,
    inspected_on DATE,
    submitted_by INTEGER REFERENCES users (id),
    submitted_at TIMESTAMP,
    return_note TEXT,
    replaced_by TEXT,
    replace_reason TEXT,
    PRIMARY KEY (county, task_id, entity_id),
    UNIQUE (county, check_code),
    FOREIGN KEY (county, task_id) REFERENCES tasks (county, id) ON DELETE CASCADE
);
INSERT INTO visits_new (county, task_id, entity_id, draw_order, team_no, state, check_code, inspected_on,
    submitted_by, submitted_at, return_note, replaced_by, replace_reason)
SELECT '532323', task_id, entity_id, draw_order, team_no, state, check_code, inspected_on,
    submitted_by, submitted_at, return_note, replaced_by, replace_reason FROM visits;

CREATE TABLE results_new (
    county TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    item_code TEXT NOT NULL,
    categories TEXT NOT NULL,
    methods TEXT NOT NULL,
    findings TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (county, task_id, entity_id, item_code),
    FOREIGN KEY (county, task_id, entity_id) REFERENCES visits (county, task_id, entity_id) ON DELETE CASCADE,
    FOREIGN KEY (county, item_code) REFERENCES items (county, code)
);
INSERT INTO results_new (county, task_id, entity_id, item_code, categories, methods, findings)
SELECT '532323', task_id, entity_id, item_code, categories, methods, findings FROM results;

CREATE TABLE reviews_new (
    county TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    department TEXT NOT NULL,
    approved_by INTEGER NOT NULL REFERENCES users (id),
    approved_at TIMESTAMP NOT NULL,
    PRIMARY KEY (county, task_id, department),
    FOREIGN KEY (county, task_id) REFERENCES tasks (county, id) ON DELETE CASCADE,
    FOREIGN KEY (county, department) REFERENCES departments (county, code)
);
INSERT INTO reviews_new (county, task_id, department, approved_by, approved_at)
SELECT '532323', task_id, department, approved_by, approved_at FROM reviews;

CREATE TABLE targeted_inspections_new (
    id INTEGER PRIMARY KEY,
    county TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    department TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('complaint', 'referral', 'data-lead')),
    document_ref TEXT NOT NULL,
    inspected_on DATE NOT NULL,
    year INTEGER NOT NULL,
    items TEXT NOT NULL DEFAULT '',
    findings TEXT NOT NULL DEFAULT '',
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (county, id),
    FOREIGN KEY (county, department) REFERENCES departments (county, code)
);
INSERT INTO targeted_inspections_new (id, county, entity_id, department, source, document_ref, inspected_on,
    year, items, findings, created_by, created_at)
SELECT id, '532323', entity_id, department, source, document_ref, inspected_on,
    year, items, findings, created_by, created_at FROM targeted_inspections;

CREATE TABLE attachments_new (
    id INTEGER PRIMARY KEY,
    county TEXT NOT NULL,
    task_id INTEGER,
    entity_id TEXT,
    purpose TEXT NOT NULL CHECK (purpose IN ('ceremony', 'result', 'source-document')),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    public BOOLEAN NOT NULL DEFAULT FALSE,
    uploaded_by INTEGER NOT NULL REFERENCES users (id),
    uploaded_at TIMESTAMP NOT NULL,
    targeted_id INTEGER,
    UNIQUE (county, id),
    FOREIGN KEY (county, task_id) REFERENCES tasks (county, id) ON DELETE CASCADE,
    FOREIGN KEY (county, targeted_id) REFERENCES targeted_inspections (county, id)
);
INSERT INTO attachments_new (id, county, task_id, entity_id, purpose, filename, content_type, size, sha256,
    data, public, uploaded_by, uploaded_at, targeted_id)
SELECT id, '532323', task_id, entity_id, purpose, filename, content_type, size, sha256,
    data, public, uploaded_by, uploaded_at, targeted_id FROM attachments;

CREATE TABLE follow_ups_new (
    id INTEGER PRIMARY KEY,
    county TEXT NOT NULL,
    task_id INTEGER,
    entity_id TEXT NOT NULL,
    department TEXT NOT NULL,
    item_code TEXT,
    category TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('rectify', 'case', 'transfer', 'notify')),
    due_on DATE,
    target_department TEXT,
    state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    note TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP,
    closed_by INTEGER REFERENCES users (id),
    items TEXT NOT NULL DEFAULT '',
    UNIQUE (county, id),
    UNIQUE (county, task_id, entity_id, item_code, category),
    FOREIGN KEY (county, task_id) REFERENCES tasks (county, id),
    FOREIGN KEY (county, department) REFERENCES departments (county, code),
    FOREIGN KEY (county, target_department) REFERENCES departments (county, code)
);
INSERT INTO follow_ups_new (id, county, task_id, entity_id, department, item_code, category, kind, due_on,
    target_department, state, note, created_at, closed_at, closed_by, items)
SELECT id, '532323', task_id, entity_id, department, item_code, category, kind, due_on,
    target_department, state, note, created_at, closed_at, closed_by, items FROM follow_ups;

CREATE TABLE credit_proposals_new (
    id INTEGER PRIMARY KEY,
    county TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    list TEXT NOT NULL CHECK (list IN ('abnormal', 'blacklist')),
    department TEXT NOT NULL,
    task_id INTEGER,
    item_code TEXT,
    category TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('proposed', 'confirmed', 'rejected')),
    note TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP,
    decided_by INTEGER REFERENCES users (id),
    items TEXT NOT NULL DEFAULT '',
    UNIQUE (county, id),
    UNIQUE (county, task_id, entity_id, item_code, list),
    FOREIGN KEY (county, department) REFERENCES departments (county, code),
    FOREIGN KEY (county, task_id) REFERENCES tasks (county, id)
);
INSERT INTO credit_proposals_new (id, county, entity_id, list, department, task_id, item_code, category, state,
    note, created_at, decided_at, decided_by, items)
SELECT id, '532323', entity_id, list, department, task_id, item_code, category, state,
    note, created_at, decided_at, decided_by, items FROM credit_proposals;

-- The public copy keeps its county: a county's portal reads its own, the province's
-- search reads them all.
CREATE TABLE public_results_new (
    id INTEGER PRIMARY KEY,
    county TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    entity_name TEXT NOT NULL,
    township TEXT NOT NULL,
    task_title TEXT NOT NULL,
    departments TEXT NOT NULL,
    inspected_on DATE,
    published_at TIMESTAMP NOT NULL,
    problems BOOLEAN NOT NULL,
    categories TEXT NOT NULL,
    grams TEXT NOT NULL,
    UNIQUE (county, id),
    UNIQUE (county, task_id, entity_id),
    FOREIGN KEY (county, task_id) REFERENCES tasks (county, id)
);
INSERT INTO public_results_new (id, county, task_id, entity_id, entity_name, township, task_title, departments,
    inspected_on, published_at, problems, categories, grams)
SELECT id, '532323', task_id, entity_id, entity_name, township, task_title, departments,
    inspected_on, published_at, problems, categories, grams FROM public_results;

DROP TABLE townships;
DROP TABLE departments;
DROP TABLE entities;
DROP TABLE inspectors;
DROP TABLE items;
DROP TABLE item_versions;
DROP TABLE joint_item_lists;
DROP TABLE joint_item_list_items;
DROP TABLE rule_books;
DROP TABLE users;
DROP TABLE audit_log;
DROP TABLE calendar_days;
DROP TABLE conflict_declarations;
DROP TABLE annual_plans;
DROP TABLE annual_plan_departments;
DROP TABLE annual_plan_entries;
DROP TABLE tasks;
DROP TABLE task_items;
DROP TABLE task_sources;
DROP TABLE task_exclusions;
DROP TABLE task_witnesses;
DROP TABLE team_members;
DROP TABLE visits;
DROP TABLE results;
DROP TABLE reviews;
DROP TABLE targeted_inspections;
DROP TABLE attachments;
DROP TABLE follow_ups;
DROP TABLE credit_proposals;
DROP TABLE public_results;

ALTER TABLE townships_new RENAME TO townships;
ALTER TABLE departments_new RENAME TO departments;
ALTER TABLE entities_new RENAME TO entities;
ALTER TABLE inspectors_new RENAME TO inspectors;
ALTER TABLE items_new RENAME TO items;
ALTER TABLE item_versions_new RENAME TO item_versions;
ALTER TABLE joint_item_lists_new RENAME TO joint_item_lists;
ALTER TABLE joint_item_list_items_new RENAME TO joint_item_list_items;
ALTER TABLE rule_books_new RENAME TO rule_books;
ALTER TABLE users_new RENAME TO users;
ALTER TABLE audit_log_new RENAME TO audit_log;
ALTER TABLE calendar_days_new RENAME TO calendar_days;
ALTER TABLE conflict_declarations_new RENAME TO conflict_declarations;
ALTER TABLE annual_plans_new RENAME TO annual_plans;
ALTER TABLE annual_plan_departments_new RENAME TO annual_plan_departments;
ALTER TABLE annual_plan_entries_new RENAME TO annual_plan_entries;
ALTER TABLE tasks_new RENAME TO tasks;
ALTER TABLE task_items_new RENAME TO task_items;
ALTER TABLE task_sources_new RENAME TO task_sources;
ALTER TABLE task_exclusions_new RENAME TO task_exclusions;
ALTER TABLE task_witnesses_new RENAME TO task_witnesses;
ALTER TABLE team_members_new RENAME TO team_members;
ALTER TABLE visits_new RENAME TO visits;
ALTER TABLE results_new RENAME TO results;
ALTER TABLE reviews_new RENAME TO reviews;
ALTER TABLE targeted_inspections_new RENAME TO targeted_inspections;
ALTER TABLE attachments_new RENAME TO attachments;
ALTER TABLE follow_ups_new RENAME TO follow_ups;
ALTER TABLE credit_proposals_new RENAME TO credit_proposals;
ALTER TABLE public_results_new RENAME TO public_results;

-- The entity directory's key, and the province-wide rule that a USCC is active in
-- one county at a time: every county's row but the one it moved to says 迁出.
CREATE UNIQUE INDEX entities_id ON entities (county, id);
CREATE UNIQUE INDEX entities_home ON entities (id) WHERE status <> 'moved-out';

CREATE INDEX inspectors_department ON inspectors (county, department);
CREATE INDEX item_versions_recorded ON item_versions (county, recorded_at);
CREATE INDEX users_division ON users (division);
CREATE INDEX audit_log_task ON audit_log (county, task_id);
CREATE INDEX audit_log_object ON audit_log (county, object_type, object_id);
CREATE INDEX conflict_declarations_entity ON conflict_declarations (county, entity_id);
CREATE INDEX tasks_county ON tasks (county, year, state);
CREATE INDEX team_members_inspector ON team_members (county, inspector_id);
CREATE INDEX visits_entity ON visits (county, entity_id);
CREATE INDEX visits_check_code ON visits (check_code);
CREATE INDEX attachments_task ON attachments (county, task_id);
CREATE INDEX attachments_targeted ON attachments (county, targeted_id);
CREATE INDEX follow_ups_department ON follow_ups (county, department, state);
CREATE INDEX credit_proposals_department ON credit_proposals (county, department, state);
CREATE INDEX targeted_inspections_entity ON targeted_inspections (county, entity_id, year);
CREATE INDEX public_results_entity ON public_results (entity_id, id);
CREATE INDEX public_results_year ON public_results (county, published_at, township, entity_id, problems, departments, categories);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TRIGGER public_results_fts_insert AFTER INSERT ON public_results BEGIN
    INSERT INTO public_results_fts (rowid, grams) VALUES (-new.id, new.grams);
END;
CREATE TRIGGER public_results_fts_delete AFTER DELETE ON public_results BEGIN
    INSERT INTO public_results_fts (public_results_fts, rowid, grams) VALUES ('delete', -old.id, old.grams);
END;

-- Every reference must hold before the commit: the CHECK refuses the row, and the
-- migration with it, when one does not.
CREATE TEMP TABLE migration_0009_check (violations INTEGER CHECK (violations = 0));
INSERT INTO migration_0009_check SELECT COUNT(*) FROM pragma_foreign_key_check;
DROP TABLE migration_0009_check;

COMMIT;
PRAGMA foreign_keys = ON;
