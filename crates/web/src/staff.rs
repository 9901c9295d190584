//! Staff pages of the joint inspection: tasks from draft to publication, the
//! inspector's own visits, review, follow-up, credit, targeted inspections.
//! Every handler asks [`Staff::require`] first; the rules themselves live in the
//! domain and store crates.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use liancha_domain::auth::{Action, Role, TaskScope};
use liancha_domain::calendar::{china, china_date, format_china_time};
use liancha_domain::org::DivisionCode;
use liancha_domain::workflow::{
    DeadlineFlag, FollowUpKind, ResultCategory, SourceDecl, TargetedSource, TaskMode, TaskState,
    VisitState, WitnessRole, deadline_flag,
};
use liancha_domain::{Department, Domain, EntityType, InspectionMethod, Item, RiskClass};
use liancha_store::accounts::AuditEntry;
use liancha_store::results::{
    CreditProposal, FollowUp, ItemResult, ReviewStatus, TargetedInspection,
};
use liancha_store::tasks::{
    Exclusion, NewTask, QuotaSpec, Task, TaskFilter, TaskScopeFilter, TeamMember, Visit, Witness,
};
use serde::Deserialize;

use crate::session::{CsrfForm, Staff};
use crate::{AppState, WebError};

type PageResult = Result<Html<String>, WebError>;

fn render<T: Template>(t: &T) -> PageResult {
    Ok(Html(t.render()?))
}

fn see_other(to: String) -> Response {
    Redirect::to(&to).into_response()
}

/// Names for codes, for every page.
#[derive(Clone, Default)]
pub struct Names {
    departments: std::sync::Arc<[Department]>,
}

/// How long the department names are reused before being read again: departments
/// change only by import, and every page (the public search included) needs them.
const NAMES_TTL: std::time::Duration = std::time::Duration::from_secs(30);

impl Names {
    /// The names of a county's departments (public: its item lists carry them).
    pub async fn load(s: &AppState, county: &DivisionCode) -> Result<Names, WebError> {
        if let Some((at, names)) = s
            .names_cache
            .lock()
            .ok()
            .and_then(|c| c.get(county).cloned())
            && at.elapsed() < NAMES_TTL
        {
            return Ok(names);
        }
        let names = Names {
            departments: s.app.public_county(county).departments().await?.into(),
        };
        if let Ok(mut c) = s.names_cache.lock() {
            c.insert(county.clone(), (std::time::Instant::now(), names.clone()));
        }
        Ok(names)
    }
    pub fn dept(&self, code: &str) -> String {
        self.departments
            .iter()
            .find(|d| d.code == code)
            .map_or_else(|| code.to_string(), |d| d.name.clone())
    }
    pub fn all(&self) -> &[Department] {
        &self.departments
    }
}

pub fn time(t: &DateTime<Utc>) -> String {
    format_china_time(*t)
}

/// To the second: for times enforced to the second.
pub fn time_seconds(t: &DateTime<Utc>) -> String {
    liancha_domain::calendar::format_china_time_seconds(*t)
}

pub fn time_opt(t: &Option<DateTime<Utc>>) -> String {
    t.as_ref().map(time).unwrap_or_default()
}

/// A banner after a redirect, from a fixed list (never text from the URL).
pub fn done_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "password" => "密码已修改。",
        "created" => "任务已创建（草稿）。",
        "updated" => "任务已修改。",
        "committed" => "抽取方案已封存，方案摘要已记入日志。",
        "drawn" => "抽取完成，检查组与检查对象已确定。",
        "witness" => "见证人已登记。",
        "cancelled" => "任务已取消。",
        "substituted" => "已按规则替补，并记入日志。",
        "submitted" => "检查结果已提交，待部门审核。",
        "saved" => "本部门事项的结果已保存；其他部门录入各自事项后即提交审核。",
        "returned" => "已退回，检查组修改后重新提交。",
        "approved" => "本部门已审核通过。",
        "published" => "检查结果已公示。",
        "follow-up" => "后续处置已更新。",
        "credit" => "信用名单建议已处理。",
        "targeted" => "定向检查已登记。",
        "user" => "账号已创建，首次登录须修改密码。",
        "user-updated" => "账号状态已更新。",
        "plan" => "计划已保存。",
        "attachment" => "材料已上传。",
        "conflict" => "回避关系已登记，今后封存的抽取方案将包含它。",
        "plan-published" => "计划已公布。",
        "calendar" => "节假日安排已更新。",
        "division" => "行政区划已建立；其首个系统管理员首次登录须修改初始密码。",
        "township" => "乡镇已添加。",
        "department" => "部门已保存。",
        "rule-book" => "实施细则已保存，此后建立的任务按新的细则抽取。",
        "joint-list" => "联合抽查事项清单已保存。",
        "campaign" => "专项整治已下达，各县（市、区）已各得一项草稿任务。",
        _ => return None,
    })
}

#[derive(Deserialize, Default)]
pub struct DoneQuery {
    #[serde(default)]
    pub done: String,
}

// ---------------------------------------------------------------- home

#[derive(Template)]
#[template(path = "staff/home.html")]
struct HomePage {
    staff: Staff,
    names: Names,
    notice: Option<&'static str>,
    my_visits: usize,
    open_follow_ups: usize,
    open_proposals: usize,
    tasks: Vec<TaskRow>,
}

pub struct TaskRow {
    pub task: Task,
    pub deadline: Option<NaiveDate>,
    pub flag: Option<DeadlineFlag>,
}

async fn task_rows(s: &AppState, staff: &Staff) -> Result<Vec<TaskRow>, WebError> {
    let p = &staff.principal;
    let filter = match p.role {
        Role::Inspector => TaskFilter {
            inspector: Some(p.inspector_id.clone().unwrap_or_default()),
            ..TaskFilter::default()
        },
        Role::DepartmentAdmin => TaskFilter {
            department: p.department.clone(),
            ..TaskFilter::default()
        },
        _ => TaskFilter::default(),
    };
    let mut tasks = staff.rows(s).tasks(&filter).await?;
    if p.role == Role::Township {
        tasks.retain(|t| {
            t.scope.townships.is_empty()
                || p.township
                    .as_ref()
                    .is_some_and(|x| t.scope.townships.contains(x))
        });
    }
    let cal = staff.rows(s).calendar().await?;
    let today = china_date(s.clock.now());
    let mut out = Vec::with_capacity(tasks.len());
    for task in tasks {
        let (deadline, flag) = if task.state == TaskState::Drawn {
            let d = staff.rows(s).deadline_on(&cal, &task).await?;
            (Some(d), Some(deadline_flag(&cal, today, d)))
        } else {
            (None, None)
        };
        out.push(TaskRow {
            task,
            deadline,
            flag,
        });
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "staff/office_home.html")]
struct OfficeHomePage {
    staff: Staff,
    notice: Option<&'static str>,
    /// Per county below: its division, this year's tasks (not cancelled), those overdue.
    counties: Vec<(liancha_domain::org::Division, i64, i64)>,
}

