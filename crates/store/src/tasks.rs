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
        let rows: Vec<(String, String, String)> = $c
            .query_as(
                "SELECT i.code, i.name, i.department FROM task_items ti \
             JOIN items i ON i.county = ti.county AND i.code = ti.item_code \
             WHERE ti.county = $C AND ti.task_id = $1 ORDER BY ti.position",
            )
            .bind($id)
            .fetch_all($ex)
            .await?;
        rows.into_iter()
            .map(|(code, name, department)| TaskItem {
                code,
                name,
                department,
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
    pub items: Vec<TaskItem>,
    pub sources: Vec<Source>,
}

impl Task {
    /// The departments of the task's items, each once, in item order.
    pub fn departments(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for i in &self.items {
            if !out.contains(&i.department) {
                out.push(i.department.clone());
            }
        }
        out
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
}

const TASK_SELECT: &str = "SELECT id, county, campaign_id, year, title, domain, mode, lead_department, plan_entry_id, state, scope, quotas, \
     team_count, team_size, avoid_same_township, inspection_start, inspection_end, created_by, created_at, \
     committed_at, plan_digest, drawn_at, published_at, cancelled_at, cancel_reason, version FROM tasks WHERE county = $C";

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
    inspected_on: Option<NaiveDate>,
    submitted_at: Option<DateTime<Utc>>,
    return_note: Option<String>,
    replaced_by: Option<String>,
    replace_reason: Option<String>,
}

pub(crate) const VISIT_SELECT: &str = "SELECT v.task_id, v.entity_id, e.name AS entity_name, e.township, e.address, v.draw_order, \
     v.team_no, v.state, v.check_code, v.inspected_on, v.submitted_at, v.return_note, v.replaced_by, v.replace_reason \
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

impl County<'_> {
    pub(crate) async fn check_new_task(&self, t: &NewTask) -> Result<Vec<TaskItem>> {
        if t.title.trim().is_empty() {
            return Err(StoreError::invalid_field("title", "请填写任务名称"));
        }
        crate::posted("任务名称", &t.title, liancha_domain::text::NAME)
            .map_err(|e| e.on_field("title"))?;
        if t.items.is_empty() {
            return Err(StoreError::invalid_field("items", "请至少选择一项抽查事项"));
        }
        if t.inspection_end < t.inspection_start {
            return Err(StoreError::invalid_field(
                "inspection_end",
                "检查结束日期不能早于开始日期",
            ));
        }
        if !(2000..=2100).contains(&t.year) {
            return Err(StoreError::invalid_field("year", "年度不正确"));
        }
        let rules = self.rule_book(t.domain).await?;
        if t.team_size < rules.min_team_size {
            return Err(StoreError::invalid_field(
                "team_size",
                format!(
                    "检查组人数不能少于实施细则规定的 {} 人",
                    rules.min_team_size
                ),
            ));
        }
        if t.team_count == 0 || t.team_count > 500 {
            return Err(StoreError::invalid_field(
                "team_count",
                "检查组数量须在 1 至 500 之间",
            ));
        }
        if let QuotaSpec::RatioBp(r) = t.quotas
            && r.iter().any(|&x| x > 10_000)
        {
            return Err(StoreError::invalid_field(
                "quota_kind",
                "抽查比例须在 0 至 100% 之间",
            ));
        }
        let section_ok = |s: &str| {
            s.len() == 1
                && liancha_domain::industry::section_name(s.chars().next().unwrap_or(' ')).is_some()
        };
        if let Some(bad) = t
            .scope
            .entity_types
            .iter()
            .find(|s| EntityType::from_code(s).is_none())
        {
            return Err(StoreError::invalid_field(
                "entity_types",
                format!("主体类型「{bad}」不正确"),
            ));
        }
        if let Some(bad) = t
            .scope
            .risk_classes
            .iter()
            .find(|s| RiskClass::from_code(s).is_none())
        {
            return Err(StoreError::invalid_field(
                "risk_classes",
                format!("风险分类「{bad}」不正确"),
            ));
        }
        if let Some(bad) = t.scope.industry_sections.iter().find(|s| !section_ok(s)) {
            return Err(StoreError::invalid_field(
                "industry_sections",
                format!("行业门类「{bad}」不正确"),
            ));
        }
        let townships = self.townships().await?;
        if let Some(bad) = t
            .scope
            .townships
            .iter()
            .find(|n| !townships.iter().any(|x| &x.name == *n))
        {
            return Err(StoreError::invalid_field(
                "townships",
                format!("乡镇「{bad}」不存在"),
            ));
        }
        let departments = self.departments().await?;
        if !departments.iter().any(|d| d.code == t.lead_department) {
            return Err(StoreError::invalid_field(
                "lead_department",
                format!("牵头部门「{}」不存在", t.lead_department),
            ));
        }
        let mut items = Vec::new();
        let mut seen = BTreeSet::new();
        for code in &t.items {
            if !seen.insert(code.as_str()) {
                continue;
            }
            let item = self.item(code).await?.ok_or_else(|| {
                StoreError::invalid_field("items", format!("抽查事项「{code}」不存在"))
            })?;
            if !item.published {
                return Err(StoreError::invalid_field(
                    "items",
                    format!("抽查事项「{}」尚未公布，不能用于抽查", item.name),
                ));
            }
            items.push(TaskItem {
                code: item.code,
                name: item.name,
                department: item.department,
            });
        }
        if !items.iter().any(|i| i.department == t.lead_department) {
            return Err(StoreError::invalid_field(
                "lead_department",
                "牵头部门须至少有一项抽查事项",
            ));
        }
        // A team size below the number of departments is allowed: teams then have
        // one member per department (draw-v1 §6).
        Ok(items)
    }

    /// Creates a draft task.
    pub async fn create_task(&self, t: &NewTask, actor: &Actor, now: DateTime<Utc>) -> Result<i64> {
        let items = self.check_new_task(t).await?;
        let scope = serde_json::to_string(&t.scope).map_err(|e| invalid(e.to_string()))?;
        let quotas = match t.quotas {
            QuotaSpec::RuleBook => None,
            q => Some(serde_json::to_string(&q).map_err(|e| invalid(e.to_string()))?),
        };
        let created_by = actor
            .user_id
            .ok_or_else(|| invalid("须以用户身份创建任务"))?;
        let id = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let id = crate::tasks::insert_task!(self, tx, t, &items, &scope, &quotas, created_by, None::<i64>, actor, now);
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// Changes a draft.
    pub async fn update_task(
        &self,
        id: i64,
        version: i32,
        t: &NewTask,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let before = self.task_or_404(id).await?;
        before
            .state
            .require(TaskState::Draft, "修改")
            .map_err(workflow)?;
        crate::expect_version(&before, version)?;
        let items = self.check_new_task(t).await?;
        let scope = serde_json::to_string(&t.scope).map_err(|e| invalid(e.to_string()))?;
        let quotas = match t.quotas {
            QuotaSpec::RuleBook => None,
            q => Some(serde_json::to_string(&q).map_err(|e| invalid(e.to_string()))?),
        };
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            bump_version!(self, &mut *tx, id, version,
                "year = $3, title = $4, domain = $5, mode = $6, lead_department = $7, scope = $8, quotas = $9, \
                 team_count = $10, team_size = $11, avoid_same_township = $12, inspection_start = $13, inspection_end = $14",
                t.year, t.title.trim(), t.domain.code(), t.mode.code(), &t.lead_department, &scope, &quotas,
                t.team_count as i32, t.team_size as i32, t.avoid_same_township, t.inspection_start, t.inspection_end);
            self.query("DELETE FROM task_items WHERE county = $C AND task_id = $1").bind(id).execute(&mut *tx).await?;
            for (pos, item) in items.iter().enumerate() {
                self.query("INSERT INTO task_items (county, task_id, item_code, position) VALUES ($C, $1, $2, $3)")
                    .bind(id).bind(&item.code).bind(pos as i32).execute(&mut *tx).await?;
            }
            append_audit!(self, &mut *tx, actor, now, Audit::new("task.update", "task", id).task(id)
                .before(before.audit_value()).after(serde_json::json!({
                    "title": t.title, "items": t.items, "scope": t.scope, "quotas": t.quotas,
                    "team_count": t.team_count, "team_size": t.team_size,
                    "inspection_start": t.inspection_start, "inspection_end": t.inspection_end,
                })))?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn task(&self, id: i64) -> Result<Option<Task>> {
        with_pool!(self, p => {
            let mut c = p.acquire().await?;
            let row: Option<TaskRow> = self.query_as(&format!("{TASK_SELECT} AND id = $1"))
                .bind(id).fetch_optional(&mut *c).await?;
            match row {
                None => Ok(None),
                Some(row) => {
                    let items = task_items!(self, &mut *c, id);
                    let sources = task_sources!(self, &mut *c, id);
                    row.into_task(items, sources).map(Some)
                }
            }
        })
    }

    pub async fn task_or_404(&self, id: i64) -> Result<Task> {
        self.task(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("任务 {id}")))
    }

    pub async fn tasks(&self, f: &TaskFilter) -> Result<Vec<Task>> {
        let mut sql = TASK_SELECT.to_string();
        let mut n = 0;
        let mut next = || {
            n += 1;
            n
        };
        if f.year.is_some() {
            sql.push_str(&format!(" AND year = ${}", next()));
        }
        if f.state.is_some() {
            sql.push_str(&format!(" AND state = ${}", next()));
        }
        if f.department.is_some() {
            sql.push_str(&format!(
                " AND id IN (SELECT ti.task_id FROM task_items ti JOIN items i ON i.county = ti.county AND i.code = ti.item_code \
                 WHERE ti.county = $C AND i.department = ${})",
                next()
            ));
        }
        if f.campaign.is_some() {
            sql.push_str(&format!(" AND campaign_id = ${}", next()));
        }
        if f.inspector.is_some() {
            sql.push_str(&format!(
                " AND id IN (SELECT task_id FROM team_members WHERE county = $C AND inspector_id = ${} AND active)",
                next()
            ));
        }
        if f.announced {
            sql.push_str(" AND committed_at IS NOT NULL");
        }
        sql.push_str(" ORDER BY id DESC");
        let rows: Vec<TaskRow> = with_pool!(self, p => {
            let mut q = self.query_as(&sql);
            if let Some(y) = f.year { q = q.bind(y); }
            if let Some(s) = f.state { q = q.bind(s.code()); }
            if let Some(d) = &f.department { q = q.bind(d); }
            if let Some(c) = f.campaign { q = q.bind(c); }
            if let Some(i) = &f.inspector { q = q.bind(i); }
            q.fetch_all(p).await
        })?;
        let all_items: Vec<(i64, String, String, String)> = with_pool!(self, p => self.query_as(
            "SELECT ti.task_id, i.code, i.name, i.department FROM task_items ti \
             JOIN items i ON i.county = ti.county AND i.code = ti.item_code \
             WHERE ti.county = $C ORDER BY ti.task_id, ti.position").fetch_all(p).await)?;
        let mut by_task: BTreeMap<i64, Vec<TaskItem>> = BTreeMap::new();
        for (t, code, name, department) in all_items {
            by_task.entry(t).or_default().push(TaskItem {
                code,
                name,
                department,
            });
        }
        // Sources too: a list's task is the whole task (the announcements list says
        // each one's reveal times). One or two rows per task.
        let all_sources: Vec<(i64, String, DateTime<Utc>, Option<String>)> = with_pool!(self, p => self.query_as(
            "SELECT task_id, text, not_before, revealed FROM task_sources \
             WHERE county = $C ORDER BY task_id, position").fetch_all(p).await)?;
        let mut sources: BTreeMap<i64, Vec<Source>> = BTreeMap::new();
        for (t, text, not_before, revealed) in all_sources {
            sources.entry(t).or_default().push(Source {
                text,
                not_before,
                revealed,
            });
        }
        rows.into_iter()
            .map(|r| {
                let items = by_task.remove(&r.id).unwrap_or_default();
                let sources = sources.remove(&r.id).unwrap_or_default();
                r.into_task(items, sources)
            })
            .collect()
    }

    /// What the permission check needs to know about a task.
    pub async fn task_scope(&self, task: &Task) -> Result<TaskScope> {
        let inspectors: Vec<String> = with_pool!(self, p => self.query_scalar(
            "SELECT inspector_id FROM team_members WHERE county = $C AND task_id = $1 AND active ORDER BY team_no, position")
            .bind(task.id).fetch_all(p).await)?;
        Ok(TaskScope {
            lead_department: task.lead_department.clone(),
            departments: task.departments(),
            townships: task.scope.townships.clone(),
            inspectors,
        })
    }

    /// Freezes the plan of the draw: population after exclusions, available
    /// inspectors, conflicts, team rules, declared sources. Logs the plan digest.
    pub async fn commit_task(
        &self,
        id: i64,
        version: i32,
        sources: &[SourceDecl],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<CommitSummary> {
        let task = self.task_or_404(id).await?;
        task.state
            .require(TaskState::Draft, "封存抽取方案")
            .map_err(workflow)?;
        crate::expect_version(&task, version)?;
        if sources.is_empty() {
            return Err(invalid("请至少声明一个随机源（如 drand 轮次、见证人掷骰）"));
        }
        for s in sources {
            s.check_future(now).map_err(workflow)?;
        }
        let texts: BTreeSet<&str> = sources.iter().map(|s| s.text.as_str()).collect();
        if texts.len() != sources.len() {
            return Err(invalid("随机源不能重复声明"));
        }
        let frozen = self.build_plan(&task, sources, now).await?;
        let plan = &frozen.plan;
        plan.validate()
            .map_err(|e| invalid(format!("抽取方案不合规：{e}")))?;
        let plan_value = plan.to_value();
        let digest = liancha_draw::hex::encode(&liancha_draw::digest_value(&plan_value));
        let plan_json = String::from_utf8(liancha_draw::json::canonical(&plan_value))
            .map_err(|e| invalid(e.to_string()))?;
        let mut excluded: BTreeMap<&'static str, usize> = BTreeMap::new();
        for (_, r) in &frozen.exclusions {
            *excluded.entry(r.code()).or_default() += 1;
        }
        let summary = CommitSummary {
            plan_digest: digest.clone(),
            population: plan.entities.len(),
            excluded,
            inspectors: plan.inspectors.len(),
            conflicts: plan.conflicts.len(),
        };
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            // Read with the change: a county turning its announcements off cannot
            // let a public-only plan through.
            let announced: Option<bool> = self.query_scalar(crate::settings::ANNOUNCE_SELECTION)
                .fetch_optional(&mut *tx).await?;
            if !announced.unwrap_or(false) {
                SourceDecl::require_private(sources)
                    .map_err(|e| StoreError::invalid_field("other_source", e.to_string()))?;
            }
            bump_version!(self, &mut *tx, id, version,
                "state = 'committed', committed_at = $3, plan_digest = $4, plan_json = $5", now, &digest, &plan_json);
            for (pos, s) in sources.iter().enumerate() {
                self.query("INSERT INTO task_sources (county, task_id, position, text, not_before) VALUES ($C, $1, $2, $3, $4)")
                    .bind(id).bind(pos as i32).bind(&s.text).bind(s.not_before).execute(&mut *tx).await?;
            }
            for (entity, reason) in &frozen.exclusions {
                self.query("INSERT INTO task_exclusions (county, task_id, entity_id, reason) VALUES ($C, $1, $2, $3)")
                    .bind(id).bind(entity).bind(reason.code()).execute(&mut *tx).await?;
            }
            append_audit!(self, &mut *tx, actor, now, Audit::new("task.commit", "task", id).task(id).after(serde_json::json!({
                "plan_digest": digest, "committed_at": liancha_draw::time::format_rfc3339_utc(now.timestamp()),
                "population": summary.population, "excluded": summary.excluded,
                "inspectors": summary.inspectors, "conflicts": summary.conflicts,
                "sources": sources.iter().map(|s| serde_json::json!({"text": s.text, "not_before": s.not_before})).collect::<Vec<_>>(),
            })))?;
            crate::append_log!(self, tx, now, LogEvent::Sealed {
                task: id,
                plan_digest: digest.clone(),
                sources: sources.iter().map(|s| LoggedSource {
                    text: s.text.clone(),
                    not_before: liancha_draw::time::format_rfc3339_utc(s.not_before.timestamp()),
                }).collect(),
            });
            tx.commit().await?;
        });
        Ok(summary)
    }

    pub(crate) async fn build_plan(
        &self,
        task: &Task,
        sources: &[SourceDecl],
        _now: DateTime<Utc>,
    ) -> Result<FrozenPlan> {
        let rules = self.rule_book(task.domain).await?;
        let item_codes: Vec<String> = task.items.iter().map(|i| i.code.clone()).collect();

        // The scope, every status: exclusions are listed, not silently dropped.
        let mut sql = String::from(
            "SELECT id, township, status, risk_class, abnormal, blacklisted FROM entities WHERE county = $C",
        );
        let mut binds: Vec<String> = Vec::new();
        let mut any_of = |column: &str, values: &[String], sql: &mut String| {
            if values.is_empty() {
                return;
            }
            let ph: Vec<String> = values
                .iter()
                .map(|v| {
                    binds.push(v.clone());
                    format!("${}", binds.len())
                })
                .collect();
            sql.push_str(&format!(" AND {column} IN ({})", ph.join(", ")));
        };
        any_of("township", &task.scope.townships, &mut sql);
        any_of("entity_type", &task.scope.entity_types, &mut sql);
        any_of("risk_class", &task.scope.risk_classes, &mut sql);
        any_of(
            "substr(industry, 1, 1)",
            &task.scope.industry_sections,
            &mut sql,
        );
        if !task.scope.tags.is_empty() {
            let parts: Vec<String> = task
                .scope
                .tags
                .iter()
                .map(|t| {
                    binds.push(format!("%{t}%"));
                    format!("tags LIKE ${}", binds.len())
                })
                .collect();
            sql.push_str(&format!(" AND ({})", parts.join(" OR ")));
        }
        sql.push_str(" ORDER BY id");
        type Row = (String, String, String, String, bool, bool);
        let rows: Vec<Row> = with_pool!(self, p => {
            let mut q = self.query_as(&sql);
            for b in &binds { q = q.bind(b); }
            q.fetch_all(p).await
        })?;

        let counts = self.inspections_in_year(task.year).await?;
        let in_open = self.entities_in_open_tasks(&item_codes, task.id).await?;

        let mut exclusions = Vec::new();
        let mut entities = Vec::new();
        for (id, township, status, class, abnormal, blacklisted) in rows {
            let reason = if EntityStatus::from_code(&status) != Some(EntityStatus::Active) {
                Some(ExclusionReason::NotActive)
            } else if counts.get(&id).copied().unwrap_or(0) >= i64::from(rules.annual_cap) {
                Some(ExclusionReason::CapReached)
            } else if in_open.contains(&id) {
                Some(ExclusionReason::OpenTask)
            } else {
                None
            };
            match reason {
                Some(r) => exclusions.push((id, r)),
                None => {
                    let class = RiskClass::from_code(&class)
                        .ok_or_else(|| StoreError::corrupt(format!("risk_class {class}")))?;
                    entities.push(PlanEntity {
                        stratum: effective_stratum(class, abnormal, blacklisted)
                            .code()
                            .into(),
                        id,
                        township: Some(township),
                    });
                }
            }
        }

        let departments = task.departments();
        let mut inspectors = Vec::new();
        for d in &departments {
            for i in self.inspectors(Some(d)).await? {
                // Certified through the last day of the inspection, and on duty.
                if i.is_available_on(task.inspection_end) {
                    inspectors.push(PlanInspector {
                        id: i.id,
                        department: i.department,
                        township: i.township,
                    });
                }
            }
        }
        inspectors.sort_by(|a, b| a.id.cmp(&b.id));

        let population: BTreeSet<&str> = entities.iter().map(|e| e.id.as_str()).collect();
        let available: BTreeSet<&str> = inspectors.iter().map(|i| i.id.as_str()).collect();
        let mut conflicts: BTreeSet<(String, String)> = BTreeSet::new();
        let declared: Vec<(String, String)> = with_pool!(self, p => self.query_as(
            "SELECT inspector_id, entity_id FROM conflict_declarations WHERE county = $C").fetch_all(p).await)?;
        // Rotation: whoever was on the team of the entity's most recent visit.
        let previous: Vec<(String, String, i64)> = with_pool!(self, p => self.query_as(
            "SELECT v.entity_id, m.inspector_id, t.id FROM visits v \
             JOIN tasks t ON t.county = v.county AND t.id = v.task_id \
             JOIN team_members m ON m.county = v.county AND m.task_id = v.task_id AND m.team_no = v.team_no AND m.active \
             WHERE v.county = $C AND t.state IN ('drawn', 'published') \
             AND v.state IN ('pending', 'submitted', 'returned', 'published') AND t.id <> $1 \
             ORDER BY v.entity_id, t.drawn_at DESC, t.id DESC").bind(task.id).fetch_all(p).await)?;
        let mut latest: BTreeMap<&str, i64> = BTreeMap::new();
        for (entity, _, task_id) in &previous {
            latest.entry(entity.as_str()).or_insert(*task_id);
        }
        for (entity, inspector, task_id) in &previous {
            if latest.get(entity.as_str()) == Some(task_id) {
                conflicts.insert((inspector.clone(), entity.clone()));
            }
        }
        conflicts.extend(declared);
        let conflicts: Vec<Conflict> = conflicts
            .into_iter()
            .filter(|(i, e)| available.contains(i.as_str()) && population.contains(e.as_str()))
            .map(|(inspector, entity)| Conflict { inspector, entity })
            .collect();

        let ratios = match task.quotas {
            QuotaSpec::RuleBook => Some(rules.ratio_bp),
            QuotaSpec::RatioBp(r) => Some(r),
            QuotaSpec::Count(_) => None,
        };
        let quotas = RiskClass::ALL
            .iter()
            .map(|c| Quota {
                stratum: c.code().into(),
                rule: match (ratios, task.quotas) {
                    (Some(r), _) => QuotaRule::RatioBp(u64::from(r[*c as usize])),
                    (None, QuotaSpec::Count(n)) => QuotaRule::Count(u64::from(n[*c as usize])),
                    (None, _) => QuotaRule::Count(0),
                },
            })
            .collect();

        let mut t = Object::new();
        t.insert("id", Value::Int(task.id));
        t.insert("title", Value::Str(task.title.clone()));
        t.insert("year", Value::Int(i64::from(task.year)));
        t.insert("domain", Value::Str(task.domain.code().into()));
        t.insert("mode", Value::Str(task.mode.code().into()));
        t.insert("lead_department", Value::Str(task.lead_department.clone()));
        t.insert(
            "items",
            Value::Array(item_codes.iter().map(|c| Value::Str(c.clone())).collect()),
        );
        t.insert(
            "departments",
            Value::Array(departments.iter().map(|c| Value::Str(c.clone())).collect()),
        );
        t.insert(
            "inspection_start",
            Value::Str(task.inspection_start.to_string()),
        );
        t.insert(
            "inspection_end",
            Value::Str(task.inspection_end.to_string()),
        );
        t.insert("excluded", Value::Int(exclusions.len() as i64));

        let plan = Plan {
            task: t,
            entities,
            selection: Selection::Quotas(quotas),
            inspectors,
            conflicts,
            teams: Some(TeamRules {
                count: u64::from(task.team_count),
                size: u64::from(task.team_size),
                departments,
                avoid_same_township: task.avoid_same_township,
            }),
            sources: sources.iter().map(|s| s.text.clone()).collect(),
        };
        Ok(FrozenPlan { plan, exclusions })
    }

    /// Inspections per entity in a year: visits of drawn or published tasks (not
    /// replaced or unassigned) and targeted inspections.
    pub async fn inspections_in_year(&self, year: i32) -> Result<BTreeMap<String, i64>> {
        let sql =
            format!("SELECT entity_id, COUNT(*) FROM {INSPECTIONS_IN_YEAR} x GROUP BY entity_id");
        let rows: Vec<(String, i64)> =
            with_pool!(self, p => self.query_as(&sql).bind(year).fetch_all(p).await)?;
        Ok(rows.into_iter().collect())
    }

    async fn entities_in_open_tasks(
        &self,
        items: &[String],
        except: i64,
    ) -> Result<BTreeSet<String>> {
        let ph: Vec<String> = (0..items.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT DISTINCT v.entity_id FROM visits v JOIN tasks t ON t.county = v.county AND t.id = v.task_id \
             WHERE v.county = $C AND t.state = 'drawn' AND t.id <> $1 AND v.state IN ('pending', 'submitted', 'returned') \
             AND EXISTS (SELECT 1 FROM task_items ti WHERE ti.county = t.county AND ti.task_id = t.id AND ti.item_code IN ({}))",
            ph.join(", ")
        );
        let rows: Vec<String> = with_pool!(self, p => {
            let mut q = self.query_scalar(&sql).bind(except);
            for i in items { q = q.bind(i); }
            q.fetch_all(p).await
        })?;
        Ok(rows.into_iter().collect())
    }

    pub async fn exclusions(&self, task_id: i64) -> Result<Vec<Exclusion>> {
        Ok(with_pool!(self, p => self.query_as(
            "SELECT x.entity_id, e.name, x.reason FROM task_exclusions x \
             LEFT JOIN entities e ON e.county = x.county AND e.id = x.entity_id \
             WHERE x.county = $C AND x.task_id = $1 ORDER BY x.reason, x.entity_id").bind(task_id).fetch_all(p).await)?)
    }

    /// The frozen plan, as committed (canonical JSON).
    pub async fn plan_json(&self, task_id: i64) -> Result<Option<String>> {
        Ok(
            with_pool!(self, p => self.query_scalar("SELECT plan_json FROM tasks WHERE county = $C AND id = $1")
            .bind(task_id).fetch_optional(p).await)?
            .flatten(),
        )
    }

    /// The whole draw record, as stored at the draw.
    pub async fn draw_record(&self, task_id: i64) -> Result<Option<String>> {
        Ok(
            with_pool!(self, p => self.query_scalar("SELECT record_json FROM tasks WHERE county = $C AND id = $1")
            .bind(task_id).fetch_optional(p).await)?
            .flatten(),
        )
    }

    /// Enters the revealed values and draws. Refused, changing nothing, before any
    /// source's time, with a bad drand signature, or when the plan cannot be drawn.
    pub async fn reveal_and_draw(
        &self,
        id: i64,
        version: i32,
        values: &[String],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Record> {
        let task = self.task_or_404(id).await?;
        task.state
            .require(TaskState::Committed, "揭示随机源并抽取")
            .map_err(workflow)?;
        crate::expect_version(&task, version)?;
        if values.len() != task.sources.len() {
            return Err(invalid("揭示值的数量与声明的随机源数量不一致"));
        }
        for (s, v) in task.sources.iter().zip(values) {
            SourceDecl {
                text: s.text.clone(),
                not_before: s.not_before,
            }
            .check_reveal(v, now)
            .map_err(workflow)?;
        }
        let values: Vec<String> = values.iter().map(|v| v.trim().to_string()).collect();
        let plan_json = self
            .plan_json(id)
            .await?
            .ok_or_else(|| StoreError::corrupt("committed task without plan"))?;
        let plan =
            Plan::parse(plan_json.as_bytes()).map_err(|e| StoreError::corrupt(e.to_string()))?;
        let committed_at = task
            .committed_at
            .map(|t| liancha_draw::time::format_rfc3339_utc(t.timestamp()));
        let record = Record::draw(plan, values.clone(), committed_at).map_err(|e| match e {
            DrawError::NotEnoughInspectors(_) => invalid(
                "可用执法人员不足以组成所需的检查组（每组须含各参与部门人员），请减少检查组数量后重新建立任务",
            ),
            e => invalid(format!("抽取失败：{e}")),
        })?;
        if Some(record.plan_digest_hex()) != task.plan_digest {
            return Err(StoreError::corrupt(
                "plan digest differs from the committed one",
            ));
        }
        let record_json = record.to_pretty_json();
        let result = record.result();
        let codes: Vec<String> = (0..result.selected.len())
            .map(|_| new_check_code())
            .collect();
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            bump_version!(self, &mut *tx, id, version, "state = 'drawn', drawn_at = $3, record_json = $4", now, &record_json);
            for (pos, v) in values.iter().enumerate() {
                self.query("UPDATE task_sources SET revealed = $1 WHERE county = $C AND task_id = $2 AND position = $3")
                    .bind(v).bind(id).bind(pos as i32).execute(&mut *tx).await?;
            }
            for team in &result.teams {
                for (pos, m) in team.members.iter().enumerate() {
                    self.query("INSERT INTO team_members (county, task_id, team_no, position, inspector_id, active) VALUES ($C, $1, $2, $3, $4, TRUE)")
                        .bind(id).bind(team.no as i32).bind(pos as i32).bind(m).execute(&mut *tx).await?;
                }
            }
            let team_of: BTreeMap<&str, u64> = result.assignments.iter().map(|a| (a.entity.as_str(), a.team)).collect();
            for (order, (sel, code)) in result.selected.iter().zip(&codes).enumerate() {
                let team = team_of.get(sel.id.as_str()).map(|t| *t as i32);
                let state = if team.is_some() { VisitState::Pending } else { VisitState::Unassigned };
                self.query("INSERT INTO visits (county, task_id, entity_id, draw_order, team_no, state, check_code) VALUES ($C, $1, $2, $3, $4, $5, $6)")
                    .bind(id).bind(&sel.id).bind(order as i32 + 1).bind(team).bind(state.code()).bind(code)
                    .execute(&mut *tx).await?;
            }
            append_audit!(self, &mut *tx, actor, now, Audit::new("task.draw", "task", id).task(id).after(serde_json::json!({
                "reveal": values, "seed": record.seed_hex(), "plan_digest": record.plan_digest_hex(),
                "selected": result.selected.len(), "teams": result.teams.len(), "unassigned": result.unassigned.len(),
            })))?;
            crate::append_log!(self, tx, now, LogEvent::Drawn {
                task: id,
                plan_digest: record.plan_digest_hex(),
                record_digest: liancha_draw::hex::encode(&liancha_draw::digest_value(&record.to_value())),
            });
            tx.commit().await?;
        });
        Ok(record)
    }

    pub async fn cancel_task(
        &self,
        id: i64,
        version: i32,
        reason: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let task = self.task_or_404(id).await?;
        if !task.state.cancellable() {
            return Err(invalid(format!(
                "任务处于「{}」状态，不能取消",
                task.state.label()
            )));
        }
        crate::expect_version(&task, version)?;
        let reason = crate::posted("取消原因", reason.trim(), liancha_domain::text::FREE_TEXT)?;
        if reason.is_empty() {
            return Err(invalid("请填写取消原因"));
        }
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            bump_version!(self, &mut *tx, id, version, "state = 'cancelled', cancelled_at = $3, cancel_reason = $4", now, reason);
            append_audit!(self, &mut *tx, actor, now, Audit::new("task.cancel", "task", id).task(id)
                .before(serde_json::json!({"state": task.state.code()}))
                .after(serde_json::json!({"state": "cancelled", "reason": reason})))?;
            // A sealed task's cancellation is public: its announcement stays, marked.
            if let Some(plan_digest) = &task.plan_digest {
                crate::append_log!(self, tx, now, LogEvent::Cancelled {
                    task: id, plan_digest: plan_digest.clone(), reason: reason.to_string(),
                });
            }
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn add_witness(
        &self,
        task_id: i64,
        name: &str,
        role: WitnessRole,
        organisation: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let task = self.task_or_404(task_id).await?;
        if matches!(task.state, TaskState::Published | TaskState::Cancelled) {
            return Err(invalid("任务已结束，不能再登记见证人"));
        }
        let name = crate::posted("见证人姓名", name.trim(), liancha_domain::text::NAME)?;
        if name.is_empty() {
            return Err(invalid("请填写见证人姓名"));
        }
        crate::posted("见证人单位", organisation, liancha_domain::text::NAME)?;
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            self.query("INSERT INTO task_witnesses (county, task_id, name, role, organisation) VALUES ($C, $1, $2, $3, $4)")
                .bind(task_id).bind(name).bind(role.code()).bind(organisation.trim()).execute(&mut *tx).await?;
            append_audit!(self, &mut *tx, actor, now, Audit::new("task.witness", "task", task_id).task(task_id)
                .after(serde_json::json!({"name": name, "role": role.code(), "organisation": organisation.trim()})))?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn witnesses(&self, task_id: i64) -> Result<Vec<Witness>> {
        Ok(with_pool!(self, p => self.query_as(
            "SELECT id, name, role, organisation FROM task_witnesses WHERE county = $C AND task_id = $1 ORDER BY id")
            .bind(task_id).fetch_all(p).await)?)
    }

    pub async fn team_members(&self, task_id: i64) -> Result<Vec<TeamMember>> {
        type Row = (
            i32,
            i32,
            String,
            Option<String>,
            Option<String>,
            bool,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = with_pool!(self, p => self.query_as(
                "SELECT m.team_no, m.position, m.inspector_id, i.name, i.department, m.active, m.replaced_by, m.replace_reason \
                 FROM team_members m LEFT JOIN inspectors i ON i.county = m.county AND i.id = m.inspector_id \
                 WHERE m.county = $C AND m.task_id = $1 ORDER BY m.team_no, m.position").bind(task_id).fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    team_no,
                    position,
                    inspector_id,
                    name,
                    department,
                    active,
                    replaced_by,
                    replace_reason,
                )| TeamMember {
                    name: name.unwrap_or_else(|| inspector_id.clone()),
                    department: department.unwrap_or_default(),
                    team_no,
                    position,
                    inspector_id,
                    active,
                    replaced_by,
                    replace_reason,
                },
            )
            .collect())
    }

    pub async fn visits(&self, task_id: i64) -> Result<Vec<Visit>> {
        let sql = format!("{VISIT_SELECT} AND v.task_id = $1 ORDER BY v.draw_order");
        let rows: Vec<VisitRow> =
            with_pool!(self, p => self.query_as(&sql).bind(task_id).fetch_all(p).await)?;
        rows.into_iter().map(Visit::try_from).collect()
    }

    /// How far a task's visits are: how many are to be made (not replaced), how many
    /// have their results entered (submitted or published), how many are published.
    pub async fn visit_progress(&self, task_id: i64) -> Result<VisitProgress> {
        let (total, entered, published): (i64, i64, i64) = with_pool!(self, p => self.query_as(
            "SELECT COUNT(CASE WHEN state <> 'replaced' THEN 1 END), \
                    COUNT(CASE WHEN state IN ('submitted', 'published') THEN 1 END), \
                    COUNT(CASE WHEN state = 'published' THEN 1 END) \
             FROM visits WHERE county = $C AND task_id = $1")
            .bind(task_id).fetch_one(p).await)?;
        Ok(VisitProgress {
            total,
            entered,
            published,
        })
    }

    pub async fn visit(&self, task_id: i64, entity_id: &str) -> Result<Option<Visit>> {
        let sql = format!("{VISIT_SELECT} AND v.task_id = $1 AND v.entity_id = $2");
        let row: Option<VisitRow> = with_pool!(self, p => self.query_as(&sql).bind(task_id).bind(entity_id).fetch_optional(p).await)?;
        row.map(Visit::try_from).transpose()
    }

    pub async fn visit_by_code(&self, code: &str) -> Result<Option<Visit>> {
        let sql = format!("{VISIT_SELECT} AND v.check_code = $1");
        let row: Option<VisitRow> = with_pool!(self, p => self.query_as(&sql).bind(code.trim().to_ascii_uppercase()).fetch_optional(p).await)?;
        row.map(Visit::try_from).transpose()
    }

    /// The visits an inspector is on, across drawn tasks, soonest task first.
    pub async fn visits_for_inspector(&self, inspector_id: &str) -> Result<Vec<Visit>> {
        let sql = format!(
            "{VISIT_SELECT} AND v.state IN ('pending', 'submitted', 'returned') \
             AND EXISTS (SELECT 1 FROM tasks t WHERE t.county = v.county AND t.id = v.task_id AND t.state = 'drawn') \
             AND EXISTS (SELECT 1 FROM team_members m WHERE m.county = v.county AND m.task_id = v.task_id \
               AND m.team_no = v.team_no AND m.inspector_id = $1 AND m.active) \
             ORDER BY (SELECT t.inspection_start FROM tasks t WHERE t.county = v.county AND t.id = v.task_id), \
             v.task_id, v.draw_order"
        );
        let rows: Vec<VisitRow> =
            with_pool!(self, p => self.query_as(&sql).bind(inspector_id).fetch_all(p).await)?;
        rows.into_iter().map(Visit::try_from).collect()
    }

    /// What every substitution needs: a drawn task, its plan and seed from the stored
    /// record, and a stated reason.
    async fn substitution_context<'r>(
        &self,
        task: &Task,
        reason: &'r str,
    ) -> Result<(Plan, [u8; 32], &'r str)> {
        task.state
            .require(TaskState::Drawn, "替补")
            .map_err(workflow)?;
        let record = self
            .draw_record(task.id)
            .await?
            .ok_or_else(|| StoreError::corrupt("drawn task without record"))?;
        let record =
            Record::parse(record.as_bytes()).map_err(|e| StoreError::corrupt(e.to_string()))?;
        let reason = crate::posted("替补原因", reason.trim(), liancha_domain::text::FREE_TEXT)
            .map_err(|e| e.on_field("reason"))?;
        if reason.is_empty() {
            return Err(StoreError::invalid_field("reason", "请填写替补原因"));
        }
        Ok((record.plan().clone(), record.result().seed, reason))
    }

    /// Replaces an inspector who cannot serve (illness, a conflict found late) by the
    /// next available inspector of the same department in ticket order.
    pub async fn substitute_inspector(
        &self,
        task_id: i64,
        version: i32,
        inspector_id: &str,
        reason: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let task = self.task_or_404(task_id).await?;
        let (plan, seed, reason) = self.substitution_context(&task, reason).await?;
        crate::expect_version(&task, version)?;
        let members = self.team_members(task_id).await?;
        let Some(out) = members
            .iter()
            .find(|m| m.inspector_id == inspector_id && m.active)
        else {
            return Err(StoreError::invalid_field(
                "id",
                format!("执法人员 {inspector_id} 不在本任务的检查组中"),
            ));
        };
        let taken: Vec<String> = members.iter().map(|m| m.inspector_id.clone()).collect();
        let team_entities: Vec<String> = self
            .visits(task_id)
            .await?
            .into_iter()
            .filter(|v| v.team_no == Some(out.team_no))
            .map(|v| v.entity_id)
            .collect();
        // Someone who has fallen ill since the commit cannot be drawn as replacement.
        let mut unavailable = Vec::new();
        for i in &plan.inspectors {
            if let Some(now_i) = self.inspector(&i.id).await?
                && !now_i.is_available_on(task.inspection_end)
            {
                unavailable.push(i.id.clone());
            }
        }
        let taken_all: Vec<String> = taken.iter().chain(&unavailable).cloned().collect();
        let sub = Substitution { plan: &plan, seed };
        let Some(new) = sub.inspector(inspector_id, &taken_all, &team_entities) else {
            return Err(invalid("没有符合条件的同部门执法人员可替补"));
        };
        let position = members
            .iter()
            .filter(|m| m.team_no == out.team_no)
            .map(|m| m.position)
            .max()
            .unwrap_or(0)
            + 1;
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            bump_version!(self, &mut *tx, task_id, version, "state = state");
            self.query("UPDATE team_members SET active = FALSE, replaced_by = $1, replace_reason = $2 \
                         WHERE county = $C AND task_id = $3 AND team_no = $4 AND inspector_id = $5")
                .bind(&new).bind(reason).bind(task_id).bind(out.team_no).bind(inspector_id).execute(&mut *tx).await?;
            self.query("INSERT INTO team_members (county, task_id, team_no, position, inspector_id, active) VALUES ($C, $1, $2, $3, $4, TRUE)")
                .bind(task_id).bind(out.team_no).bind(position).bind(&new).execute(&mut *tx).await?;
            append_audit!(self, &mut *tx, actor, now, Audit::new("task.substitute-inspector", "task", task_id).task(task_id)
                .before(serde_json::json!({"team": out.team_no, "inspector": inspector_id}))
                .after(serde_json::json!({"team": out.team_no, "inspector": new, "reason": reason,
                    "rule": "同部门、未入组、无回避关系者中 ticket(\"inspector\", id) 最小者"})))?;
            crate::append_log!(self, tx, now, LogEvent::Substituted {
                task: task_id, kind: "inspector".into(),
                digest: substitution_digest(inspector_id, &new, reason),
            });
            tx.commit().await?;
        });
        Ok(new)
    }

    /// Replaces a selected entity that can no longer be visited (deregistered after
    /// the draw) by the next unselected entity of its stratum in ticket order; the
    /// replacement goes to the same team.
    pub async fn substitute_entity(
        &self,
        task_id: i64,
        version: i32,
        entity_id: &str,
        reason: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let task = self.task_or_404(task_id).await?;
        let (plan, seed, reason) = self.substitution_context(&task, reason).await?;
        crate::expect_version(&task, version)?;
        let visits = self.visits(task_id).await?;
        let Some(out) = visits.iter().find(|v| v.entity_id == entity_id) else {
            return Err(StoreError::invalid_field(
                "id",
                format!("{entity_id} 不是本任务抽中的检查对象"),
            ));
        };
        if out.state != VisitState::Pending {
            return Err(StoreError::invalid_field(
                "id",
                "只有尚未检查的对象可以替补",
            ));
        }
        let used: Vec<String> = visits.iter().map(|v| v.entity_id.clone()).collect();
        // Entities no longer operating cannot replace anyone either.
        let mut unavailable = Vec::new();
        let stratum = plan
            .entities
            .iter()
            .find(|e| e.id == entity_id)
            .map(|e| e.stratum.clone());
        for e in plan
            .entities
            .iter()
            .filter(|e| Some(&e.stratum) == stratum.as_ref())
        {
            if let Some(now_e) = self.entity(&e.id).await?
                && !now_e.is_operating()
            {
                unavailable.push(e.id.clone());
            }
        }
        let sub = Substitution { plan: &plan, seed };
        let Some(new) = sub.entity(entity_id, &used, &unavailable) else {
            return Err(invalid("同一风险分类中已没有可替补的检查对象"));
        };
        let order = visits.iter().map(|v| v.draw_order).max().unwrap_or(0) + 1;
        let code = new_check_code();
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            bump_version!(self, &mut *tx, task_id, version, "state = state");
            self.query("UPDATE visits SET state = 'replaced', replaced_by = $1, replace_reason = $2 WHERE county = $C AND task_id = $3 AND entity_id = $4")
                .bind(&new).bind(reason).bind(task_id).bind(entity_id).execute(&mut *tx).await?;
            self.query("INSERT INTO visits (county, task_id, entity_id, draw_order, team_no, state, check_code) VALUES ($C, $1, $2, $3, $4, 'pending', $5)")
                .bind(task_id).bind(&new).bind(order).bind(out.team_no).bind(&code).execute(&mut *tx).await?;
            // The new visit is not reviewed yet: approvals given so far do not cover it.
            self.query("DELETE FROM reviews WHERE county = $C AND task_id = $1").bind(task_id).execute(&mut *tx).await?;
            append_audit!(self, &mut *tx, actor, now, Audit::new("task.substitute-entity", "task", task_id).task(task_id)
                .before(serde_json::json!({"entity": entity_id, "team": out.team_no}))
                .after(serde_json::json!({"entity": new, "team": out.team_no, "reason": reason,
                    "rule": "同风险分类、未被抽中者中 ticket(\"entity\", id) 最小者"})))?;
            crate::append_log!(self, tx, now, LogEvent::Substituted {
                task: task_id, kind: "entity".into(),
                digest: substitution_digest(entity_id, &new, reason),
            });
            tx.commit().await?;
        });
        Ok(new)
    }
}

