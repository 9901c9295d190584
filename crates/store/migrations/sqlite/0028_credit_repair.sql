-- 信用修复: an application to leave the list a confirmed proposal put the entity on,
-- made by the entity through its code or registered by the department, and the
-- decision with its reasons. Granting it records the removal (credit_removals) in
-- the same transaction. One open application per listing at a time.
CREATE TABLE credit_repairs (
    id INTEGER PRIMARY KEY,
    county TEXT NOT NULL,
    proposal_id INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    list TEXT NOT NULL CHECK (list IN ('abnormal', 'blacklist')),
    source TEXT NOT NULL CHECK (source IN ('entity', 'department')),
    grounds TEXT NOT NULL,
    statement TEXT NOT NULL,
    contact TEXT NOT NULL,
    applied_at TIMESTAMP NOT NULL,
    applied_by INTEGER REFERENCES users (id),
    state TEXT NOT NULL DEFAULT 'applied' CHECK (state IN ('applied', 'granted', 'refused')),
    reason TEXT NOT NULL DEFAULT '',
    decided_at TIMESTAMP,
    decided_by INTEGER REFERENCES users (id),
    FOREIGN KEY (county, proposal_id) REFERENCES credit_proposals (county, id)
);
CREATE UNIQUE INDEX credit_repairs_open ON credit_repairs (county, proposal_id) WHERE state = 'applied';
CREATE INDEX credit_repairs_entity ON credit_repairs (county, entity_id);

-- 异议: an entity's objection to a published result, and the department's answer.
CREATE TABLE result_objections (
    id INTEGER PRIMARY KEY,
    county TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    text TEXT NOT NULL,
    contact TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'upheld', 'corrected')),
    reply TEXT NOT NULL DEFAULT '',
    department TEXT,
    handled_by INTEGER REFERENCES users (id),
    handled_at TIMESTAMP,
    FOREIGN KEY (county, task_id) REFERENCES tasks (county, id)
);
CREATE INDEX result_objections_visit ON result_objections (county, task_id, entity_id);

-- A correction of a published result: the item's result before and after, why,
-- and the objection it answers (if any). The public result shows it beside the item.
CREATE TABLE result_corrections (
    id INTEGER PRIMARY KEY,
    county TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    item_code TEXT NOT NULL,
    department TEXT NOT NULL,
    objection_id INTEGER REFERENCES result_objections (id),
    before_categories TEXT NOT NULL,
    before_findings TEXT NOT NULL,
    after_categories TEXT NOT NULL,
    after_findings TEXT NOT NULL,
    reason TEXT NOT NULL,
    corrected_at TIMESTAMP NOT NULL,
    corrected_by INTEGER NOT NULL REFERENCES users (id),
    FOREIGN KEY (county, task_id) REFERENCES tasks (county, id)
);
CREATE INDEX result_corrections_visit ON result_corrections (county, task_id, entity_id);
CREATE INDEX result_corrections_entity ON result_corrections (entity_id);
