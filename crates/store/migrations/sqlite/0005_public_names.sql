-- PostgreSQL's migration 0005 adds a table of distinct names for its name search.
-- SQLite needs none: its FTS5 index (0004) reads the matching rows newest first and
-- stops after one page. This keeps the two engines' migration numbers in step.
SELECT 1;