impl County<'_> {
    /// Declares that an inspector must not inspect an entity: a tie (kinship,
    /// business interest) or the entity's own request for recusal.
    pub async fn declare_conflict(
        &self,
        inspector_id: &str,
        entity_id: &str,
        entity_request: bool,
        reason: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        if self.inspector(inspector_id).await?.is_none() {
            return Err(StoreError::invalid_field(
                "inspector_id",
                format!("执法人员名录中没有编号 {inspector_id}"),
            ));
        }
        if self.entity(entity_id).await?.is_none() {
            return Err(StoreError::invalid_field(
                "entity_id",
                format!("主体名录中没有 {entity_id}"),
            ));
        }
        let reason = crate::posted("回避理由", reason.trim(), liancha_domain::text::FREE_TEXT)
            .map_err(|e| e.on_field("reason"))?;
        if reason.is_empty() {
            return Err(StoreError::invalid_field("reason", "请填写回避理由"));
        }
        let kind = if entity_request {
            "entity-request"
        } else {
            "tie"
        };
        let id = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let id: i64 = self.query_scalar(
                "INSERT INTO conflict_declarations (county, inspector_id, entity_id, kind, reason, created_at) \
                 VALUES ($C, $1, $2, $3, $4, $5) RETURNING id")
                .bind(inspector_id).bind(entity_id).bind(kind).bind(reason).bind(now).fetch_one(&mut *tx).await?;
            append_audit!(self, &mut *tx, actor, now, Audit::new("conflict.declare", "inspector", inspector_id)
                .after(serde_json::json!({"entity": entity_id, "kind": kind, "reason": reason})))?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }
}

