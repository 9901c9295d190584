-- The organisation tree: province → prefecture → county, by GB/T 2260 code (six
-- digits; a province ends in 0000, a prefecture in 00). Every county-owned row will
-- name its county by this code.

CREATE TABLE divisions (
    code TEXT PRIMARY KEY CHECK (length(code) = 6),
    name TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('province', 'prefecture', 'county')),
    parent TEXT REFERENCES divisions (code),
    CHECK ((level = 'province') = (parent IS NULL)),
    UNIQUE (parent, name)
);

-- An installation made before the tree existed ran one county, the one its pages
-- named: 云南省楚雄彝族自治州牟定县. It keeps running it.
INSERT INTO divisions (code, name, level, parent)
SELECT '530000', '云南省', 'province', NULL
WHERE EXISTS (SELECT 1 FROM townships) OR EXISTS (SELECT 1 FROM users);
INSERT INTO divisions (code, name, level, parent)
SELECT '532300', '楚雄彝族自治州', 'prefecture', '530000'
WHERE EXISTS (SELECT 1 FROM divisions WHERE code = '530000');
INSERT INTO divisions (code, name, level, parent)
SELECT '532323', '牟定县', 'county', '532300'
WHERE EXISTS (SELECT 1 FROM divisions WHERE code = '530000');
