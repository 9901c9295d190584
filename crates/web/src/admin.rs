//! System administration: the working-day calendar.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Datelike;
use liancha_domain::auth::Action;
use liancha_domain::calendar::{DayKind, china_date};
use serde::Deserialize;

use crate::session::{CsrfForm, Staff};
use crate::staff::{DoneQuery, done_message};
use crate::{AppState, WebError};

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
