//! Items kept on the web: a department's draft of an item (new or changed) waits
//! beside the published list until it is published; a published item can be
//! withdrawn. Each step is one transaction with its audit entry, checked there
//! against the version the clerk's page showed.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use liancha_domain::{EntityType, InspectionMethod, Item};

use crate::BeginWrite;
use crate::accounts::{Actor, Audit};
use crate::items::{CurrentItem, ITEM_FIELDS, LISTS_NAMING, Written, write_item};
use crate::{County, Result, StoreError, with_pool};

/// A saved draft: the form's cells by column key, and the version it was made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemDraft {
    pub code: String,
    pub cells: BTreeMap<String, String>,
    /// The item's version the draft was made from; 0 for a new item.
    pub base_version: i64,
    /// How many times it was saved: the page acts on the draft it showed.
    pub revision: i64,
    /// The department the draft puts the item under.
    pub department: String,
    pub saved_by: String,
    pub saved_at: DateTime<Utc>,
}

/// An item as the audit trail records it.
pub fn item_value(i: &Item) -> serde_json::Value {
    let codes = |xs: Vec<&str>| xs.join(",");
    serde_json::json!({
        "name": i.name,
        "legal_basis": i.legal_basis,
        "department": i.department,
        "content": i.content,
        "methods": codes(i.methods.iter().map(|m| InspectionMethod::code(*m)).collect()),
        "authority": i.authority,
        "entity_types": codes(i.entity_types.iter().map(|t| EntityType::code(*t)).collect()),
        "specialty": i.specialty.clone().unwrap_or_default(),
        "category": i.category.code(),
        "ratio": i.ratio_bp.map(|bp| format!("{}%", liancha_domain::setup_rows::bp_percent(bp))).unwrap_or_default(),
        "frequency": i.frequency,
        "cooperating": i.cooperating,
        "national_code": i.national_code.clone().unwrap_or_default(),
        "published": i.published,
    })
}

#[derive(sqlx::FromRow)]
struct DraftRow {
    code: String,
    cells: String,
    base_version: i64,
    revision: i64,
    department: String,
    saved_by: String,
    saved_at: DateTime<Utc>,
}

impl TryFrom<DraftRow> for ItemDraft {
    type Error = StoreError;
    fn try_from(r: DraftRow) -> Result<Self> {
        Ok(ItemDraft {
            cells: serde_json::from_str(&r.cells)
                .map_err(|e| StoreError::corrupt(format!("item draft {}: {e}", r.code)))?,
            code: r.code,
            base_version: r.base_version,
            revision: r.revision,
            department: r.department,
            saved_by: r.saved_by,
            saved_at: r.saved_at,
        })
    }
}

/// What a refused step says when the item changed after the page was loaded.
fn moved_on(code: &str) -> StoreError {
    StoreError::Conflict(format!(
        "事项 {code} 已被他人修改、发布或导入（或本页已提交过）；请查看最新内容后再操作"
    ))
}

