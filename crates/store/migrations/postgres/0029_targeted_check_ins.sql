-- 扫码入企 for targeted inspections (complaints, referrals, data leads): checked in
-- on arrival like a drawn visit (when, who was there, where the phone said), the
-- findings entered afterwards; or entered later from the paper record, saying why
-- there was no check-in. Rows from before were entered whole, after the fact.
ALTER TABLE targeted_inspections ADD COLUMN check_in_mode TEXT COLLATE "C" NOT NULL DEFAULT 'legacy'
    CHECK (check_in_mode IN ('code', 'paper', 'legacy'));
ALTER TABLE targeted_inspections ADD COLUMN checked_in_at TIMESTAMPTZ;
ALTER TABLE targeted_inspections ADD COLUMN inspectors TEXT COLLATE "C" NOT NULL DEFAULT '';
-- Their inspector ids, comma-joined: who may enter the findings.
ALTER TABLE targeted_inspections ADD COLUMN inspector_ids TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE targeted_inspections ADD COLUMN latitude_e6 BIGINT;
ALTER TABLE targeted_inspections ADD COLUMN longitude_e6 BIGINT;
ALTER TABLE targeted_inspections ADD COLUMN accuracy_m BIGINT;
ALTER TABLE targeted_inspections ADD COLUMN paper_reason TEXT COLLATE "C" NOT NULL DEFAULT '';