/// An office above counties, before it chooses one: its counties, each with this
/// year's tasks and those past their publication deadline.
async fn office_home(s: &AppState, staff: Staff, notice: Option<&'static str>) -> PageResult {
    let now = s.clock.now();
    let mut counties = Vec::new();
    for c in &staff.counties {
        let rows = staff.rows_in(s, &c.code)?;
        let year = chrono::Datelike::year(&china_date(now));
        let tasks = rows
            .tasks(&TaskFilter {
                year: Some(year),
                ..TaskFilter::default()
            })
            .await?;
        let cal = rows.calendar().await?;
        let mut overdue = 0;
        for t in tasks.iter().filter(|t| t.state == TaskState::Drawn) {
            let d = rows.deadline_on(&cal, t).await?;
            if deadline_flag(&cal, china_date(now), d) == DeadlineFlag::Overdue {
                overdue += 1;
            }
        }
        let live = tasks
            .iter()
            .filter(|t| t.state != TaskState::Cancelled)
            .count();
        counties.push((c.clone(), live as i64, overdue));
    }
    render(&OfficeHomePage {
        staff,
        notice,
        counties,
    })
}

pub async fn home(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    if staff.office_wide() {
        return office_home(&s, staff, done_message(&q.done)).await;
    }
    let p = &staff.principal;
    let my_visits = match &p.inspector_id {
        Some(id) => staff
            .rows(&s)
            .visits_for_inspector(id)
            .await?
            .iter()
            .filter(|v| matches!(v.state, VisitState::Pending | VisitState::Returned))
            .count(),
        None => 0,
    };
    let (open_follow_ups, open_proposals) = match (&p.role, &p.department) {
        (Role::DepartmentAdmin, Some(d)) => (
            staff.rows(&s).follow_ups(Some(d), true).await?.len(),
            staff
                .rows(&s)
                .credit_proposals(Some(d))
                .await?
                .iter()
                .filter(|c| c.state == liancha_domain::workflow::ProposalState::Proposed)
                .count(),
        ),
        _ => (0, 0),
    };
    let mut tasks = task_rows(&s, &staff).await?;
    tasks.truncate(20);
    render(&HomePage {
        names: Names::load(&s, &staff.county.code).await?,
        notice: done_message(&q.done),
        my_visits,
        open_follow_ups,
        open_proposals,
        tasks,
        staff,
    })
}

// ---------------------------------------------------------------- task list and creation

#[derive(Template)]
#[template(path = "staff/tasks.html")]
struct TasksPage {
    staff: Staff,
    names: Names,
    rows: Vec<TaskRow>,
    can_create: bool,
}

pub async fn tasks(State(s): State<AppState>, staff: Staff) -> PageResult {
    let can_create = matches!(
        staff.principal.role,
        Role::Coordinator | Role::DepartmentAdmin
    );
    render(&TasksPage {
        names: Names::load(&s, &staff.county.code).await?,
        rows: task_rows(&s, &staff).await?,
        can_create,
        staff,
    })
}

#[derive(Template)]
#[template(path = "staff/task_form.html")]
struct TaskFormPage {
    staff: Staff,
    names: Names,
    items: Vec<Item>,
    townships: Vec<String>,
    domains: &'static [Domain],
    modes: &'static [TaskMode],
    types: &'static [EntityType],
    classes: &'static [RiskClass],
    f: TaskForm,
    message: Option<String>,
}

impl TaskFormPage {
    fn items_of(&self, department: &str) -> Vec<&Item> {
        self.items
            .iter()
            .filter(|i| i.department == department)
            .collect()
    }
}

/// The task form as posted. Lists come from repeated keys (check boxes).
#[derive(Deserialize, Clone, Default)]
pub struct TaskForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub year: String,
    #[serde(default)]
    pub domain: String,
    #[serde(default)]
    pub mode: String,
    #[serde(default)]
    pub lead_department: String,
    #[serde(default)]
    pub items: Vec<String>,
    #[serde(default)]
    pub townships: Vec<String>,
    #[serde(default)]
    pub entity_types: Vec<String>,
    #[serde(default)]
    pub risk_classes: Vec<String>,
    #[serde(default)]
    pub industry_sections: String,
    #[serde(default)]
    pub tags: String,
    /// `rule-book`, `ratio` or `count`.
    #[serde(default)]
    pub quota_kind: String,
    #[serde(default)]
    pub quota_a: String,
    #[serde(default)]
    pub quota_b: String,
    #[serde(default)]
    pub quota_c: String,
    #[serde(default)]
    pub quota_d: String,
    #[serde(default)]
    pub team_count: String,
    #[serde(default)]
    pub team_size: String,
    #[serde(default)]
    pub avoid_same_township: Option<String>,
    #[serde(default)]
    pub inspection_start: String,
    #[serde(default)]
    pub inspection_end: String,
    #[serde(default)]
    pub version: Option<i32>,
    #[serde(default)]
    pub plan_entry: Option<i64>,
}

impl TaskForm {
    fn has(&self, list: &str, v: &str) -> bool {
        let l = match list {
            "items" => &self.items,
            "townships" => &self.townships,
            "entity_types" => &self.entity_types,
            _ => &self.risk_classes,
        };
        l.iter().any(|x| x == v)
    }

