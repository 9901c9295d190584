-- The one list, two directories and one rule book (一单两库一细则).
-- Text columns use the C collation so that ordering is by code point, as in SQLite.

CREATE TABLE townships (
    code TEXT COLLATE "C" PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL UNIQUE,
    position BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE departments (
    code TEXT COLLATE "C" PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL UNIQUE,
    domain TEXT COLLATE "C" NOT NULL CHECK (domain IN ('market', 'ecology', 'culture', 'transport', 'agriculture'))
);

CREATE TABLE entities (
    id TEXT COLLATE "C" PRIMARY KEY,
    reg_no TEXT COLLATE "C" NOT NULL DEFAULT '',
    name TEXT COLLATE "C" NOT NULL,
    entity_type TEXT COLLATE "C" NOT NULL,
    industry TEXT COLLATE "C",
    -- Checked against townships by the importer; no foreign key, which would cost
    -- a lookup per row of every bulk load (on PostgreSQL, more than the load itself).
    township TEXT COLLATE "C" NOT NULL,
    address TEXT COLLATE "C" NOT NULL DEFAULT '',
    legal_rep TEXT COLLATE "C" NOT NULL DEFAULT '',
    registered_on DATE,
    status TEXT COLLATE "C" NOT NULL,
    risk_class TEXT COLLATE "C" NOT NULL CHECK (risk_class IN ('A', 'B', 'C', 'D')),
    abnormal BOOLEAN NOT NULL DEFAULT FALSE,
    blacklisted BOOLEAN NOT NULL DEFAULT FALSE,
    tags TEXT COLLATE "C" NOT NULL DEFAULT '',
    updated_at TIMESTAMPTZ NOT NULL
);


CREATE TABLE inspectors (
    id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL,
    department TEXT COLLATE "C" NOT NULL REFERENCES departments (code),
    certificate_no TEXT COLLATE "C" NOT NULL,
    certificate_valid_until DATE NOT NULL,
    specialties TEXT COLLATE "C" NOT NULL DEFAULT '',
    township TEXT COLLATE "C" REFERENCES townships (name),
    status TEXT COLLATE "C" NOT NULL,
    phone TEXT COLLATE "C",
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX inspectors_department ON inspectors (department);

CREATE TABLE items (
    code TEXT COLLATE "C" PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL,
    legal_basis TEXT COLLATE "C" NOT NULL,
    department TEXT COLLATE "C" NOT NULL REFERENCES departments (code),
    content TEXT COLLATE "C" NOT NULL DEFAULT '',
    methods TEXT COLLATE "C" NOT NULL DEFAULT '',
    authority TEXT COLLATE "C" NOT NULL DEFAULT '',
    entity_types TEXT COLLATE "C" NOT NULL DEFAULT '',
    published BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Every state an item has had, so the list as published on any past day can be shown.
CREATE TABLE item_versions (
    code TEXT COLLATE "C" NOT NULL REFERENCES items (code),
    version BIGINT NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    legal_basis TEXT COLLATE "C" NOT NULL,
    department TEXT COLLATE "C" NOT NULL,
    content TEXT COLLATE "C" NOT NULL,
    methods TEXT COLLATE "C" NOT NULL,
    authority TEXT COLLATE "C" NOT NULL,
    entity_types TEXT COLLATE "C" NOT NULL,
    published BOOLEAN NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (code, version)
);

CREATE INDEX item_versions_recorded ON item_versions (recorded_at);

CREATE TABLE joint_item_lists (
    code TEXT COLLATE "C" PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL,
    domain TEXT COLLATE "C" NOT NULL,
    lead_department TEXT COLLATE "C" NOT NULL REFERENCES departments (code),
    published BOOLEAN NOT NULL
);

CREATE TABLE joint_item_list_items (
    list_code TEXT COLLATE "C" NOT NULL REFERENCES joint_item_lists (code) ON DELETE CASCADE,
    item_code TEXT COLLATE "C" NOT NULL REFERENCES items (code),
    position BIGINT NOT NULL,
    PRIMARY KEY (list_code, item_code)
);

CREATE TABLE rule_books (
    domain TEXT COLLATE "C" PRIMARY KEY,
    ratio_a_bp BIGINT NOT NULL CHECK (ratio_a_bp BETWEEN 0 AND 10000),
    ratio_b_bp BIGINT NOT NULL CHECK (ratio_b_bp BETWEEN 0 AND 10000),
    ratio_c_bp BIGINT NOT NULL CHECK (ratio_c_bp BETWEEN 0 AND 10000),
    ratio_d_bp BIGINT NOT NULL CHECK (ratio_d_bp BETWEEN 0 AND 10000),
    annual_cap BIGINT NOT NULL CHECK (annual_cap >= 1),
    publication_deadline_days BIGINT NOT NULL CHECK (publication_deadline_days >= 1),
    min_team_size BIGINT NOT NULL CHECK (min_team_size >= 2),
    recuse_same_township BOOLEAN NOT NULL
);
