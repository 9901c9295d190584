//! What a visit found, its review and publication, and what follows from it:
//! follow-up items for the responsible department, credit-list proposals, and
//! targeted (non-random) inspections that count toward the annual cap.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use liancha_domain::InspectionMethod;
use liancha_domain::calendar::{WorkCalendar, china_date};
use liancha_domain::workflow::{
    CreditList, FollowUpKind, FollowUpState, ProposalState, ResultCategory, TargetedSource,
    TaskState, VisitState, check_categories, publication_deadline,
};

use crate::BeginWrite;
use crate::accounts::{Actor, Audit};
use crate::{County, Result, Store, StoreError, append_audit, with_pool};

fn invalid(msg: impl Into<String>) -> StoreError {
    StoreError::invalid(msg.into())
}

/// One item's result within a visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemResult {
    pub item_code: String,
    pub categories: Vec<ResultCategory>,
    pub methods: Vec<InspectionMethod>,
    pub findings: String,
}

/// Visits still waiting for their results: assigned and not submitted, or returned.
fn open_visits(visits: &[crate::tasks::Visit]) -> usize {
    visits
        .iter()
        .filter(|v| matches!(v.state, VisitState::Pending | VisitState::Returned))
        .count()
}

fn join_codes<T: Copy>(v: &[T], code: fn(T) -> &'static str) -> String {
    v.iter().map(|x| code(*x)).collect::<Vec<_>>().join(",")
}

pub(crate) fn split_codes<T>(s: &str, parse: fn(&str) -> Option<T>) -> Vec<T> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .filter_map(parse)
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    pub id: i64,
    pub task_id: Option<i64>,
    pub entity_id: String,
    pub entity_name: String,
    pub department: String,
    pub item_code: Option<String>,
    /// Every item whose findings this follow-up covers, in order.
    pub items: Vec<String>,
    pub category: ResultCategory,
    pub kind: FollowUpKind,
    pub due_on: Option<NaiveDate>,
    pub target_department: Option<String>,
    pub state: FollowUpState,
    pub note: String,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct FollowUpRow {
    id: i64,
    task_id: Option<i64>,
    entity_id: String,
    entity_name: Option<String>,
    department: String,
    item_code: Option<String>,
    items: String,
    category: String,
    kind: String,
    due_on: Option<NaiveDate>,
    target_department: Option<String>,
    state: String,
    note: String,
    created_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
}