pub(crate) struct FrozenPlan {
    pub(crate) plan: Plan,
    pub(crate) exclusions: Vec<(String, ExclusionReason)>,
}

/// A declared conflict of interest, for the list page.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ConflictDeclaration {
    pub id: i64,
    pub inspector_id: String,
    pub inspector_name: Option<String>,
    pub department: Option<String>,
    pub entity_id: String,
    pub entity_name: Option<String>,
    pub kind: String,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

impl ConflictDeclaration {
    pub fn kind_label(&self) -> &'static str {
        if self.kind == "entity-request" {
            "检查对象申请回避"
        } else {
            "利害关系"
        }
    }
}

impl County<'_> {
    /// Declarations, optionally only those of one department's inspectors.
    pub async fn conflict_declarations(
        &self,
        department: Option<&str>,
    ) -> Result<Vec<ConflictDeclaration>> {
        let mut sql = String::from(
            "SELECT c.id, c.inspector_id, i.name AS inspector_name, i.department, c.entity_id, e.name AS entity_name, \
             c.kind, c.reason, c.created_at FROM conflict_declarations c \
             LEFT JOIN inspectors i ON i.county = c.county AND i.id = c.inspector_id \
             LEFT JOIN entities e ON e.county = c.county AND e.id = c.entity_id WHERE c.county = $C",
        );
        if department.is_some() {
            sql.push_str(" AND i.department = $1");
        }
        sql.push_str(" ORDER BY c.id DESC");
        Ok(with_pool!(self, p => {
            let mut q = self.query_as(&sql);
            if let Some(d) = department { q = q.bind(d); }
            q.fetch_all(p).await
        })?)
    }
}