    fn parse(&self) -> Result<NewTask, String> {
        let int = |s: &str, what: &str| -> Result<u32, String> {
            s.trim()
                .parse::<u32>()
                .map_err(|_| format!("{what}须为整数"))
        };
        let date = |s: &str, what: &str| -> Result<NaiveDate, String> {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map_err(|_| format!("{what}须为日期，如 2026-03-02"))
        };
        let quotas = |scale: u32| -> Result<[u32; 4], String> {
            let mut out = [0; 4];
            for (i, v) in [&self.quota_a, &self.quota_b, &self.quota_c, &self.quota_d]
                .iter()
                .enumerate()
            {
                out[i] = if v.trim().is_empty() {
                    0
                } else if scale == 100 {
                    // Percent with up to two decimals, kept as basis points.
                    parse_percent_bp(v).ok_or_else(|| {
                        format!(
                            "{} 类比例须为 0–100 之间的数，最多两位小数",
                            ["A", "B", "C", "D"][i]
                        )
                    })?
                } else {
                    int(v, "抽取户数")?
                };
            }
            Ok(out)
        };
        let list = |s: &str| -> Vec<String> {
            s.split([',', '，', '、', ' '])
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(String::from)
                .collect()
        };
        Ok(NewTask {
            year: self
                .year
                .trim()
                .parse()
                .map_err(|_| "年度须为四位数字".to_string())?,
            title: self.title.clone(),
            domain: Domain::from_code(&self.domain).ok_or("请选择领域")?,
            mode: TaskMode::from_code(&self.mode).ok_or("请选择检查模式")?,
            lead_department: self.lead_department.clone(),
            items: self.items.clone(),
            scope: TaskScopeFilter {
                townships: self.townships.clone(),
                entity_types: self.entity_types.clone(),
                risk_classes: self.risk_classes.clone(),
                industry_sections: list(&self.industry_sections.to_ascii_uppercase()),
                tags: list(&self.tags),
            },
            quotas: match self.quota_kind.as_str() {
                "ratio" => QuotaSpec::RatioBp(quotas(100)?),
                "count" => QuotaSpec::Count(quotas(1)?),
                _ => QuotaSpec::RuleBook,
            },
            team_count: int(&self.team_count, "检查组数量")?,
            team_size: int(&self.team_size, "每组人数")?,
            avoid_same_township: self.avoid_same_township.is_some(),
            inspection_start: date(&self.inspection_start, "检查开始日期")?,
            inspection_end: date(&self.inspection_end, "检查结束日期")?,
            plan_entry_id: self.plan_entry,
        })
    }

    fn from_task(t: &Task) -> TaskForm {
        let (kind, q) = match t.quotas {
            QuotaSpec::RuleBook => ("rule-book", [0; 4]),
            QuotaSpec::RatioBp(q) => ("ratio", q),
            QuotaSpec::Count(q) => ("count", q),
        };
        let show = |v: u32| {
            if kind == "ratio" {
                format_bp(&v)
            } else {
                v.to_string()
            }
        };
        TaskForm {
            title: t.title.clone(),
            year: t.year.to_string(),
            domain: t.domain.code().into(),
            mode: t.mode.code().into(),
            lead_department: t.lead_department.clone(),
            items: t.items.iter().map(|i| i.code.clone()).collect(),
            townships: t.scope.townships.clone(),
            entity_types: t.scope.entity_types.clone(),
            risk_classes: t.scope.risk_classes.clone(),
            industry_sections: t.scope.industry_sections.join(","),
            tags: t.scope.tags.join(","),
            quota_kind: kind.into(),
            quota_a: show(q[0]),
            quota_b: show(q[1]),
            quota_c: show(q[2]),
            quota_d: show(q[3]),
            team_count: t.team_count.to_string(),
            team_size: t.team_size.to_string(),
            avoid_same_township: t.avoid_same_township.then(|| "on".into()),
            inspection_start: t.inspection_start.to_string(),
            inspection_end: t.inspection_end.to_string(),
            version: Some(t.version),
            plan_entry: t.plan_entry_id,
        }
    }
}

/// "2.5" → 250 bp; at most two decimals, 0–100.
pub fn parse_percent_bp(s: &str) -> Option<u32> {
    let s = s.trim().trim_end_matches('%');
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.len() > 2
        || whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    let frac: u32 = format!("{frac:0<2}").parse().ok()?;
    let bp = whole.checked_mul(100)?.checked_add(frac)?;
    (bp <= 10_000).then_some(bp)
}

pub fn format_bp(bp: &u32) -> String {
    let bp = *bp;
    if bp.is_multiple_of(100) {
        format!("{}", bp / 100)
    } else {
        format!("{}.{:02}", bp / 100, bp % 100)
            .trim_end_matches('0')
            .to_string()
    }
}

async fn task_form_page(
    s: &AppState,
    staff: Staff,
    f: TaskForm,
    message: Option<String>,
) -> Result<Response, WebError> {
    let status = if message.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let page = TaskFormPage {
        names: Names::load(s, &staff.county.code).await?,
        items: staff.rows(s).items(true).await?,
        townships: staff
            .rows(s)
            .townships()
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect(),
        domains: Domain::ALL,
        modes: TaskMode::ALL,
        types: EntityType::ALL,
        classes: RiskClass::ALL,
        f,
        message,
        staff,
    };
    Ok((status, render(&page)?).into_response())
}

#[derive(Deserialize, Default)]
pub struct NewTaskQuery {
    #[serde(default)]
    entry: Option<i64>,
}

pub async fn new_task(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<NewTaskQuery>,
) -> Result<Response, WebError> {
    if !s.app.may_create_task(&staff.context(s.clock.now())) {
        return Err(WebError::Forbidden);
    }
    let today = china_date(s.clock.now());
    let f = TaskForm {
        year: chrono::Datelike::year(&today).to_string(),
        domain: Domain::Market.code().into(),
        mode: TaskMode::Comprehensive.code().into(),
        lead_department: staff.principal.department.clone().unwrap_or_default(),
        quota_kind: "rule-book".into(),
        team_count: "4".into(),
        team_size: "2".into(),
        avoid_same_township: Some("on".into()),
        // From today: results are refused before the start, and the draw is usually
        // held the day the inspections begin.
        inspection_start: today.to_string(),
        inspection_end: (today + chrono::Duration::days(30)).to_string(),
        ..TaskForm::default()
    };
    // From a planned task of a published annual plan.
    let f = match q.entry {
        None => f,
        Some(entry) => match staff.rows(&s).plan_entry(entry).await? {
            Some((plan, e)) if plan.published_at.is_some() => TaskForm {
                title: format!("{}（{}月）", e.title, e.month),
                year: plan.year.to_string(),
                domain: plan.domain.code().into(),
                lead_department: if staff.principal.department.is_none() {
                    plan.lead_department.clone()
                } else {
                    f.lead_department.clone()
                },
                items: e.items.clone(),
                plan_entry: Some(e.id),
                ..f
            },
            _ => {
                return Err(WebError::NotFound(format!(
                    "已公布计划中的计划任务 {entry}"
                )));
            }
        },
    };
    task_form_page(&s, staff, f, None).await
}

