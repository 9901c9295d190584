-- 移出名单: an entity taken off the abnormal list or the blacklist (it corrected what
-- put it there, or its term ended), with the reason and who decided. A removal is a
-- record of its own, never an edit of the listing: the proposal stays confirmed, so
-- the history shows both, and each is an entry of the transparency log.
CREATE TABLE credit_removals (
    county TEXT COLLATE "C" NOT NULL,
    proposal_id BIGINT NOT NULL,
    entity_id TEXT COLLATE "C" NOT NULL,
    list TEXT COLLATE "C" NOT NULL CHECK (list IN ('abnormal', 'blacklist')),
    reason TEXT COLLATE "C" NOT NULL,
    removed_at TIMESTAMPTZ NOT NULL,
    removed_by BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (county, proposal_id),
    FOREIGN KEY (county, proposal_id) REFERENCES credit_proposals (county, id)
);
CREATE INDEX credit_removals_entity ON credit_removals (county, entity_id, list);
