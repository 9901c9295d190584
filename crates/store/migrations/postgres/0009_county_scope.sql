-- Every county-owned row names its county (the GB/T 2260 code of `divisions`), as
-- the first column of its key, and every foreign key between county-owned tables
-- carries it: a row can never point into another county, whatever a query does, and
-- a distributed engine can place each county's rows, and every join within a county,
-- on one node (docs/tenancy.md). Accounts name their division (a county, or a
-- prefecture or province office). Rows from before belong to the one county the
-- installation ran, 牟定县 (migration 0007).

-- The old keys and references go first: they are rebuilt with the county below.
DO $$
DECLARE r record;
BEGIN
    FOR r IN
        SELECT c.conrelid::regclass::text AS t, c.conname
        FROM pg_constraint c JOIN pg_class k ON k.oid = c.conrelid
        WHERE k.relnamespace = current_schema()::regnamespace AND c.contype = 'f'
          AND k.relname NOT IN ('divisions', 'sessions', 'public_names', '_sqlx_migrations')
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.t, r.conname);
    END LOOP;
    FOR r IN
        SELECT c.conrelid::regclass::text AS t, c.conname
        FROM pg_constraint c JOIN pg_class k ON k.oid = c.conrelid
        WHERE k.relnamespace = current_schema()::regnamespace AND c.contype IN ('p', 'u')
          AND k.relname NOT IN ('divisions', 'sessions', 'public_names', 'public_result_bigrams',
                                'users', '_sqlx_migrations')
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', r.t, r.conname);
    END LOOP;
END $$;

DROP INDEX inspectors_department;
DROP INDEX item_versions_recorded;
DROP INDEX audit_log_task;
DROP INDEX audit_log_object;
DROP INDEX conflict_declarations_entity;
DROP INDEX team_members_inspector;
DROP INDEX visits_entity;
DROP INDEX attachments_task;
DROP INDEX attachments_targeted;
DROP INDEX follow_ups_department;
DROP INDEX credit_proposals_department;
DROP INDEX targeted_inspections_entity;
DROP INDEX public_results_year;

-- The county of every row: the installation's one county until now.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['townships', 'departments', 'entities', 'inspectors', 'items',
        'item_versions', 'joint_item_lists', 'joint_item_list_items', 'rule_books', 'audit_log',
        'calendar_days', 'conflict_declarations', 'annual_plans', 'annual_plan_departments',
        'annual_plan_entries', 'tasks', 'task_items', 'task_sources', 'task_exclusions',
        'task_witnesses', 'team_members', 'visits', 'results', 'reviews', 'targeted_inspections',
        'attachments', 'follow_ups', 'credit_proposals', 'public_results']
    LOOP
        EXECUTE format('ALTER TABLE %I ADD COLUMN county TEXT COLLATE "C" NOT NULL DEFAULT %L', t, '532323');
        EXECUTE format('ALTER TABLE %I ALTER COLUMN county DROP DEFAULT', t);
    END LOOP;
END $$;

-- An account works in its division: a county, or a prefecture or province office.
ALTER TABLE users ADD COLUMN division TEXT COLLATE "C" NOT NULL DEFAULT '532323';
ALTER TABLE users ALTER COLUMN division DROP DEFAULT;

ALTER TABLE townships ADD PRIMARY KEY (county, code), ADD UNIQUE (county, name),
    ADD FOREIGN KEY (county) REFERENCES divisions (code);
ALTER TABLE departments ADD PRIMARY KEY (county, code), ADD UNIQUE (county, name),
    ADD FOREIGN KEY (county) REFERENCES divisions (code);
-- The key keeps its name: the first import of an empty directory drops and rebuilds it.
ALTER TABLE entities ADD CONSTRAINT entities_pkey PRIMARY KEY (county, id);
-- A USCC is active in one county at a time: every county's row but the one it moved
-- to says 迁出.
CREATE UNIQUE INDEX entities_home ON entities (id) WHERE status <> 'moved-out';
ALTER TABLE inspectors ADD PRIMARY KEY (county, id),
    ADD FOREIGN KEY (county, department) REFERENCES departments (county, code),
    ADD FOREIGN KEY (county, township) REFERENCES townships (county, name);
ALTER TABLE items ADD PRIMARY KEY (county, code),
    ADD FOREIGN KEY (county, department) REFERENCES departments (county, code);
ALTER TABLE item_versions ADD PRIMARY KEY (county, code, version),
    ADD FOREIGN KEY (county, code) REFERENCES items (county, code);
ALTER TABLE joint_item_lists ADD PRIMARY KEY (county, code),
    ADD FOREIGN KEY (county, lead_department) REFERENCES departments (county, code);
ALTER TABLE joint_item_list_items ADD PRIMARY KEY (county, list_code, item_code),
    ADD FOREIGN KEY (county, list_code) REFERENCES joint_item_lists (county, code) ON DELETE CASCADE,
    ADD FOREIGN KEY (county, item_code) REFERENCES items (county, code);
ALTER TABLE rule_books ADD PRIMARY KEY (county, domain),
    ADD FOREIGN KEY (county) REFERENCES divisions (code);
ALTER TABLE users ADD FOREIGN KEY (division) REFERENCES divisions (code),
    ADD FOREIGN KEY (division, department) REFERENCES departments (county, code),
    ADD FOREIGN KEY (division, township) REFERENCES townships (county, name),
    ADD FOREIGN KEY (division, inspector_id) REFERENCES inspectors (county, id);
