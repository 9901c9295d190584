//! The audit log as the oversight office reads it: filtered by who, what, when and
//! which object, a page at a time or as a file, each entry's action in Chinese and
//! its change as fields with names in place of ids.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use liancha_domain::audit::{self, ActionFilter, Change, OBJECT_TYPES, Ref};
use liancha_domain::auth::Action;
use liancha_domain::calendar::china_midnight;
use liancha_store::accounts::AuditEntry;
use liancha_store::audit::AuditFilter;

use crate::{App, AppError, Context, Result};

/// Entries on one page of the log.
pub const PAGE_SIZE: i64 = 50;
/// Entries one export may hold; a wider filter is refused and asked to narrow.
pub const EXPORT_LIMIT: i64 = 20_000;

/// A search of the log as the filter form sends it (every field may be empty).
#[derive(Debug, Clone, Default)]
pub struct AuditSearch {
    pub who: String,
    pub what: String,
    pub object_type: String,
    pub object_id: String,
    pub task: Option<i64>,
    pub from: String,
    pub to: String,
}

/// [`AuditSearch`] read: each field checked, named when refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub who: Option<String>,
    pub what: Option<ActionFilter>,
    pub object_type: Option<&'static str>,
    pub object_id: Option<String>,
    pub task: Option<i64>,
    pub from: Option<NaiveDate>,
    /// The last day included.
    pub to: Option<NaiveDate>,
}

fn text(field: &str, s: &str, max: usize) -> Result<Option<String>> {
    let s = s.trim();
    if s.chars().count() > max || s.chars().any(char::is_control) {
        return Err(AppError::invalid_field(
            field,
            format!("最多 {max} 个字，且不含控制字符"),
        ));
    }
    Ok((!s.is_empty()).then(|| s.to_string()))
}

fn date(field: &str, s: &str) -> Result<Option<NaiveDate>> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    // Four-digit years only: a signed or five-digit year would compare differently
    // on the two engines (or fall outside PostgreSQL's range).
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|d| (2000..=2100).contains(&d.year()) && s.len() == 10)
        .map(Some)
        .ok_or_else(|| {
            AppError::invalid_field(
                field,
                format!("“{s}”不是日期，应为 2026-12-05 这样的格式（2000 至 2100 年）"),
            )
        })
}

impl AuditSearch {
    pub fn parse(&self) -> Result<AuditQuery> {
        let what = match self.what.trim() {
            "" => None,
            w => Some(
                ActionFilter::parse(w)
                    .ok_or_else(|| AppError::invalid_field("what", "没有这种操作"))?,
            ),
        };
        let object_type = match self.object_type.trim() {
            "" => None,
            t => Some(
                OBJECT_TYPES
                    .iter()
                    .find(|(c, _)| *c == t)
                    .map(|(c, _)| *c)
                    .ok_or_else(|| AppError::invalid_field("object_type", "没有这种对象"))?,
            ),
        };
        if self.task.is_some_and(|t| t <= 0) {
            return Err(AppError::invalid_field("task", "任务编号应为正整数"));
        }
        let q = AuditQuery {
            who: text("who", &self.who, 64)?,
            what,
            object_type,
            object_id: text("object_id", &self.object_id, 200)?,
            task: self.task,
            from: date("from", &self.from)?,
            to: date("to", &self.to)?,
        };
        if let (Some(f), Some(t)) = (q.from, q.to)
            && f > t
        {
            return Err(AppError::invalid_field("to", "截止日期早于起始日期"));
        }
        Ok(q)
    }
}

impl AuditQuery {
    fn filter(&self) -> AuditFilter {
        AuditFilter {
            usernames: self.who.clone().map(|w| vec![w]),
            action: self.what.as_ref().map(|a| a.code().to_string()),
            object_type: self.object_type.map(String::from),
            object_id: self.object_id.clone(),
            task: self.task,
            since: self.from.and_then(china_midnight),
            until: self.to.and_then(|d| d.succ_opt()).and_then(china_midnight),
        }
    }
}

/// One entry as it is read.
#[derive(Debug, Clone)]
pub struct AuditLine {
    pub entry: AuditEntry,
    pub action: String,
    pub object: String,
    /// The object's name, where it has one (an entity, inspector or department).
    pub object_name: Option<String>,
    /// Who acted, by the account's name (张三, 县市场监管局 管理员), when the account
    /// still exists and its name differs from the account (`username`).
    pub actor_name: Option<String>,
    pub changes: Vec<Change>,
}

/// One page of the log.
#[derive(Debug, Clone)]
pub struct AuditView {
    pub lines: Vec<AuditLine>,
    pub total: i64,
    /// From 1; past the last page it is the last one.
    pub page: i64,
    pub pages: i64,
}

