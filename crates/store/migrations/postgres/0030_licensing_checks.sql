-- 许可核查: a department's check on site of what an applicant for a licence declared
-- is an inspection of an enterprise like any other (国办发〔2024〕54号): checked in,
-- counted toward the year's cap, shown to the entity.
ALTER TABLE targeted_inspections DROP CONSTRAINT targeted_inspections_source_check;
ALTER TABLE targeted_inspections ADD CONSTRAINT targeted_inspections_source_check
    CHECK (source IN ('complaint', 'referral', 'data-lead', 'licensing'));
