-- no-transaction
-- 检查审批 and 备案 (国办发〔2024〕54号): the head of a task's lead department
-- approves its inspection before the plan is sealed; an annual plan is filed with
-- the office above. The head is an account of its own role, 部门负责人.
--
-- SQLite cannot change a CHECK in place: `users` is rebuilt as in 0009, with foreign
-- keys off for the rebuild and checked for the whole database before the commit.

PRAGMA foreign_keys = OFF;
BEGIN;

CREATE TABLE users_new (
    id INTEGER PRIMARY KEY,
    division TEXT NOT NULL REFERENCES divisions (code),
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'coordinator', 'department-admin', 'department-head', 'inspector', 'oversight', 'township')),
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
SELECT id, division, username, display_name, role, department, township, inspector_id,
    password_hash, must_change_password, failed_logins, locked_until, disabled, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE INDEX users_division ON users (division);

-- Each step of a task's approval, in order: the request, the head's decision. Each
-- is about one version of the task: a change after it asks for a new request.
CREATE TABLE task_approvals (
    county TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    step TEXT NOT NULL CHECK (step IN ('requested', 'approved', 'refused')),
    task_version INTEGER NOT NULL,
    opinion TEXT NOT NULL DEFAULT '',
    user_id INTEGER REFERENCES users (id),
    username TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    PRIMARY KEY (county, task_id, seq),
    FOREIGN KEY (county, task_id) REFERENCES tasks (county, id)
);

ALTER TABLE annual_plans ADD COLUMN filed_with TEXT NOT NULL DEFAULT '';
ALTER TABLE annual_plans ADD COLUMN filed_on DATE;
ALTER TABLE annual_plans ADD COLUMN filed_reference TEXT NOT NULL DEFAULT '';
-- Who recorded the filing, and when (the audit trail keeps each correction).
ALTER TABLE annual_plans ADD COLUMN filed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE annual_plans ADD COLUMN filed_at TIMESTAMP;

CREATE TEMP TABLE migration_0026_check (violations INTEGER CHECK (violations = 0));
INSERT INTO migration_0026_check SELECT COUNT(*) FROM pragma_foreign_key_check;
DROP TABLE migration_0026_check;

COMMIT;
PRAGMA foreign_keys = ON;
