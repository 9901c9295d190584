//! Staff pages of the joint inspection: tasks from draft to publication, the
//! inspector's own visits, review, follow-up, credit, targeted inspections. One
//! file per area; here what they share (names for codes, times, banners). Each
//! handler parses the request and calls a use case of `liancha_app`, which checks
//! the permission and the rules.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use liancha_domain::auth::{Action, Role, TaskScope};
use liancha_domain::calendar::{china, china_date, format_china_time};
use liancha_domain::check_points::Answer;
use liancha_domain::org::DivisionCode;
use liancha_domain::workflow::{
    DeadlineFlag, FollowUpKind, FollowUpState, ResultCategory, SourceDecl, TargetedSource,
    TaskMode, TaskState, VisitState, WitnessRole, deadline_flag,
};
use liancha_domain::{Department, Domain, EntityType, InspectionMethod, Item, RiskClass};
use liancha_store::results::{
    CreditProposal, FollowUp, ItemResult, ReviewStatus, TargetedInspection,
};
use liancha_store::tasks::{
    Exclusion, NewTask, QuotaSpec, Task, TaskFilter, TaskScopeFilter, TeamMember, Visit, Witness,
};
use serde::Deserialize;

use crate::session::{CsrfForm, Staff};
use crate::{AppState, WebError};

mod approval_sheet;
mod audit;
mod documents;
mod follow_up;
mod pdf;
mod points;
mod records;
mod review;
mod task;
pub(crate) mod task_form;
mod visit_table;
mod visits;

pub use approval_sheet::*;
pub use audit::*;
pub use documents::*;
pub use follow_up::*;
pub use pdf::*;
pub use records::*;
pub use review::*;
pub use task::*;
pub use task_form::*;
pub use visit_table::export_visits;
pub use visits::*;

type PageResult = Result<Html<String>, WebError>;

fn render<T: Template>(t: &T) -> PageResult {
    Ok(Html(t.render()?))
}

fn see_other(to: String) -> Response {
    Redirect::to(&to).into_response()
}

/// The task, if the user may read it, with its scope.
async fn load_task(s: &AppState, staff: &Staff, id: i64) -> Result<(Task, TaskScope), WebError> {
    Ok(s.app.task_access(&staff.context(s.clock.now()), id).await?)
}

/// An irreversible step's form: only its confirmation box.
#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(default)]
    confirm: String,
}

/// Whether the form's confirmation box was ticked.
pub(crate) fn ticked(confirm: &str) -> bool {
    confirm == "yes"
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

    /// Names of these departments, for tests.
    #[cfg(test)]
    pub fn of(departments: Vec<Department>) -> Names {
        Names {
            departments: departments.into(),
        }
    }
}

pub fn time(t: &DateTime<Utc>) -> String {
    format_china_time(*t)
}

/// To the second: for times enforced to the second.
pub fn time_seconds(t: &DateTime<Utc>) -> String {
    liancha_domain::calendar::format_china_time_seconds(*t)
}

/// The messages a refused form has for `field`, joined: what its page shows beside
/// the field (`None` when the field is fine).
pub(crate) fn field_messages(errors: &[(String, String)], field: &str) -> Option<String> {
    let m: Vec<&str> = errors
        .iter()
        .filter(|(f, _)| f == field)
        .map(|(_, m)| m.as_str())
        .collect();
    (!m.is_empty()).then(|| m.join("；"))
}

/// A date in a printed document: 2026年12月9日.
pub fn cn_date(d: &chrono::NaiveDate) -> String {
    liancha_domain::calendar::chinese_date(*d)
}

pub fn time_opt(t: &Option<DateTime<Utc>>) -> String {
    t.as_ref().map(time).unwrap_or_default()
}

