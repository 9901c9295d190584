-- The specialty an item requires of its inspectors (所需专业领域, e.g. 特种设备):
-- a task with such an item draws teams that each hold it (liancha-draw/2,
-- docs/draw-v2.md). Empty means none. Versions keep it like every other field.
ALTER TABLE items ADD COLUMN specialty TEXT NOT NULL DEFAULT '';
ALTER TABLE item_versions ADD COLUMN specialty TEXT NOT NULL DEFAULT '';
