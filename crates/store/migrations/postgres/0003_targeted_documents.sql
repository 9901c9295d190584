-- The source document (complaint, referral slip, data lead) of a targeted inspection.
ALTER TABLE attachments ADD COLUMN targeted_id BIGINT REFERENCES targeted_inspections (id);
CREATE INDEX attachments_targeted ON attachments (targeted_id);