impl TryFrom<FollowUpRow> for FollowUp {
    type Error = StoreError;
    fn try_from(r: FollowUpRow) -> Result<FollowUp> {
        let bad = |w: &str| StoreError::corrupt(format!("follow-up {}: {w}", r.id));
        Ok(FollowUp {
            category: ResultCategory::from_code(&r.category).ok_or_else(|| bad("category"))?,
            kind: FollowUpKind::from_code(&r.kind).ok_or_else(|| bad("kind"))?,
            state: FollowUpState::from_code(&r.state).ok_or_else(|| bad("state"))?,
            id: r.id,
            task_id: r.task_id,
            entity_name: r.entity_name.unwrap_or_else(|| r.entity_id.clone()),
            entity_id: r.entity_id,
            department: r.department,
            items: split_items(&r.items),
            item_code: r.item_code,
            due_on: r.due_on,
            target_department: r.target_department,
            note: r.note,
            created_at: r.created_at,
            closed_at: r.closed_at,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditProposal {
    pub id: i64,
    pub entity_id: String,
    pub entity_name: String,
    pub list: CreditList,
    pub department: String,
    pub task_id: Option<i64>,
    pub item_code: Option<String>,
    /// Every item whose findings led to the proposal, in order.
    pub items: Vec<String>,
    pub category: ResultCategory,
    pub state: ProposalState,
    pub note: String,
    pub created_at: DateTime<Utc>,
    /// When a confirmed listing was lifted (移出名单), and why.
    pub removed: Option<CreditRemoval>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditRemoval {
    pub at: DateTime<Utc>,
    pub reason: String,
}

#[derive(sqlx::FromRow)]
struct ProposalRow {
    id: i64,
    entity_id: String,
    entity_name: Option<String>,
    list: String,
    department: String,
    task_id: Option<i64>,
    item_code: Option<String>,
    items: String,
    category: String,
    state: String,
    note: String,
    created_at: DateTime<Utc>,
    removed_at: Option<DateTime<Utc>>,
    removal_reason: Option<String>,
}

impl TryFrom<ProposalRow> for CreditProposal {
    type Error = StoreError;
    fn try_from(r: ProposalRow) -> Result<CreditProposal> {
        let bad = |w: &str| StoreError::corrupt(format!("proposal {}: {w}", r.id));
        Ok(CreditProposal {
            list: CreditList::from_code(&r.list).ok_or_else(|| bad("list"))?,
            category: ResultCategory::from_code(&r.category).ok_or_else(|| bad("category"))?,
            state: ProposalState::from_code(&r.state).ok_or_else(|| bad("state"))?,
            id: r.id,
            entity_name: r.entity_name.unwrap_or_else(|| r.entity_id.clone()),
            entity_id: r.entity_id,
            department: r.department,
            task_id: r.task_id,
            items: split_items(&r.items),
            item_code: r.item_code,
            note: r.note,
            created_at: r.created_at,
            removed: r.removed_at.map(|at| CreditRemoval {
                at,
                reason: r.removal_reason.unwrap_or_default(),
            }),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TargetedInspection {
    pub id: i64,
    /// The attachment holding the source document, if one was uploaded.
    pub document: Option<i64>,
    pub entity_id: String,
    pub department: String,
    pub source: String,
    pub document_ref: String,
    pub inspected_on: NaiveDate,
    pub year: i32,
    pub items: String,
    pub findings: String,
}

impl TargetedInspection {
    pub fn source_label(&self) -> &'static str {
        TargetedSource::from_code(&self.source).map_or("", TargetedSource::label)
    }
}

#[derive(Debug, Clone)]
pub struct NewTargeted {
    pub entity_id: String,
    pub department: String,
    pub source: TargetedSource,
    pub document_ref: String,
    pub inspected_on: NaiveDate,
    pub items: Vec<String>,
    pub findings: String,
}

/// Where publication of a drawn task stands, per department of its items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewStatus {
    pub department: String,
    pub approved_at: Option<DateTime<Utc>>,
}

fn split_items(items: &str) -> Vec<String> {
    items
        .split(',')
        .filter(|i| !i.is_empty())
        .map(str::to_string)
        .collect()
}

const FOLLOW_UP_SELECT: &str = "SELECT f.id, f.task_id, f.entity_id, e.name AS entity_name, f.department, f.item_code, \
     f.items, f.category, f.kind, f.due_on, f.target_department, f.state, f.note, f.created_at, f.closed_at \
     FROM follow_ups f LEFT JOIN entities e ON e.county = f.county AND e.id = f.entity_id WHERE f.county = $C";

const PROPOSAL_SELECT: &str = "SELECT c.id, c.entity_id, e.name AS entity_name, c.list, c.department, c.task_id, \
     c.item_code, c.items, c.category, c.state, c.note, c.created_at, r.removed_at, r.reason AS removal_reason \
     FROM credit_proposals c LEFT JOIN entities e ON e.county = c.county AND e.id = c.entity_id \
     LEFT JOIN credit_removals r ON r.county = c.county AND r.proposal_id = c.id WHERE c.county = $C";

impl County<'_> {
    /// The results of one visit, by item code.
    pub async fn visit_results(
        &self,
        task_id: i64,
        entity_id: &str,
    ) -> Result<BTreeMap<String, ItemResult>> {
        let rows: Vec<(String, String, String, String)> = with_pool!(self, p => self.query_as(
            "SELECT item_code, categories, methods, findings FROM results WHERE county = $C AND task_id = $1 AND entity_id = $2")
            .bind(task_id).bind(entity_id).fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(|(item_code, categories, methods, findings)| {
                (
                    item_code.clone(),
                    ItemResult {
                        item_code,
                        categories: split_codes(&categories, ResultCategory::from_code),
                        methods: split_codes(&methods, InspectionMethod::from_code),
                        findings,
                    },
                )
            })
            .collect())
    }

    /// Records a visit's results for every item of the task, at once (one visit for
    /// all departments). Allowed for an assigned visit not yet submitted, or returned.
    pub async fn record_results(
        &self,
        task_id: i64,
        entity_id: &str,
        inspected_on: NaiveDate,
        results: &[ItemResult],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        crate::retrying(|| {
            self.record_results_once(task_id, entity_id, None, inspected_on, results, actor, now)
        })
        .await
        .map(|_| ())
    }

    /// Records the results of one department's items of a visit, as its staff enter
    /// them from the paper record: the other departments enter theirs, and the visit
    /// is submitted for review when every item of the task has its result.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_department_results(
        &self,
        task_id: i64,
        entity_id: &str,
        department: &str,
        inspected_on: NaiveDate,
        results: &[ItemResult],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<VisitState> {
        crate::retrying(|| {
            self.record_results_once(
                task_id,
                entity_id,
                Some(department),
                inspected_on,
                results,
                actor,
                now,
            )
        })
        .await
    }

    /// `only`: the department whose items these are; `None` for the team, which
    /// enters every item at once. Returns the visit's state afterwards.
    #[allow(clippy::too_many_arguments)]
    async fn record_results_once(
        &self,
        task_id: i64,
        entity_id: &str,
        only: Option<&str>,
        inspected_on: NaiveDate,
        results: &[ItemResult],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<VisitState> {
        let task = self.task_or_404(task_id).await?;
        task.state
            .require(TaskState::Drawn, "录入检查结果")
            .map_err(|e| invalid(e.to_string()))?;
        let visit = self.visit(task_id, entity_id).await?.ok_or_else(|| {
            invalid(format!(
                "{entity_id} 不是本任务分派的检查对象，不能录入结果"
            ))
        })?;
        match visit.state {
            VisitState::Pending | VisitState::Returned => {}
            VisitState::Submitted => {
                return Err(invalid(
                    "该检查对象的结果已提交，待审核；如需修改请由部门管理员退回",
                ));
            }
            s => {
                return Err(invalid(format!(
                    "该检查对象处于「{}」状态，不能录入结果",
                    s.label()
                )));
            }
        }
        if inspected_on < task.inspection_start || inspected_on > china_date(now) {
            return Err(invalid(format!(
                "检查日期须在任务开始日期 {} 与今天之间",
                task.inspection_start
            )));
        }
        let expected: Vec<&crate::tasks::TaskItem> = task
            .items
            .iter()
            .filter(|i| only.is_none_or(|d| i.department == d))
            .collect();
        if expected.is_empty() {
            return Err(invalid("本部门在该任务中没有抽查事项"));
        }
        for item in &expected {
            let Some(r) = results.iter().find(|r| r.item_code == item.code) else {
                return Err(invalid(format!("请填写事项「{}」的检查结果", item.name)));
            };
            check_categories(&r.categories)
                .map_err(|e| invalid(format!("事项「{}」：{e}", item.name)))?;
            if r.methods.is_empty() {
                return Err(invalid(format!("请选择事项「{}」的检查方式", item.name)));
            }
            crate::posted(
                &format!("事项「{}」的检查情况", item.name),
                &r.findings,
                liancha_domain::text::FREE_TEXT,
            )?;
        }
        if let Some(r) = results
            .iter()
            .find(|r| !expected.iter().any(|i| i.code == r.item_code))
        {
            return Err(match only {
                Some(_) if task.items.iter().any(|i| i.code == r.item_code) => invalid(format!(
                    "事项 {} 不属于本部门，须由其所属部门或检查组录入",
                    r.item_code
                )),
                _ => invalid(format!("事项 {} 不属于本任务", r.item_code)),
            });
        }
        let items = task.items.len() as i64;
        let before = self.visit_results(task_id, entity_id).await?;
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            bump_version!(self, &mut *tx, task_id, task.version, "state = state");
            let done = self.query("UPDATE visits SET inspected_on = $1 \
                         WHERE county = $C AND task_id = $2 AND entity_id = $3 AND state IN ('pending', 'returned')")
                .bind(inspected_on).bind(task_id).bind(entity_id)
                .execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(invalid("该检查对象的结果已提交（可能是表单重复提交），本次未生效"));
            }
            for r in results {
                self.query("DELETE FROM results WHERE county = $C AND task_id = $1 AND entity_id = $2 AND item_code = $3")
                    .bind(task_id).bind(entity_id).bind(&r.item_code).execute(&mut *tx).await?;
            }
            for r in results {
                self.query("INSERT INTO results (county, task_id, entity_id, item_code, categories, methods, findings) VALUES ($C, $1, $2, $3, $4, $5, $6)")
                    .bind(task_id).bind(entity_id).bind(&r.item_code)
                    .bind(join_codes(&r.categories, ResultCategory::code))
                    .bind(join_codes(&r.methods, InspectionMethod::code))
                    .bind(r.findings.trim()).execute(&mut *tx).await?;
            }
            let summary = |m: Vec<(&String, String)>| serde_json::json!(m.into_iter().collect::<BTreeMap<_, _>>());
            // Complete once every item of the task has its result, whoever entered it.
            let have: i64 = self.query_scalar("SELECT COUNT(*) FROM results WHERE county = $C AND task_id = $1 AND entity_id = $2")
                .bind(task_id).bind(entity_id).fetch_one(&mut *tx).await?;
            let complete = have == items;
            if complete {
                self.query("UPDATE visits SET state = 'submitted', submitted_by = $1, submitted_at = $2 WHERE county = $C AND task_id = $3 AND entity_id = $4")
                    .bind(actor.user_id).bind(now).bind(task_id).bind(entity_id).execute(&mut *tx).await?;
            }
            let action = if complete { "visit.submit" } else { "visit.results" };
            append_audit!(self, &mut *tx, actor, now, Audit::new(action, "visit", format!("{task_id}/{entity_id}")).task(task_id)
                .before(summary(before.iter().map(|(k, r)| (k, join_codes(&r.categories, ResultCategory::code))).collect()))
                .after(serde_json::json!({
                    "inspected_on": inspected_on,
                    "results": results.iter().map(|r| (r.item_code.clone(), serde_json::json!({
                        "categories": join_codes(&r.categories, ResultCategory::code),
                        "methods": join_codes(&r.methods, InspectionMethod::code),
                        "findings": r.findings.trim(),
                    }))).collect::<BTreeMap<_, _>>(),
                    "department": only,
                })))?;
            tx.commit().await?;
            Ok(if complete { VisitState::Submitted } else { visit.state })
        })
    }

    /// Sends a submitted visit back to its team with a note; the department's
    /// approval, if given, is withdrawn.
    pub async fn return_visit(
        &self,
        task_id: i64,
        entity_id: &str,
        department: &str,
        note: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        crate::retrying(|| self.return_visit_once(task_id, entity_id, department, note, actor, now))
            .await
    }

    async fn return_visit_once(
        &self,
        task_id: i64,
        entity_id: &str,
        department: &str,
        note: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let task = self.task_or_404(task_id).await?;
        task.state
            .require(TaskState::Drawn, "退回检查结果")
            .map_err(|e| invalid(e.to_string()))?;
        if !task.departments().iter().any(|d| d == department) {
            return Err(invalid("本部门没有参与该任务"));
        }
        let note = crate::posted("退回原因", note.trim(), liancha_domain::text::FREE_TEXT)?;
        if note.is_empty() {
            return Err(invalid("请填写退回原因"));
        }
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            bump_version!(self, &mut *tx, task_id, task.version, "state = state");
            let done = self.query("UPDATE visits SET state = 'returned', return_note = $1 WHERE county = $C AND task_id = $2 AND entity_id = $3 AND state = 'submitted'")
                .bind(note).bind(task_id).bind(entity_id).execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(invalid("只能退回已提交的检查结果"));
            }
            self.query("DELETE FROM reviews WHERE county = $C AND task_id = $1").bind(task_id).execute(&mut *tx).await?;
            append_audit!(self, &mut *tx, actor, now, Audit::new("visit.return", "visit", format!("{task_id}/{entity_id}")).task(task_id)
                .after(serde_json::json!({"department": department, "note": note})))?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn reviews(&self, task_id: i64) -> Result<Vec<ReviewStatus>> {
        let task = self.task_or_404(task_id).await?;
        let rows: Vec<(String, DateTime<Utc>)> = with_pool!(self, p => self.query_as(
            "SELECT department, approved_at FROM reviews WHERE county = $C AND task_id = $1").bind(task_id).fetch_all(p).await)?;
        Ok(task
            .departments()
            .into_iter()
            .map(|d| ReviewStatus {
                approved_at: rows.iter().find(|r| r.0 == d).map(|r| r.1),
                department: d,
            })
            .collect())
    }

    /// A department approves the results of its items in a task. Every assigned
    /// visit must be submitted; a later return or substitution withdraws the approval.
    pub async fn approve_results(
        &self,
        task_id: i64,
        department: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        crate::retrying(|| self.approve_results_once(task_id, department, actor, now)).await
    }

    async fn approve_results_once(
        &self,
        task_id: i64,
        department: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let task = self.task_or_404(task_id).await?;
        task.state
            .require(TaskState::Drawn, "审核检查结果")
            .map_err(|e| invalid(e.to_string()))?;
        if !task.departments().iter().any(|d| d == department) {
            return Err(invalid("本部门没有参与该任务"));
        }
        let open = open_visits(&self.visits(task_id).await?);
        if open > 0 {
            return Err(invalid(format!(
                "尚有 {open} 户检查结果未提交，不能审核通过"
            )));
        }
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            bump_version!(self, &mut *tx, task_id, task.version, "state = state");
            let done = self.query("INSERT INTO reviews (county, task_id, department, approved_by, approved_at) VALUES ($C, $1, $2, $3, $4) \
                                    ON CONFLICT (county, task_id, department) DO NOTHING")
                .bind(task_id).bind(department).bind(actor.user_id).bind(now).execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(invalid("本部门已审核通过该任务的结果（可能是表单重复提交）"));
            }
            append_audit!(self, &mut *tx, actor, now, Audit::new("task.approve", "task", task_id).task(task_id)
                .after(serde_json::json!({"department": department})))?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Publishes a task's results once every department of its items has approved
    /// them. Problems found become follow-up items of the item's department, and
    /// findings that lead to a credit list become its proposals: both come from the
    /// published results, never from results that could still be returned.
    pub async fn publish_task(
        &self,
        task_id: i64,
        version: i32,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let task = self.task_or_404(task_id).await?;
        task.state
            .require(TaskState::Drawn, "公示结果")
            .map_err(|e| invalid(e.to_string()))?;
        crate::expect_version(&task, version)?;
        let open = open_visits(&self.visits(task_id).await?);
        if open > 0 {
            return Err(invalid(format!(
                "尚有 {open} 户检查结果未提交或被退回，不能公示"
            )));
        }
        let pending: Vec<String> = self
            .reviews(task_id)
            .await?
            .into_iter()
            .filter(|r| r.approved_at.is_none())
            .map(|r| r.department)
            .collect();
        if !pending.is_empty() {
            let names = self.department_labels(&pending).await?;
            return Err(invalid(format!(
                "以下部门尚未审核通过：{}",
                names.join("、")
            )));
        }
        let rows: Vec<(String, String, String)> = with_pool!(self, p => self.query_as(
            "SELECT r.entity_id, r.item_code, r.categories FROM results r JOIN visits v \
             ON v.county = r.county AND v.task_id = r.task_id AND v.entity_id = r.entity_id \
             WHERE r.county = $C AND r.task_id = $1 AND v.state = 'submitted' ORDER BY v.draw_order, r.item_code")
            .bind(task_id).fetch_all(p).await)?;
        let cal = self.calendar().await?;
        let department_of = |code: &str| {
            task.items
                .iter()
                .find(|i| i.code == code)
                .map(|i| i.department.as_str())
        };
        let categories: Vec<Vec<ResultCategory>> = rows
            .iter()
            .map(|(_, _, c)| split_codes(c, ResultCategory::from_code))
            .collect();
        let published: Vec<liancha_domain::follow_up::PublishedResult> = rows
            .iter()
            .zip(&categories)
            .filter_map(|((entity, item, _), categories)| {
                Some(liancha_domain::follow_up::PublishedResult {
                    entity,
                    item,
                    department: department_of(item)?,
                    categories,
                })
            })
            .collect();
        let (follow_ups, proposals) = liancha_domain::follow_up::drafts(&published);
        // A proposal is decided by the department of its items, or by the lead
        // department when its items are several departments'.
        let proposer = |c: &liancha_domain::follow_up::CreditDraft| -> String {
            let mut departments = c.items.iter().filter_map(|i| department_of(i));
            match (
                departments.next(),
                departments.all(|d| Some(d) == department_of(&c.items[0])),
            ) {
                (Some(d), true) => d.to_string(),
                _ => task.lead_department.clone(),
            }
        };
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            bump_version!(self, &mut *tx, task_id, version, "state = 'published', published_at = $3", now);
            self.query("UPDATE visits SET state = 'published' WHERE county = $C AND task_id = $1 AND state = 'submitted'")
                .bind(task_id).execute(&mut *tx).await?;
            for f in &follow_ups {
                // 责令整改: the default term is ten working days.
                let due = (f.kind == FollowUpKind::Rectify).then(|| cal.add_working_days(china_date(now), 10));
                self.query("INSERT INTO follow_ups (county, task_id, entity_id, department, item_code, items, category, kind, due_on, state, created_at) \
                             VALUES ($C, $1, $2, $3, $4, $5, $6, $7, $8, 'open', $9)")
                    .bind(task_id).bind(&f.entity).bind(&f.department).bind(&f.items[0]).bind(f.items.join(","))
                    .bind(f.category.code()).bind(f.kind.code()).bind(due).bind(now).execute(&mut *tx).await?;
            }
            for c in &proposals {
                self.query("INSERT INTO credit_proposals (county, entity_id, list, department, task_id, item_code, items, category, state, created_at) \
                             VALUES ($C, $1, $2, $3, $4, $5, $6, $7, 'proposed', $8)")
                    .bind(&c.entity).bind(c.list.code()).bind(proposer(c)).bind(task_id).bind(&c.items[0])
                    .bind(c.items.join(",")).bind(c.category.code()).bind(now).execute(&mut *tx).await?;
            }
            let (follow_ups, proposals) = (follow_ups.len(), proposals.len());
            crate::project_published_task!(self, &mut tx, task_id);
            append_audit!(self, &mut *tx, actor, now, Audit::new("task.publish", "task", task_id).task(task_id)
                .before(serde_json::json!({"state": "drawn"}))
                .after(serde_json::json!({"state": "published", "follow_ups": follow_ups, "credit_proposals": proposals})))?;
            crate::append_log!(self, tx, now, liancha_domain::transparency::LogEvent::Published {
                task: task_id, plan_digest: task.plan_digest.clone().unwrap_or_default(),
            });
            tx.commit().await?;
        });
        Ok(())
    }

    async fn department_labels(&self, codes: &[String]) -> Result<Vec<String>> {
        let all = self.departments().await?;
        Ok(codes
            .iter()
            .map(|c| {
                all.iter()
                    .find(|d| &d.code == c)
                    .map_or(c.clone(), |d| d.name.clone())
            })
            .collect())
    }

    /// The publication deadline of a task: N working days after its inspection ends.
    pub async fn deadline_of(&self, task: &crate::tasks::Task) -> Result<NaiveDate> {
        self.deadline_on(&self.calendar().await?, task).await
    }

    /// [`Store::deadline_of`] on a calendar already loaded (lists of tasks load it once).
    pub async fn deadline_on(
        &self,
        cal: &WorkCalendar,
        task: &crate::tasks::Task,
    ) -> Result<NaiveDate> {
        let rules = self.rule_book(task.domain).await?;
        Ok(publication_deadline(
            cal,
            task.inspection_end,
            rules.publication_deadline_days,
        ))
    }

    /// The working-day calendar: the built-in one, with any days an admin stored.
    pub async fn calendar(&self) -> Result<WorkCalendar> {
        let rows: Vec<(NaiveDate, String, String)> = with_pool!(self, p => self.query_as(
            "SELECT day, kind, name FROM calendar_days WHERE county = $C ORDER BY day").fetch_all(p).await)?;
        let mut cal = WorkCalendar::built_in();
        if !rows.is_empty() {
            let text: String = rows
                .iter()
                .map(|(d, k, n)| format!("{d} {k} {n}\n"))
                .collect();
            let stored =
                WorkCalendar::parse(&text).map_err(|e| StoreError::corrupt(e.to_string()))?;
            cal.merge(&stored);
        }
        Ok(cal)
    }

    pub async fn follow_ups(
        &self,
        department: Option<&str>,
        open_only: bool,
    ) -> Result<Vec<FollowUp>> {
        let mut sql = FOLLOW_UP_SELECT.to_string();
        if department.is_some() {
            sql.push_str(" AND (f.department = $1 OR f.target_department = $1)");
        }
        if open_only {
            sql.push_str(" AND f.state = 'open'");
        }
        sql.push_str(" ORDER BY f.state DESC, f.due_on, f.id");
        let rows: Vec<FollowUpRow> = with_pool!(self, p => {
            let mut q = self.query_as(&sql);
            if let Some(d) = department { q = q.bind(d); }
            q.fetch_all(p).await
        })?;
        rows.into_iter().map(FollowUp::try_from).collect()
    }

    pub async fn follow_up(&self, id: i64) -> Result<Option<FollowUp>> {
        let sql = format!("{FOLLOW_UP_SELECT} AND f.id = $1");
        let row: Option<FollowUpRow> =
            with_pool!(self, p => self.query_as(&sql).bind(id).fetch_optional(p).await)?;
        row.map(FollowUp::try_from).transpose()
    }

    /// Changes how a follow-up is handled (kind, due date, the department it goes to).
    #[allow(clippy::too_many_arguments)]
    pub async fn update_follow_up(
        &self,
        id: i64,
        kind: FollowUpKind,
        due_on: Option<NaiveDate>,
        target_department: Option<&str>,
        note: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let before = self
            .follow_up(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("后续处置 {id}")))?;
        crate::posted("处置说明", note, liancha_domain::text::FREE_TEXT)
            .map_err(|e| e.on_field("note"))?;
        if before.state == FollowUpState::Closed {
            return Err(invalid("该事项已办结，不能修改"));
        }
        if kind == FollowUpKind::Rectify && due_on.is_none() {
            return Err(StoreError::invalid_field(
                "due_on",
                "责令整改须填写整改期限",
            ));
        }
        if matches!(kind, FollowUpKind::Transfer | FollowUpKind::Notify)
            && target_department.is_none()
        {
            return Err(StoreError::invalid_field(
                "target_department",
                "移送、抄告须选择接收部门",
            ));
        }
        if let Some(t) = target_department
            && !self.departments().await?.iter().any(|d| d.code == t)
        {
            return Err(invalid(format!("部门「{t}」不存在")));
        }
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let done = self.query("UPDATE follow_ups SET kind = $1, due_on = $2, target_department = $3, note = $4 WHERE county = $C AND id = $5 AND state = 'open'")
                .bind(kind.code()).bind(due_on).bind(target_department).bind(note.trim()).bind(id).execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(invalid("该事项已办结，不能修改"));
            }
            append_audit!(self, &mut *tx, actor, now, Audit::new("follow-up.update", "follow-up", id)
                .before(serde_json::json!({"kind": before.kind.code(), "due_on": before.due_on, "target": before.target_department, "note": before.note}))
                .after(serde_json::json!({"kind": kind.code(), "due_on": due_on, "target": target_department, "note": note.trim()})))?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn close_follow_up(
        &self,
        id: i64,
        note: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let note = crate::posted("办结情况", note.trim(), liancha_domain::text::FREE_TEXT)
            .map_err(|e| e.on_field("note"))?;
        if note.is_empty() {
            return Err(StoreError::invalid_field("note", "请填写办结情况"));
        }
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let done = self.query("UPDATE follow_ups SET state = 'closed', closed_at = $1, closed_by = $2, note = $3 WHERE county = $C AND id = $4 AND state = 'open'")
                .bind(now).bind(actor.user_id).bind(note).bind(id).execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(invalid("该事项不存在或已办结"));
            }
            append_audit!(self, &mut *tx, actor, now, Audit::new("follow-up.close", "follow-up", id)
                .after(serde_json::json!({"state": "closed", "note": note})))?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn credit_proposals(&self, department: Option<&str>) -> Result<Vec<CreditProposal>> {
        let mut sql = PROPOSAL_SELECT.to_string();
        if department.is_some() {
            sql.push_str(" AND c.department = $1");
        }
        sql.push_str(" ORDER BY c.state DESC, c.id");
        let rows: Vec<ProposalRow> = with_pool!(self, p => {
            let mut q = self.query_as(&sql);
            if let Some(d) = department { q = q.bind(d); }
            q.fetch_all(p).await
        })?;
        rows.into_iter().map(CreditProposal::try_from).collect()
    }

    pub async fn credit_proposal(&self, id: i64) -> Result<Option<CreditProposal>> {
        let sql = format!("{PROPOSAL_SELECT} AND c.id = $1");
        let row: Option<ProposalRow> =
            with_pool!(self, p => self.query_as(&sql).bind(id).fetch_optional(p).await)?;
        row.map(CreditProposal::try_from).transpose()
    }

    /// Confirms (the entity goes on the list: its flag changes, and through the rule
    /// book its future stratum) or rejects a proposal.
    pub async fn decide_credit_proposal(
        &self,
        id: i64,
        confirm: bool,
        note: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let prop = self
            .credit_proposal(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("信用名单建议 {id}")))?;
        if prop.state != ProposalState::Proposed {
            return Err(invalid("该建议已处理"));
        }
        crate::posted("处理意见", note, liancha_domain::text::FREE_TEXT)
            .map_err(|e| e.on_field("note"))?;
        if !confirm && note.trim().is_empty() {
            return Err(StoreError::invalid_field("note", "不予列入须说明理由"));
        }
        let entity = self.entity(&prop.entity_id).await?;
        let column = match prop.list {
            CreditList::Abnormal => "abnormal",
            CreditList::Blacklist => "blacklisted",
        };
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let done = self.query("UPDATE credit_proposals SET state = $1, decided_at = $2, decided_by = $3, note = $4 WHERE county = $C AND id = $5 AND state = 'proposed'")
                .bind(if confirm { "confirmed" } else { "rejected" }).bind(now).bind(actor.user_id).bind(note.trim()).bind(id)
                .execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(invalid("该建议已处理（可能是表单重复提交）"));
            }
            if confirm {
                let sql = format!("UPDATE entities SET {column} = TRUE, updated_at = $1 WHERE county = $C AND id = $2");
                self.query(&sql).bind(now).bind(&prop.entity_id).execute(&mut *tx).await?;
            }
            append_audit!(self, &mut *tx, actor, now, Audit::new(if confirm { "credit.confirm" } else { "credit.reject" }, "entity", &prop.entity_id)
                .before(serde_json::json!({column: entity.as_ref().map(|e| match prop.list { CreditList::Abnormal => e.abnormal, CreditList::Blacklist => e.blacklisted })}))
                .after(serde_json::json!({column: confirm, "list": prop.list.code(), "proposal": id, "note": note.trim()})))?;
            if confirm {
                crate::append_log!(self, tx, now, liancha_domain::transparency::LogEvent::CreditListed {
                    entity: prop.entity_id.clone(), list: prop.list.code().to_string(),
                });
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Takes an entity off the list a confirmed proposal put it on (移出名单), with the
    /// reason: the removal is recorded beside the listing, and the entity's flag is
    /// cleared unless another confirmed listing on the same list still stands.
    /// Returns whether the flag was cleared.
    pub async fn remove_credit_listing(
        &self,
        id: i64,
        reason: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let reason = crate::posted("移出理由", reason.trim(), liancha_domain::text::FREE_TEXT)
            .map_err(|e| e.on_field("reason"))?;
        if reason.is_empty() {
            return Err(StoreError::invalid_field(
                "reason",
                "请填写移出理由（如已补报年报、已履行义务、信用修复决定书文号）",
            ));
        }
        let prop = self
            .credit_proposal(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("信用名单建议 {id}")))?;
        let column = match prop.list {
            CreditList::Abnormal => "abnormal",
            CreditList::Blacklist => "blacklisted",
        };
        let cleared = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            // The entity's row first: removals and confirmations of its other listings
            // wait for each other, so the count of listings still standing below is
            // never one a concurrent decision has already changed.
            self.query("UPDATE entities SET updated_at = updated_at WHERE county = $C AND id = $1")
                .bind(&prop.entity_id).execute(&mut *tx).await?;
            let was: Option<bool> = self
                .query_scalar(&format!("SELECT {column} FROM entities WHERE county = $C AND id = $1"))
                .bind(&prop.entity_id).fetch_optional(&mut *tx).await?;
            // Checked in the transaction that records the removal: a second click, or
            // a removal racing another, finds the row and changes nothing.
            let state: Option<String> = self
                .query_scalar("SELECT c.state FROM credit_proposals c WHERE c.county = $C AND c.id = $1 \
                     AND NOT EXISTS (SELECT 1 FROM credit_removals r WHERE r.county = c.county AND r.proposal_id = c.id)")
                .bind(id).fetch_optional(&mut *tx).await?;
            match state.as_deref() {
                Some("confirmed") => {}
                Some(_) => return Err(StoreError::WrongState("该建议未确认列入，无需移出".into())),
                None => return Err(StoreError::Conflict("该主体已依此建议移出名单（可能是表单重复提交）".into())),
            }
            let inserted = self.query("INSERT INTO credit_removals (county, proposal_id, entity_id, list, reason, removed_at, removed_by) \
                 VALUES ($C, $1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING")
                .bind(id).bind(&prop.entity_id).bind(prop.list.code()).bind(reason).bind(now).bind(actor.user_id)
                .execute(&mut *tx).await?;
            if inserted.rows_affected() != 1 {
                return Err(StoreError::Conflict("该主体已依此建议移出名单（可能是表单重复提交）".into()));
            }
            let standing: i64 = self
                .query_scalar("SELECT COUNT(*) FROM credit_proposals c WHERE c.county = $C AND c.entity_id = $1 \
                     AND c.list = $2 AND c.state = 'confirmed' \
                     AND NOT EXISTS (SELECT 1 FROM credit_removals r WHERE r.county = c.county AND r.proposal_id = c.id)")
                .bind(&prop.entity_id).bind(prop.list.code()).fetch_one(&mut *tx).await?;
            let cleared = standing == 0;
            if cleared {
                let sql = format!("UPDATE entities SET {column} = FALSE, updated_at = $1 WHERE county = $C AND id = $2");
                self.query(&sql).bind(now).bind(&prop.entity_id).execute(&mut *tx).await?;
            }
            append_audit!(self, &mut *tx, actor, now, Audit::new("credit.remove", "entity", &prop.entity_id)
                .before(serde_json::json!({column: was}))
                .after(serde_json::json!({column: if cleared { Some(false) } else { was }, "list": prop.list.code(), "proposal": id, "reason": reason})))?;
            crate::append_log!(self, tx, now, liancha_domain::transparency::LogEvent::CreditRemoved {
                entity: prop.entity_id.clone(), list: prop.list.code().to_string(),
            });
            tx.commit().await?;
            cleared
        });
        Ok(cleared)
    }

    /// Records a targeted inspection: no draw, but it counts toward the annual cap.
    pub async fn record_targeted(
        &self,
        t: &NewTargeted,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        if self.entity(&t.entity_id).await?.is_none() {
            return Err(invalid(format!("主体名录中没有 {}", t.entity_id)));
        }
        if t.document_ref.trim().is_empty() {
            return Err(invalid(
                "请填写来源文书编号（投诉举报、转办交办单或线索编号）",
            ));
        }
        crate::posted("来源文书编号", &t.document_ref, liancha_domain::text::NAME)?;
        crate::posted("检查情况", &t.findings, liancha_domain::text::FREE_TEXT)?;
        if t.inspected_on > china_date(now) {
            return Err(invalid("检查日期不能晚于今天"));
        }
        for code in &t.items {
            if self.item(code).await?.is_none() {
                return Err(invalid(format!("抽查事项「{code}」不存在")));
            }
        }
        use chrono::Datelike;
        let id = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let id: i64 = self.query_scalar(
                "INSERT INTO targeted_inspections (county, entity_id, department, source, document_ref, inspected_on, year, items, findings, created_by, created_at) \
                 VALUES ($C, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id")
                .bind(&t.entity_id).bind(&t.department).bind(t.source.code()).bind(t.document_ref.trim())
                .bind(t.inspected_on).bind(t.inspected_on.year()).bind(t.items.join(",")).bind(t.findings.trim())
                .bind(actor.user_id).bind(now).fetch_one(&mut *tx).await?;
            append_audit!(self, &mut *tx, actor, now, Audit::new("targeted.create", "entity", &t.entity_id)
                .after(serde_json::json!({"id": id, "source": t.source.code(), "document": t.document_ref.trim(), "inspected_on": t.inspected_on})))?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    pub async fn targeted_inspections(
        &self,
        department: Option<&str>,
    ) -> Result<Vec<TargetedInspection>> {
        let mut sql = String::from(
            "SELECT t.id, (SELECT MIN(a.id) FROM attachments a WHERE a.county = t.county AND a.targeted_id = t.id) AS document, \
             t.entity_id, t.department, t.source, t.document_ref, t.inspected_on, t.year, t.items, t.findings \
             FROM targeted_inspections t WHERE t.county = $C",
        );
        if department.is_some() {
            sql.push_str(" AND t.department = $1");
        }
        sql.push_str(" ORDER BY t.inspected_on DESC, t.id DESC");
        Ok(with_pool!(self, p => {
            let mut q = self.query_as(&sql);
            if let Some(d) = department { q = q.bind(d); }
            q.fetch_all(p).await
        })?)
    }
}

