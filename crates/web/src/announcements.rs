//! 抽查任务公告: a task is public from the moment its plan is sealed, not from its
//! results weeks later. Commit-before-reveal protects the public only if the public
//! sees the commitment (the plan digest, the sources and when each will be revealed)
//! before the reveal: a county that sealed, looked at the outcome, cancelled and
//! sealed again would otherwise show a second record that verifies perfectly.
//! A cancelled task's announcement stays, with its reason. The selected entities,
//! teams and the draw record are not shown here: they become public with the results.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use liancha_domain::EntityType;
use liancha_domain::calendar::format_china_time_seconds;
use liancha_domain::workflow::TaskState;
use liancha_store::tasks::{Task, TaskFilter, Visit};

use crate::pages::Portal;
use crate::staff::Names;
use crate::{AppState, WebError};

/// Where the task's scope reaches, as the announcement and the API say it.
pub fn scope_text(task: &Task) -> String {
    let s = &task.scope;
    let mut out = if s.townships.is_empty() {
        "全县".to_string()
    } else {
        s.townships.join("、")
    };
    if !s.entity_types.is_empty() {
        let types: Vec<String> = s
            .entity_types
            .iter()
            .map(|c| EntityType::from_code(c).map_or_else(|| c.clone(), |t| t.label().into()))
            .collect();
        out.push_str(&format!("；类型 {}", types.join("、")));
    }
    if !s.risk_classes.is_empty() {
        out.push_str(&format!("；风险分类 {}", s.risk_classes.join("、")));
    }
    if !s.industry_sections.is_empty() {
        out.push_str(&format!("；行业门类 {}", s.industry_sections.join("、")));
    }
    if !s.tags.is_empty() {
        out.push_str(&format!("；标签 {}", s.tags.join("、")));
    }
    out
}

/// What became of an announced task, in the public's words.
pub fn stage(task: &Task) -> &'static str {
    match task.state {
        TaskState::Committed => "方案已封存，待揭示随机源",
        TaskState::Drawn => "已抽取，检查中",
        TaskState::Published => "结果已公示",
        TaskState::Cancelled => "已取消",
        TaskState::Draft => "草稿",
    }
}

#[derive(Template)]
#[template(path = "public/announcement.html")]
struct AnnouncementPage {
    portal: Option<Portal>,
    names: Names,
    task: Task,
    scope: String,
    quotas: String,
    /// The entities drawn, in draw order, where the county publishes them from
    /// the draw on; `None` where they come with the results.
    selection: Option<Vec<Visit>>,
    /// The task's entries in the transparency log.
    log: Vec<crate::transparency::Row>,
}

impl AnnouncementPage {
    fn seconds(&self, t: &chrono::DateTime<chrono::Utc>) -> String {
        format_china_time_seconds(*t)
    }
    fn stage(&self) -> &'static str {
        stage(&self.task)
    }
}

/// The entities a task drew, where its county publishes them from the draw on:
/// the visits in force (a replaced one gives way to its replacement), in draw
/// order. `None` before the draw, for a cancelled task, once published (the
/// results say it all), or where the county keeps them for the results.
pub async fn selection(
    c: &liancha_store::County<'_>,
    task: &Task,
) -> Result<Option<Vec<Visit>>, WebError> {
    if task.state != TaskState::Drawn || !c.announces_selection().await? {
        return Ok(None);
    }
    let mut visits: Vec<Visit> = c
        .visits(task.id)
        .await?
        .into_iter()
        .filter(|v| v.state != liancha_domain::workflow::VisitState::Replaced)
        .collect();
    visits.sort_by_key(|v| v.draw_order);
    Ok(Some(visits))
}

/// The announcement of a sealed task not yet published; `None` when the task was
/// never sealed (or is not there): the public cannot tell which.
pub async fn page(s: &AppState, id: i64) -> Result<Option<Html<String>>, WebError> {
    let Some(county) = s.app.public().announced_task_county(id).await? else {
        return Ok(None);
    };
    let portal = Portal::of(s, county.as_str()).await?;
    let Some(task) = portal.rows(s).task(id).await? else {
        return Ok(None);
    };
    if task.committed_at.is_none() {
        return Ok(None);
    }
    let selection = selection(&portal.rows(s), &task).await?;
    let log = s
        .app
        .public()
        .task_log_entries(portal.code.as_str(), id)
        .await?;
    Ok(Some(Html(
        AnnouncementPage {
            selection,
            log: crate::transparency::rows(s, log).await?,
            names: Names::load(s, &portal.code).await?,
            scope: scope_text(&task),
            quotas: crate::staff::quotas_text(&task),
            task,
            portal: Some(portal),
        }
        .render()?,
    )))
}

#[derive(Template)]
#[template(path = "public/announcements.html")]
struct ListPage {
    portal: Option<Portal>,
    names: Names,
    tasks: Vec<Task>,
    total: usize,
    page: usize,
    pages: usize,
}

impl ListPage {
    fn stage(&self, t: &Task) -> &'static str {
        stage(t)
    }
    fn link(&self, page: impl std::borrow::Borrow<usize>) -> String {
        let code = self.portal.as_ref().map_or("", |p| p.code.as_str());
        match *page.borrow() {
            1 => format!("/c/{code}/announcements"),
            n => format!("/c/{code}/announcements?page={n}"),
        }
    }
}

/// Announcements per page of the list.
const PER_PAGE: usize = 50;

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    page: String,
}

/// A county's announcements, newest first: every task whose plan was sealed.
pub async fn list(
    State(s): State<AppState>,
    portal: Portal,
    Query(q): Query<ListQuery>,
) -> Result<Html<String>, WebError> {
    let tasks = portal
        .rows(&s)
        .tasks(&TaskFilter {
            announced: true,
            ..TaskFilter::default()
        })
        .await?;
    let total = tasks.len();
    let (tasks, page, pages) = crate::pages::page_of(tasks, &q.page, PER_PAGE);
    Ok(Html(
        ListPage {
            names: Names::load(&s, &portal.code).await?,
            tasks,
            total,
            page,
            pages,
            portal: Some(portal),
        }
        .render()?,
    ))
}