pub async fn create_task(
    State(s): State<AppState>,
    CsrfForm(staff, f): CsrfForm<TaskForm>,
) -> Result<Response, WebError> {
    // Who may not create tasks is told so before anything about the form.
    if !s
        .app
        .may_create_task_for(&staff.context(s.clock.now()), &f.lead_department)
    {
        return Err(WebError::Forbidden);
    }
    let parsed = match f.parse() {
        Ok(t) => t,
        Err(m) => return task_form_page(&s, staff, f, Some(m)).await,
    };
    match s
        .app
        .create_task(&staff.context(s.clock.now()), &parsed)
        .await
    {
        Ok(id) => Ok(see_other(format!("/staff/tasks/{id}?done=created"))),
        Err(liancha_app::AppError::Invalid { message, .. }) => {
            task_form_page(&s, staff, f, Some(message)).await
        }
        Err(e) => Err(WebError::refused(e, "/staff/tasks".into())),
    }
}

async fn load_task(s: &AppState, staff: &Staff, id: i64) -> Result<(Task, TaskScope), WebError> {
    Ok(s.app.task_access(&staff.context(s.clock.now()), id).await?)
}

pub async fn edit_task(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let task = s
        .app
        .editable_task(&staff.context(s.clock.now()), id)
        .await
        .map_err(|e| WebError::refused(e, format!("/staff/tasks/{id}")))?;
    task_form_page(&s, staff, TaskForm::from_task(&task), None).await
}

pub async fn update_task(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<TaskForm>,
) -> Result<Response, WebError> {
    // Who may not edit this task, or a task no longer editable, is told so before
    // anything about the form.
    s.app
        .editable_task(&staff.context(s.clock.now()), id)
        .await
        .map_err(|e| WebError::refused(e, format!("/staff/tasks/{id}")))?;
    let parsed = match f.parse() {
        Ok(t) => t,
        Err(m) => return task_form_page(&s, staff, f, Some(m)).await,
    };
    let version = f.version.unwrap_or(0);
    match s
        .app
        .update_task(&staff.context(s.clock.now()), id, version, &parsed)
        .await
    {
        Ok(()) => Ok(see_other(format!("/staff/tasks/{id}?done=updated"))),
        Err(liancha_app::AppError::Invalid { message, .. }) => {
            task_form_page(&s, staff, f, Some(message)).await
        }
        Err(e) => Err(WebError::refused(e, format!("/staff/tasks/{id}"))),
    }
}

// ---------------------------------------------------------------- task page

#[derive(Template)]
#[template(path = "staff/task.html")]
struct TaskPage {
    staff: Staff,
    names: Names,
    notice: Option<&'static str>,
    task: Task,
    can_manage: bool,
    review_department: Option<String>,
    visits: Vec<Visit>,
    members: Vec<TeamMember>,
    teams: BTreeMap<i32, Vec<TeamMember>>,
    witnesses: Vec<Witness>,
    ceremony: Vec<liancha_store::results::Attachment>,
    reviews: Vec<ReviewStatus>,
    excluded: usize,
    history: Vec<AuditEntry>,
    history_total: usize,
    deadline: Option<NaiveDate>,
    flag: Option<DeadlineFlag>,
    /// Every declared source's time has passed: the reveal can be entered.
    sources_due: bool,
    suggested_round: u64,
    suggested_round_time: String,
    witness_roles: &'static [WitnessRole],
    my_inspector: Option<String>,
    quotas_text: String,
    /// The campaign the task belongs to, with the name of the office that set it.
    campaign: Option<(liancha_store::campaigns::Campaign, String)>,
}

impl TaskPage {
    fn all_approved(&self) -> bool {
        !self.reviews.is_empty() && self.reviews.iter().all(|r| r.approved_at.is_some())
    }
    /// Whether `department` has approved its items' results (its button is then gone).
    fn has_approved(&self, department: &str) -> bool {
        self.reviews
            .iter()
            .any(|r| r.department == department && r.approved_at.is_some())
    }
    fn type_labels(&self) -> String {
        self.task
            .scope
            .entity_types
            .iter()
            .map(|c| EntityType::from_code(c).map_or_else(|| c.clone(), |t| t.label().to_string()))
            .collect::<Vec<_>>()
            .join("、")
    }
    fn my_team(&self, team_no: &Option<i32>) -> bool {
        match (team_no, &self.my_inspector) {
            (Some(t), Some(me)) => self
                .members
                .iter()
                .any(|m| m.team_no == *t && m.active && &m.inspector_id == me),
            _ => false,
        }
    }
}

fn quotas_text(task: &Task) -> String {
    match task.quotas {
        QuotaSpec::RuleBook => "按领域实施细则的比例".into(),
        QuotaSpec::RatioBp(r) => RiskClass::ALL
            .iter()
            .map(|c| format!("{} 类 {}%", c.code(), format_bp(&r[*c as usize])))
            .collect::<Vec<_>>()
            .join("，"),
        QuotaSpec::Count(n) => RiskClass::ALL
            .iter()
            .map(|c| format!("{} 类 {} 户", c.code(), n[*c as usize]))
            .collect::<Vec<_>>()
            .join("，"),
    }
}

pub async fn task(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let (task, scope) = load_task(&s, &staff, id).await?;
    let can_manage = staff.may(&Action::ManageTask(&scope));
    let review_department = staff.review_department(&scope.departments);
    let members = staff.rows(&s).team_members(id).await?;
    let mut teams: BTreeMap<i32, Vec<TeamMember>> = BTreeMap::new();
    for m in &members {
        teams.entry(m.team_no).or_default().push(m.clone());
    }
    let mut visits = staff.rows(&s).visits(id).await?;
    // An inspector sees only the visits of their own team.
    if staff.principal.role == Role::Inspector {
        let me = staff.principal.inspector_id.clone().unwrap_or_default();
        let mine: Vec<i32> = members
            .iter()
            .filter(|m| m.active && m.inspector_id == me)
            .map(|m| m.team_no)
            .collect();
        visits.retain(|v| v.team_no.is_some_and(|t| mine.contains(&t)));
    }
    let (deadline, flag) = if task.state == TaskState::Drawn {
        let cal = staff.rows(&s).calendar().await?;
        let d = staff.rows(&s).deadline_on(&cal, &task).await?;
        (
            Some(d),
            Some(deadline_flag(&cal, china_date(s.clock.now()), d)),
        )
    } else {
        (None, None)
    };
    let now = s.clock.now();
    // The first drand round at least ten minutes ahead: time to publish the digest.
    let suggested_round = SourceDecl::drand_round_after(now + chrono::Duration::minutes(10));
    // The latest steps; the whole history (every visit's submission) has its own page.
    let (history, history_total) = if staff.may(&Action::ReadAudit) || can_manage {
        let (rows, total) = staff
            .rows(&s)
            .audit_for_task_tail(id, HISTORY_ON_TASK_PAGE)
            .await?;
        (rows, total as usize)
    } else {
        (vec![], 0)
    };
    let campaign = match s.app.campaign_of(&task).await? {
        None => None,
        Some(c) => {
            let tree = s.divisions().await?;
            let office = tree
                .iter()
                .find(|d| d.code == c.division)
                .map_or_else(|| c.division.to_string(), |d| d.name.clone());
            Some((c, office))
        }
    };
    render(&TaskPage {
        campaign,
        names: Names::load(&s, &staff.county.code).await?,
        notice: done_message(&q.done),
        can_manage,
        review_department,
        excluded: if task.committed_at.is_some() {
            staff.rows(&s).exclusions(id).await?.len()
        } else {
            0
        },
        witnesses: staff.rows(&s).witnesses(id).await?,
        ceremony: staff
            .rows(&s)
            .attachments(id)
            .await?
            .into_iter()
            .filter(|a| a.entity_id.is_none())
            .collect(),
        reviews: if task.state == TaskState::Drawn || task.state == TaskState::Published {
            staff.rows(&s).reviews(id).await?
        } else {
            vec![]
        },
        history,
        history_total,
        deadline,
        flag,
        sources_due: task.sources.iter().all(|s| s.not_before <= now),
        suggested_round_time: format_china_time(SourceDecl::drand(suggested_round).not_before),
        suggested_round,
        witness_roles: WitnessRole::ALL,
        my_inspector: staff.principal.inspector_id.clone(),
        quotas_text: quotas_text(&task),
        visits,
        members,
        teams,
        task,
        staff,
    })
}