ALTER TABLE audit_log ADD PRIMARY KEY (county, id);
ALTER TABLE calendar_days ADD PRIMARY KEY (county, day),
    ADD FOREIGN KEY (county) REFERENCES divisions (code);
ALTER TABLE conflict_declarations ADD PRIMARY KEY (county, id),
    ADD FOREIGN KEY (county, inspector_id) REFERENCES inspectors (county, id);
ALTER TABLE annual_plans ADD PRIMARY KEY (county, id), ADD UNIQUE (county, year, domain),
    ADD FOREIGN KEY (county, lead_department) REFERENCES departments (county, code);
ALTER TABLE annual_plan_departments ADD PRIMARY KEY (county, plan_id, department),
    ADD FOREIGN KEY (county, plan_id) REFERENCES annual_plans (county, id) ON DELETE CASCADE,
    ADD FOREIGN KEY (county, department) REFERENCES departments (county, code);
ALTER TABLE annual_plan_entries ADD PRIMARY KEY (county, id),
    ADD FOREIGN KEY (county, plan_id) REFERENCES annual_plans (county, id) ON DELETE CASCADE;
ALTER TABLE tasks ADD PRIMARY KEY (county, id),
    ADD FOREIGN KEY (county, lead_department) REFERENCES departments (county, code),
    ADD FOREIGN KEY (county, plan_entry_id) REFERENCES annual_plan_entries (county, id),
    ADD FOREIGN KEY (created_by) REFERENCES users (id);
ALTER TABLE task_items ADD PRIMARY KEY (county, task_id, item_code),
    ADD FOREIGN KEY (county, task_id) REFERENCES tasks (county, id) ON DELETE CASCADE,
    ADD FOREIGN KEY (county, item_code) REFERENCES items (county, code);
ALTER TABLE task_sources ADD PRIMARY KEY (county, task_id, position),
    ADD FOREIGN KEY (county, task_id) REFERENCES tasks (county, id) ON DELETE CASCADE;
ALTER TABLE task_exclusions ADD PRIMARY KEY (county, task_id, entity_id),
    ADD FOREIGN KEY (county, task_id) REFERENCES tasks (county, id) ON DELETE CASCADE;
ALTER TABLE task_witnesses ADD PRIMARY KEY (county, id),
    ADD FOREIGN KEY (county, task_id) REFERENCES tasks (county, id) ON DELETE CASCADE;
ALTER TABLE team_members ADD PRIMARY KEY (county, task_id, team_no, position),
    ADD FOREIGN KEY (county, task_id) REFERENCES tasks (county, id) ON DELETE CASCADE;
-- The check code is printed on the notice and looked up province-wide by itself
-- (visits_check_code); unique within its county, where a key can hold it.
ALTER TABLE visits ADD PRIMARY KEY (county, task_id, entity_id), ADD UNIQUE (county, check_code),
    ADD FOREIGN KEY (county, task_id) REFERENCES tasks (county, id) ON DELETE CASCADE,
    ADD FOREIGN KEY (submitted_by) REFERENCES users (id);
ALTER TABLE results ADD PRIMARY KEY (county, task_id, entity_id, item_code),
    ADD FOREIGN KEY (county, task_id, entity_id) REFERENCES visits (county, task_id, entity_id) ON DELETE CASCADE,
    ADD FOREIGN KEY (county, item_code) REFERENCES items (county, code);
ALTER TABLE reviews ADD PRIMARY KEY (county, task_id, department),
    ADD FOREIGN KEY (county, task_id) REFERENCES tasks (county, id) ON DELETE CASCADE,
    ADD FOREIGN KEY (county, department) REFERENCES departments (county, code),
    ADD FOREIGN KEY (approved_by) REFERENCES users (id);
ALTER TABLE targeted_inspections ADD PRIMARY KEY (county, id),
    ADD FOREIGN KEY (county, department) REFERENCES departments (county, code),
    ADD FOREIGN KEY (created_by) REFERENCES users (id);
ALTER TABLE attachments ADD PRIMARY KEY (county, id),
    ADD FOREIGN KEY (county, task_id) REFERENCES tasks (county, id) ON DELETE CASCADE,
    ADD FOREIGN KEY (county, targeted_id) REFERENCES targeted_inspections (county, id),
    ADD FOREIGN KEY (uploaded_by) REFERENCES users (id);
ALTER TABLE follow_ups ADD PRIMARY KEY (county, id),
    ADD UNIQUE (county, task_id, entity_id, item_code, category),
    ADD FOREIGN KEY (county, task_id) REFERENCES tasks (county, id),
    ADD FOREIGN KEY (county, department) REFERENCES departments (county, code),
    ADD FOREIGN KEY (county, target_department) REFERENCES departments (county, code),
    ADD FOREIGN KEY (closed_by) REFERENCES users (id);
ALTER TABLE credit_proposals ADD PRIMARY KEY (county, id),
    ADD UNIQUE (county, task_id, entity_id, item_code, list),
    ADD FOREIGN KEY (county, department) REFERENCES departments (county, code),
    ADD FOREIGN KEY (county, task_id) REFERENCES tasks (county, id),
    ADD FOREIGN KEY (decided_by) REFERENCES users (id);
-- The public copy keeps its county: a county's portal reads its own, the province's
-- search reads them all.
ALTER TABLE public_results ADD PRIMARY KEY (county, id), ADD UNIQUE (county, task_id, entity_id),
    ADD FOREIGN KEY (county, task_id) REFERENCES tasks (county, id),
    ADD FOREIGN KEY (name_id) REFERENCES public_names (id);

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
CREATE INDEX public_results_year ON public_results (county, published_at, township, entity_id, problems, departments, categories);
