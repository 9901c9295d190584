//! Joint inspection tasks: draft, commit (freeze the draw plan), reveal and draw,
//! teams and visits, substitution, cancellation, witnesses.
//!
//! Every state change runs in one transaction with its audit entry, and checks the
//! task's `version`: a form posted twice, or after someone else's change, finds the
//! version moved on and changes nothing.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use liancha_domain::auth::TaskScope;
use liancha_domain::transparency::{LogEvent, LoggedSource};
use liancha_domain::workflow::{
    ExclusionReason, SourceDecl, Substitution, TaskMode, TaskState, VisitState, WitnessRole,
    effective_stratum,
};
use liancha_domain::{Domain, EntityStatus, EntityType, RiskClass};
use liancha_draw::{
    Conflict, DrawError, Object, Plan, PlanEntity, PlanInspector, Quota, QuotaRule, Record,
    Selection, TeamRules, Value,
};
use serde::{Deserialize, Serialize};

use crate::BeginWrite;
use crate::accounts::{Actor, Audit};
use crate::{County, Result, StoreError, append_audit, with_pool};

/// Items of a task, in the task's order, on any executor.
macro_rules! task_items {
    ($c:expr, $ex:expr, $id:expr) => {{
        let rows: Vec<(String, String, String, String)> = $c
            .query_as(
                "SELECT i.code, i.name, i.department, i.specialty FROM task_items ti \
             JOIN items i ON i.county = ti.county AND i.code = ti.item_code \
             WHERE ti.county = $C AND ti.task_id = $1 ORDER BY ti.position",
            )
            .bind($id)
            .fetch_all($ex)
            .await?;
        rows.into_iter()
            .map(|(code, name, department, specialty)| TaskItem {
                code,
                name,
                department,
                specialty: Some(specialty).filter(|s| !s.is_empty()),
            })
            .collect::<Vec<_>>()
    }};
}

macro_rules! task_sources {
    ($c:expr, $ex:expr, $id:expr) => {{
        let rows: Vec<(String, DateTime<Utc>, Option<String>)> = $c.query_as(
            "SELECT text, not_before, revealed FROM task_sources WHERE county = $C AND task_id = $1 ORDER BY position",
        )
        .bind($id)
        .fetch_all($ex)
        .await?;
        rows.into_iter()
            .map(|(text, not_before, revealed)| Source {
                text,
                not_before,
                revealed,
            })
            .collect::<Vec<_>>()
    }};
}

/// A task's approval steps (检查审批), in order, on any executor.
macro_rules! approval_events {
    ($c:expr, $ex:expr, $id:expr) => {{
        type Row = (String, i32, String, Option<i64>, String, Option<String>, DateTime<Utc>);
        let rows: Vec<Row> = $c.query_as(
            "SELECT a.step, a.task_version, a.opinion, a.user_id, a.username, u.display_name, a.at \
             FROM task_approvals a LEFT JOIN users u ON u.id = a.user_id \
             WHERE a.county = $C AND a.task_id = $1 ORDER BY a.seq",
        )
        .bind($id)
        .fetch_all($ex)
        .await?;
        rows.into_iter()
            .map(|(step, task_version, opinion, user_id, username, display, at)| {
                Ok(liancha_domain::approval::ApprovalEvent {
                    step: liancha_domain::approval::ApprovalStep::from_code(&step)
                        .ok_or_else(|| StoreError::corrupt(format!("approval step {step}")))?,
                    task_version,
                    opinion,
                    user_id,
                    by: display.filter(|d| !d.is_empty()).unwrap_or(username),
                    at,
                })
            })
            .collect::<Result<Vec<_>>>()?
    }};
}

/// Writes a new draft task and its items inside the caller's transaction, with its
/// audit entry on the county's trail; evaluates to its id.
macro_rules! insert_task {
    ($c:expr, $tx:expr, $t:expr, $items:expr, $scope:expr, $quotas:expr, $created_by:expr, $campaign:expr, $actor:expr, $now:expr) => {{
        let t: &$crate::tasks::NewTask = $t;
        let campaign: Option<i64> = $campaign;
        let id: i64 = $c.query_scalar(
            "INSERT INTO tasks (county, year, title, domain, mode, lead_department, plan_entry_id, state, scope, quotas, \
             team_count, team_size, avoid_same_township, inspection_start, inspection_end, created_by, created_at, campaign_id) \
             VALUES ($C, $1, $2, $3, $4, $5, $6, 'draft', $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id")
            .bind(t.year).bind(t.title.trim()).bind(t.domain.code()).bind(t.mode.code())
            .bind(&t.lead_department).bind(t.plan_entry_id).bind($scope).bind($quotas)
            .bind(t.team_count as i32).bind(t.team_size as i32).bind(t.avoid_same_township)
            .bind(t.inspection_start).bind(t.inspection_end).bind($created_by).bind($now).bind(campaign)
            .fetch_one(&mut *$tx).await?;
        for (pos, item) in $items.iter().enumerate() {
            $c.query("INSERT INTO task_items (county, task_id, item_code, position) VALUES ($C, $1, $2, $3)")
                .bind(id).bind(&item.code).bind(pos as i32).execute(&mut *$tx).await?;
        }
        $crate::append_audit!($c, &mut *$tx, $actor, $now, $crate::accounts::Audit::new("task.create", "task", id).task(id).after(serde_json::json!({
            "title": t.title, "items": t.items, "scope": t.scope, "quotas": t.quotas, "campaign": campaign,
        })))?;
        id
    }};
}
pub(crate) use insert_task;

