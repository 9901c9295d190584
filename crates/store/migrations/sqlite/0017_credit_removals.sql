-- 移出名单: an entity taken off the abnormal list or the blacklist (it corrected what
-- put it there, or its term ended), with the reason and who decided. A removal is a
-- record of its own, never an edit of the listing: the proposal stays confirmed, so
-- the history shows both, and each is an entry of the transparency log.
CREATE TABLE credit_removals (
    county TEXT NOT NULL,
    proposal_id INTEGER NOT NULL,
    entity_id TEXT NOT NULL,
    list TEXT NOT NULL CHECK (list IN ('abnormal', 'blacklist')),
    reason TEXT NOT NULL,
    removed_at TIMESTAMP NOT NULL,
    removed_by INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (county, proposal_id),
    FOREIGN KEY (county, proposal_id) REFERENCES credit_proposals (county, id)
);
CREATE INDEX credit_removals_entity ON credit_removals (county, entity_id, list);
