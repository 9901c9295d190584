-- A campaign (专项整治) set by a prefecture or the province across counties below it:
-- one task per county, each county's own work from then on, sharing the campaign's
-- id. The campaign is the office's (its division's), not a county's.
CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    division TEXT NOT NULL REFERENCES divisions (code),
    year INTEGER NOT NULL,
    title TEXT NOT NULL,
    domain TEXT NOT NULL,
    -- The counties it was set for, comma-separated division codes.
    counties TEXT NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);

CREATE INDEX campaigns_division ON campaigns (division, year);

ALTER TABLE tasks ADD COLUMN campaign_id INTEGER REFERENCES campaigns (id);
CREATE INDEX tasks_campaign ON tasks (campaign_id);
