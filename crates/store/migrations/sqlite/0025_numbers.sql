-- Official numbers (发文字号, GB/T 9704: 机关代字〔年份〕序号号). Each department
-- sets its 机关代字 per kind of document and its agency code (统一社会信用代码)
-- for the national task code; empty: not set, no number is given.
CREATE TABLE department_issuers (
    county TEXT NOT NULL,
    department TEXT NOT NULL,
    plan_word TEXT NOT NULL DEFAULT '',
    task_word TEXT NOT NULL DEFAULT '',
    notice_word TEXT NOT NULL DEFAULT '',
    agency_code TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (county, department),
    FOREIGN KEY (county, department) REFERENCES departments (county, code)
);

-- The last number given, per issuer (a department, or an agency code for the
-- national task code), kind and period (a year, or a day for the national code).
-- Taken in the transaction that numbers the record: gapless, never given twice.
CREATE TABLE number_counters (
    county TEXT NOT NULL,
    issuer TEXT NOT NULL,
    kind TEXT NOT NULL,
    period TEXT NOT NULL,
    last INTEGER NOT NULL,
    PRIMARY KEY (county, issuer, kind, period)
);

ALTER TABLE annual_plans ADD COLUMN number TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN number TEXT NOT NULL DEFAULT '';
ALTER TABLE tasks ADD COLUMN national_code TEXT NOT NULL DEFAULT '';
-- The 检查通知书's number, given at the draw to each visit a team makes.
ALTER TABLE visits ADD COLUMN notice_number TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX annual_plans_number ON annual_plans (county, number) WHERE number <> '';
CREATE UNIQUE INDEX tasks_number ON tasks (county, number) WHERE number <> '';
CREATE UNIQUE INDEX tasks_national_code ON tasks (county, national_code) WHERE national_code <> '';