impl crate::Store {
    /// The counties holding a visit with this check code: the code is printed on the
    /// notice and checked on the province's portal, which does not know the county.
    /// Unique within a county; across counties a repeat is possible, if unlikely
    /// (2^39 codes), and then every county's visit is looked at.
    pub async fn check_code_counties(
        &self,
        code: &str,
    ) -> Result<Vec<liancha_domain::org::DivisionCode>> {
        let code = code.trim().to_ascii_uppercase();
        let rows: Vec<String> = with_pool!(self, p => sqlx::query_scalar(
            "SELECT DISTINCT county FROM visits WHERE check_code = $1 ORDER BY county")
            .bind(&code).fetch_all(p).await)?;
        rows.iter()
            .map(|c| liancha_domain::org::DivisionCode::parse(c).map_err(StoreError::corrupt))
            .collect()
    }
}

impl crate::Store {
    /// The county of a task whose plan was sealed, whatever became of it since
    /// (drawn, published, cancelled): its announcement is public from the commit on.
    /// `None` for a draft (or no task): the public cannot tell which.
    pub async fn announced_task_county(
        &self,
        id: i64,
    ) -> Result<Option<liancha_domain::org::DivisionCode>> {
        let county: Option<String> = with_pool!(self, p => sqlx::query_scalar(
            "SELECT county FROM tasks WHERE id = $1 AND committed_at IS NOT NULL")
            .bind(id).fetch_optional(p).await)?;
        county
            .map(|c| liancha_domain::org::DivisionCode::parse(&c).map_err(StoreError::corrupt))
            .transpose()
    }

    /// The county of a published task: task ids are unique in the installation, so a
    /// published task keeps one public address whatever its county. `None` for a task
    /// that is not published (or does not exist): the public cannot tell which.
    pub async fn published_task_county(
        &self,
        id: i64,
    ) -> Result<Option<liancha_domain::org::DivisionCode>> {
        let county: Option<String> = with_pool!(self, p => sqlx::query_scalar(
            "SELECT county FROM tasks WHERE id = $1 AND state = 'published'")
            .bind(id).fetch_optional(p).await)?;
        county
            .map(|c| liancha_domain::org::DivisionCode::parse(&c).map_err(StoreError::corrupt))
            .transpose()
    }
}

/// What a substitution's log entry commits to without saying it (the entities a
/// task visits may stay unpublished until its results): SHA-256 of
/// `replaced\nby\nreason`, hex.
pub fn substitution_digest(replaced: &str, by: &str, reason: &str) -> String {
    use sha2::Digest;
    let h = sha2::Sha256::digest(format!("{replaced}\n{by}\n{reason}").as_bytes());
    liancha_draw::hex::encode(h.as_slice())
}
