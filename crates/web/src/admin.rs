//! System administration: accounts and the working-day calendar.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Datelike;
use liancha_domain::auth::{Action, Role};
use liancha_domain::calendar::{DayKind, china_date};
use liancha_store::accounts::{NewUser, User};
use serde::Deserialize;

use crate::session::{CsrfForm, Staff};
use crate::staff::{DoneQuery, Names, done_message};
use crate::{AppState, WebError};

#[derive(Template)]
#[template(path = "staff/users.html")]
struct UsersPage {
    staff: Staff,
    names: Names,
    notice: Option<&'static str>,
    users: Vec<User>,
    roles: &'static [Role],
    townships: Vec<String>,
    /// Division code → name, for the accounts of an office's divisions.
    divisions: std::collections::BTreeMap<String, String>,
}

impl UsersPage {
    fn division_name(&self, u: &User) -> String {
        self.divisions
            .get(u.division.as_str())
            .cloned()
            .unwrap_or_else(|| u.division.to_string())
    }
}

pub async fn users(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Result<Html<String>, WebError> {
    staff.require(&Action::ManageUsers)?;
    Ok(Html(
        UsersPage {
            names: Names::load(&s, &staff.county.code).await?,
            notice: done_message(&q.done),
            users: s.app.accounts(&staff.context(s.clock.now())).await?,
            roles: Role::ALL,
            townships: staff
                .rows(&s)
                .townships()
                .await?
                .into_iter()
                .map(|t| t.name)
                .collect(),
            divisions: s
                .divisions()
                .await?
                .iter()
                .map(|d| (d.code.to_string(), d.name.clone()))
                .collect(),
            staff,
        }
        .render()?,
    ))
}

#[derive(Deserialize)]
pub struct UserForm {
    username: String,
    display_name: String,
    role: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    township: String,
    #[serde(default)]
    inspector_id: String,
    password: String,
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

pub async fn create_user(
    State(s): State<AppState>,
    CsrfForm(staff, f): CsrfForm<UserForm>,
) -> Result<Response, WebError> {
    staff.require(&Action::ManageUsers)?;
    let back = "/staff/users".to_string();
    let Some(role) = Role::from_code(&f.role) else {
        return Err(WebError::Refused {
            message: "请选择角色".into(),
            back,
        });
    };
    let u = NewUser {
        division: staff.county.code.clone(),
        username: f.username,
        display_name: f.display_name,
        role,
        department: opt(&f.department)
            .filter(|_| matches!(role, Role::DepartmentAdmin | Role::Inspector)),
        township: opt(&f.township).filter(|_| role == Role::Township),
        inspector_id: opt(&f.inspector_id).filter(|_| role == Role::Inspector),
        password: f.password,
        must_change_password: true,
    };
    match s
        .app
        .create_account(&staff.context(s.clock.now()), &u)
        .await
    {
        Ok(_) => Ok(Redirect::to("/staff/users?done=user").into_response()),
        Err(e) => Err(WebError::refused(e, back)),
    }
}

#[derive(Deserialize)]
pub struct DisableForm {
    disabled: String,
    /// Disabling ends the account's sessions at once: the form's box confirms it.
    #[serde(default)]
    confirm: String,
}

pub async fn set_disabled(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<DisableForm>,
) -> Result<Response, WebError> {
    match s
        .app
        .set_account_disabled(
            &staff.context(s.clock.now()),
            id,
            f.disabled == "1",
            f.confirm == "yes",
        )
        .await
    {
        Ok(()) => Ok(Redirect::to("/staff/users?done=user-updated").into_response()),
        Err(e) => Err(WebError::refused(e, "/staff/users".into())),
    }
}

/// A year and its listed days: date, whether it is a day off, name.
type CalendarYear = (i32, Vec<(chrono::NaiveDate, bool, String)>);

#[derive(Template)]
#[template(path = "staff/calendar.html")]
struct CalendarPage {
    staff: Staff,
    notice: Option<&'static str>,
    years: Vec<CalendarYear>,
    next_year: i32,
    next_year_missing: bool,
    can_edit: bool,
}

pub async fn calendar(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Result<Html<String>, WebError> {
    let cal = staff.rows(&s).calendar().await?;
    let mut years: Vec<CalendarYear> = Vec::new();
    for (d, k, n) in cal.days() {
        let entry = (d, k == DayKind::Off, n.to_string());
        match years.last_mut() {
            Some((y, v)) if *y == d.year() => v.push(entry),
            _ => years.push((d.year(), vec![entry])),
        }
    }
    years.reverse();
    let next_year = china_date(s.clock.now()).year() + 1;
    Ok(Html(
        CalendarPage {
            notice: done_message(&q.done),
            // Deadlines running into a year whose holidays are not entered count its
            // holidays as working days: said until they are.
            next_year_missing: !years.iter().any(|(y, _)| *y == next_year),
            next_year,
            can_edit: staff.may(&Action::ManageSettings),
            years,
            staff,
        }
        .render()?,
    ))
}

#[derive(Deserialize)]
pub struct CalendarForm {
    year: String,
    days: String,
}

pub async fn replace_calendar(
    State(s): State<AppState>,
    CsrfForm(staff, f): CsrfForm<CalendarForm>,
) -> Result<Response, WebError> {
    staff.require(&Action::ManageSettings)?;
    let back = "/staff/calendar".to_string();
    let Ok(year) = f.year.trim().parse::<i32>() else {
        return Err(WebError::Refused {
            message: "年度不正确".into(),
            back,
        });
    };
    s.app
        .replace_calendar(&staff.context(s.clock.now()), year, &f.days)
        .await
        .map_err(|e| WebError::refused(e, back))?;
    Ok(Redirect::to("/staff/calendar?done=calendar").into_response())
}
