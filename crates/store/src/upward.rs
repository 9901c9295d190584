//! 上报: the published results that changed in a window (published in it, or
//! corrected in it), and the record of each export, so the next one starts where
//! the last ended.

use chrono::{DateTime, NaiveDate, Utc};

use crate::BeginWrite;
use crate::accounts::{Actor, Audit};
use crate::{County, Result, append_audit, with_pool};

/// One item's published result of one visit, as the export reads it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UpwardSource {
    pub task_id: i64,
    pub entity_id: String,
    pub entity_name: Option<String>,
    pub item_code: String,
    pub item_name: String,
    pub department: String,
    pub categories: String,
    pub inspected_on: Option<NaiveDate>,
    pub published_at: Option<DateTime<Utc>>,
}

/// An export made.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UpwardExport {
    pub id: i64,
    pub since: Option<DateTime<Utc>>,
    pub until: DateTime<Utc>,
    pub rows: i64,
    pub format: String,
    pub at: DateTime<Utc>,
    pub by: Option<String>,
}

impl County<'_> {
    /// Published results that changed after `since` (from the start for `None`) up
    /// to `until`: their task was published in the window, or they were corrected
    /// in it. In task, draw and item order.
    pub async fn upward_sources(
        &self,
        since: Option<DateTime<Utc>>,
        until: DateTime<Utc>,
    ) -> Result<Vec<UpwardSource>> {
        let since = since.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        Ok(with_pool!(self, p => self.query_as(
            "SELECT r.task_id, r.entity_id, e.name AS entity_name, r.item_code, i.name AS item_name, i.department, \
                    r.categories, v.inspected_on, t.published_at \
             FROM results r \
             JOIN tasks t ON t.county = r.county AND t.id = r.task_id \
             JOIN visits v ON v.county = r.county AND v.task_id = r.task_id AND v.entity_id = r.entity_id \
             JOIN items i ON i.county = r.county AND i.code = r.item_code \
             LEFT JOIN entities e ON e.county = r.county AND e.id = r.entity_id \
             WHERE r.county = $C AND t.state = 'published' AND v.state = 'published' \
               AND ((t.published_at > $1 AND t.published_at <= $2) \
                 OR EXISTS (SELECT 1 FROM result_corrections c WHERE c.county = r.county AND c.task_id = r.task_id \
                     AND c.entity_id = r.entity_id AND c.item_code = r.item_code \
                     AND c.corrected_at > $1 AND c.corrected_at <= $2)) \
             ORDER BY r.task_id, v.draw_order, r.entity_id, r.item_code")
            .bind(since).bind(until).fetch_all(p).await)?)
    }

    /// The county's exports, newest first.
    pub async fn upward_exports(&self, limit: i64) -> Result<Vec<UpwardExport>> {
        Ok(with_pool!(self, p => self.query_as(
            "SELECT x.id, x.since, x.until, x.rows, x.format, x.at, u.display_name AS by \
             FROM upward_exports x LEFT JOIN users u ON u.id = x.user_id \
             WHERE x.county = $C ORDER BY x.until DESC, x.id DESC LIMIT $1")
            .bind(limit).fetch_all(p).await)?)
    }

    /// Records an export of the window `(since, until]` and its audit entry.
    pub async fn record_upward_export(
        &self,
        since: Option<DateTime<Utc>>,
        until: DateTime<Utc>,
        rows: i64,
        format: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let id = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let id: i64 = self.query_scalar(
                "INSERT INTO upward_exports (county, since, until, rows, format, at, user_id) \
                 VALUES ($C, $1, $2, $3, $4, $5, $6) RETURNING id")
                .bind(since).bind(until).bind(rows).bind(format).bind(now).bind(actor.user_id)
                .fetch_one(&mut *tx).await?;
            append_audit!(self, &mut *tx, actor, now, Audit::new("upward.export", "upward", id.to_string())
                .after(serde_json::json!({"since": since, "until": until, "rows": rows, "format": format})))?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }
}
