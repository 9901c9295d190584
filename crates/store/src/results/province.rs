//! 省级回传: the risk classes and list statuses the province computes, taken into
//! the directory. The plan (liancha_domain::credit_status) is made again from the
//! state read inside the transaction that carries it out, and must be the plan the
//! clerk previewed (its digest: every change with each entity's state before);
//! each changed entity's row is then held and read again before it is written, so
//! a credit decision or repair application made since the preview, or while the
//! import runs, refuses the import instead of being undone.

use std::collections::BTreeSet;
use std::path::Path;

use liancha_domain::credit_status::{self, CreditStatusRow, Current, Plan};
use liancha_domain::labels::RiskClass;

use super::*;
use crate::import::Kind;
use crate::import_preview::{FieldChange, ImportPreview, MAX_LISTED_CHANGES, RowChange};

type StateRow = (String, String, String, bool, bool);

/// What the import is to do: only show its plan, or carry it out.
pub enum Run<'a> {
    Preview {
        now: DateTime<Utc>,
    },
    Apply {
        /// The department the county's lists are kept by: a listing the province
        /// made is recorded as that department's.
        keeper: &'a str,
        /// The digest of the plan the clerk previewed.
        digest: &'a str,
        actor: &'a Actor,
        now: DateTime<Utc>,
    },
}

impl Run<'_> {
    fn now(&self) -> DateTime<Utc> {
        match self {
            Run::Preview { now } | Run::Apply { now, .. } => *now,
        }
    }
}

/// Why the province's removals are recorded as they are: the public sees it.
const PROVINCE_REMOVAL: &str = "省级协同监管平台回传：已不在该名单";

/// The plan as the import page shows it.
pub fn preview_of(file: String, plan: &Plan) -> ImportPreview {
    ImportPreview {
        file,
        rows: plan.rows,
        new: 0,
        changed: plan.changes.len() as u64,
        unchanged: plan.unchanged,
        changes: plan
            .changes
            .iter()
            .take(MAX_LISTED_CHANGES)
            .map(|c| RowChange {
                id: c.entity.clone(),
                name: c.name.clone(),
                fields: c
                    .fields()
                    .into_iter()
                    .map(|(column, before, after)| FieldChange {
                        column,
                        before,
                        after,
                    })
                    .collect(),
            })
            .collect(),
        departments: Default::default(),
        guarded: Vec::new(),
        guarded_total: 0,
        removed: Vec::new(),
        removed_total: 0,
        skipped: plan
            .skipped
            .iter()
            .take(MAX_LISTED_CHANGES)
            .map(|s| (s.uscc.clone(), s.name.clone(), s.reason.clone()))
            .collect(),
        skipped_total: plan.skipped.len() as u64,
        digest: plan.digest(),
    }
}

