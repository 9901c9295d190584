//! Annual plans: list, create, add planned tasks, publish, start a task from an entry.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Datelike;
use liancha_app::plans::{NewPlan, NewPlanEntry};
use liancha_domain::calendar::china_date;
use liancha_domain::{Domain, Item};
use liancha_store::plans::AnnualPlan;
use serde::Deserialize;

use crate::session::{CsrfForm, Staff};
use crate::setup::FormError;
use crate::staff::{DoneQuery, Names, done_message};
use crate::{AppState, WebError};

#[derive(Template)]
#[template(path = "staff/plans.html")]
struct PlansPage {
    staff: Staff,
    names: Names,
    notice: Option<&'static str>,
    plans: Vec<AnnualPlan>,
    query: PlansQuery,
    base: String,
    total: i64,
    page: i64,
    pages: i64,
    years: Vec<i32>,
    domains: &'static [Domain],
    can_create: bool,
    /// The form's values: next year's, or what a refused form held.
    form: NewPlanForm,
    errors: Vec<FormError>,
}

impl PlansPage {
    fn page_link(&self, page: impl std::borrow::Borrow<i64>) -> String {
        let page = format!("page={}", page.borrow());
        crate::directory::link("/staff/plans", &self.base, &page)
    }

    fn export_link(&self, format: &str) -> String {
        let format = format!("format={format}");
        crate::directory::link("/staff/plans/export", &self.base, &format)
    }

    fn err(&self, field: &str) -> Option<String> {
        messages(&self.errors, field)
    }
    fn chose(&self, department: &str) -> bool {
        self.form.departments.iter().any(|d| d == department)
    }
}

/// The messages of `field` in `errors`, joined (askama passes arguments by reference).
fn messages(errors: &[FormError], field: &str) -> Option<String> {
    let m: Vec<&str> = errors
        .iter()
        .filter(|e| e.on(field))
        .map(|e| e.message.as_str())
        .collect();
    (!m.is_empty()).then(|| m.join("；"))
}

/// The plan list's search and page, as the query string says.
#[derive(Deserialize, Default, Clone)]
pub struct PlansQuery {
    #[serde(default)]
    done: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    department: String,
    /// "published" or "draft".
    #[serde(default)]
    state: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    format: String,
}

impl PlansQuery {
    fn base(&self) -> String {
        crate::directory::query_string(&[
            ("q", &self.q),
            ("year", &self.year),
            ("domain", &self.domain),
            ("department", &self.department),
            ("state", &self.state),
        ])
    }

    /// The plans it finds, newest year first (then the newest plan).
    fn apply(&self, mut plans: Vec<AnnualPlan>) -> Vec<AnnualPlan> {
        let text = self.q.trim().to_lowercase();
        let year: Option<i32> = self.year.trim().parse().ok();
        let domain = Domain::from_code(&self.domain);
        let department = self.department.trim();
        plans.retain(|p| {
            (text.is_empty()
                || p.title.to_lowercase().contains(&text)
                || p.number.contains(self.q.trim())
                || p.entries
                    .iter()
                    .any(|e| e.title.to_lowercase().contains(&text)))
                && year.is_none_or(|y| p.year == y)
                && domain.is_none_or(|d| p.domain == d)
                && (department.is_empty()
                    || p.lead_department == department
                    || p.departments.iter().any(|d| d == department))
                && match self.state.as_str() {
                    "published" => p.published_at.is_some(),
                    "draft" => p.published_at.is_none(),
                    _ => true,
                }
        });
        plans.sort_by_key(|p| std::cmp::Reverse((p.year, p.id)));
        plans
    }
}