/// An attachment's description (the bytes are fetched separately).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Attachment {
    pub id: i64,
    pub task_id: Option<i64>,
    pub entity_id: Option<String>,
    pub targeted_id: Option<i64>,
    pub purpose: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub public: bool,
    pub uploaded_at: DateTime<Utc>,
}

/// The name an uploaded file is kept under: its last path segment, without control
/// characters, at most 120 characters; `default` when nothing is left.
fn stored_file_name(filename: &str, default: &str) -> String {
    let name: String = filename
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    if name.trim().is_empty() {
        default.to_string()
    } else {
        name
    }
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    liancha_draw::hex::encode(&sha2::Sha256::digest(data))
}

const ATTACHMENT_SELECT: &str = "SELECT id, task_id, entity_id, targeted_id, purpose, filename, content_type, size, sha256, public, uploaded_at \
     FROM attachments WHERE county = $C";

impl County<'_> {
    /// Stores an attachment of a task (ceremony) or of one visit (result material),
    /// after checking its type from its bytes and its size.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_attachment(
        &self,
        task_id: i64,
        entity_id: Option<&str>,
        purpose: liancha_domain::attachment::AttachmentPurpose,
        filename: &str,
        data: &[u8],
        public: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        use liancha_domain::attachment::AttachmentPurpose;
        let content_type =
            liancha_domain::attachment::check(purpose, data).map_err(|e| invalid(e.to_string()))?;
        let task = self.task_or_404(task_id).await?;
        if matches!(task.state, TaskState::Cancelled) {
            return Err(StoreError::WrongState("任务已取消".into()));
        }
        if let Some(e) = entity_id {
            let visit = self
                .visit(task_id, e)
                .await?
                .ok_or_else(|| invalid(format!("{e} 不是本任务的检查对象")))?;
            if !matches!(
                visit.state,
                VisitState::Pending | VisitState::Returned | VisitState::Submitted
            ) {
                return Err(StoreError::WrongState("该检查对象不能再添加材料".into()));
            }
        } else if purpose == AttachmentPurpose::Result {
            return Err(invalid("取证材料须属于某一检查对象"));
        }
        let name = stored_file_name(filename, "附件");
        let sha = sha256_hex(data);
        let id = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            // The states read above may have changed since (a cancellation, a
            // publication): the writes on the task's and the visit's rows wait for
            // such a change and then find it.
            let open = self.query("UPDATE tasks SET state = state WHERE county = $C AND id = $1 AND state <> 'cancelled'")
                .bind(task_id).execute(&mut *tx).await?;
            if open.rows_affected() != 1 {
                return Err(StoreError::WrongState("任务已取消".into()));
            }
            if let Some(e) = entity_id {
                let open = self.query("UPDATE visits SET state = state WHERE county = $C AND task_id = $1 AND entity_id = $2 \
                                       AND state IN ('pending', 'returned', 'submitted')")
                    .bind(task_id).bind(e).execute(&mut *tx).await?;
                if open.rows_affected() != 1 {
                    return Err(StoreError::WrongState("该检查对象不能再添加材料".into()));
                }
            }
            let id: i64 = self.query_scalar(
                "INSERT INTO attachments (county, task_id, entity_id, purpose, filename, content_type, size, sha256, data, public, uploaded_by, uploaded_at) \
                 VALUES ($C, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")
                .bind(task_id).bind(entity_id).bind(purpose.code()).bind(&name).bind(content_type)
                .bind(data.len() as i64).bind(&sha).bind(data).bind(public).bind(actor.user_id).bind(now)
                .fetch_one(&mut *tx).await?;
            append_audit!(self, &mut *tx, actor, now, Audit::new("attachment.add", "attachment", id).task(task_id)
                .after(serde_json::json!({"entity": entity_id, "purpose": purpose.code(), "filename": name,
                    "content_type": content_type, "size": data.len(), "sha256": sha, "public": public})))?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// Attaches the source document (a scan or photo of the complaint, the referral
    /// slip, the data lead) to a targeted inspection.
    pub async fn add_targeted_document(
        &self,
        targeted_id: i64,
        filename: &str,
        data: &[u8],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        use liancha_domain::attachment::AttachmentPurpose;
        let content_type =
            liancha_domain::attachment::check(AttachmentPurpose::SourceDocument, data)
                .map_err(|e| invalid(e.to_string()))?;
        let entity: Option<String> = with_pool!(self, p => self.query_scalar(
            "SELECT entity_id FROM targeted_inspections WHERE county = $C AND id = $1").bind(targeted_id).fetch_optional(p).await)?;
        let Some(entity) = entity else {
            return Err(StoreError::NotFound(format!("定向检查 {targeted_id}")));
        };
        let name = stored_file_name(filename, "来源文书");
        let sha = sha256_hex(data);
        let id = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let id: i64 = self.query_scalar(
                "INSERT INTO attachments (county, targeted_id, entity_id, purpose, filename, content_type, size, sha256, data, public, uploaded_by, uploaded_at) \
                 VALUES ($C, $1, $2, 'source-document', $3, $4, $5, $6, $7, FALSE, $8, $9) RETURNING id")
                .bind(targeted_id).bind(&entity).bind(&name).bind(content_type).bind(data.len() as i64)
                .bind(&sha).bind(data).bind(actor.user_id).bind(now).fetch_one(&mut *tx).await?;
            append_audit!(self, &mut *tx, actor, now, Audit::new("targeted.document", "targeted", targeted_id)
                .after(serde_json::json!({"attachment": id, "filename": name, "content_type": content_type, "size": data.len(), "sha256": sha})))?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// The department of a targeted inspection.
    pub async fn targeted_department(&self, targeted_id: i64) -> Result<Option<String>> {
        Ok(
            with_pool!(self, p => self.query_scalar("SELECT department FROM targeted_inspections WHERE county = $C AND id = $1")
            .bind(targeted_id).fetch_optional(p).await)?,
        )
    }

    pub async fn attachments(&self, task_id: i64) -> Result<Vec<Attachment>> {
        let sql = format!("{ATTACHMENT_SELECT} AND task_id = $1 ORDER BY id");
        Ok(with_pool!(self, p => self.query_as(&sql).bind(task_id).fetch_all(p).await)?)
    }

    pub async fn attachment(&self, id: i64) -> Result<Option<(Attachment, Vec<u8>)>> {
        let sql = format!("{ATTACHMENT_SELECT} AND id = $1");
        let meta: Option<Attachment> =
            with_pool!(self, p => self.query_as(&sql).bind(id).fetch_optional(p).await)?;
        let Some(meta) = meta else { return Ok(None) };
        let data: Vec<u8> = with_pool!(self, p => self.query_scalar("SELECT data FROM attachments WHERE county = $C AND id = $1").bind(id).fetch_one(p).await)?;
        Ok(Some((meta, data)))
    }
}

