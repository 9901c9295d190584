-- The attributes real item lists carry: 事项类别 (key/general), the least ratio a
-- task with the item draws (basis points, 0 = the rule book's), the times a year
-- it is inspected (0 = not set), the cooperating departments (codes, comma
-- separated) and the national 检查实施清单 code. Versions keep them too.
ALTER TABLE items ADD COLUMN category TEXT NOT NULL DEFAULT 'general';
ALTER TABLE items ADD COLUMN ratio_bp BIGINT NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN frequency BIGINT NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN cooperating TEXT NOT NULL DEFAULT '';
ALTER TABLE items ADD COLUMN national_code TEXT NOT NULL DEFAULT '';
ALTER TABLE item_versions ADD COLUMN category TEXT NOT NULL DEFAULT 'general';
ALTER TABLE item_versions ADD COLUMN ratio_bp BIGINT NOT NULL DEFAULT 0;
ALTER TABLE item_versions ADD COLUMN frequency BIGINT NOT NULL DEFAULT 0;
ALTER TABLE item_versions ADD COLUMN cooperating TEXT NOT NULL DEFAULT '';
ALTER TABLE item_versions ADD COLUMN national_code TEXT NOT NULL DEFAULT '';

-- A department's draft of an item, new or changed, as the form's cells (JSON, by
-- column key): read again through the import's rules when it is published. The
-- public list keeps the published version meanwhile. `base_version` is the item's
-- version the draft was made from (0 for a new item): publishing over a version
-- someone else wrote meanwhile is refused.
CREATE TABLE item_drafts (
    county TEXT COLLATE "C" NOT NULL,
    code TEXT COLLATE "C" NOT NULL,
    cells TEXT NOT NULL,
    base_version BIGINT NOT NULL,
    -- Counts the draft's saves: a page acts on the draft it showed.
    revision BIGINT NOT NULL,
    department TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    saved_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (county, code)
);

-- 编办 approval of a joint item list (「经县委编办审定后向社会公布」): who approved
-- it and when, of which revision (a change counts one up). A list is public only
-- approved (`approved_by` set); changing it asks for approval again. Lists public
-- before this version count as approved, so an upgrade hides nothing.
ALTER TABLE joint_item_lists ADD COLUMN revision BIGINT NOT NULL DEFAULT 1;
ALTER TABLE joint_item_lists ADD COLUMN approved_by TEXT NOT NULL DEFAULT '';
ALTER TABLE joint_item_lists ADD COLUMN approved_at TIMESTAMPTZ;
-- The items of the revision last approved (codes, comma separated), kept when a
-- change asks for approval again: the 编办 sees what changed since.
ALTER TABLE joint_item_lists ADD COLUMN approved_items TEXT NOT NULL DEFAULT '';
UPDATE joint_item_lists SET approved_by = '（升级前已公布）', approved_items = COALESCE((
    SELECT string_agg(item_code, ',' ORDER BY position) FROM joint_item_list_items m
    WHERE m.county = joint_item_lists.county AND m.list_code = joint_item_lists.code), '')
WHERE published;