pub async fn plans(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<PlansQuery>,
) -> Result<Html<String>, WebError> {
    // The lead department belongs to the domain shown (a department's own, the
    // market's first for the coordinator), as on the task form.
    let names = Names::load(&s, &staff.county.code).await?;
    let (domain, lead_department) =
        crate::staff::task_form::default_lead(&names, staff.principal.department.as_deref());
    let form = NewPlanForm {
        year: (china_date(s.clock.now()).year() + 1).to_string(),
        domain: domain.code().to_string(),
        lead_department,
        ..NewPlanForm::default()
    };
    let notice = done_message(&q.done);
    Ok(Html(plans_page(&s, staff, notice, q, form, vec![]).await?))
}

async fn plans_page(
    s: &AppState,
    staff: Staff,
    notice: Option<&'static str>,
    query: PlansQuery,
    form: NewPlanForm,
    errors: Vec<FormError>,
) -> Result<String, WebError> {
    let all = staff.rows(s).annual_plans(None, false).await?;
    let mut years: Vec<i32> = all.iter().map(|p| p.year).collect();
    years.sort_unstable_by(|a, b| b.cmp(a));
    years.dedup();
    let crate::directory::Paged {
        rows,
        total,
        page,
        pages,
    } = crate::directory::paged(query.apply(all), &query.page);
    Ok(PlansPage {
        names: Names::load(s, &staff.county.code).await?,
        notice,
        plans: rows,
        base: query.base(),
        query,
        total,
        page,
        pages,
        years,
        domains: Domain::ALL,
        can_create: s.app.may_plan(&staff.context(s.clock.now())),
        form,
        errors,
        staff,
    }
    .render()?)
}

#[derive(Deserialize, Default, Clone)]
pub struct NewPlanForm {
    #[serde(default)]
    year: String,
    #[serde(default)]
    domain: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    lead_department: String,
    #[serde(default)]
    departments: Vec<String>,
}

pub async fn create(
    State(s): State<AppState>,
    CsrfForm(staff, f): CsrfForm<NewPlanForm>,
) -> Result<Response, WebError> {
    // Who may not plan is told so before anything about the form.
    staff.require(&liancha_domain::auth::Action::ManagePlans {
        lead_department: &f.lead_department,
    })?;
    // What the form itself can tell is said at once, beside each field.
    let mut errors = Vec::new();
    let year = f.year.trim().parse::<i32>().ok();
    if year.is_none() {
        errors.push(FormError {
            field: "year".into(),
            message: "请填写年度（四位数字）".into(),
        });
    }
    let domain = Domain::from_code(&f.domain);
    if domain.is_none() {
        errors.push(FormError {
            field: "domain".into(),
            message: "请选择领域".into(),
        });
    }
    if f.title.trim().is_empty() {
        errors.push(FormError {
            field: "title".into(),
            message: "请填写计划名称".into(),
        });
    }
    if let (Some(year), Some(domain), true) = (year, domain, errors.is_empty()) {
        let plan = NewPlan {
            year,
            domain,
            title: f.title.clone(),
            lead_department: f.lead_department.clone(),
            departments: f.departments.clone(),
        };
        match s
            .app
            .create_plan(&staff.context(s.clock.now()), &plan)
            .await
        {
            Ok(id) => {
                return Ok(Redirect::to(&format!("/staff/plans/{id}?done=plan")).into_response());
            }
            Err(e) => errors.push(FormError::of(e)?),
        }
    }
    let page = plans_page(&s, staff, None, PlansQuery::default(), f, errors).await?;
    Ok(crate::setup::again(Html(page)))
}