const HISTORY_ON_TASK_PAGE: i64 = 50;

/// Turns a store refusal into a page that says why, with a way back; other errors pass.
#[derive(Deserialize)]
pub struct CommitForm {
    version: i32,
    /// The box that says the plan cannot be changed once sealed.
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    drand_round: String,
    #[serde(default)]
    other_source: String,
    /// `YYYY-MM-DDTHH:MM` in Beijing time, from a datetime-local input.
    #[serde(default)]
    other_time: String,
}

fn parse_local_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    let naive = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())?;
    china()
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

pub async fn commit(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<CommitForm>,
) -> Result<Response, WebError> {
    let back = format!("/staff/tasks/{id}");
    let mut sources = Vec::new();
    if !f.drand_round.trim().is_empty() {
        match f.drand_round.trim().parse::<u64>() {
            Ok(r) if r > 0 => sources.push(SourceDecl::drand(r)),
            _ => {
                return Err(WebError::Refused {
                    message: "drand 轮次须为正整数".into(),
                    back,
                });
            }
        }
    }
    if !f.other_source.trim().is_empty() {
        let Some(t) = parse_local_time(&f.other_time) else {
            return Err(WebError::Refused {
                message: "请填写该随机源产生的时间（北京时间）".into(),
                back,
            });
        };
        match SourceDecl::other(&f.other_source, t) {
            Ok(src) => sources.push(src),
            Err(e) => {
                return Err(WebError::Refused {
                    message: e.to_string(),
                    back,
                });
            }
        }
    }
    let ctx = staff.context(s.clock.now());
    match s
        .app
        .commit(&ctx, id, f.version, &sources, ticked(&f.confirm))
        .await
    {
        Ok(()) => Ok(see_other(format!("/staff/tasks/{id}?done=committed"))),
        Err(e) => Err(WebError::refused(e, back)),
    }
}

#[derive(Deserialize)]
pub struct DrawForm {
    version: i32,
    #[serde(default)]
    reveal: Vec<String>,
    #[serde(default)]
    confirm: String,
}

/// An irreversible step's form: only its confirmation box.
#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    confirm: String,
}

/// Whether the form's confirmation box was ticked.
fn ticked(confirm: &str) -> bool {
    confirm == "yes"
}

pub async fn draw(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<DrawForm>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    match s
        .app
        .draw(&ctx, id, f.version, &f.reveal, ticked(&f.confirm))
        .await
    {
        Ok(()) => Ok(see_other(format!("/staff/tasks/{id}?done=drawn"))),
        Err(e) => Err(WebError::refused(e, format!("/staff/tasks/{id}"))),
    }
}

#[derive(Deserialize)]
pub struct WitnessForm {
    name: String,
    role: String,
    #[serde(default)]
    organisation: String,
}

pub async fn add_witness(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<WitnessForm>,
) -> Result<Response, WebError> {
    let back = format!("/staff/tasks/{id}");
    let Some(role) = WitnessRole::from_code(&f.role) else {
        return Err(WebError::Refused {
            message: "请选择见证人身份".into(),
            back,
        });
    };
    let ctx = staff.context(s.clock.now());
    match s
        .app
        .add_witness(&ctx, id, &f.name, role, &f.organisation)
        .await
    {
        Ok(()) => Ok(see_other(format!("/staff/tasks/{id}?done=witness"))),
        Err(e) => Err(WebError::refused(e, back)),
    }
}

#[derive(Deserialize)]
pub struct CancelForm {
    version: i32,
    reason: String,
}

pub async fn cancel(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<CancelForm>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    match s.app.cancel(&ctx, id, f.version, &f.reason).await {
        Ok(()) => Ok(see_other(format!("/staff/tasks/{id}?done=cancelled"))),
        Err(e) => Err(WebError::refused(e, format!("/staff/tasks/{id}"))),
    }
}

#[derive(Deserialize)]
pub struct SubstituteForm {
    version: i32,
    /// `inspector` or `entity`.
    kind: String,
    id: String,
    reason: String,
}

pub async fn substitute(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<SubstituteForm>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    let kind = if f.kind == "inspector" {
        liancha_app::tasks::Substitution::Inspector
    } else {
        liancha_app::tasks::Substitution::Entity
    };
    match s
        .app
        .substitute(&ctx, id, f.version, kind, &f.id, &f.reason)
        .await
    {
        Ok(()) => Ok(see_other(format!("/staff/tasks/{id}?done=substituted"))),
        Err(e) => Err(WebError::refused(e, format!("/staff/tasks/{id}"))),
    }
}

/// See [`liancha_app::tasks::may_read_whole_task`].
pub(crate) fn may_read_whole_task(staff: &Staff, task: &Task) -> bool {
    liancha_app::tasks::may_read_whole_task(&staff.context(chrono::Utc::now()), task)
}

async fn load_whole_task(s: &AppState, staff: &Staff, id: i64) -> Result<Task, WebError> {
    Ok(s.app.whole_task(&staff.context(s.clock.now()), id).await?)
}

/// The draw record as a file, for `liancha verify` or the browser verifier.
pub async fn record(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    load_whole_task(&s, &staff, id).await?;
    let Some(json) = staff.rows(&s).draw_record(id).await? else {
        return Err(WebError::NotFound("该任务尚未抽取".into()));
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/json; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"draw-task-{id}.json\""),
            ),
        ],
        json,
    )
        .into_response())
}

