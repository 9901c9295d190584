//! Reading a county's audit trail: one task's history, and the log as the oversight
//! office searches it (who, what, when, which object), a page at a time.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::accounts::AuditEntry;
use crate::{County, Result, with_pool};

const COLUMNS: &str = "id, county, at, user_id, username, action, object_type, object_id, task_id, before_value, after_value";

/// Which entries to read. Every field left `None` matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// The accounts, by their user names (any of them).
    pub usernames: Option<Vec<String>>,
    /// One action's code, or a prefix ending in `.` for a group of them (the caller
    /// passes only codes it knows: see `liancha_domain::audit::ActionFilter`).
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub task: Option<i64>,
    /// From this instant on.
    pub since: Option<DateTime<Utc>>,
    /// Before this instant.
    pub until: Option<DateTime<Utc>>,
}

impl AuditFilter {
    /// The filter's conditions after the county's, numbered from `$1`, in the order
    /// [`AuditFilter::bind`] binds their values.
    fn conditions(&self) -> String {
        let mut sql = String::new();
        let mut n = 0;
        let mut add = |cond: &str| {
            sql.push_str(" AND ");
            for (i, part) in cond.split('?').enumerate() {
                if i > 0 {
                    n += 1;
                    sql.push_str(&format!("${n}"));
                }
                sql.push_str(part);
            }
        };
        if let Some(names) = &self.usernames {
            match names.len() {
                0 => add("1 = 0"),
                1 => add("username = ?"),
                n => add(&format!("username IN ({})", vec!["?"; n].join(", "))),
            }
        }
        match &self.action {
            Some(a) if a.ends_with('.') => add("action LIKE ?"),
            Some(_) => add("action = ?"),
            None => {}
        }
        if self.object_type.is_some() {
            add("object_type = ?");
        }
        if self.object_id.is_some() {
            // A visit's entries are kept as `task/entity`: an entity's code finds
            // them too.
            add("(object_id = ? OR (object_type = 'visit' AND object_id LIKE ? ESCAPE '\\'))");
        }
        if self.task.is_some() {
            add("task_id = ?");
        }
        if self.since.is_some() {
            add("at >= ?");
        }
        if self.until.is_some() {
            add("at < ?");
        }
        sql
    }

    /// The values of [`AuditFilter::conditions`], in their order.
    fn values(&self) -> Vec<Value> {
        let mut v = Vec::new();
        for u in self.usernames.iter().flatten() {
            v.push(Value::Text(u.clone()));
        }
        if let Some(a) = &self.action {
            // Codes are lower-case letters, dots and hyphens: nothing LIKE treats
            // as a wildcard but the one appended here.
            v.push(Value::Text(if a.ends_with('.') {
                format!("{a}%")
            } else {
                a.clone()
            }));
        }
        if let Some(t) = &self.object_type {
            v.push(Value::Text(t.clone()));
        }
        if let Some(o) = &self.object_id {
            v.push(Value::Text(o.clone()));
            let escaped = like_escaped(o);
            v.push(Value::Text(format!("%/{escaped}")));
        }
        if let Some(t) = self.task {
            v.push(Value::Int(t));
        }
        if let Some(t) = self.since {
            v.push(Value::Time(t));
        }
        if let Some(t) = self.until {
            v.push(Value::Time(t));
        }
        v
    }
}

/// `s` with LIKE's wildcards and its escape character escaped (`ESCAPE '\\'`).
pub(crate) fn like_escaped(s: &str) -> String {
    s.chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

enum Value {
    Text(String),
    Int(i64),
    Time(DateTime<Utc>),
}

/// Binds a filter's values to a query, whatever its engine and output.
macro_rules! bind_all {
    ($q:expr, $values:expr) => {{
        let mut q = $q;
        for v in $values {
            q = match v {
                Value::Text(s) => q.bind(s),
                Value::Int(i) => q.bind(i),
                Value::Time(t) => q.bind(t),
            };
        }
        q
    }};
}

/// One page of the log, newest first, and how many entries the filter matches.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub rows: Vec<AuditEntry>,
    pub total: i64,
}