/// The plans as the page's search finds them, a row per planned task (a plan
/// without any, a row of its own), as a spreadsheet (CSV or XLSX).
pub async fn export(
    State(s): State<AppState>,
    staff: Staff,
    Query(query): Query<PlansQuery>,
) -> Result<Response, WebError> {
    use crate::api::table::{FileFormat, Table, row};
    let names = Names::load(&s, &staff.county.code).await?;
    let plans = query.apply(staff.rows(&s).annual_plans(None, false).await?);
    let mut rows = Vec::new();
    for p in &plans {
        let plan = |rows: &mut Vec<_>, entry: Option<&liancha_store::plans::PlanEntry>| {
            rows.push(row![
                p.id,
                p.year,
                p.domain.label(),
                p.title.as_str(),
                p.number.as_str(),
                names.dept(&p.lead_department),
                p.departments
                    .iter()
                    .map(|d| names.dept(d))
                    .collect::<Vec<_>>()
                    .join("、"),
                if p.published_at.is_some() {
                    "已公布"
                } else {
                    "草稿"
                },
                p.published_at
                    .map(liancha_domain::calendar::format_china_time_seconds),
                p.filing.as_ref().map(|f| f.filed_with.clone()),
                p.filing.as_ref().map(|f| f.filed_on.to_string()),
                p.filing.as_ref().map(|f| f.reference.clone()),
                entry.map(|e| format!("{}月", e.month)),
                entry.map(|e| e.title.clone()),
                entry.map(|e| e.items.join("、")),
                entry.map(|e| e.scope.clone()),
                entry.map(|e| e
                    .tasks
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join("、")),
            ])
        };
        if p.entries.is_empty() {
            plan(&mut rows, None);
        }
        for e in &p.entries {
            plan(&mut rows, Some(e));
        }
    }
    let table = Table {
        file: "plans".into(),
        title: format!("{}年度抽查工作计划", staff.county_name()),
        headers: &[
            "计划编号",
            "年度",
            "领域",
            "计划名称",
            "计划文号",
            "牵头部门",
            "参与部门",
            "状态",
            "公布时间",
            "备案机关",
            "备案日期",
            "备案号",
            "实施月份",
            "计划任务",
            "抽查事项",
            "抽查范围",
            "已建任务编号",
        ],
        rows,
    };
    let format = if query.format == "csv" {
        FileFormat::Csv
    } else {
        FileFormat::Xlsx
    };
    Ok(table.download(format).into_response())
}

#[derive(Template)]
#[template(path = "staff/plan.html")]
struct PlanPage {
    staff: Staff,
    names: Names,
    notice: Option<&'static str>,
    plan: AnnualPlan,
    items: Vec<Item>,
    can_manage: bool,
    can_start_tasks: bool,
    /// The entry form's values: empty, or what a refused form held.
    form: EntryForm,
    /// The filing form's values: the filing as recorded, or what a refused form held.
    filing: FilingForm,
    /// The refused form's messages (the entry form's before publication, the
    /// filing's after: never both on one page).
    errors: Vec<FormError>,
    /// The tasks of the plan's entries that the reader may open (an inspector only
    /// their own team's): the others are named without a link.
    readable: Vec<i64>,
}

impl PlanPage {
    fn readable(&self, task: &i64) -> bool {
        self.readable.contains(task)
    }

    fn err(&self, field: &str) -> Option<String> {
        messages(&self.errors, field)
    }
    fn chose(&self, item: &str) -> bool {
        self.form.items.iter().any(|i| i == item)
    }
}