/// One published result: what the public may see (categories and methods; never
/// findings, which may hold internal notes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedResult {
    /// The county that published it.
    pub county: String,
    pub task_id: i64,
    pub task_title: String,
    pub published_at: Option<DateTime<Utc>>,
    pub entity_id: String,
    pub entity_name: String,
    pub item_code: String,
    pub item_name: String,
    pub department: String,
    pub inspected_on: Option<NaiveDate>,
    pub categories: Vec<ResultCategory>,
    pub methods: Vec<InspectionMethod>,
}

type PublishedRow = (
    String,
    i64,
    String,
    Option<DateTime<Utc>>,
    String,
    Option<String>,
    String,
    String,
    String,
    Option<NaiveDate>,
    String,
    String,
);

const PUBLISHED_SELECT: &str = "SELECT r.county, t.id, t.title, t.published_at, r.entity_id, e.name, r.item_code, i.name, i.department, \
     v.inspected_on, r.categories, r.methods FROM results r \
     JOIN tasks t ON t.county = r.county AND t.id = r.task_id \
     JOIN visits v ON v.county = r.county AND v.task_id = r.task_id AND v.entity_id = r.entity_id \
     JOIN items i ON i.county = r.county AND i.code = r.item_code \
     LEFT JOIN entities e ON e.county = r.county AND e.id = r.entity_id \
     WHERE t.state = 'published' AND v.state = 'published'";

