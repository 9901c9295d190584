-- A result form saved on the way (暂存): one per person and visit, private to them,
-- replaced by each save and dropped once their results are entered. Not a record
-- of the inspection: nothing in it is reviewed, published or audited.
CREATE TABLE visit_drafts (
    county TEXT COLLATE "C" NOT NULL,
    task_id BIGINT NOT NULL,
    entity_id TEXT COLLATE "C" NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    inspected_on TEXT COLLATE "C" NOT NULL DEFAULT '',
    results TEXT COLLATE "C" NOT NULL,
    saved_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (county, task_id, entity_id, user_id),
    FOREIGN KEY (county, task_id, entity_id) REFERENCES visits (county, task_id, entity_id) ON DELETE CASCADE
);
