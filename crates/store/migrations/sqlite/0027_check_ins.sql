-- 扫码入企: each visit's check-ins on the spot (or the department's word on why its
-- paper record has none), the entity's rating of the visit and its complaints to
-- the oversight office, made through the visit's code.
CREATE TABLE visit_check_ins (
    id INTEGER PRIMARY KEY,
    county TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('code', 'paper', 'legacy')),
    at TIMESTAMP NOT NULL,
    user_id INTEGER REFERENCES users (id),
    username TEXT NOT NULL,
    -- The inspectors present, as the page named them (names joined by 、).
    inspectors TEXT NOT NULL DEFAULT '',
    latitude_e6 INTEGER,
    longitude_e6 INTEGER,
    accuracy_m INTEGER,
    note TEXT NOT NULL DEFAULT '',
    FOREIGN KEY (county, task_id) REFERENCES tasks (county, id)
);
CREATE INDEX visit_check_ins_visit ON visit_check_ins (county, task_id, entity_id);

CREATE TABLE visit_ratings (
    id INTEGER PRIMARY KEY,
    county TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    stars INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    comment TEXT NOT NULL DEFAULT '',
    at TIMESTAMP NOT NULL,
    FOREIGN KEY (county, task_id) REFERENCES tasks (county, id)
);
CREATE INDEX visit_ratings_visit ON visit_ratings (county, task_id, entity_id);

CREATE TABLE visit_complaints (
    id INTEGER PRIMARY KEY,
    county TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    text TEXT NOT NULL,
    -- Who to answer; NULL when the entity complained anonymously.
    contact TEXT,
    at TIMESTAMP NOT NULL,
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'handled')),
    reply TEXT NOT NULL DEFAULT '',
    handled_by TEXT NOT NULL DEFAULT '',
    handled_at TIMESTAMP,
    FOREIGN KEY (county, task_id) REFERENCES tasks (county, id)
);
CREATE INDEX visit_complaints_visit ON visit_complaints (county, task_id, entity_id);

-- Visits whose results were entered before check-ins existed count as checked in
-- (上线前录入), so that the dashboard flags only what happens from now on.
INSERT INTO visit_check_ins (county, task_id, entity_id, mode, at, username, note)
SELECT county, task_id, entity_id, 'legacy', COALESCE(submitted_at, CURRENT_TIMESTAMP), '系统', '扫码入企上线前录入的结果'
FROM visits WHERE state IN ('submitted', 'returned', 'published');