impl County<'_> {
    pub async fn audit_for_task(&self, task_id: i64) -> Result<Vec<AuditEntry>> {
        Ok(with_pool!(self, p => self.query_as(&format!(
            "SELECT {COLUMNS} FROM audit_log WHERE county = $C AND task_id = $1 ORDER BY id"))
            .bind(task_id).fetch_all(p).await)?)
    }

    /// The last `limit` entries of a task, oldest first, and how many there are in all.
    pub async fn audit_for_task_tail(
        &self,
        task_id: i64,
        limit: i64,
    ) -> Result<(Vec<AuditEntry>, i64)> {
        let total: i64 = with_pool!(self, p => self.query_scalar("SELECT COUNT(*) FROM audit_log WHERE county = $C AND task_id = $1")
            .bind(task_id).fetch_one(p).await)?;
        let mut rows: Vec<AuditEntry> = with_pool!(self, p => self.query_as(&format!(
            "SELECT {COLUMNS} FROM audit_log WHERE county = $C AND task_id = $1 ORDER BY id DESC LIMIT $2"))
            .bind(task_id).bind(limit).fetch_all(p).await)?;
        rows.reverse();
        Ok((rows, total))
    }

    pub async fn audit_recent(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        self.audit_search(&AuditFilter::default(), 0, limit)
            .await
            .map(|p| p.rows)
    }

    /// How many entries `filter` matches.
    pub async fn audit_count(&self, filter: &AuditFilter) -> Result<i64> {
        let cond = filter.conditions();
        Ok(with_pool!(self, p => bind_all!(
            self.query_scalar(&format!("SELECT COUNT(*) FROM audit_log WHERE county = $C{cond}")),
            filter.values()).fetch_one(p).await)?)
    }

    /// The entries `filter` matches, newest first: `limit` of them after skipping
    /// `offset`, and the count of all.
    pub async fn audit_search(
        &self,
        filter: &AuditFilter,
        offset: i64,
        limit: i64,
    ) -> Result<AuditPage> {
        let cond = filter.conditions();
        let n = filter.values().len();
        let total = self.audit_count(filter).await?;
        let sql = format!(
            "SELECT {COLUMNS} FROM audit_log WHERE county = $C{cond} ORDER BY id DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let rows: Vec<AuditEntry> = with_pool!(self, p => bind_all!(self.query_as(&sql), filter.values())
            .bind(limit).bind(offset).fetch_all(p).await)?;
        Ok(AuditPage { rows, total })
    }

    /// The names of entities and inspectors an audit page mentions, by id; ids this
    /// county does not hold are left out.
    pub async fn audit_names(
        &self,
        entities: &[String],
        inspectors: &[String],
    ) -> Result<BTreeMap<(bool, String), String>> {
        let mut out = BTreeMap::new();
        for (is_entity, ids, table) in [
            (true, entities, "entities"),
            (false, inspectors, "inspectors"),
        ] {
            // Bounded by the page: a few dozen ids at most, in chunks the engines'
            // parameter limits never reach.
            for chunk in ids.chunks(200) {
                let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "SELECT id, name FROM {table} WHERE county = $C AND id IN ({})",
                    marks.join(", ")
                );
                let rows: Vec<(String, String)> = with_pool!(self, p => {
                    let mut q = self.query_as(&sql);
                    for id in chunk {
                        q = q.bind(id);
                    }
                    q.fetch_all(p).await
                })?;
                out.extend(rows.into_iter().map(|(id, name)| ((is_entity, id), name)));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_are_numbered_in_the_order_they_are_bound() {
        let f = AuditFilter {
            usernames: Some(vec!["a".into()]),
            action: Some("task.".into()),
            task: Some(3),
            until: Some(DateTime::<Utc>::MIN_UTC),
            ..Default::default()
        };
        assert_eq!(
            f.conditions(),
            " AND username = $1 AND action LIKE $2 AND task_id = $3 AND at < $4"
        );
        assert_eq!(f.values().len(), 4);
        assert!(matches!(&f.values()[1], Value::Text(s) if s == "task.%"));
        assert_eq!(AuditFilter::default().conditions(), "");
        let by_names = AuditFilter {
            usernames: Some(vec!["a".into(), "b".into(), "c".into()]),
            task: Some(1),
            ..Default::default()
        };
        assert_eq!(
            by_names.conditions(),
            " AND username IN ($1, $2, $3) AND task_id = $4"
        );
        assert_eq!(by_names.values().len(), 4);
        let by_object = AuditFilter {
            object_id: Some("91_5%".into()),
            task: Some(1),
            ..Default::default()
        };
        assert_eq!(
            by_object.conditions(),
            " AND (object_id = $1 OR (object_type = 'visit' AND object_id LIKE $2 ESCAPE '\\')) AND task_id = $3"
        );
        assert!(matches!(&by_object.values()[1], Value::Text(s) if s == "%/91\\_5\\%"));
    }
}