/// Which entities of the directory a task covers. Empty lists mean "all".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskScopeFilter {
    #[serde(default)]
    pub townships: Vec<String>,
    #[serde(default)]
    pub entity_types: Vec<String>,
    #[serde(default)]
    pub risk_classes: Vec<String>,
    /// GB/T 4754 section letters.
    #[serde(default)]
    pub industry_sections: Vec<String>,
    /// An entity qualifies when it carries any of these tags.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// How many entities a task draws per risk class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "values", rename_all = "kebab-case")]
pub enum QuotaSpec {
    /// The domain rule book's ratios.
    RuleBook,
    /// Ratios for A, B, C, D in basis points.
    RatioBp([u32; 4]),
    /// Counts for A, B, C, D.
    Count([u32; 4]),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    pub year: i32,
    pub title: String,
    pub domain: Domain,
    pub mode: TaskMode,
    pub lead_department: String,
    pub items: Vec<String>,
    pub scope: TaskScopeFilter,
    pub quotas: QuotaSpec,
    pub team_count: u32,
    pub team_size: u32,
    pub avoid_same_township: bool,
    pub inspection_start: NaiveDate,
    pub inspection_end: NaiveDate,
    pub plan_entry_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskItem {
    pub code: String,
    pub name: String,
    pub department: String,
    /// The specialty the item requires of every team (liancha-draw/2).
    pub specialty: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub text: String,
    pub not_before: DateTime<Utc>,
    pub revealed: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Witness {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub organisation: String,
}

impl Witness {
    pub fn role_label(&self) -> &'static str {
        WitnessRole::from_code(&self.role).map_or("见证人", WitnessRole::label)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub id: i64,
    /// The county the task is of (its division code).
    pub county: String,
    /// The campaign (专项整治) a prefecture or the province set it under, if any.
    pub campaign_id: Option<i64>,
    pub year: i32,
    pub title: String,
    pub domain: Domain,
    pub mode: TaskMode,
    pub lead_department: String,
    pub plan_entry_id: Option<i64>,
    pub state: TaskState,
    pub scope: TaskScopeFilter,
    pub quotas: QuotaSpec,
    pub team_count: u32,
    pub team_size: u32,
    pub avoid_same_township: bool,
    pub inspection_start: NaiveDate,
    pub inspection_end: NaiveDate,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub committed_at: Option<DateTime<Utc>>,
    pub plan_digest: Option<String>,
    pub drawn_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub version: i32,
    /// The rule book version the plan was sealed under (from sealing on; none for
    /// tasks sealed before versions were kept; 0 for the notice's defaults).
    pub rule_book_version: Option<i64>,
    /// Its official number (发文字号), given when sealed; empty when the lead
    /// department had not set its 机关代字 then.
    pub number: String,
    /// The national task code, given when sealed; empty without an agency code.
    pub national_code: String,
    pub items: Vec<TaskItem>,
    pub sources: Vec<Source>,
}

/// Each value once, in first order (a task has a handful of items).
fn each_once<'a>(values: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    out
}

impl Task {
    /// The departments of the task's items, each once, in item order.
    pub fn departments(&self) -> Vec<String> {
        each_once(self.items.iter().map(|i| &i.department))
    }

    /// The specialties the task's items require, each once, in item order: every
    /// team of the draw must hold each of them.
    pub fn specialties(&self) -> Vec<String> {
        each_once(self.items.iter().filter_map(|i| i.specialty.as_ref()))
    }

