//! Public pages (一公开) that need no account: check a visit by the code on its
//! notice, published tasks with their draw, and the in-browser draw verifier.
//! Only what has been published is shown; staff-only fields never are.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use chrono::Datelike;
use liancha_domain::workflow::{ResultCategory, TaskState, VisitState};
use liancha_store::tasks::{Task, TaskFilter, TeamMember, Visit};
use serde::Deserialize;

use crate::pages::{Portal, query_pair};
use crate::staff::Names;
use crate::{AppState, WebError};

#[derive(Template)]
#[template(path = "public/check.html")]
struct CheckPage {
    portal: Option<Portal>,
    names: Names,
    code: String,
    found: Option<(Task, Visit, Vec<TeamMember>)>,
    /// 扫码入企: the visit's check-ins (when and who), the entity's inspections this
    /// year across departments with the annual cap, its rating of this visit.
    check_ins: Vec<liancha_store::results::CheckIn>,
    year: Vec<liancha_store::results::EntityInspection>,
    cap: i64,
    /// Ratings the visit has had: the page says how many, never what (whoever
    /// holds the code, the team included, would read the entity's word).
    ratings: i64,
    done: Option<&'static str>,
    /// The entity has just rated the visit: the form is not offered again at once.
    just_rated: bool,
    /// A refused rating or complaint: which form, the message, what was entered.
    refused: Option<(&'static str, String)>,
    posted: FeedbackForm,
    /// 信用修复: the entity's listings in the county, and its applications.
    listings: Vec<liancha_store::results::Listing>,
    repairs: Vec<liancha_store::results::CreditRepair>,
    /// 异议: once the result is published, the objections made and their answers.
    objections: Vec<liancha_store::results::ResultObjection>,
    published: bool,
    today: chrono::NaiveDate,
    /// The section the done message belongs to.
    done_at: &'static str,
}

#[derive(Deserialize, Default)]
pub struct CheckQuery {
    #[serde(default)]
    code: String,
    #[serde(default)]
    done: String,
}

/// 扫码入企: the entity enters the code printed on its notice (or scans its QR code)
/// and sees which task, which team and which items the visit is for, when the team
/// checked in, its inspections this year; it rates the visit and may complain to the
/// oversight office. Names and departments of the team only: no ids, no phones.
pub async fn check(
    State(s): State<AppState>,
    Query(q): Query<CheckQuery>,
) -> Result<Response, WebError> {
    let done = match q.done.as_str() {
        "rated" => Some(
            "感谢评价。评价由县委编办或县政府督查室汇总，用于改进检查工作；评价内容不在本页显示。",
        ),
        "complained" => Some(
            "投诉已提交县委编办或县政府督查室，检查部门看不到。留了联系方式的，处理后会与您联系；匿名投诉不记录联系人和电话。",
        ),
        "repair" => Some(
            "信用修复申请已提交，作出列入决定的部门自受理之日起 15 个工作日内决定；决定和理由可在本页查看。",
        ),
        "objected" => Some("异议已提交检查部门，核实后答复；答复可在本页查看。"),
        _ => None,
    };
    let mut page = check_page(&s, &q.code, done, None, FeedbackForm::default()).await?;
    page.just_rated = q.done == "rated";
    page.done_at = match q.done.as_str() {
        "repair" => "repair",
        "objected" => "objection",
        _ => "feedback",
    };
    Ok(Html(page.render()?).into_response())
}

async fn check_page(
    s: &AppState,
    code: &str,
    done: Option<&'static str>,
    refused: Option<(&'static str, String)>,
    posted: FeedbackForm,
) -> Result<CheckPage, WebError> {
    let code = code.trim().to_ascii_uppercase();
    let mut page = CheckPage {
        portal: None,
        names: Names::default(),
        code: code.clone(),
        found: None,
        check_ins: Vec::new(),
        year: Vec::new(),
        cap: 0,
        ratings: 0,
        done,
        just_rated: false,
        refused,
        posted,
        listings: Vec::new(),
        repairs: Vec::new(),
        objections: Vec::new(),
        published: false,
        today: liancha_domain::calendar::china_date(s.clock.now()),
        done_at: "feedback",
    };
    // The code does not name its county: each county holding it is looked at.
    let counties = if !code.is_empty() && code.len() <= 16 {
        s.app.public().check_code_counties(&code).await?
    } else {
        Vec::new()
    };
    for county in counties {
        let c = s.app.public_county(&county);
        let Some(visit) = c.visit_by_code(&code).await? else {
            continue;
        };
        let task = c.task_or_404(visit.task_id).await?;
        if matches!(task.state, TaskState::Drawn | TaskState::Published) {
            let team = c
                .team_members(task.id)
                .await?
                .into_iter()
                .filter(|m| m.active && Some(m.team_no) == visit.team_no)
                .collect();
            page.check_ins = c.check_ins(task.id, &visit.entity_id).await?;
            page.year = c
                .entity_inspections(&visit.entity_id, task.year, task.id)
                .await?;
            page.cap = i64::from(c.rule_book(task.domain).await?.annual_cap);
            page.ratings = c.visit_ratings_count(task.id, &visit.entity_id).await?;
            page.listings = c.listings_of_entity(&visit.entity_id).await?;
            page.repairs = c.credit_repairs_of_entity(&visit.entity_id).await?;
            page.published =
                task.state == TaskState::Published && visit.state == VisitState::Published;
            if page.published {
                page.objections = c.objections_of_visit(task.id, &visit.entity_id).await?;
            }
            page.found = Some((task, visit, team));
            page.portal = Some(Portal::of(s, county.as_str()).await?);
            page.names = Names::load(s, &county).await?;
            break;
        }
    }
    Ok(page)
}

/// The rating and complaint forms of the check page, as posted.
#[derive(Deserialize, Default)]
pub struct FeedbackForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    stars: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    anonymous: String,
    #[serde(default)]
    contact: String,
    /// 信用修复: the listing applied about, its grounds, what was done, who to call.
    #[serde(default)]
    proposal: String,
    #[serde(default)]
    list: String,
    #[serde(skip)]
    grounds: Vec<String>,
    #[serde(default)]
    statement: String,
    #[serde(default)]
    repair_contact: String,
    /// 异议: what is objected to, who to answer.
    #[serde(default)]
    objection: String,
    #[serde(default)]
    objection_contact: String,
    #[serde(default)]
    objection_department: String,
}

/// The entity's answer to a rating or complaint: back to the page, or the page
/// again with why it was refused and what was entered.
async fn feedback_answer(
    s: &AppState,
    f: FeedbackForm,
    form: &'static str,
    result: Result<(), liancha_app::AppError>,
) -> Result<Response, WebError> {
    let code = f.code.trim().to_ascii_uppercase();
    match result {
        Ok(()) => {
            let (done, anchor) = match form {
                "rate" => ("rated", "feedback"),
                "repair" => ("repair", "repair"),
                "object" => ("objected", "objection"),
                _ => ("complained", "feedback"),
            };
            Ok(axum::response::Redirect::to(&format!(
                "/check?code={}&done={done}#{anchor}",
                crate::pages::url_encode(&code),
            ))
            .into_response())
        }
        Err(liancha_app::AppError::NotFound(_)) => Err(WebError::NotFound("未找到该核验码".into())),
        Err(
            liancha_app::AppError::Invalid { message, .. }
            | liancha_app::AppError::WrongState(message)
            | liancha_app::AppError::Conflict(message),
        ) => {
            let page = check_page(s, &code, None, Some((form, message)), f).await?;
            Ok((
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                Html(page.render()?),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn rate(
    State(s): State<AppState>,
    axum::Form(f): axum::Form<FeedbackForm>,
) -> Result<Response, WebError> {
    let code = f.code.trim().to_ascii_uppercase();
    let r = s
        .app
        .rate_visit(&code, &f.stars, &f.comment, s.clock.now())
        .await;
    feedback_answer(&s, f, "rate", r).await
}

pub async fn complain(
    State(s): State<AppState>,
    axum::Form(f): axum::Form<FeedbackForm>,
) -> Result<Response, WebError> {
    let code = f.code.trim().to_ascii_uppercase();
    let r = s
        .app
        .complain(
            &code,
            &f.text,
            !f.anonymous.is_empty(),
            &f.contact,
            s.clock.now(),
        )
        .await
        .map(|_| ());
    feedback_answer(&s, f, "complain", r).await
}

/// 信用修复 through the code: `proposal` (the listing), `list`, repeated `grounds`,
/// `statement`, `repair_contact`.
pub async fn apply_repair(
    State(s): State<AppState>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let p = crate::pages::Pairs(&pairs);
    let f = FeedbackForm {
        code: p.one("code").into(),
        proposal: p.one("proposal").into(),
        list: p.one("list").into(),
        grounds: p.all("grounds", 10),
        statement: p.one("statement").into(),
        repair_contact: p.one("repair_contact").into(),
        ..FeedbackForm::default()
    };
    let code = f.code.trim().to_ascii_uppercase();
    let r = match f.proposal.trim().parse::<i64>() {
        Ok(proposal) => {
            let form = liancha_app::credit_repair::RepairForm {
                proposal,
                list: &f.list,
                grounds: &f.grounds,
                statement: &f.statement,
                contact: &f.repair_contact,
            };
            s.app
                .apply_credit_repair_by_code(&code, &form, s.clock.now())
                .await
                .map(|_| ())
        }
        Err(_) => Err(liancha_app::AppError::invalid("请选择要申请移出的名单记录")),
    };
    feedback_answer(&s, f, "repair", r).await
}

/// 异议 through the code: `objection`, `objection_contact`.
pub async fn object(
    State(s): State<AppState>,
    axum::Form(f): axum::Form<FeedbackForm>,
) -> Result<Response, WebError> {
    let code = f.code.trim().to_ascii_uppercase();
    let r = s
        .app
        .object_to_result(
            &code,
            &f.objection_department,
            &f.objection,
            &f.objection_contact,
            s.clock.now(),
        )
        .await
        .map(|_| ());
    feedback_answer(&s, f, "object", r).await
}

impl CheckPage {
    /// The grounds of a listing's list, for its application form.
    fn grounds(
        &self,
        list: &liancha_domain::workflow::CreditList,
    ) -> Vec<liancha_domain::credit_repair::RepairGround> {
        liancha_domain::credit_repair::RepairGround::of(*list)
    }

    fn ground_ticked(&self, g: &str) -> bool {
        self.posted.grounds.iter().any(|x| x == g)
    }

    /// Whether this listing's form is the one refused (its error and values shown).
    fn posted_for(&self, l: &liancha_store::results::Listing) -> bool {
        self.refused_for("repair").is_some()
            && self.posted.proposal.trim() == l.proposal_id.to_string()
            && self.repair_form(l)
    }

    /// Whether the listing's application form is offered: it stands, may be
    /// repaired now, and no application of it awaits a decision.
    fn repair_form(&self, l: &liancha_store::results::Listing) -> bool {
        l.standing() && self.repair_from(l).is_none() && !self.repair_pending(l)
    }

    /// The departments of the visit's items, in the task's order: whose results
    /// an objection may be about.
    fn objection_departments(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if let Some((task, _, _)) = &self.found {
            for i in &task.items {
                if !out.contains(&i.department) {
                    out.push(i.department.clone());
                }
            }
        }
        out
    }

    /// A refused application whose listing the page does not show (none of the
    /// entity's): its message, said at the top.
    fn repair_refused_elsewhere(&self) -> Option<&str> {
        self.refused_for("repair")
            .filter(|_| !self.listings.iter().any(|l| self.posted_for(l)))
    }

    /// The applications about one listing.
    fn repairs_of(
        &self,
        l: &liancha_store::results::Listing,
    ) -> Vec<&liancha_store::results::CreditRepair> {
        self.repairs
            .iter()
            .filter(|a| a.proposal_id == l.proposal_id)
            .collect()
    }

    /// The day the entity may apply from, while that is still to come (the
    /// blacklist's year); `None` when it may apply now.
    fn repair_from(&self, l: &liancha_store::results::Listing) -> Option<chrono::NaiveDate> {
        let listed = l.listed_at.map(liancha_domain::calendar::china_date)?;
        let first = liancha_domain::credit_repair::first_repair_day(l.list, listed);
        (first > self.today).then_some(first)
    }

    /// Whether an application of this listing awaits a decision.
    fn repair_pending(&self, l: &liancha_store::results::Listing) -> bool {
        self.repairs_of(l)
            .iter()
            .any(|a| a.state == liancha_domain::credit_repair::RepairState::Applied)
    }

    fn date(&self, t: impl std::borrow::Borrow<Option<chrono::DateTime<chrono::Utc>>>) -> String {
        t.borrow()
            .map(|t| liancha_domain::calendar::china_date(t).to_string())
            .unwrap_or_else(|| "—".into())
    }

    fn done_in(&self, section: &str) -> bool {
        self.done_at == section
    }

    fn replaced(&self) -> bool {
        self.found
            .as_ref()
            .is_some_and(|(_, v, _)| v.state == VisitState::Replaced)
    }

    fn refused_for(&self, form: &str) -> Option<&str> {
        self.refused
            .as_ref()
            .filter(|(f, _)| *f == form)
            .map(|(_, m)| m.as_str())
    }

    fn stars_checked(&self, n: &u8) -> bool {
        self.posted.stars.parse::<u8>() == Ok(*n)
    }

    /// The entity's inspections this year that count toward the cap (all of them).
    fn counted(&self) -> usize {
        self.year.len()
    }

    fn stars(&self, n: &u8) -> String {
        liancha_domain::check_in::stars_label(*n)
    }

    /// Whether `i` is the visit of this code.
    fn is_this(&self, i: &liancha_store::results::EntityInspection) -> bool {
        self.found
            .as_ref()
            .is_some_and(|(t, _, _)| i.task_id == Some(t.id))
    }

    fn departments(&self, d: &[String]) -> String {
        d.iter()
            .map(|c| self.names.dept(c))
            .collect::<Vec<_>>()
            .join("、")
    }
}

#[derive(Template)]
#[template(path = "public/tasks.html")]
struct TasksPage {
    portal: Option<Portal>,
    /// Per county shown: its name, its department names and its published tasks.
    counties: Vec<(String, Names, Vec<Task>)>,
}

async fn published_tasks(c: &liancha_store::County<'_>) -> Result<Vec<Task>, WebError> {
    Ok(c.tasks(&TaskFilter {
        state: Some(TaskState::Published),
        ..TaskFilter::default()
    })
    .await?)
}

/// A county's published tasks, newest first.
pub async fn tasks(State(s): State<AppState>, portal: Portal) -> Result<Html<String>, WebError> {
    let tasks = published_tasks(&portal.rows(&s)).await?;
    Ok(Html(
        TasksPage {
            counties: vec![(
                portal.name.clone(),
                Names::load(&s, &portal.code).await?,
                tasks,
            )],
            portal: Some(portal),
        }
        .render()?,
    ))
}

/// Every county's published tasks, county by county.
pub async fn tasks_everywhere(State(s): State<AppState>) -> Result<Html<String>, WebError> {
    let mut counties = Vec::new();
    for d in s.divisions().await?.iter() {
        if d.level() != liancha_domain::org::Level::County {
            continue;
        }
        let tasks = published_tasks(&s.app.public_county(&d.code)).await?;
        if !tasks.is_empty() {
            counties.push((d.name.clone(), Names::load(&s, &d.code).await?, tasks));
        }
    }
    Ok(Html(
        TasksPage {
            portal: None,
            counties,
        }
        .render()?,
    ))
}

/// A published task and its county's portal; any other id is not found.
async fn published(s: &AppState, id: i64) -> Result<(Portal, Task), WebError> {
    let missing = || WebError::NotFound(format!("已公示的任务 {id}"));
    let county = s
        .app
        .public()
        .published_task_county(id)
        .await?
        .ok_or_else(missing)?;
    let portal = Portal::of(s, county.as_str()).await?;
    match portal.rows(s).task(id).await? {
        Some(t) if t.state == TaskState::Published => Ok((portal, t)),
        _ => Err(missing()),
    }
}

/// A published task's draw record, for anyone to verify.
pub async fn record(State(s): State<AppState>, Path(id): Path<i64>) -> Result<Response, WebError> {
    let (portal, _) = published(&s, id).await?;
    let json = portal
        .rows(&s)
        .draw_record(id)
        .await?
        .ok_or_else(|| WebError::NotFound("抽取记录".into()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/json; charset=utf-8".to_string(),
            ),
            (header::CACHE_CONTROL, "public, max-age=3600".to_string()),
        ],
        json,
    )
        .into_response())
}

#[derive(Deserialize, Default)]
pub struct VerifyQuery {
    #[serde(default)]
    task: Option<i64>,
}

#[derive(Template)]
#[template(path = "public/verify.html")]
struct VerifyPage {
    portal: Option<Portal>,
    task: Option<Task>,
}

/// Recomputes a draw in the visitor's own browser (Web Crypto, no library).
pub async fn verify(
    State(s): State<AppState>,
    Query(q): Query<VerifyQuery>,
) -> Result<Html<String>, WebError> {
    let (portal, task) = match q.task {
        Some(id) => {
            let (p, t) = published(&s, id).await?;
            (Some(p), Some(t))
        }
        None => (None, None),
    };
    Ok(Html(VerifyPage { portal, task }.render()?))
}

pub async fn script(Path(name): Path<String>) -> Result<Response, WebError> {
    let body = match name.as_str() {
        "verify.js" => include_str!("../static/verify.js"),
        "verify-page.js" => include_str!("../static/verify-page.js"),
        "verify-log.js" => include_str!("../static/verify-log.js"),
        "task-form.js" => include_str!("../static/task-form.js"),
        "import-upload.js" => include_str!("../static/import-upload.js"),
        "check-in.js" => include_str!("../static/check-in.js"),
        _ => return Err(WebError::NotFound("文件不存在".into())),
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "public/task.html")]
struct TaskPage {
    portal: Option<Portal>,
    names: Names,
    task: Task,
    seed: String,
    witnesses: Vec<liancha_store::tasks::Witness>,
    teams: std::collections::BTreeMap<i32, Vec<TeamMember>>,
    /// This page's visits.
    results: Vec<PublicVisit>,
    attachments: Vec<liancha_store::results::Attachment>,
    /// Visits published, and those of them with a problem.
    total: usize,
    with_problems: usize,
    problems_only: bool,
    page: usize,
    pages: usize,
}

/// One entity's published results, as a line of the public task page.
struct PublicVisit {
    entity_id: String,
    entity_name: String,
    results: Vec<liancha_store::results::PublishedResult>,
}

/// A task's published results (in draw order, an entity's items together) as one
/// card per visit, in the order the visits were made: by the first day inspected,
/// draw order among visits of one day, visits without a date last.
fn by_visit(rows: Vec<liancha_store::results::PublishedResult>) -> Vec<PublicVisit> {
    let mut visits: Vec<PublicVisit> = Vec::new();
    for r in rows {
        match visits.last_mut() {
            Some(v) if v.entity_id == r.entity_id => v.results.push(r),
            _ => visits.push(PublicVisit {
                entity_id: r.entity_id.clone(),
                entity_name: r.entity_name.clone(),
                results: vec![r],
            }),
        }
    }
    visits.sort_by_key(|v| {
        let first = v.results.iter().filter_map(|r| r.inspected_on).min();
        (first.is_none(), first)
    });
    visits
}

impl PublicVisit {
    fn has_problem(&self) -> bool {
        self.results
            .iter()
            .any(|r| r.categories.iter().any(|c| c.is_problem()))
    }

    /// Every item 未发现问题: said once for the visit rather than per item.
    fn all_clear(&self) -> bool {
        self.results
            .iter()
            .all(|r| r.categories == [ResultCategory::NoProblem] && r.correction.is_none())
    }

    /// The days inspected, each once.
    fn days(&self) -> String {
        let mut days: Vec<chrono::NaiveDate> =
            self.results.iter().filter_map(|r| r.inspected_on).collect();
        days.sort_unstable();
        days.dedup();
        days.iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("、")
    }
}

impl TaskPage {
    fn link(&self, page: impl std::borrow::Borrow<usize>) -> String {
        let page = *page.borrow();
        let mut q = String::new();
        if self.problems_only {
            crate::pages::query_pair(&mut q, "show", "problems");
        }
        if page > 1 {
            crate::pages::query_pair(&mut q, "page", &page.to_string());
        }
        if q.is_empty() {
            format!("/public/tasks/{}", self.task.id)
        } else {
            format!("/public/tasks/{}?{q}", self.task.id)
        }
    }
}

/// Visits per page of a published task: a county-wide task has over a thousand.
const VISITS_PER_PAGE: usize = 50;

#[derive(Deserialize, Default)]
pub struct PublicTaskQuery {
    #[serde(default)]
    show: String,
    #[serde(default)]
    page: String,
}

/// A published task: its plan digest, sources and revealed values, seed, teams (names
/// and departments), witnesses, and each entity's results.
pub async fn task(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<PublicTaskQuery>,
) -> Result<Html<String>, WebError> {
    // Not published yet: its announcement, from the moment the plan was sealed.
    if s.app.public().published_task_county(id).await?.is_none() {
        return crate::announcements::page(&s, id)
            .await?
            .ok_or_else(|| WebError::NotFound(format!("任务 {id}")));
    }
    let (portal, task) = published(&s, id).await?;
    let c = portal.rows(&s);
    let record = c.draw_record(id).await?.unwrap_or_default();
    let seed = liancha_draw::Record::parse(record.as_bytes())
        .map(|r| r.seed_hex())
        .unwrap_or_default();
    let mut teams: std::collections::BTreeMap<i32, Vec<TeamMember>> =
        std::collections::BTreeMap::new();
    for m in c.team_members(id).await?.into_iter().filter(|m| m.active) {
        teams.entry(m.team_no).or_default().push(m);
    }
    let mut visits = by_visit(c.published_results_of_task(id).await?);
    let total = visits.len();
    let with_problems = visits.iter().filter(|v| v.has_problem()).count();
    let problems_only = q.show == "problems";
    if problems_only {
        visits.retain(PublicVisit::has_problem);
    }
    let (results, page, pages) = crate::pages::page_of(visits, &q.page, VISITS_PER_PAGE);
    Ok(Html(
        TaskPage {
            names: Names::load(&s, &portal.code).await?,
            witnesses: c.witnesses(id).await?,
            attachments: c
                .attachments(id)
                .await?
                .into_iter()
                .filter(|a| a.public)
                .collect(),
            seed,
            teams,
            results,
            total,
            with_problems,
            problems_only,
            page,
            pages,
            task,
            portal: Some(portal.clone()),
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "public/plans.html")]
struct PlansPage {
    portal: Option<Portal>,
    names: Names,
    plans: Vec<liancha_store::plans::AnnualPlan>,
}

/// A county's published annual plans.
pub async fn plans(State(s): State<AppState>, portal: Portal) -> Result<Html<String>, WebError> {
    Ok(Html(
        PlansPage {
            names: Names::load(&s, &portal.code).await?,
            plans: portal.rows(&s).annual_plans(None, true).await?,
            portal: Some(portal),
        }
        .render()?,
    ))
}

#[derive(Template)]
#[template(path = "public/lists.html")]
struct ListsPage {
    portal: Option<Portal>,
    query: ListsQuery,
    list: liancha_domain::workflow::CreditList,
    /// Entities on each list, before the filter: for the tabs.
    counts: [usize; 2],
    /// The filter's matches on this page, of `total`.
    rows: Vec<Listed>,
    total: usize,
    page: usize,
    pages: usize,
    townships: Vec<String>,
}

impl ListsPage {
    fn lists(&self) -> &'static [liancha_domain::workflow::CreditList] {
        liancha_domain::workflow::CreditList::ALL
    }

    fn count(&self, list: &liancha_domain::workflow::CreditList) -> usize {
        self.counts[*list as usize]
    }

    fn base(&self) -> String {
        match &self.portal {
            Some(p) => format!("/c/{}/lists", p.code),
            None => "/public/lists".into(),
        }
    }

    /// This page's filter with `page` (askama passes a field by reference, a sum by value).
    fn link(&self, page: impl std::borrow::Borrow<usize>) -> String {
        let mut q = format!("list={}", self.list.code());
        query_pair(&mut q, "state", &self.query.state);
        query_pair(&mut q, "q", &self.query.q);
        query_pair(&mut q, "township", &self.query.township);
        format!("{}?{q}&page={}", self.base(), page.borrow())
    }

    /// The open-data download of the whole list, for this county or every county.
    fn download(&self, ext: &str) -> String {
        let county = self
            .portal
            .as_ref()
            .map(|p| format!("?county={}", p.code))
            .unwrap_or_default();
        format!("/api/v1/lists/{}.{ext}{county}", self.list.code())
    }
}

/// The lists page's filter: which list, part of the name or the code, a township.
#[derive(Deserialize, Default, Clone)]
pub struct ListsQuery {
    #[serde(default)]
    list: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    township: String,
    #[serde(default)]
    page: String,
    /// `removed`: those taken off the list (移出), with when and why.
    #[serde(default)]
    state: String,
}

/// Entities on a list page.
const LIST_PAGE: usize = 50;

/// One entity on a credit list: its county's code and name, its id, name, township,
/// since when; for one taken off, when and why.
pub struct Listed {
    pub county: String,
    pub county_name: String,
    pub id: String,
    pub name: String,
    pub township: String,
    pub listed_on: Option<chrono::NaiveDate>,
    pub removed_on: Option<chrono::NaiveDate>,
    pub reason: String,
}

async fn listed(
    s: &AppState,
    county: &liancha_domain::org::Division,
    list: liancha_domain::workflow::CreditList,
    removed: bool,
) -> Result<Vec<Listed>, WebError> {
    let c = s.app.public_county(&county.code);
    if removed {
        return Ok(c
            .listings(list, true)
            .await?
            .into_iter()
            .map(|l| Listed {
                county: county.code.to_string(),
                county_name: county.name.clone(),
                listed_on: l.listed_at.map(liancha_domain::calendar::china_date),
                removed_on: l.removed_at.map(liancha_domain::calendar::china_date),
                reason: l.removal_reason.unwrap_or_default(),
                id: l.entity_id,
                name: l.entity_name,
                township: l.township,
            })
            .collect());
    }
    Ok(c.listed_entities(list)
        .await?
        .into_iter()
        .map(|e| Listed {
            county: county.code.to_string(),
            county_name: county.name.clone(),
            id: e.id,
            name: e.name,
            township: e.township,
            listed_on: e.listed_on,
            removed_on: None,
            reason: String::new(),
        })
        .collect())
}

/// One list of `counties`, filtered and a page of it.
async fn lists_page(
    s: &AppState,
    portal: Option<Portal>,
    counties: &[liancha_domain::org::Division],
    query: ListsQuery,
) -> Result<Html<String>, WebError> {
    use liancha_domain::workflow::CreditList;
    let list = CreditList::from_code(&query.list).unwrap_or(CreditList::Abnormal);
    let removed = query.state == "removed";
    let mut counts = [0; 2];
    let mut all = Vec::new();
    for l in CreditList::ALL {
        let mut rows = Vec::new();
        for c in counties {
            rows.extend(listed(s, c, *l, false).await?);
        }
        counts[*l as usize] = rows.len();
        if *l == list && !removed {
            all = rows;
        }
    }
    if removed {
        for c in counties {
            all.extend(listed(s, c, list, true).await?);
        }
    }
    let mut townships: Vec<String> = all.iter().map(|e| e.township.clone()).collect();
    townships.sort();
    townships.dedup();
    let q = query.q.trim();
    let rows: Vec<Listed> = all
        .into_iter()
        .filter(|e| q.is_empty() || e.name.contains(q) || e.id.starts_with(&q.to_ascii_uppercase()))
        .filter(|e| query.township.is_empty() || e.township == query.township)
        .collect();
    let total = rows.len();
    let (rows, page, pages) = crate::pages::page_of(rows, &query.page, LIST_PAGE);
    Ok(Html(
        ListsPage {
            portal,
            query,
            list,
            counts,
            rows,
            total,
            page,
            pages,
            townships,
        }
        .render()?,
    ))
}

/// A county's abnormal list and serious-violation list, as recorded.
pub async fn lists(
    State(s): State<AppState>,
    portal: Portal,
    Query(query): Query<ListsQuery>,
) -> Result<Html<String>, WebError> {
    let county = liancha_domain::org::Division {
        code: portal.code.clone(),
        name: portal.name.clone(),
    };
    lists_page(&s, Some(portal), &[county], query).await
}

/// Every county's abnormal and serious-violation lists: one list for the province.
pub async fn lists_everywhere(
    State(s): State<AppState>,
    Query(query): Query<ListsQuery>,
) -> Result<Html<String>, WebError> {
    let counties: Vec<_> = s
        .divisions()
        .await?
        .iter()
        .filter(|d| d.level() == liancha_domain::org::Level::County)
        .cloned()
        .collect();
    lists_page(&s, None, &counties, query).await
}

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    before: Option<i64>,
}

#[derive(Template)]
#[template(path = "public/results.html")]
struct ResultsPage {
    portal: Option<Portal>,
    /// Department names per county code, for the counties on the page.
    names: std::collections::BTreeMap<String, Names>,
    counties: std::collections::BTreeMap<String, String>,
    q: String,
    error: Option<String>,
    by_id: bool,
    page: liancha_store::search::ResultPage,
    first_page: bool,
}

impl ResultsPage {
    fn next_href(&self) -> Option<String> {
        self.page.next.map(|n| {
            let q: String = form_urlencode(&self.q);
            format!("/public/results?q={q}&before={n}")
        })
    }
    fn categories(&self, r: &liancha_store::search::PublicResult) -> String {
        r.categories
            .iter()
            .filter(|c| !r.problems || c.is_problem())
            .map(|c| c.label())
            .collect::<Vec<_>>()
            .join("；")
    }
    fn published_on(&self, r: &liancha_store::search::PublicResult) -> chrono::NaiveDate {
        liancha_domain::calendar::china_date(r.published_at)
    }
    fn departments(&self, r: &liancha_store::search::PublicResult) -> String {
        r.departments
            .iter()
            .map(|d| {
                self.names
                    .get(&r.county)
                    .map_or_else(|| d.clone(), |n| n.dept(d))
            })
            .collect::<Vec<_>>()
            .join("、")
    }
    fn county_name(&self, r: &liancha_store::search::PublicResult) -> String {
        self.counties.get(&r.county).cloned().unwrap_or_default()
    }
}

fn form_urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Published results by entity name (any part of it, e.g. 「农资」) or by USCC,
/// newest first, 20 to a page.
pub async fn results(
    State(s): State<AppState>,
    Query(q): Query<SearchQuery>,
) -> Result<Html<String>, WebError> {
    use liancha_domain::search::{QueryError, ResultQuery};
    let mut page = ResultsPage {
        portal: None,
        names: Default::default(),
        counties: s
            .divisions()
            .await?
            .iter()
            .map(|d| (d.code.to_string(), d.name.clone()))
            .collect(),
        q: q.q.trim().to_string(),
        error: None,
        by_id: false,
        page: Default::default(),
        first_page: q.before.is_none(),
    };
    match ResultQuery::parse(&q.q) {
        Ok(query) => {
            page.by_id = matches!(query, ResultQuery::EntityId(_));
            page.page = s
                .app
                .public()
                .search_published(&query, q.before, 20)
                .await?;
            for r in &page.page.rows {
                if !page.names.contains_key(&r.county)
                    && let Ok(code) = liancha_domain::org::DivisionCode::parse(&r.county)
                {
                    page.names
                        .insert(r.county.clone(), Names::load(&s, &code).await?);
                }
            }
        }
        // An empty box is the page before the first search, not a mistake.
        Err(QueryError::Empty) if q.q.trim().is_empty() => {}
        Err(e) => page.error = Some(e.to_string()),
    }
    Ok(Html(page.render()?))
}

#[derive(Deserialize, Default)]
pub struct StatsQuery {
    #[serde(default)]
    year: Option<i32>,
}

/// A year's figures, recomputed only when something new has been published. One
/// computation at a time: a burst of visitors waits for it instead of repeating it.
async fn cached_stats(
    s: &AppState,
    portal: &Portal,
    year: i32,
) -> Result<std::sync::Arc<liancha_store::search::PublicStats>, WebError> {
    let version = s.app.public().public_results_version().await?;
    let mut cache = s.stats_cache.lock().await;
    let key = (portal.code.clone(), year);
    if let Some((v, stats)) = cache.get(&key)
        && *v == version
    {
        return Ok(stats.clone());
    }
    let stats = std::sync::Arc::new(portal.rows(s).public_stats(year).await?);
    cache.insert(key, (version, stats.clone()));
    Ok(stats)
}

#[derive(Template)]
#[template(path = "public/stats.html")]
struct StatsPage {
    portal: Option<Portal>,
    names: Names,
    stats: std::sync::Arc<liancha_store::search::PublicStats>,
    township_chart: String,
    department_chart: String,
    category_chart: String,
}

impl StatsPage {
    /// Askama passes arguments by reference.
    fn share(&self, part: &i64, whole: &i64) -> String {
        crate::oversight::percent(liancha_domain::figures::basis_points(*part, *whole))
    }
    fn coverage(&self) -> String {
        self.share(&self.stats.entities, &self.stats.active_entities)
    }
    fn problem_rate(&self) -> String {
        self.share(&self.stats.with_problems, &self.stats.inspections)
    }
}

/// Coverage statistics of published results, by year: per township (share of active
/// entities inspected), per department, per result category. Unpublished work never
/// counts.
pub async fn stats(
    State(s): State<AppState>,
    portal: Portal,
    Query(q): Query<StatsQuery>,
) -> Result<Html<String>, WebError> {
    use crate::oversight::{bar_chart, percent};
    let this_year = liancha_domain::calendar::today_in_china().year();
    let year = q.year.unwrap_or(this_year);
    if !(2000..=this_year + 1).contains(&year) {
        return Err(WebError::BadRequest(format!(
            "年份 {year} 不在可查询范围内"
        )));
    }
    let mut stats = cached_stats(&s, &portal, year).await?;
    // Without a chosen year, show the latest year that has anything published.
    if q.year.is_none()
        && stats.inspections == 0
        && let Some(&latest) = stats.years.first()
    {
        stats = cached_stats(&s, &portal, latest).await?;
    }
    let names = Names::load(&s, &portal.code).await?;
    let share = liancha_domain::figures::basis_points;
    let township_chart = bar_chart(
        "各乡镇抽查覆盖率（已检查户数 ÷ 存续户数）",
        &stats
            .by_township
            .iter()
            .map(|(t, _, _, entities, active)| {
                let bp = share(*entities, *active);
                (t.clone(), bp, percent(bp))
            })
            .collect::<Vec<_>>(),
    );
    let department_chart = bar_chart(
        "各部门参与检查户次",
        &stats
            .by_department
            .iter()
            .map(|(d, n, p)| (names.dept(d), *n, format!("{n}（发现问题 {p}）")))
            .collect::<Vec<_>>(),
    );
    let category_chart = bar_chart(
        "检查结果分类（户次；一户有几种结果即分别计入，合计可多于检查户次）",
        &stats
            .by_category
            .iter()
            .map(|(c, n)| (c.label().to_string(), *n, n.to_string()))
            .collect::<Vec<_>>(),
    );
    Ok(Html(
        StatsPage {
            portal: Some(portal),
            names,
            stats,
            township_chart,
            department_chart,
            category_chart,
        }
        .render()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use liancha_domain::workflow::ResultCategory;
    use liancha_store::results::PublishedResult;

    fn row(entity: &str, item: &str, day: Option<u32>) -> PublishedResult {
        PublishedResult {
            county: "532323".into(),
            task_id: 1,
            task_title: "任务".into(),
            published_at: None,
            entity_id: entity.into(),
            entity_name: format!("主体{entity}"),
            item_code: item.into(),
            item_name: item.into(),
            department: "amr".into(),
            inspected_on: day.map(|d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap()),
            categories: vec![ResultCategory::NoProblem],
            methods: Vec::new(),
            correction: None,
        }
    }

    #[test]
    fn visits_read_in_the_order_they_were_made() {
        // Draw order A, B, C, D: B inspected first, A and D the same later day, C
        // (its second item on an earlier day) before them; a visit without a date last.
        let rows = vec![
            row("A", "SC-001", Some(20)),
            row("A", "SC-002", Some(20)),
            row("B", "SC-001", Some(3)),
            row("E", "SC-001", None),
            row("C", "SC-001", Some(25)),
            row("C", "SC-002", Some(10)),
            row("D", "SC-001", Some(20)),
        ];
        let order: Vec<(String, usize)> = by_visit(rows)
            .into_iter()
            .map(|v| (v.entity_id, v.results.len()))
            .collect();
        let expected = [("B", 1), ("C", 2), ("A", 2), ("D", 1), ("E", 1)];
        assert_eq!(order, expected.map(|(e, n)| (e.to_string(), n)).to_vec());
    }
}