/// The committed plan as a file: published before the sources exist.
pub async fn plan(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    load_whole_task(&s, &staff, id).await?;
    let Some(json) = staff.rows(&s).plan_json(id).await? else {
        return Err(WebError::NotFound("该任务尚未封存抽取方案".into()));
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/json; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"plan-task-{id}.json\""),
            ),
        ],
        json,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "staff/exclusions.html")]
struct ExclusionsPage {
    staff: Staff,
    task: Task,
    rows: Vec<Exclusion>,
}

pub async fn exclusions(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> PageResult {
    let task = load_whole_task(&s, &staff, id).await?;
    render(&ExclusionsPage {
        rows: staff.rows(&s).exclusions(id).await?,
        task,
        staff,
    })
}

// ---------------------------------------------------------------- printable documents

#[derive(Template)]
#[template(path = "staff/documents.html")]
struct DocumentsPage {
    names: Names,
    task: Task,
    visits: Vec<Visit>,
    teams: BTreeMap<i32, Vec<TeamMember>>,
    categories: &'static [ResultCategory],
    methods: &'static [InspectionMethod],
    forms: bool,
    /// `http://host` the notice's QR code points to.
    origin: String,
}

impl DocumentsPage {
    /// A QR code (inline SVG) of the public check page for a visit's code.
    fn qr(&self, code: &str) -> String {
        let url = format!("{}/check?code={code}", self.origin);
        match qrcode::QrCode::new(url.as_bytes()) {
            Ok(q) => {
                let svg = q
                    .render::<qrcode::render::svg::Color>()
                    .min_dimensions(120, 120)
                    .quiet_zone(true)
                    .build();
                // Inline in HTML: drop the XML prolog.
                svg.find("<svg")
                    .map(|i| svg[i..].to_string())
                    .unwrap_or_default()
            }
            Err(_) => String::new(),
        }
    }
}

/// The address people reach this server at, from the request (a proxy's
/// `X-Forwarded-Proto` says whether it is https).
fn origin(headers: &axum::http::HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("127.0.0.1:8080");
    let https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}

/// 检查通知书 (`forms=false`) or 检查记录表 (`forms=true`), one page per entity.
async fn documents(s: AppState, staff: Staff, id: i64, forms: bool, origin: String) -> PageResult {
    let (task, _) = load_task(&s, &staff, id).await?;
    if task.drawn_at.is_none() {
        return Err(WebError::NotFound("该任务尚未抽取".into()));
    }
    let mut teams: BTreeMap<i32, Vec<TeamMember>> = BTreeMap::new();
    for m in staff
        .rows(&s)
        .team_members(id)
        .await?
        .into_iter()
        .filter(|m| m.active)
    {
        teams.entry(m.team_no).or_default().push(m);
    }
    let mut visits = staff.rows(&s).visits(id).await?;
    visits.retain(|v| v.team_no.is_some() && v.state != VisitState::Replaced);
    if staff.principal.role == Role::Inspector {
        let me = staff.principal.inspector_id.clone().unwrap_or_default();
        visits.retain(|v| {
            v.team_no
                .and_then(|t| teams.get(&t))
                .is_some_and(|m| m.iter().any(|m| m.inspector_id == me))
        });
    }
    render(&DocumentsPage {
        names: Names::load(&s, &staff.county.code).await?,
        categories: ResultCategory::ALL,
        methods: InspectionMethod::ALL,
        task,
        visits,
        teams,
        forms,
        origin,
    })
}

pub async fn notices(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    headers: axum::http::HeaderMap,
) -> PageResult {
    documents(s, staff, id, false, origin(&headers)).await
}

pub async fn forms(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    headers: axum::http::HeaderMap,
) -> PageResult {
    documents(s, staff, id, true, origin(&headers)).await
}

// ---------------------------------------------------------------- the inspector's visits

#[derive(Template)]
#[template(path = "staff/my.html")]
struct MyPage {
    staff: Staff,
    rows: Vec<(Visit, String)>,
}

pub async fn my_visits(State(s): State<AppState>, staff: Staff) -> PageResult {
    let Some(me) = staff.principal.inspector_id.clone() else {
        return Err(WebError::Forbidden);
    };
    let mut rows = Vec::new();
    let mut titles: BTreeMap<i64, String> = BTreeMap::new();
    for v in staff.rows(&s).visits_for_inspector(&me).await? {
        if let std::collections::btree_map::Entry::Vacant(e) = titles.entry(v.task_id) {
            e.insert(staff.rows(&s).task_or_404(v.task_id).await?.title);
        }
        let title = titles[&v.task_id].clone();
        rows.push((v, title));
    }
    render(&MyPage { staff, rows })
}

#[derive(Template)]
#[template(path = "staff/visit.html")]
struct VisitPage {
    staff: Staff,
    names: Names,
    notice: Option<&'static str>,
    task: Task,
    visit: Visit,
    team: Vec<TeamMember>,
    results: BTreeMap<String, ItemResult>,
    categories: &'static [ResultCategory],
    methods: &'static [InspectionMethod],
    editable: bool,
    can_attach: bool,
    attachments: Vec<liancha_store::results::Attachment>,
    review_department: Option<String>,
    today: NaiveDate,
    /// The items whose results this user enters: all for the team, the own
    /// department's for its staff.
    entry_items: Vec<String>,
}

impl VisitPage {
    fn enters(&self, item: &str) -> bool {
        self.entry_items.iter().any(|c| c == item)
    }
    fn checked(&self, item: &str, c: &ResultCategory) -> bool {
        self.results
            .get(item)
            .is_some_and(|r| r.categories.contains(c))
    }
    fn method_checked(&self, item: &str, m: &InspectionMethod) -> bool {
        self.results
            .get(item)
            .is_some_and(|r| r.methods.contains(m))
    }
    fn findings(&self, item: &str) -> String {
        self.results
            .get(item)
            .map(|r| r.findings.clone())
            .unwrap_or_default()
    }
}

pub async fn visit(
    State(s): State<AppState>,
    staff: Staff,
    Path((id, entity)): Path<(i64, String)>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let ctx = staff.context(s.clock.now());
    let view = s.app.visit_view(&ctx, id, &entity).await?;
    let attachments = staff
        .rows(&s)
        .attachments(id)
        .await?
        .into_iter()
        .filter(|a| a.entity_id.as_deref() == Some(entity.as_str()))
        .collect();
    render(&VisitPage {
        can_attach: view.can_attach,
        attachments,
        names: Names::load(&s, &staff.county.code).await?,
        notice: done_message(&q.done),
        results: staff.rows(&s).visit_results(id, &entity).await?,
        categories: ResultCategory::ALL,
        methods: InspectionMethod::ALL,
        today: china_date(s.clock.now()),
        editable: view.editable,
        review_department: view.review_department,
        entry_items: view.entry_items,
        task: view.access.task,
        visit: view.access.visit,
        team: view.access.team,
        staff,
    })
}

/// Result form: `inspected_on`, and per item `cat_<code>` (repeated), `method_<code>`
/// (repeated), `findings_<code>`. Every item the form carries a field of is passed
/// on, with the items the user enters: whether the user may enter them is the use
/// case's to say.
pub async fn record_results(
    State(s): State<AppState>,
    Path((id, entity)): Path<(i64, String)>,
    CsrfForm(staff, f): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    let back = format!("/staff/tasks/{id}/visits/{entity}");
    let access = s
        .app
        .visit_access(&ctx, id, &entity)
        .await
        .map_err(|e| WebError::refused(e, back.clone()))?;
    let entry = liancha_app::review::entry_items(&ctx, &access.task);
    let get = |k: &str| {
        f.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let inspected_on = NaiveDate::parse_from_str(get("inspected_on").trim(), "%Y-%m-%d").ok();
    let mut results = Vec::new();
    for item in &access.task.items {
        let keys = [
            format!("cat_{}", item.code),
            format!("method_{}", item.code),
            format!("findings_{}", item.code),
        ];
        if !entry.contains(&item.code) && !f.iter().any(|(k, _)| keys.contains(k)) {
            continue;
        }
        let mut categories = Vec::new();
        let mut methods = Vec::new();
        for (k, v) in &f {
            if *k == keys[0] {
                match ResultCategory::from_code(v) {
                    Some(c) => categories.push(c),
                    None => {
                        return Err(WebError::Refused {
                            message: format!("未知的检查结果「{v}」"),
                            back,
                        });
                    }
                }
            } else if *k == keys[1] {
                match InspectionMethod::from_code(v) {
                    Some(m) => methods.push(m),
                    None => {
                        return Err(WebError::Refused {
                            message: format!("未知的检查方式「{v}」"),
                            back,
                        });
                    }
                }
            }
        }
        results.push(ItemResult {
            item_code: item.code.clone(),
            categories,
            methods,
            findings: get(&keys[2]).to_string(),
        });
    }
    match s
        .app
        .record_results(&ctx, id, &entity, inspected_on, &results)
        .await
    {
        Ok(VisitState::Submitted) => Ok(see_other(format!("{back}?done=submitted"))),
        Ok(_) => Ok(see_other(format!("{back}?done=saved"))),
        Err(e) => Err(WebError::refused(e, back)),
    }
}

#[derive(Deserialize)]
pub struct ReturnForm {
    note: String,
}

pub async fn return_visit(
    State(s): State<AppState>,
    Path((id, entity)): Path<(i64, String)>,
    CsrfForm(staff, f): CsrfForm<ReturnForm>,
) -> Result<Response, WebError> {
    let back = format!("/staff/tasks/{id}/visits/{entity}");
    let ctx = staff.context(s.clock.now());
    match s.app.return_visit(&ctx, id, &entity, &f.note).await {
        Ok(()) => Ok(see_other(format!("{back}?done=returned"))),
        Err(e) => Err(WebError::refused(e, back)),
    }
}

pub async fn approve(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<ConfirmForm>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    match s.app.approve_results(&ctx, id, ticked(&f.confirm)).await {
        Ok(()) => Ok(see_other(format!("/staff/tasks/{id}?done=approved"))),
        Err(e) => Err(WebError::refused(e, format!("/staff/tasks/{id}"))),
    }
}

#[derive(Deserialize)]
pub struct VersionForm {
    version: i32,
    #[serde(default)]
    confirm: String,
}

pub async fn publish(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<VersionForm>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    match s.app.publish(&ctx, id, f.version, ticked(&f.confirm)).await {
        Ok(()) => Ok(see_other(format!("/staff/tasks/{id}?done=published"))),
        Err(e) => Err(WebError::refused(e, format!("/staff/tasks/{id}"))),
    }
}

// ---------------------------------------------------------------- follow-up and credit

#[derive(Template)]
#[template(path = "staff/follow_ups.html")]
struct FollowUpsPage {
    staff: Staff,
    names: Names,
    notice: Option<&'static str>,
    rows: Vec<FollowUp>,
    proposals: Vec<CreditProposal>,
    kinds: &'static [FollowUpKind],
    department: Option<String>,
    can_manage: bool,
    /// Item names by code, for the items each row came from.
    item_names: BTreeMap<String, String>,
}

impl FollowUpsPage {
    /// 「营业执照…的检查、农药经营的检查」: the items a row came from, by name.
    fn items(&self, codes: &[String]) -> String {
        codes
            .iter()
            .map(|c| self.item_names.get(c).cloned().unwrap_or_else(|| c.clone()))
            .collect::<Vec<_>>()
            .join("、")
    }
}

pub async fn follow_ups(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let department = staff.department_view()?;
    let can_manage = department
        .as_deref()
        .is_some_and(|d| staff.may(&Action::ManageFollowUp { department: d }));
    render(&FollowUpsPage {
        names: Names::load(&s, &staff.county.code).await?,
        notice: done_message(&q.done),
        rows: staff
            .rows(&s)
            .follow_ups(department.as_deref(), false)
            .await?,
        proposals: staff
            .rows(&s)
            .credit_proposals(department.as_deref())
            .await?,
        kinds: FollowUpKind::ALL,
        department,
        can_manage,
        item_names: staff
            .rows(&s)
            .items(false)
            .await?
            .into_iter()
            .map(|i| (i.code, i.name))
            .collect(),
        staff,
    })
}

#[derive(Deserialize)]
pub struct FollowUpForm {
    /// `update` or `close`.
    action: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    due_on: String,
    #[serde(default)]
    target_department: String,
    #[serde(default)]
    note: String,
}

pub async fn update_follow_up(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<FollowUpForm>,
) -> Result<Response, WebError> {
    use liancha_app::follow_up::FollowUpChange;
    let back = "/staff/follow-ups".to_string();
    let change = if f.action == "close" {
        FollowUpChange::Close { note: f.note }
    } else {
        let Some(kind) = FollowUpKind::from_code(&f.kind) else {
            return Err(WebError::Refused {
                message: "请选择处置方式".into(),
                back,
            });
        };
        let due_on = if f.due_on.trim().is_empty() {
            None
        } else {
            match NaiveDate::parse_from_str(f.due_on.trim(), "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    return Err(WebError::Refused {
                        message: "期限须为日期".into(),
                        back,
                    });
                }
            }
        };
        FollowUpChange::Update {
            kind,
            due_on,
            target_department: Some(f.target_department.trim().to_string())
                .filter(|t| !t.is_empty()),
            note: f.note,
        }
    };
    let ctx = staff.context(s.clock.now());
    match s.app.change_follow_up(&ctx, id, change).await {
        Ok(()) => Ok(see_other("/staff/follow-ups?done=follow-up".into())),
        Err(e) => Err(WebError::refused(e, back)),
    }
}

