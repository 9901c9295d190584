-- The one list, two directories and one rule book (一单两库一细则).

CREATE TABLE townships (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    position INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE departments (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    domain TEXT NOT NULL CHECK (domain IN ('market', 'ecology', 'culture', 'transport', 'agriculture'))
);

CREATE TABLE entities (
    id TEXT PRIMARY KEY,
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

-- No secondary index on township: a county-sized directory is filtered by scanning,
-- and the index would double the cost of every bulk import.


CREATE TABLE inspectors (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    department TEXT NOT NULL REFERENCES departments (code),
    certificate_no TEXT NOT NULL,
    certificate_valid_until DATE NOT NULL,
    specialties TEXT NOT NULL DEFAULT '',
    township TEXT REFERENCES townships (name),
    status TEXT NOT NULL,
    phone TEXT,
    updated_at TIMESTAMP NOT NULL
);

CREATE INDEX inspectors_department ON inspectors (department);

CREATE TABLE items (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    department TEXT NOT NULL REFERENCES departments (code),
    content TEXT NOT NULL DEFAULT '',
    methods TEXT NOT NULL DEFAULT '',
    authority TEXT NOT NULL DEFAULT '',
    entity_types TEXT NOT NULL DEFAULT '',
    published BOOLEAN NOT NULL,
    version INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Every state an item has had, so the list as published on any past day can be shown.
CREATE TABLE item_versions (
    code TEXT NOT NULL REFERENCES items (code),
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
    PRIMARY KEY (code, version)
);

CREATE INDEX item_versions_recorded ON item_versions (recorded_at);

CREATE TABLE joint_item_lists (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    domain TEXT NOT NULL,
    lead_department TEXT NOT NULL REFERENCES departments (code),
    published BOOLEAN NOT NULL
);

CREATE TABLE joint_item_list_items (
    list_code TEXT NOT NULL REFERENCES joint_item_lists (code) ON DELETE CASCADE,
    item_code TEXT NOT NULL REFERENCES items (code),
    position INTEGER NOT NULL,
    PRIMARY KEY (list_code, item_code)
);

CREATE TABLE rule_books (
    domain TEXT PRIMARY KEY,
    ratio_a_bp INTEGER NOT NULL CHECK (ratio_a_bp BETWEEN 0 AND 10000),
    ratio_b_bp INTEGER NOT NULL CHECK (ratio_b_bp BETWEEN 0 AND 10000),
    ratio_c_bp INTEGER NOT NULL CHECK (ratio_c_bp BETWEEN 0 AND 10000),
    ratio_d_bp INTEGER NOT NULL CHECK (ratio_d_bp BETWEEN 0 AND 10000),
    annual_cap INTEGER NOT NULL CHECK (annual_cap >= 1),
    publication_deadline_days INTEGER NOT NULL CHECK (publication_deadline_days >= 1),
    min_team_size INTEGER NOT NULL CHECK (min_team_size >= 2),
    recuse_same_township BOOLEAN NOT NULL
);