impl App {
    /// The store's filter for `q`: "who" is an account's user name, or part of the
    /// name its holder goes by (张, 市场监管局), as the log shows them.
    async fn filter(&self, ctx: &Context, q: &AuditQuery) -> Result<AuditFilter> {
        let mut filter = q.filter();
        if let (Some(who), Some(names)) = (&q.who, filter.usernames.as_mut()) {
            for n in self.store().usernames_named(who, ctx.county()).await? {
                if n != *who {
                    names.push(n);
                }
            }
        }
        Ok(filter)
    }

    /// Whether the principal reads the log: the whole county's, or (with `task`) a
    /// task's history for whoever manages the task too.
    async fn require_audit(&self, ctx: &Context, task: Option<i64>) -> Result<()> {
        if ctx.may(&Action::ReadAudit) {
            return Ok(());
        }
        let Some(id) = task else {
            return Err(AppError::Forbidden);
        };
        let (_, scope) = self.task_access(ctx, id).await?;
        ctx.require(&Action::ManageTask(&scope))
    }

    /// Page `page` (from 1) of the entries `q` matches, newest first.
    pub async fn audit_log(&self, ctx: &Context, q: &AuditQuery, page: i64) -> Result<AuditView> {
        self.require_audit(ctx, q.task).await?;
        let filter = self.filter(ctx, q).await?;
        let county = self.county(ctx);
        let page = page.clamp(1, 1_000_000);
        let mut found = county
            .audit_search(&filter, (page - 1) * PAGE_SIZE, PAGE_SIZE)
            .await?;
        let pages = ((found.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
        let page = if found.rows.is_empty() && page > pages {
            // A page past the end (the log was filtered more narrowly since the link
            // was made) shows the last one rather than nothing.
            found = county
                .audit_search(&filter, (pages - 1) * PAGE_SIZE, PAGE_SIZE)
                .await?;
            pages
        } else {
            page
        };
        Ok(AuditView {
            lines: self.read_lines(ctx, found.rows).await?,
            total: found.total,
            page,
            pages,
        })
    }

    /// A task's last `limit` entries, oldest first, and how many it has: for whoever
    /// reads the log or manages the task (`None` for anyone else, who sees no history).
    pub async fn task_history(
        &self,
        ctx: &Context,
        id: i64,
        limit: i64,
    ) -> Result<Option<(Vec<AuditLine>, i64)>> {
        match self.require_audit(ctx, Some(id)).await {
            Err(AppError::Forbidden) => return Ok(None),
            Err(e) => return Err(e),
            Ok(()) => {}
        }
        let (rows, total) = self.county(ctx).audit_for_task_tail(id, limit).await?;
        Ok(Some((self.read_lines(ctx, rows).await?, total)))
    }

    /// Every entry `q` matches, newest first, for a file; refused beyond
    /// [`EXPORT_LIMIT`] entries.
    pub async fn audit_export(&self, ctx: &Context, q: &AuditQuery) -> Result<Vec<AuditLine>> {
        self.require_audit(ctx, q.task).await?;
        let county = self.county(ctx);
        let filter = self.filter(ctx, q).await?;
        // Counted first: a refused export reads no rows.
        let total = county.audit_count(&filter).await?;
        if total > EXPORT_LIMIT {
            return Err(AppError::invalid_field(
                "from",
                format!(
                    "共 {total} 条，超过一次导出的上限 {EXPORT_LIMIT} 条：请缩小日期范围或加上其他条件"
                ),
            ));
        }
        let found = county.audit_search(&filter, 0, EXPORT_LIMIT).await?;
        self.read_lines(ctx, found.rows).await
    }

    /// Entries with their labels and changes, every name they mention looked up at once.
    pub(crate) async fn read_lines(
        &self,
        ctx: &Context,
        rows: Vec<AuditEntry>,
    ) -> Result<Vec<AuditLine>> {
        let values: Vec<_> = rows
            .iter()
            .map(|e| {
                (
                    audit::parse_value(e.before_value.as_deref()),
                    audit::parse_value(e.after_value.as_deref()),
                )
            })
            .collect();
        let mut wanted = std::collections::BTreeSet::new();
        for ((b, a), e) in values.iter().zip(&rows) {
            wanted.extend(audit::refs(b.as_ref(), a.as_ref()));
            wanted.extend(audit::object_ref(&e.object_type, &e.object_id));
        }
        let pick = |f: fn(&Ref) -> Option<&String>| {
            wanted.iter().filter_map(f).cloned().collect::<Vec<_>>()
        };
        let entities = pick(|r| {
            if let Ref::Entity(id) = r {
                Some(id)
            } else {
                None
            }
        });
        let inspectors = pick(|r| {
            if let Ref::Inspector(id) = r {
                Some(id)
            } else {
                None
            }
        });
        let county = self.county(ctx);
        let people = county.audit_names(&entities, &inspectors).await?;
        let mut names: BTreeMap<Ref, String> = BTreeMap::new();
        if wanted.iter().any(|r| matches!(r, Ref::Department(_))) {
            for d in county.departments().await? {
                names.insert(Ref::Department(d.code), d.name);
            }
        }
        if wanted.iter().any(|r| matches!(r, Ref::Township(_))) {
            for t in county.townships().await? {
                names.insert(Ref::Township(t.code), t.name);
            }
        }
        if wanted.iter().any(|r| matches!(r, Ref::Item(_))) {
            for i in county.items(false).await? {
                names.insert(Ref::Item(i.code), i.name);
            }
        }
        for ((is_entity, id), name) in people {
            names.insert(
                if is_entity {
                    Ref::Entity(id)
                } else {
                    Ref::Inspector(id)
                },
                name,
            );
        }
        // The accounts that acted: the county's at once, an office's above it one by one
        // (rare: a campaign, a witness registered by the province).
        let mut actors: BTreeMap<i64, String> = BTreeMap::new();
        if rows.iter().any(|e| e.user_id.is_some()) {
            for u in self.store().users(ctx.county()).await? {
                actors.insert(u.id, u.display_name);
            }
            let missing: std::collections::BTreeSet<i64> = rows
                .iter()
                .filter_map(|e| e.user_id)
                .filter(|id| !actors.contains_key(id))
                .collect();
            for id in missing {
                if let Some(u) = self.store().user(id).await? {
                    actors.insert(u.id, u.display_name);
                }
            }
        }
        let lookup = |r: &Ref| names.get(r).cloned();
        Ok(rows
            .into_iter()
            .zip(values)
            .map(|(entry, (b, a))| AuditLine {
                action: audit::action_label(&entry.action).to_string(),
                object: audit::object_label(&entry.object_type).to_string(),
                object_name: audit::object_ref(&entry.object_type, &entry.object_id)
                    .and_then(|r| names.get(&r).cloned()),
                actor_name: entry
                    .user_id
                    .and_then(|id| actors.get(&id))
                    .filter(|name| **name != entry.username)
                    .cloned(),
                changes: audit::changes(b.as_ref(), a.as_ref(), &lookup),
                entry,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_is_read_field_by_field() {
        let q = AuditSearch {
            who: " clerk ".into(),
            what: "task.".into(),
            from: "2026-12-01".into(),
            to: "2026-12-05".into(),
            ..Default::default()
        }
        .parse()
        .unwrap();
        assert_eq!(q.who.as_deref(), Some("clerk"));
        let f = q.filter();
        assert_eq!(f.action.as_deref(), Some("task."));
        // Beijing days: 12-01 00:00 +08 is 11-30 16:00 UTC; the 5th is included.
        assert_eq!(f.since.unwrap().to_rfc3339(), "2026-11-30T16:00:00+00:00");
        assert_eq!(f.until.unwrap().to_rfc3339(), "2026-12-05T16:00:00+00:00");

        let field = |s: AuditSearch| match s.parse() {
            Err(AppError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(AuditSearch {
                what: "drop table".into(),
                ..Default::default()
            })
            .as_deref(),
            Some("what")
        );
        assert_eq!(
            field(AuditSearch {
                from: "12/01".into(),
                ..Default::default()
            })
            .as_deref(),
            Some("from")
        );
        for odd in ["+10000-01-01", "-5000-01-01", "1900-01-01", "2026-1-5"] {
            let f = field(AuditSearch {
                to: odd.into(),
                ..Default::default()
            });
            assert_eq!(f.as_deref(), Some("to"), "{odd}");
        }
        assert_eq!(
            field(AuditSearch {
                from: "2026-12-05".into(),
                to: "2026-12-01".into(),
                ..Default::default()
            })
            .as_deref(),
            Some("to")
        );
        assert_eq!(
            field(AuditSearch {
                object_type: "secrets".into(),
                ..Default::default()
            })
            .as_deref(),
            Some("object_type")
        );
        assert_eq!(
            field(AuditSearch {
                who: "x".repeat(65),
                ..Default::default()
            })
            .as_deref(),
            Some("who")
        );
        assert_eq!(
            field(AuditSearch {
                task: Some(0),
                ..Default::default()
            })
            .as_deref(),
            Some("task")
        );
    }
}
