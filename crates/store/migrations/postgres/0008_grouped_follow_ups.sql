-- A follow-up or credit proposal covers every item of one entity whose findings led
-- to it (one per department and measure, one per list), not one item each: the items
-- are listed here, in order, comma-separated. Rows from before name their one item.

ALTER TABLE follow_ups ADD COLUMN items TEXT NOT NULL DEFAULT '';
UPDATE follow_ups SET items = COALESCE(item_code, '');

ALTER TABLE credit_proposals ADD COLUMN items TEXT NOT NULL DEFAULT '';
UPDATE credit_proposals SET items = COALESCE(item_code, '');