#[derive(Deserialize)]
pub struct CreditForm {
    decision: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    confirm: String,
}

pub async fn decide_credit(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<CreditForm>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    match s
        .app
        .decide_credit(
            &ctx,
            id,
            f.decision == "confirm",
            &f.note,
            ticked(&f.confirm),
        )
        .await
    {
        Ok(()) => Ok(see_other("/staff/follow-ups?done=credit".into())),
        Err(e) => Err(WebError::refused(e, "/staff/follow-ups".into())),
    }
}

// ---------------------------------------------------------------- targeted inspections

#[derive(Template)]
#[template(path = "staff/targeted.html")]
struct TargetedPage {
    staff: Staff,
    notice: Option<&'static str>,
    rows: Vec<TargetedInspection>,
    sources: &'static [TargetedSource],
    can_record: bool,
    today: NaiveDate,
}

pub async fn targeted(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let department = staff.department_view()?;
    render(&TargetedPage {
        notice: done_message(&q.done),
        rows: staff
            .rows(&s)
            .targeted_inspections(department.as_deref())
            .await?,
        sources: TargetedSource::ALL,
        can_record: department
            .as_deref()
            .is_some_and(|d| staff.may(&Action::RecordTargeted { department: d })),
        today: china_date(s.clock.now()),
        staff,
    })
}

