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
use crate::staff::{DoneQuery, Names, done_message};
use crate::{AppState, WebError};

#[derive(Template)]
#[template(path = "staff/plans.html")]
struct PlansPage {
    staff: Staff,
    names: Names,
    notice: Option<&'static str>,
    plans: Vec<AnnualPlan>,
    domains: &'static [Domain],
    can_create: bool,
    year: i32,
}

pub async fn plans(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Result<Html<String>, WebError> {
    Ok(Html(
        PlansPage {
            names: Names::load(&s, &staff.county.code).await?,
            notice: done_message(&q.done),
            plans: staff.rows(&s).annual_plans(None, false).await?,
            domains: Domain::ALL,
            can_create: s.app.may_plan(&staff.context(s.clock.now())),
            year: china_date(s.clock.now()).year() + 1,
            staff,
        }
        .render()?,
    ))
}

#[derive(Deserialize)]
pub struct NewPlanForm {
    year: String,
    domain: String,
    title: String,
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
    let back = "/staff/plans".to_string();
    let (Ok(year), Some(domain)) = (f.year.trim().parse::<i32>(), Domain::from_code(&f.domain))
    else {
        return Err(WebError::Refused {
            message: "请填写年度并选择领域".into(),
            back,
        });
    };
    let plan = NewPlan {
        year,
        domain,
        title: f.title,
        lead_department: f.lead_department,
        departments: f.departments,
    };
    let id = s
        .app
        .create_plan(&staff.context(s.clock.now()), &plan)
        .await
        .map_err(|e| WebError::refused(e, back))?;
    Ok(Redirect::to(&format!("/staff/plans/{id}?done=plan")).into_response())
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
}

pub async fn plan(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Html<String>, WebError> {
    let ctx = staff.context(s.clock.now());
    let plan = s.app.plan(&ctx, id).await?;
    let can_manage = s.app.may_manage_plan(&ctx, &plan);
    let items = staff
        .rows(&s)
        .items(true)
        .await?
        .into_iter()
        .filter(|i| plan.departments.contains(&i.department))
        .collect();
    Ok(Html(
        PlanPage {
            names: Names::load(&s, &staff.county.code).await?,
            notice: done_message(&q.done),
            can_start_tasks: plan.published_at.is_some() && s.app.may_create_task(&ctx),
            items,
            can_manage,
            plan,
            staff,
        }
        .render()?,
    ))
}

#[derive(Deserialize)]
pub struct EntryForm {
    month: String,
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
    let Ok(month) = f.month.trim().parse::<u32>() else {
        return Err(WebError::Refused {
            message: "请选择月份".into(),
            back,
        });
    };
    let entry = NewPlanEntry {
        month,
        title: f.title,
        items: f.items,
        scope: f.scope,
    };
    s.app
        .add_plan_entry(&ctx, id, &entry)
        .await
        .map_err(|e| WebError::refused(e, back.clone()))?;
    Ok(Redirect::to(&format!("{back}?done=plan")).into_response())
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
