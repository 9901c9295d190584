-- A result form saved on the way (暂存): one per person and visit, private to them,
-- replaced by each save and dropped once their results are entered. Not a record
-- of the inspection: nothing in it is reviewed, published or audited.
CREATE TABLE visit_drafts (
    county TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id),
    inspected_on TEXT NOT NULL DEFAULT '',
    results TEXT NOT NULL,
    saved_at TIMESTAMP NOT NULL,
    PRIMARY KEY (county, task_id, entity_id, user_id),
    FOREIGN KEY (county, task_id, entity_id) REFERENCES visits (county, task_id, entity_id) ON DELETE CASCADE
);
