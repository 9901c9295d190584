-- Accounts, the joint inspection workflow and its audit trail.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'coordinator', 'department-admin', 'inspector', 'oversight', 'township')),
    department TEXT REFERENCES departments (code),
    township TEXT REFERENCES townships (name),
    inspector_id TEXT REFERENCES inspectors (id),
    password_hash TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMP,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);

-- Only a hash of the cookie's token is kept: a copy of the database opens no session.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);

-- Appended, never edited: triggers below refuse UPDATE and DELETE.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    user_id INTEGER,
    username TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    task_id INTEGER,
    before_value TEXT,
    after_value TEXT
);

CREATE INDEX audit_log_task ON audit_log (task_id);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id);

CREATE TABLE calendar_days (
    day DATE PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('off', 'work')),
    name TEXT NOT NULL
);

-- Declared ties and entities' requests for recusal (回避).
CREATE TABLE conflict_declarations (
    id INTEGER PRIMARY KEY,
    inspector_id TEXT NOT NULL REFERENCES inspectors (id),
    entity_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('tie', 'entity-request')),
    reason TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE INDEX conflict_declarations_entity ON conflict_declarations (entity_id);

CREATE TABLE annual_plans (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL,
    domain TEXT NOT NULL,
    title TEXT NOT NULL,
    lead_department TEXT NOT NULL REFERENCES departments (code),
    published_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (year, domain)
);

CREATE TABLE annual_plan_departments (
    plan_id INTEGER NOT NULL REFERENCES annual_plans (id) ON DELETE CASCADE,
    department TEXT NOT NULL REFERENCES departments (code),
    PRIMARY KEY (plan_id, department)
);

CREATE TABLE annual_plan_entries (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES annual_plans (id) ON DELETE CASCADE,
    month INTEGER NOT NULL CHECK (month BETWEEN 1 AND 12),
    title TEXT NOT NULL,
    items TEXT NOT NULL,
    scope TEXT NOT NULL DEFAULT ''
);

CREATE TABLE tasks (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL,
    title TEXT NOT NULL,
    domain TEXT NOT NULL,
    mode TEXT NOT NULL,
    lead_department TEXT NOT NULL REFERENCES departments (code),
    plan_entry_id INTEGER REFERENCES annual_plan_entries (id),
    state TEXT NOT NULL CHECK (state IN ('draft', 'committed', 'drawn', 'published', 'cancelled')),
    -- Filters on the entity directory, JSON.
    scope TEXT NOT NULL,
    -- Per risk class in basis points, or counts, JSON; the rule book's when absent.
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
    -- Optimistic concurrency: a form posted twice finds the version moved on.
    version INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE task_items (
    task_id INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    item_code TEXT NOT NULL REFERENCES items (code),
    position INTEGER NOT NULL,
    PRIMARY KEY (task_id, item_code)
);

CREATE TABLE task_sources (
    task_id INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    not_before TIMESTAMP NOT NULL,
    revealed TEXT,
    PRIMARY KEY (task_id, position)
);

CREATE TABLE task_exclusions (
    task_id INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    entity_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (task_id, entity_id)
);

CREATE TABLE task_witnesses (
    id INTEGER PRIMARY KEY,
    task_id INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    organisation TEXT NOT NULL DEFAULT ''
);

CREATE TABLE team_members (
    task_id INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    team_no INTEGER NOT NULL,
    position INTEGER NOT NULL,
    inspector_id TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    replaced_by TEXT,
    replace_reason TEXT,
    PRIMARY KEY (task_id, team_no, position)
);

CREATE INDEX team_members_inspector ON team_members (inspector_id);

-- One visit: one entity of a task, visited once for every department's items.
CREATE TABLE visits (
    task_id INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    entity_id TEXT NOT NULL,
    draw_order INTEGER NOT NULL,
    team_no INTEGER,
    state TEXT NOT NULL CHECK (state IN ('pending', 'submitted', 'returned', 'published', 'unassigned', 'replaced')),
    -- Printed on the notice; the entity checks it on the public portal.
    check_code TEXT NOT NULL UNIQUE,
    inspected_on DATE,
    submitted_by INTEGER REFERENCES users (id),
    submitted_at TIMESTAMP,
    return_note TEXT,
    replaced_by TEXT,
    replace_reason TEXT,
    PRIMARY KEY (task_id, entity_id)
);

CREATE INDEX visits_entity ON visits (entity_id);

CREATE TABLE results (
    task_id INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    item_code TEXT NOT NULL REFERENCES items (code),
    categories TEXT NOT NULL,
    methods TEXT NOT NULL,
    findings TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (task_id, entity_id, item_code),
    FOREIGN KEY (task_id, entity_id) REFERENCES visits (task_id, entity_id) ON DELETE CASCADE
);

CREATE TABLE reviews (
    task_id INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    department TEXT NOT NULL REFERENCES departments (code),
    approved_by INTEGER NOT NULL REFERENCES users (id),
    approved_at TIMESTAMP NOT NULL,
    PRIMARY KEY (task_id, department)
);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    task_id INTEGER REFERENCES tasks (id) ON DELETE CASCADE,
    entity_id TEXT,
    purpose TEXT NOT NULL CHECK (purpose IN ('ceremony', 'result', 'source-document')),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    public BOOLEAN NOT NULL DEFAULT FALSE,
    uploaded_by INTEGER NOT NULL REFERENCES users (id),
    uploaded_at TIMESTAMP NOT NULL
);

CREATE INDEX attachments_task ON attachments (task_id);

CREATE TABLE follow_ups (
    id INTEGER PRIMARY KEY,
    task_id INTEGER REFERENCES tasks (id),
    entity_id TEXT NOT NULL,
    department TEXT NOT NULL REFERENCES departments (code),
    item_code TEXT,
    category TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('rectify', 'case', 'transfer', 'notify')),
    due_on DATE,
    target_department TEXT REFERENCES departments (code),
    state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    note TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP,
    closed_by INTEGER REFERENCES users (id),
    UNIQUE (task_id, entity_id, item_code, category)
);

CREATE INDEX follow_ups_department ON follow_ups (department, state);

CREATE TABLE credit_proposals (
    id INTEGER PRIMARY KEY,
    entity_id TEXT NOT NULL,
    list TEXT NOT NULL CHECK (list IN ('abnormal', 'blacklist')),
    department TEXT NOT NULL REFERENCES departments (code),
    task_id INTEGER REFERENCES tasks (id),
    item_code TEXT,
    category TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('proposed', 'confirmed', 'rejected')),
    note TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP,
    decided_by INTEGER REFERENCES users (id),
    UNIQUE (task_id, entity_id, item_code, list)
);

CREATE INDEX credit_proposals_department ON credit_proposals (department, state);

CREATE TABLE targeted_inspections (
    id INTEGER PRIMARY KEY,
    entity_id TEXT NOT NULL,
    department TEXT NOT NULL REFERENCES departments (code),
    source TEXT NOT NULL CHECK (source IN ('complaint', 'referral', 'data-lead')),
    document_ref TEXT NOT NULL,
    inspected_on DATE NOT NULL,
    year INTEGER NOT NULL,
    items TEXT NOT NULL DEFAULT '',
    findings TEXT NOT NULL DEFAULT '',
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);

CREATE INDEX targeted_inspections_entity ON targeted_inspections (entity_id, year);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