#[derive(Deserialize)]
pub struct TargetedForm {
    entity_id: String,
    source: String,
    document_ref: String,
    inspected_on: String,
    #[serde(default)]
    items: String,
    #[serde(default)]
    findings: String,
}

pub async fn record_targeted(
    State(s): State<AppState>,
    CsrfForm(staff, f): CsrfForm<TargetedForm>,
) -> Result<Response, WebError> {
    staff.require(&Action::RecordTargeted {
        department: staff.principal.department.as_deref().unwrap_or_default(),
    })?;
    let back = "/staff/targeted".to_string();
    let Some(source) = TargetedSource::from_code(&f.source) else {
        return Err(WebError::Refused {
            message: "请选择来源".into(),
            back,
        });
    };
    let Ok(inspected_on) = NaiveDate::parse_from_str(f.inspected_on.trim(), "%Y-%m-%d") else {
        return Err(WebError::Refused {
            message: "请填写检查日期".into(),
            back,
        });
    };
    let t = liancha_app::records::TargetedInput {
        entity_id: f.entity_id,
        source,
        document_ref: f.document_ref,
        inspected_on,
        items: f
            .items
            .split([',', '，', '、', ' '])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(String::from)
            .collect(),
        findings: f.findings,
    };
    s.app
        .record_targeted(&staff.context(s.clock.now()), t)
        .await
        .map_err(|e| WebError::refused(e, back))?;
    Ok(see_other("/staff/targeted?done=targeted".into()))
}

// ---------------------------------------------------------------- audit

#[derive(Template)]
#[template(path = "staff/audit.html")]
struct AuditPage {
    staff: Staff,
    rows: Vec<AuditEntry>,
    task: Option<i64>,
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    task: Option<i64>,
}

/// The latest 500 entries, or one task's whole history (for whoever may read or
/// manage the task).
pub async fn audit(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<AuditQuery>,
) -> PageResult {
    let rows = match q.task {
        Some(id) => {
            let (_, scope) = load_task(&s, &staff, id).await?;
            if !(staff.may(&Action::ReadAudit) || staff.may(&Action::ManageTask(&scope))) {
                return Err(WebError::Forbidden);
            }
            staff.rows(&s).audit_for_task(id).await?
        }
        None => {
            staff.require(&Action::ReadAudit)?;
            staff.rows(&s).audit_recent(500).await?
        }
    };
    render(&AuditPage {
        rows,
        task: q.task,
        staff,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_to_basis_points() {
        assert_eq!(parse_percent_bp("3"), Some(300));
        assert_eq!(parse_percent_bp("2.5"), Some(250));
        assert_eq!(parse_percent_bp("0.05%"), Some(5));
        assert_eq!(parse_percent_bp("100"), Some(10_000));
        assert_eq!(parse_percent_bp("100.01"), None);
        assert_eq!(parse_percent_bp("1.234"), None);
        assert_eq!(parse_percent_bp("-1"), None);
        assert_eq!(format_bp(&250), "2.5");
        assert_eq!(format_bp(&5), "0.05");
        assert_eq!(format_bp(&300), "3");
    }
}

// ---------------------------------------------------------------- conflicts of interest

#[derive(Template)]
#[template(path = "staff/conflicts.html")]
struct ConflictsPage {
    staff: Staff,
    names: Names,
    notice: Option<&'static str>,
    rows: Vec<liancha_store::tasks::ConflictDeclaration>,
    can_declare: bool,
}

/// Department admins see and declare their own inspectors' conflicts; the county
/// coordinator and oversight see all, the coordinator declares any.
pub async fn conflicts(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let department = staff.department_view()?;
    render(&ConflictsPage {
        names: Names::load(&s, &staff.county.code).await?,
        notice: done_message(&q.done),
        rows: staff
            .rows(&s)
            .conflict_declarations(department.as_deref())
            .await?,
        can_declare: s.app.may_declare_conflicts(&staff.context(s.clock.now())),
        staff,
    })
}

#[derive(Deserialize)]
pub struct ConflictForm {
    inspector_id: String,
    entity_id: String,
    kind: String,
    reason: String,
}

pub async fn declare_conflict(
    State(s): State<AppState>,
    CsrfForm(staff, f): CsrfForm<ConflictForm>,
) -> Result<Response, WebError> {
    let c = liancha_app::records::ConflictInput {
        inspector_id: f.inspector_id,
        entity_id: f.entity_id,
        entity_request: f.kind == "entity-request",
        reason: f.reason,
    };
    s.app
        .declare_conflict(&staff.context(s.clock.now()), &c)
        .await
        .map_err(|e| WebError::refused(e, "/staff/conflicts".into()))?;
    Ok(see_other("/staff/conflicts?done=conflict".into()))
}
