-- The audit log is read newest first within one county (the oversight office's
-- log, a page at a time): on SQLite the key is the row id alone, so without this a
-- county's page walked every county's entries. PostgreSQL's key is (county, id).
CREATE INDEX audit_log_county ON audit_log (county, id);