/// Reads the directory's credit state and the pending repairs through `$tx`, and
/// makes the plan of `$rows` on `$today`. A macro so each engine's arm compiles it.
/// An entity moved out of the county (迁出) is not the county's to list.
macro_rules! plan_in {
    ($self:ident, $tx:ident, $rows:expr, $today:expr) => {{
        let states: Vec<StateRow> = $self
            .query_as("SELECT id, name, risk_class, abnormal, blacklisted FROM entities \
                 WHERE county = $C AND id NOT LIKE 'X%' AND status <> 'moved-out'")
            .fetch_all(&mut *$tx).await?;
        let since: Vec<(String, String, Option<DateTime<Utc>>)> = $self
            .query_as("SELECT c.entity_id, c.list, MIN(c.decided_at) FROM credit_proposals c \
                 WHERE c.county = $C AND c.state = 'confirmed' \
                 AND NOT EXISTS (SELECT 1 FROM credit_removals r WHERE r.county = c.county AND r.proposal_id = c.id) \
                 GROUP BY c.entity_id, c.list")
            .fetch_all(&mut *$tx).await?;
        let pending: Vec<(String, String)> = $self
            .query_as("SELECT c.entity_id, c.list FROM credit_repairs r JOIN credit_proposals c \
                 ON c.county = r.county AND c.id = r.proposal_id WHERE r.county = $C AND r.state = 'applied'")
            .fetch_all(&mut *$tx).await?;
        let mut current = BTreeMap::new();
        for (id, name, risk, abnormal, blacklisted) in states {
            let risk_class = RiskClass::from_code(&risk)
                .ok_or_else(|| StoreError::corrupt(format!("entity {id}: risk class")))?;
            current.insert(id, Current { name, risk_class, abnormal, blacklisted, abnormal_since: None, blacklist_since: None });
        }
        for (id, list, at) in since {
            if let Some(c) = current.get_mut(&id) {
                let day = at.map(china_date);
                if list == "abnormal" { c.abnormal_since = day } else { c.blacklist_since = day }
            }
        }
        let held: BTreeSet<(String, &'static str)> = pending
            .into_iter()
            .filter_map(|(id, list)| CreditList::from_code(&list).map(|l| (id, l.code())))
            .collect();
        (credit_status::plan($rows, &current, &held, $today), current)
    }};
}

impl County<'_> {
    /// The county's entities with a USCC in the province's columns, with the day of
    /// each standing listing: the file sent up, and the one a clerk edits.
    pub async fn credit_state(&self) -> Result<Vec<(String, Current)>> {
        let current = with_pool!(self, p => {
            let mut tx = p.begin().await?;
            let none: &[CreditStatusRow] = &[];
            let (_, current) = plan_in!(self, tx, none, NaiveDate::MAX);
            tx.commit().await?;
            current
        });
        Ok(current.into_iter().collect())
    }

    /// Previews, or imports, the province's file `path`. Applying: every change or
    /// none, each entity's row held and its state checked against the plan, with an
    /// audit entry per entity and one for the file, and the log's entry for each
    /// listing and removal.
    pub async fn import_credit_status(&self, path: &Path, run: Run<'_>) -> Result<ImportPreview> {
        let lookup = self.lookup().await?;
        let (file, rows): (String, Vec<CreditStatusRow>) = crate::import::read_all(
            path,
            Kind::CreditStatus,
            lookup,
            crate::import::parse_credit_status,
            credit_status::row_key,
        )
        .await?;
        let today = china_date(run.now());
        let Run::Apply {
            keeper,
            digest,
            actor,
            now,
        } = run
        else {
            let plan = with_pool!(self, p => {
                let mut tx = p.begin().await?;
                let (plan, _) = plan_in!(self, tx, &rows, today);
                tx.commit().await?;
                plan
            });
            return Ok(preview_of(file, &plan));
        };
        let sha256 = crate::import_preview::file_sha256(path)?;
        let preview = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let (plan, _) = plan_in!(self, tx, &rows, today);
            if plan.digest() != digest {
                return Err(StoreError::Conflict(
                    "名录或信用状态在预览之后已有改动，未导入：请重新上传文件，核对新的预览后再导入".into(),
                ));
            }
            let stale = || StoreError::Conflict(
                "导入过程中有主体的信用状态被改动（列入、移出或信用修复申请），未导入：请重新上传文件".into(),
            );
            for c in &plan.changes {
                // Held, then read again: what a concurrent decision committed is seen.
                self.query("UPDATE entities SET updated_at = updated_at WHERE county = $C AND id = $1")
                    .bind(&c.entity).execute(&mut *tx).await?;
                let now_state: Option<(String, bool, bool)> = self
                    .query_as("SELECT risk_class, abnormal, blacklisted FROM entities WHERE county = $C AND id = $1")
                    .bind(&c.entity).fetch_optional(&mut *tx).await?;
                if now_state != Some((c.before.risk_class.code().to_string(), c.before.abnormal, c.before.blacklisted)) {
                    return Err(stale());
                }
                let mut abnormal = c.before.abnormal;
                let mut blacklisted = c.before.blacklisted;
                for (list, standing) in [("abnormal", c.abnormal), ("blacklist", c.blacklist)] {
                    let Some(s) = standing else { continue };
                    if list == "abnormal" { abnormal = s.listed } else { blacklisted = s.listed }
                    if s.listed {
                        let listed_at = s.since.and_then(liancha_domain::calendar::china_midnight).unwrap_or(now);
                        self.query("INSERT INTO credit_proposals (county, entity_id, list, department, task_id, item_code, items, \
                                     category, state, note, created_at, decided_at, decided_by) \
                                     VALUES ($C, $1, $2, $3, NULL, NULL, '', $8, 'confirmed', $4, $5, $6, $7)")
                            .bind(&c.entity).bind(list).bind(keeper)
                            .bind(PROVINCE_LABEL).bind(now).bind(listed_at).bind(actor.user_id).bind(PROVINCE)
                            .execute(&mut *tx).await?;
                        crate::append_log!(self, tx, now, liancha_domain::transparency::LogEvent::CreditListed {
                            entity: c.entity.clone(), list: list.to_string(),
                        });
                        continue;
                    }
                    let pending: i64 = self
                        .query_scalar("SELECT COUNT(*) FROM credit_repairs r JOIN credit_proposals c ON c.county = r.county AND c.id = r.proposal_id \
                             WHERE r.county = $C AND c.entity_id = $1 AND c.list = $2 AND r.state = 'applied'")
                        .bind(&c.entity).bind(list).fetch_one(&mut *tx).await?;
                    if pending > 0 {
                        return Err(stale());
                    }
                    let standing: Vec<i64> = self
                        .query_scalar("SELECT c.id FROM credit_proposals c WHERE c.county = $C AND c.entity_id = $1 \
                             AND c.list = $2 AND c.state = 'confirmed' \
                             AND NOT EXISTS (SELECT 1 FROM credit_removals r WHERE r.county = c.county AND r.proposal_id = c.id) ORDER BY c.id")
                        .bind(&c.entity).bind(list).fetch_all(&mut *tx).await?;
                    for id in standing {
                        self.query("INSERT INTO credit_removals (county, proposal_id, entity_id, list, reason, removed_at, removed_by) \
                                     VALUES ($C, $1, $2, $3, $4, $5, $6)")
                            .bind(id).bind(&c.entity).bind(list).bind(PROVINCE_REMOVAL).bind(now).bind(actor.user_id)
                            .execute(&mut *tx).await?;
                    }
                    crate::append_log!(self, tx, now, liancha_domain::transparency::LogEvent::CreditRemoved {
                        entity: c.entity.clone(), list: list.to_string(),
                    });
                }
                let risk = c.risk_class.unwrap_or(c.before.risk_class);
                self.query("UPDATE entities SET risk_class = $1, abnormal = $2, blacklisted = $3, updated_at = $4 WHERE county = $C AND id = $5")
                    .bind(risk.code()).bind(abnormal).bind(blacklisted).bind(now).bind(&c.entity)
                    .execute(&mut *tx).await?;
                append_audit!(self, &mut *tx, actor, now, Audit::new("credit.province", "entity", &c.entity)
                    .before(serde_json::json!({"risk_class": c.before.risk_class.code(), "abnormal": c.before.abnormal, "blacklisted": c.before.blacklisted}))
                    .after(serde_json::json!({"risk_class": risk.code(), "abnormal": abnormal, "blacklisted": blacklisted, "filename": file})))?;
            }
            let preview = preview_of(file.clone(), &plan);
            append_audit!(self, &mut *tx, actor, now, crate::import_preview::import_audit(Kind::CreditStatus, &sha256, &preview))?;
            tx.commit().await?;
            preview
        });
        Ok(preview)
    }
}