/// A banner after a redirect, from a fixed list (never text from the URL).
pub fn done_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "password" => "密码已修改。",
        "created" => "任务已创建（草稿）。",
        "updated" => "任务已修改。已报请或已获的检查审批随之失效，封存前须重新报请审批。",
        "committed" => "抽取方案已封存，方案摘要已记入日志。",
        "plan-filed" => "备案信息已保存；每次登记和更正都记入操作日志。",
        "approval-requested" => "已报请部门负责人审批。审批同意后才能封存抽取方案。",
        "approval-granted" => "已同意。报请人现在可以封存抽取方案。",
        "approval-refused" => "已不同意。审批意见记入任务页，报请人打开任务即可看到。",
        "drawn" => "抽取完成，检查组与检查对象已确定。",
        "witness" => "见证人已登记。",
        "cancelled" => "任务已取消。",
        "substituted" => "已按规则替补，并记入日志。",
        "checked-in" => "已签到（扫码入企）。现在可以录入检查结果。",
        "handled" => "投诉处理情况已保存，并记入操作日志。",
        "submitted" => "检查结果已提交，待部门审核。",
        "saved" => "本部门事项的结果已保存；其他部门录入各自事项后即提交审核。",
        "draft" => "已暂存，尚未提交。再次打开本户即可接着填写，填完后请点“提交检查结果”。",
        "returned" => "已退回，检查组修改后重新提交。",
        "approved" => "本部门已审核通过。",
        "published" => "检查结果已公示。",
        "follow-up" => "后续处置已更新。",
        "follow-up-closed" => "后续处置已办结。",
        "credit" => "信用名单建议已处理。",
        "log-witness" => "证人已登记：此后接受其联署。",
        "credit-removed" => "已移出名单，该主体的名单标记已取消，并已记入透明日志。",
        "credit-removed-kept" => {
            "已移出该项列入，并已记入透明日志；该主体另有同类列入仍然有效，名单标记保留。"
        }
        "repair-registered" => "信用修复申请已登记，请在期限内作出决定。",
        "repair-granted" => {
            "已准予信用修复：该主体已移出名单，名单标记取消、风险分类随之恢复，并已记入透明日志。"
        }
        "repair-granted-kept" => {
            "已准予信用修复并移出该项列入，已记入透明日志；该主体另有同类列入仍然有效，名单标记保留。"
        }
        "repair-refused" => "已作出不予信用修复的决定，申请人可通过核验码查看理由。",
        "objection-upheld" => "已答复异议：维持原结果。",
        "objection-corrected" => "检查结果已更正：公示结果旁显示更正日期和理由，并已记入透明日志。",
        "targeted" => "定向检查已登记。",
        "targeted-checked-in" => {
            "已现场签到：时间、在场人员和位置已记录，这次检查计入该主体本年度的检查次数。检查结束后在下表中填写检查情况。"
        }
        "targeted-checked-in-no-place" => {
            "已现场签到：时间和在场人员已记录（手机未提供位置），这次检查计入该主体本年度的检查次数。检查结束后在下表中填写检查情况。"
        }
        "targeted-findings" => "检查情况已保存。",
        "user" => "账号已创建，首次登录须修改密码。",
        "user-updated" => "账号状态已更新。",
        "record-edited" => "已保存，并记入变更记录。",
        "user-edited" => "账号已修改，新的角色在该用户下一次操作时生效。",
        "password-reset" => "密码已重置：该账号已退出，须用新的初始密码登录并修改密码。",
        "plan" => "计划已保存。",
        "attachment" => "材料已上传。",
        "conflict" => "回避关系已登记，今后封存的抽取方案将包含它。",
        "plan-published" => "计划已公布。",
        "calendar" => "节假日安排已更新。",
        "division" => "行政区划已建立；其首个系统管理员首次登录须修改初始密码。",
        "township" => "乡镇已添加。",
        "announcements" => "任务公告设置已保存。",
        "department" => "部门已保存。",
        "numbering" => {
            "发文字号已保存：此后公布的计划、封存的任务和抽取时的检查通知书按新的代字编号，已编的文号不变。"
        }
        "rule-book" => "实施细则的新版本已保存，今天起施行：此后封存的任务按新版本抽取。",
        "rule-book-waiting" => {
            "实施细则的新版本已保存，自所填施行日期起适用；在此之前封存的任务仍按现行版本抽取。"
        }
        "joint-list" => {
            "联合抽查事项清单已保存。报请公布的清单有改动时，须经县委编办在“联合抽查事项清单”页面审定后才在公开页面列出。"
        }
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
    /// A head's tasks waiting for approval (检查审批).
    approvals: Vec<liancha_store::tasks::PendingApproval>,
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
        Role::DepartmentAdmin | Role::DepartmentHead => TaskFilter {
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
    let approvals = s
        .app
        .pending_approvals(&staff.context(s.clock.now()))
        .await?;
    let mut tasks = task_rows(&s, &staff).await?;
    tasks.truncate(20);
    render(&HomePage {
        approvals,
        names: Names::load(&s, &staff.county.code).await?,
        notice: done_message(&q.done),
        my_visits,
        open_follow_ups,
        open_proposals,
        tasks,
        staff,
    })
}