pub async fn plan(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Html<String>, WebError> {
    Ok(Html(
        plan_page(
            &s,
            staff,
            id,
            done_message(&q.done),
            EntryForm::default(),
            None,
            vec![],
        )
        .await?,
    ))
}

async fn plan_page(
    s: &AppState,
    staff: Staff,
    id: i64,
    notice: Option<&'static str>,
    form: EntryForm,
    filing: Option<FilingForm>,
    errors: Vec<FormError>,
) -> Result<String, WebError> {
    let ctx = staff.context(s.clock.now());
    let plan = s.app.plan(&ctx, id).await?;
    let filing = filing.unwrap_or_else(|| {
        plan.filing
            .as_ref()
            .map(|f| FilingForm {
                filed_with: f.filed_with.clone(),
                filed_on: f.filed_on.to_string(),
                reference: f.reference.clone(),
            })
            .unwrap_or_default()
    });
    let can_manage = s.app.may_manage_plan(&ctx, &plan);
    let items = staff
        .rows(s)
        .items(true)
        .await?
        .into_iter()
        .filter(|i| plan.departments.contains(&i.department))
        .collect();
    let mut readable = Vec::new();
    for t in plan.entries.iter().flat_map(|e| e.tasks.iter()) {
        match s.app.task_access(&ctx, *t).await {
            Ok(_) => readable.push(*t),
            Err(liancha_app::AppError::Forbidden | liancha_app::AppError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(PlanPage {
        readable,
        names: Names::load(s, &staff.county.code).await?,
        notice,
        can_start_tasks: plan.published_at.is_some() && s.app.may_create_task(&ctx),
        items,
        can_manage,
        plan,
        form,
        filing,
        errors,
        staff,
    }
    .render()?)
}

#[derive(Deserialize, Default, Clone)]
pub struct EntryForm {
    #[serde(default)]
    month: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    items: Vec<String>,
    #[serde(default)]
    scope: String,
}

pub async fn add_entry(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<EntryForm>,
) -> Result<Response, WebError> {
    let back = format!("/staff/plans/{id}");
    let ctx = staff.context(s.clock.now());
    s.app
        .managed_plan(&ctx, id)
        .await
        .map_err(|e| WebError::refused(e, back.clone()))?;
    let mut errors = Vec::new();
    let month = f.month.trim().parse::<u32>().ok();
    if month.is_none() {
        errors.push(FormError {
            field: "month".into(),
            message: "请选择月份".into(),
        });
    }
    if f.title.trim().is_empty() {
        errors.push(FormError {
            field: "title".into(),
            message: "请填写计划任务名称".into(),
        });
    }
    if f.items.is_empty() {
        errors.push(FormError {
            field: "items".into(),
            message: "请至少选择一项抽查事项".into(),
        });
    }
    if let (Some(month), true) = (month, errors.is_empty()) {
        let entry = NewPlanEntry {
            month,
            title: f.title.clone(),
            items: f.items.clone(),
            scope: f.scope.clone(),
        };
        match s.app.add_plan_entry(&ctx, id, &entry).await {
            Ok(_) => return Ok(Redirect::to(&format!("{back}?done=plan")).into_response()),
            Err(e @ liancha_app::AppError::Invalid { .. }) => errors.push(FormError::of(e)?),
            Err(e) => return Err(WebError::refused(e, back)),
        }
    }
    let page = plan_page(&s, staff, id, None, f, None, errors).await?;
    Ok(crate::setup::again(Html(page)))
}

pub async fn publish(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, _): CsrfForm<crate::session::Empty>,
) -> Result<Response, WebError> {
    s.app
        .publish_plan(&staff.context(s.clock.now()), id)
        .await
        .map_err(|e| WebError::refused(e, format!("/staff/plans/{id}")))?;
    Ok(Redirect::to(&format!("/staff/plans/{id}?done=plan-published")).into_response())
}

#[derive(Deserialize, Default, Clone)]
pub struct FilingForm {
    #[serde(default)]
    filed_with: String,
    #[serde(default)]
    filed_on: String,
    #[serde(default)]
    reference: String,
}

/// Records (or corrects) the published plan's filing (备案); a refused form comes
/// back with its values and the message by the field.
pub async fn file(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<FilingForm>,
) -> Result<Response, WebError> {
    let back = format!("/staff/plans/{id}");
    let ctx = staff.context(s.clock.now());
    match s
        .app
        .file_plan(&ctx, id, &f.filed_with, &f.filed_on, &f.reference)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("{back}?done=plan-filed#filing")).into_response()),
        Err(e @ liancha_app::AppError::Invalid { .. }) => {
            let errors = vec![FormError::of(e)?];
            let page =
                plan_page(&s, staff, id, None, EntryForm::default(), Some(f), errors).await?;
            Ok(crate::setup::again(Html(page)))
        }
        Err(e) => Err(WebError::refused(e, back)),
    }
}
