-- A draft (暂存) keeps the check points' answers too (point code → pass/fail/na, as
-- JSON), so that an inspector who answered twenty points on site finds them again.
ALTER TABLE visit_drafts ADD COLUMN answers TEXT NOT NULL DEFAULT '{}';