    fn audit_value(&self) -> serde_json::Value {
        serde_json::json!({
            "title": self.title, "year": self.year, "domain": self.domain.code(),
            "mode": self.mode.code(), "lead_department": self.lead_department,
            "items": self.items.iter().map(|i| &i.code).collect::<Vec<_>>(),
            "scope": self.scope, "quotas": self.quotas, "team_count": self.team_count,
            "team_size": self.team_size, "avoid_same_township": self.avoid_same_township,
            "inspection_start": self.inspection_start, "inspection_end": self.inspection_end,
            "state": self.state.code(),
        })
    }
}

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: i64,
    county: String,
    campaign_id: Option<i64>,
    year: i32,
    title: String,
    domain: String,
    mode: String,
    lead_department: String,
    plan_entry_id: Option<i64>,
    state: String,
    scope: String,
    quotas: Option<String>,
    team_count: i32,
    team_size: i32,
    avoid_same_township: bool,
    inspection_start: NaiveDate,
    inspection_end: NaiveDate,
    created_by: i64,
    created_at: DateTime<Utc>,
    committed_at: Option<DateTime<Utc>>,
    plan_digest: Option<String>,
    drawn_at: Option<DateTime<Utc>>,
    published_at: Option<DateTime<Utc>>,
    cancelled_at: Option<DateTime<Utc>>,
    cancel_reason: Option<String>,
    version: i32,
    rule_book_version: Option<i64>,
    number: String,
    national_code: String,
}

const TASK_SELECT: &str = "SELECT id, county, campaign_id, year, title, domain, mode, lead_department, plan_entry_id, state, scope, quotas, \
     team_count, team_size, avoid_same_township, inspection_start, inspection_end, created_by, created_at, \
     committed_at, plan_digest, drawn_at, published_at, cancelled_at, cancel_reason, version, rule_book_version, \
     number, national_code FROM tasks WHERE county = $C";

impl TaskRow {
    fn into_task(self, items: Vec<TaskItem>, sources: Vec<Source>) -> Result<Task> {
        let corrupt = |what: &str| StoreError::corrupt(format!("task {}: {what}", self.id));
        Ok(Task {
            domain: Domain::from_code(&self.domain).ok_or_else(|| corrupt("domain"))?,
            mode: TaskMode::from_code(&self.mode).ok_or_else(|| corrupt("mode"))?,
            state: TaskState::from_code(&self.state).ok_or_else(|| corrupt("state"))?,
            scope: serde_json::from_str(&self.scope).map_err(|_| corrupt("scope"))?,
            quotas: match &self.quotas {
                None => QuotaSpec::RuleBook,
                Some(q) => serde_json::from_str(q).map_err(|_| corrupt("quotas"))?,
            },
            id: self.id,
            county: self.county,
            campaign_id: self.campaign_id,
            year: self.year,
            title: self.title,
            lead_department: self.lead_department,
            plan_entry_id: self.plan_entry_id,
            team_count: self.team_count as u32,
            team_size: self.team_size as u32,
            avoid_same_township: self.avoid_same_township,
            inspection_start: self.inspection_start,
            inspection_end: self.inspection_end,
            created_by: self.created_by,
            created_at: self.created_at,
            committed_at: self.committed_at,
            plan_digest: self.plan_digest,
            drawn_at: self.drawn_at,
            published_at: self.published_at,
            cancelled_at: self.cancelled_at,
            cancel_reason: self.cancel_reason,
            version: self.version,
            rule_book_version: self.rule_book_version,
            number: self.number,
            national_code: self.national_code,
            items,
            sources,
        })
    }
}

/// What the commit froze, for the page that confirms it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitSummary {
    pub plan_digest: String,
    pub population: usize,
    pub excluded: BTreeMap<&'static str, usize>,
    pub inspectors: usize,
    pub conflicts: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Exclusion {
    pub entity_id: String,
    pub name: Option<String>,
    pub reason: String,
}

