-- SQLite's migration 0006 gives the key of `entities` a name of its own, so its
-- first import can drop and rebuild it. PostgreSQL's key already has one
-- (`entities_pkey`, dropped and rebuilt the same way). This keeps the two engines'
-- migration numbers in step.
SELECT 1;