fn published(rows: Vec<PublishedRow>) -> Vec<PublishedResult> {
    rows.into_iter()
        .map(
            |(
                county,
                task_id,
                task_title,
                published_at,
                entity_id,
                name,
                item_code,
                item_name,
                department,
                inspected_on,
                categories,
                methods,
            )| PublishedResult {
                entity_name: name.unwrap_or_else(|| entity_id.clone()),
                categories: split_codes(&categories, ResultCategory::from_code),
                methods: split_codes(&methods, InspectionMethod::from_code),
                county,
                task_id,
                task_title,
                published_at,
                entity_id,
                item_code,
                item_name,
                department,
                inspected_on,
            },
        )
        .collect()
}

impl County<'_> {
    /// Published results of one task, in draw order.
    pub async fn published_results_of_task(&self, task_id: i64) -> Result<Vec<PublishedResult>> {
        let sql = format!(
            "{PUBLISHED_SELECT} AND r.county = $C AND t.id = $1 ORDER BY v.draw_order, r.item_code"
        );
        let rows: Vec<PublishedRow> =
            with_pool!(self, p => self.query_as(&sql).bind(task_id).fetch_all(p).await)?;
        Ok(published(rows))
    }

    /// Entities on a credit list as recorded: (id, name, township).
    pub async fn listed_entities(&self, list: CreditList) -> Result<Vec<(String, String, String)>> {
        let column = match list {
            CreditList::Abnormal => "abnormal",
            CreditList::Blacklist => "blacklisted",
        };
        let sql = format!(
            "SELECT id, name, township FROM entities WHERE county = $C AND {column} ORDER BY id"
        );
        Ok(with_pool!(self, p => self.query_as(&sql).fetch_all(p).await)?)
    }
}

impl Store {
    /// Every published result about one entity in any county (an entity that moved
    /// keeps the record of each), newest task first: public, so read across counties.
    pub async fn published_results_of_entity(
        &self,
        entity_id: &str,
    ) -> Result<Vec<PublishedResult>> {
        let sql = format!(
            "{PUBLISHED_SELECT} AND r.entity_id = $1 ORDER BY t.published_at DESC, t.id DESC, r.item_code"
        );
        let rows: Vec<PublishedRow> = with_pool!(self, p => sqlx::query_as(crate::dynamic(&sql)).bind(entity_id).fetch_all(p).await)?;
        Ok(published(rows))
    }
}
