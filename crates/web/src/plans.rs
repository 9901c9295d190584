//! Annual plans: list, create, add planned tasks, publish, start a task from an entry.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Datelike;
use liancha_domain::auth::{Action, Role};
use liancha_domain::calendar::china_date;
use liancha_domain::{Domain, Item};
use liancha_store::plans::AnnualPlan;
use serde::Deserialize;

use crate::session::{CsrfForm, Staff};
use crate::staff::{DoneQuery, Names, done_message, refused};
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

fn may_create(staff: &Staff) -> bool {
    matches!(
        staff.principal.role,
        Role::Coordinator | Role::DepartmentAdmin
    )
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
            can_create: may_create(&staff),
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
    staff.require(&Action::ManagePlans {
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
    match staff
        .rows(&s)
        .create_annual_plan(
            year,
            domain,
            &f.title,
            &f.lead_department,
            &f.departments,
            &staff.actor(),
            s.clock.now(),
        )
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/staff/plans/{id}?done=plan")).into_response()),
        Err(e) => refused(e, back),
    }
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

async fn load(s: &AppState, staff: &Staff, id: i64) -> Result<AnnualPlan, WebError> {
    staff
        .rows(s)
        .annual_plan(id)
        .await?
        .ok_or_else(|| WebError::NotFound(format!("计划 {id}")))
}

pub async fn plan(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Html<String>, WebError> {
    let plan = load(&s, &staff, id).await?;
    let can_manage = staff.may(&Action::ManagePlans {
        lead_department: &plan.lead_department,
    });
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
            can_start_tasks: plan.published_at.is_some() && may_create(&staff),
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
    let plan = load(&s, &staff, id).await?;
    staff.require(&Action::ManagePlans {
        lead_department: &plan.lead_department,
    })?;
    let back = format!("/staff/plans/{id}");
    let Ok(month) = f.month.trim().parse::<u32>() else {
        return Err(WebError::Refused {
            message: "请选择月份".into(),
            back,
        });
    };
    match staff
        .rows(&s)
        .add_plan_entry(
            id,
            month,
            &f.title,
            &f.items,
            &f.scope,
            &staff.actor(),
            s.clock.now(),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("{back}?done=plan")).into_response()),
        Err(e) => refused(e, back),
    }
}

pub async fn publish(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, _): CsrfForm<crate::session::Empty>,
) -> Result<Response, WebError> {
    let plan = load(&s, &staff, id).await?;
    staff.require(&Action::ManagePlans {
        lead_department: &plan.lead_department,
    })?;
    match staff
        .rows(&s)
        .publish_annual_plan(id, &staff.actor(), s.clock.now())
        .await
    {
        Ok(()) => {
            Ok(Redirect::to(&format!("/staff/plans/{id}?done=plan-published")).into_response())
        }
        Err(e) => refused(e, format!("/staff/plans/{id}")),
    }
}
