-- 检查要点: an item's points, each with how it is checked, the clause a failure
-- cites and the default wording either way. Points of several items with the same
-- code are one question of a joint visit (一表通查).
CREATE TABLE check_points (
    county TEXT NOT NULL,
    item_code TEXT NOT NULL,
    position INTEGER NOT NULL,
    code TEXT NOT NULL,
    content TEXT NOT NULL,
    method TEXT NOT NULL,
    clause TEXT NOT NULL DEFAULT '',
    pass_text TEXT NOT NULL DEFAULT '',
    fail_text TEXT NOT NULL DEFAULT '',
    fail_category TEXT NOT NULL,
    PRIMARY KEY (county, item_code, code),
    FOREIGN KEY (county, item_code) REFERENCES items (county, code)
);