impl County<'_> {
    /// The item's current version, 0 when there is no such item.
    pub async fn item_version(&self, code: &str) -> Result<i64> {
        let v: Option<i64> = with_pool!(self, p => self
            .query_scalar("SELECT version FROM items WHERE county = $C AND code = $1")
            .bind(code).fetch_optional(p).await)?;
        Ok(v.unwrap_or(0))
    }

    pub async fn item_draft(&self, code: &str) -> Result<Option<ItemDraft>> {
        let row: Option<DraftRow> = with_pool!(self, p => self.query_as(
            "SELECT code, cells, base_version, revision, department, saved_by, saved_at FROM item_drafts \
             WHERE county = $C AND code = $1").bind(code).fetch_optional(p).await)?;
        row.map(ItemDraft::try_from).transpose()
    }

    /// Every waiting draft, by code.
    pub async fn item_drafts(&self) -> Result<Vec<ItemDraft>> {
        let rows: Vec<DraftRow> = with_pool!(self, p => self.query_as(
            "SELECT code, cells, base_version, revision, department, saved_by, saved_at FROM item_drafts \
             WHERE county = $C ORDER BY code").fetch_all(p).await)?;
        rows.into_iter().map(ItemDraft::try_from).collect()
    }

    /// Saves (or replaces) the draft of `item`, made from `base_version` of it (0: a
    /// new code) over revision `revision` of its draft (0: none yet). Refused when
    /// the item or its draft moved on since, or a new code is taken.
    pub async fn save_item_draft(
        &self,
        item: &Item,
        cells: &BTreeMap<String, String>,
        base_version: i64,
        revision: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let body = serde_json::to_string(cells).map_err(|e| StoreError::invalid(e.to_string()))?;
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let version: i64 = self.query_scalar("SELECT COALESCE(MAX(version), 0) FROM items WHERE county = $C AND code = $1")
                .bind(&item.code).fetch_one(&mut *tx).await?;
            let drafted: i64 = self.query_scalar("SELECT COALESCE(MAX(revision), 0) FROM item_drafts WHERE county = $C AND code = $1")
                .bind(&item.code).fetch_one(&mut *tx).await?;
            if base_version == 0 && (version != 0 || drafted != revision) {
                return Err(StoreError::invalid_field("code", format!("事项编码 {} 已被使用，请换一个编码", item.code)));
            }
            if version != base_version || drafted != revision {
                return Err(moved_on(&item.code));
            }
            let saved = self.query(
                "INSERT INTO item_drafts (county, code, cells, base_version, revision, department, saved_by, saved_at) \
                 VALUES ($C, $1, $2, $3, 1, $4, $5, $6) ON CONFLICT (county, code) DO UPDATE SET cells = excluded.cells, \
                 revision = item_drafts.revision + 1, \
                 base_version = excluded.base_version, department = excluded.department, saved_by = excluded.saved_by, \
                 saved_at = excluded.saved_at WHERE item_drafts.revision = $7")
                .bind(&item.code).bind(&body).bind(base_version).bind(&item.department)
                .bind(&actor.username).bind(now).bind(revision)
                .execute(&mut *tx).await?;
            if saved.rows_affected() != 1 {
                return Err(moved_on(&item.code));
            }
            // The entry says what the draft changes against the item as it is.
            let sql = format!("SELECT {ITEM_FIELDS}, version FROM items WHERE county = $C AND code = $1");
            let current: Option<CurrentItem> = self.query_as(&sql).bind(&item.code).fetch_optional(&mut *tx).await?;
            let before = current.map(|c| Item::try_from(c.row)).transpose()?;
            // Publication is not the draft's to change.
            let unpublished = |i: &Item| {
                let mut v = item_value(i);
                if let Some(o) = v.as_object_mut() {
                    o.remove("published");
                }
                v
            };
            crate::append_audit!(self, &mut *tx, actor, now,
                Audit::new("item.draft", "item", &item.code)
                    .before(before.as_ref().map(unpublished)).after(unpublished(item)))?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
    }

    /// Drops revision `revision` of the draft of `code` (the one the page showed).
    pub async fn discard_item_draft(
        &self,
        code: &str,
        revision: i64,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let gone = self.query("DELETE FROM item_drafts WHERE county = $C AND code = $1 AND revision = $2")
                .bind(code).bind(revision).execute(&mut *tx).await?.rows_affected();
            if gone == 0 {
                return Err(moved_on(code));
            }
            crate::append_audit!(self, &mut *tx, actor, now, Audit::new("item.discard", "item", code))?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
    }

    /// Publishes revision `revision` of the draft as `item` (read from it again by the
    /// caller): a new version on the public list, the draft gone. Refused when the
    /// draft was replaced or the item changed since the draft was made.
    pub async fn publish_item_draft(
        &self,
        item: &Item,
        revision: i64,
        reason: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let mut item = item.clone();
        item.published = true;
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let base: Option<i64> = self.query_scalar(
                "SELECT base_version FROM item_drafts WHERE county = $C AND code = $1 AND revision = $2")
                .bind(&item.code).bind(revision).fetch_optional(&mut *tx).await?;
            let sql = format!("SELECT {ITEM_FIELDS}, version FROM items WHERE county = $C AND code = $1");
            let current: Option<CurrentItem> = self.query_as(&sql).bind(&item.code).fetch_optional(&mut *tx).await?;
            let before = current.map(|c| Item::try_from(c.row).map(|i| (i, c.version))).transpose()?;
            if base.is_none() || base != Some(before.as_ref().map_or(0, |(_, v)| *v)) {
                return Err(moved_on(&item.code));
            }
            let base = before.as_ref().map_or(0, |(_, v)| *v);
            let version = match write_item!(self, &mut tx, &item, now) {
                Written::Version(v) if v == base + 1 => v,
                Written::Unchanged => base,
                // A version committed meanwhile (PostgreSQL): not the one drafted over.
                Written::Version(_) => return Err(moved_on(&item.code)),
            };
            let gone = self.query("DELETE FROM item_drafts WHERE county = $C AND code = $1 AND revision = $2")
                .bind(&item.code).bind(revision).execute(&mut *tx).await?.rows_affected();
            if gone != 1 {
                return Err(moved_on(&item.code));
            }
            let mut after = item_value(&item);
            after["reason"] = reason.into();
            crate::append_audit!(self, &mut *tx, actor, now, Audit::new("item.publish", "item", &item.code)
                .before(before.map(|(i, _)| item_value(&i))).after(after))?;
            tx.commit().await?;
            Ok::<_, StoreError>(version)
        })
    }

    /// Withdraws a published item from the public list (a new version, unpublished),
    /// `version` being the one the page showed. Tasks already set keep it.
    pub async fn withdraw_item(
        &self,
        code: &str,
        version: i64,
        reason: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let sql = format!("SELECT {ITEM_FIELDS}, version FROM items WHERE county = $C AND code = $1");
            let current: Option<CurrentItem> = self.query_as(&sql).bind(code).fetch_optional(&mut *tx).await?;
            let Some(current) = current else {
                return Err(StoreError::NotFound(format!("事项 {code}")));
            };
            if current.version != version {
                return Err(moved_on(code));
            }
            let mut item = Item::try_from(current.row)?;
            if !item.published {
                return Err(StoreError::WrongState(format!("事项 {code} 尚未发布，无需撤回")));
            }
            item.published = false;
            // Written over the version read here: on PostgreSQL a version committed
            // meanwhile is seen by the write, and the withdrawal was not of it.
            if write_item!(self, &mut tx, &item, now) != Written::Version(version + 1) {
                return Err(moved_on(code));
            }
            // A joint item list names it: the list first, or the public list would
            // name an item it no longer has. Read after the write: a list saved
            // meanwhile locked the item's row (save_joint_item_lists), so on
            // PostgreSQL the write waited for it and this read sees it.
            let lists: Vec<String> = self.query_scalar(LISTS_NAMING)
                .bind(code).fetch_all(&mut *tx).await?;
            if !lists.is_empty() {
                return Err(StoreError::WrongState(format!(
                    "事项 {code} 在联合抽查事项清单 {} 中；请先在系统设置中把它从清单移出（清单经编办重新审定），再撤回",
                    lists.join("、"))));
            }
            crate::append_audit!(self, &mut *tx, actor, now, Audit::new("item.withdraw", "item", code)
                .before(serde_json::json!({"published": true}))
                .after(serde_json::json!({"published": false, "reason": reason})))?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
    }
}