impl Exclusion {
    pub fn reason_label(&self) -> &'static str {
        ExclusionReason::from_code(&self.reason).map_or("", ExclusionReason::label)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamMember {
    pub team_no: i32,
    pub position: i32,
    pub inspector_id: String,
    pub name: String,
    pub department: String,
    pub active: bool,
    pub replaced_by: Option<String>,
    pub replace_reason: Option<String>,
    /// As the directory lists them now (the draw used the plan's copy).
    pub specialties: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    pub task_id: i64,
    pub entity_id: String,
    pub entity_name: String,
    pub township: String,
    pub address: String,
    pub draw_order: i32,
    pub team_no: Option<i32>,
    pub state: VisitState,
    pub check_code: String,
    /// Its 检查通知书's number, given at the draw (empty: the lead department
    /// had not set its 机关代字).
    pub notice_number: String,
    pub inspected_on: Option<NaiveDate>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub return_note: Option<String>,
    pub replaced_by: Option<String>,
    pub replace_reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct VisitRow {
    task_id: i64,
    entity_id: String,
    entity_name: Option<String>,
    township: Option<String>,
    address: Option<String>,
    draw_order: i32,
    team_no: Option<i32>,
    state: String,
    check_code: String,
    notice_number: String,
    inspected_on: Option<NaiveDate>,
    submitted_at: Option<DateTime<Utc>>,
    return_note: Option<String>,
    replaced_by: Option<String>,
    replace_reason: Option<String>,
}

pub(crate) const VISIT_SELECT: &str = "SELECT v.task_id, v.entity_id, e.name AS entity_name, e.township, e.address, v.draw_order, \
     v.team_no, v.state, v.check_code, v.notice_number, v.inspected_on, v.submitted_at, v.return_note, v.replaced_by, v.replace_reason \
     FROM visits v LEFT JOIN entities e ON e.county = v.county AND e.id = v.entity_id WHERE v.county = $C";

impl TryFrom<VisitRow> for Visit {
    type Error = StoreError;
    fn try_from(r: VisitRow) -> Result<Visit> {
        Ok(Visit {
            state: VisitState::from_code(&r.state).ok_or_else(|| StoreError::corrupt(&r.state))?,
            task_id: r.task_id,
            entity_name: r.entity_name.unwrap_or_else(|| r.entity_id.clone()),
            entity_id: r.entity_id,
            township: r.township.unwrap_or_default(),
            address: r.address.unwrap_or_default(),
            draw_order: r.draw_order,
            team_no: r.team_no,
            check_code: r.check_code,
            notice_number: r.notice_number,
            inspected_on: r.inspected_on,
            submitted_at: r.submitted_at,
            return_note: r.return_note,
            replaced_by: r.replaced_by,
            replace_reason: r.replace_reason,
        })
    }
}

/// Every inspection of year `$1` in the county, one row each (`entity_id`): the
/// visits of drawn and published tasks that were or are to be made, and the
/// targeted inspections. Both count toward an entity's annual cap.
pub(crate) const INSPECTIONS_IN_YEAR: &str = "( \
    SELECT v.entity_id FROM visits v JOIN tasks t ON t.county = v.county AND t.id = v.task_id \
    WHERE v.county = $C AND t.year = $1 AND t.state IN ('drawn', 'published') \
    AND v.state IN ('pending', 'submitted', 'returned', 'published') \
    UNION ALL SELECT entity_id FROM targeted_inspections WHERE county = $C AND year = $1)";

/// A task's visits, counted (see [`County::visit_progress`](crate::County::visit_progress)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VisitProgress {
    pub total: i64,
    pub entered: i64,
    pub published: i64,
}

/// Task list filters; each `None` means all.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub year: Option<i32>,
    pub state: Option<TaskState>,
    /// Tasks with an item of this department.
    pub department: Option<String>,
    /// Tasks whose teams include this inspector.
    pub inspector: Option<String>,
    /// Tasks set under this campaign.
    pub campaign: Option<i64>,
    /// Only tasks whose plan was sealed (抽查任务公告): what the public sees from
    /// the moment of commitment, cancelled ones included.
    pub announced: bool,
}

fn invalid(msg: impl Into<String>) -> StoreError {
    StoreError::invalid(msg.into())
}

fn workflow(e: liancha_domain::workflow::WorkflowError) -> StoreError {
    use liancha_domain::workflow::WorkflowError;
    match e {
        WorkflowError::WrongState { .. } => StoreError::WrongState(e.to_string()),
        WorkflowError::Invalid(m) => StoreError::invalid(m),
    }
}

/// Letters and digits people do not confuse (no 0/O, 1/I/L).
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A short code for the public check-a-visit page, 8 characters (≈ 2^39 codes).
pub fn new_check_code() -> String {
    use rand_core::{OsRng, RngCore};
    let mut b = [0u8; 8];
    OsRng.fill_bytes(&mut b);
    b.iter()
        .map(|x| CODE_ALPHABET[*x as usize % CODE_ALPHABET.len()] as char)
        .collect()
}

pub(crate) struct FrozenPlan {
    pub(crate) plan: Plan,
    pub(crate) exclusions: Vec<(String, ExclusionReason)>,
    /// The rule book version whose numbers the plan took (0: the notice's defaults).
    pub(crate) rule_book_version: i64,
}

/// What a substitution's log entry commits to without saying it (the entities a
/// task visits may stay unpublished until its results): SHA-256 of
/// `replaced\nby\nreason`, hex.
pub fn substitution_digest(replaced: &str, by: &str, reason: &str) -> String {
    use sha2::Digest;
    let h = sha2::Sha256::digest(format!("{replaced}\n{by}\n{reason}").as_bytes());
    liancha_draw::hex::encode(h.as_slice())
}

// The task's life, one file per stage; each adds its methods to `County`.
mod approval; // 检查审批: the request and the head's decision before sealing
mod commit; // seal: freeze the draw plan
mod conflicts; // declared conflicts of interest
mod create; // draft: check, create, edit, read, list
mod lookup;
mod reveal; // reveal and draw, cancel, witnesses
mod substitute; // replace an inspector or an entity after the draw
mod visits; // teams and visits // which county a public address belongs to

pub use approval::PendingApproval;
pub use conflicts::ConflictDeclaration;
