-- 检查审批 and 备案 (国办发〔2024〕54号): the head of a task's lead department
-- approves its inspection before the plan is sealed; an annual plan is filed with
-- the office above. The head is an account of its own role, 部门负责人.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'coordinator',
    'department-admin', 'department-head', 'inspector', 'oversight', 'township'));

-- Each step of a task's approval, in order: the request, the head's decision. Each
-- is about one version of the task: a change after it asks for a new request.
CREATE TABLE task_approvals (
    county TEXT COLLATE "C" NOT NULL,
    task_id BIGINT NOT NULL,
    seq INTEGER NOT NULL,
    step TEXT COLLATE "C" NOT NULL CHECK (step IN ('requested', 'approved', 'refused')),
    task_version INTEGER NOT NULL,
    opinion TEXT NOT NULL DEFAULT '',
    user_id BIGINT REFERENCES users (id),
    username TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (county, task_id, seq),
    FOREIGN KEY (county, task_id) REFERENCES tasks (county, id)
);

ALTER TABLE annual_plans ADD COLUMN filed_with TEXT NOT NULL DEFAULT '';
ALTER TABLE annual_plans ADD COLUMN filed_on DATE;
ALTER TABLE annual_plans ADD COLUMN filed_reference TEXT NOT NULL DEFAULT '';
-- Who recorded the filing, and when (the audit trail keeps each correction).
ALTER TABLE annual_plans ADD COLUMN filed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE annual_plans ADD COLUMN filed_at TIMESTAMPTZ;
