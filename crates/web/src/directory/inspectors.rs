//! The inspector directory on the staff side: the list, the export, an inspector's page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use liancha_app::AppError;
use liancha_app::directory::{InspectorQuery, InspectorRecord};
use liancha_domain::record_edit::InspectorDetails;
use liancha_domain::{Inspector, InspectorStatus};
use serde::Deserialize;

use super::{DoneOnly, Paged, paged, query_string, refused_status, written};
use crate::pages::{sheet_download, url_encode};
use crate::session::{CsrfForm, Staff};
use crate::setup::{FormError, again};
use crate::staff::{Names, done_message};
use crate::{AppState, WebError};

#[derive(Deserialize, Default, Clone)]
pub struct InspectorsQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    page: String,
}

#[derive(Template)]
#[template(path = "staff/inspectors.html")]
struct InspectorsPage {
    staff: Staff,
    names: Names,
    query: InspectorsQuery,
    base: String,
    rows: Vec<Inspector>,
    total: i64,
    page: i64,
    pages: i64,
    statuses: &'static [InspectorStatus],
    today: chrono::NaiveDate,
    /// Whether the principal reads inspectors' phones (and so exports the list).
    contacts: bool,
}

impl InspectorsPage {
    fn page_link(&self, page: impl std::borrow::Borrow<i64>) -> String {
        let page = format!("page={}", page.borrow());
        super::link("/staff/inspectors", &self.base, &page)
    }

    fn expired(&self, i: &Inspector) -> bool {
        !i.is_certified_on(self.today)
    }
}

pub async fn inspectors(
    State(s): State<AppState>,
    staff: Staff,
    Query(query): Query<InspectorsQuery>,
) -> Result<Html<String>, WebError> {
    let now = s.clock.now();
    let ctx = staff.context(now);
    let q = InspectorQuery {
        text: query.q.chars().take(64).collect(),
        department: Some(query.department.trim().to_string()).filter(|d| !d.is_empty()),
        status: InspectorStatus::from_code(&query.status),
    };
    let all = s
        .app
        .staff_inspectors(&ctx, &q)
        .await
        .map_err(|e| WebError::refused(e, "/staff".into()))?;
    let Paged {
        rows,
        total,
        page,
        pages,
    } = paged(all, &query.page);
    Ok(Html(
        InspectorsPage {
            names: Names::load(&s, &staff.county.code).await?,
            base: query_string(&[
                ("q", &query.q),
                ("department", &query.department),
                ("status", &query.status),
            ]),
            query,
            rows,
            total,
            page,
            pages,
            statuses: InspectorStatus::ALL,
            today: liancha_domain::calendar::china_date(now),
            contacts: staff.may(&liancha_domain::auth::Action::ReadInspectorContacts),
            staff,
        }
        .render()?,
    ))
}

#[derive(Deserialize, Default)]
pub struct FormatOnly {
    #[serde(default)]
    pub(crate) format: String,
}

pub async fn export_inspectors(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<FormatOnly>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    let csv = q.format == "csv";
    let ext = if csv { "csv" } else { "xlsx" };
    let bytes = written(ext, |path| async move {
        s.app.export_inspectors(&ctx, &path).await
    })
    .await?;
    Ok(sheet_download(
        bytes,
        &format!("inspectors.{ext}"),
        &format!("{}执法人员名录.{ext}", staff.county_name()),
        csv,
    ))
}

#[derive(Deserialize, Default, Clone)]
pub struct InspectorForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    certificate_no: String,
    #[serde(default)]
    certificate_valid_until: String,
    #[serde(default)]
    specialties: String,
    #[serde(default)]
    phone: String,
}

impl InspectorForm {
    fn of(d: &InspectorDetails) -> Self {
        InspectorForm {
            status: d.status.code().into(),
            certificate_no: d.certificate_no.clone(),
            certificate_valid_until: d.certificate_valid_until.to_string(),
            specialties: d.specialties.join("\n"),
            phone: d.phone.clone(),
        }
    }

    /// The hidden fields, read back as the page showed the inspector.
    fn shown(&self) -> Option<InspectorDetails> {
        InspectorDetails::shown(
            &self.status,
            &self.certificate_no,
            &self.certificate_valid_until,
            &self.specialties,
            &self.phone,
        )
    }

    fn details(&self) -> Result<InspectorDetails, AppError> {
        Ok(InspectorDetails::parse(
            &self.status,
            &self.certificate_no,
            &self.certificate_valid_until,
            &self.specialties,
            &self.phone,
        )?)
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct InspectorEdit {
    #[serde(flatten)]
    form: InspectorForm,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    was_status: String,
    #[serde(default)]
    was_certificate_no: String,
    #[serde(default)]
    was_certificate_valid_until: String,
    #[serde(default)]
    was_specialties: String,
    #[serde(default)]
    was_phone: String,
}

#[derive(Template)]
#[template(path = "staff/inspector.html")]
struct InspectorPage {
    staff: Staff,
    names: Names,
    notice: Option<&'static str>,
    r: InspectorRecord,
    form: InspectorForm,
    was: InspectorForm,
    reason: String,
    statuses: &'static [InspectorStatus],
    error: Option<FormError>,
}

impl InspectorPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|e| e.on(field))
            .map(|e| e.message.as_str())
    }

    fn general_error(&self) -> Option<&str> {
        const FIELDS: [&str; 6] = [
            "status",
            "certificate_no",
            "certificate_valid_until",
            "specialties",
            "phone",
            "reason",
        ];
        self.error
            .as_ref()
            .filter(|e| !FIELDS.contains(&e.field.as_str()))
            .map(|e| e.message.as_str())
    }
}

async fn inspector_page(
    s: &AppState,
    staff: Staff,
    id: &str,
    notice: Option<&'static str>,
    // What was typed, the record as the form showed it (`None`: as it is now, after
    // a change made meanwhile), and the reason.
    typed: Option<(InspectorForm, Option<InspectorForm>, String)>,
    error: Option<FormError>,
) -> Result<String, WebError> {
    let r = s
        .app
        .inspector_record(&staff.context(s.clock.now()), id)
        .await
        .map_err(|e| WebError::refused(e, "/staff/inspectors".into()))?;
    let now = InspectorForm::of(&r.details);
    let (form, was, reason) = match typed {
        Some((form, was, reason)) => (form, was.unwrap_or_else(|| now.clone()), reason),
        None => (now.clone(), now, String::new()),
    };
    Ok(InspectorPage {
        names: Names::load(s, &staff.county.code).await?,
        staff,
        notice,
        r,
        form,
        was,
        reason,
        statuses: InspectorStatus::ALL,
        error,
    }
    .render()?)
}

pub async fn inspector(
    State(s): State<AppState>,
    Path(id): Path<String>,
    staff: Staff,
    Query(q): Query<DoneOnly>,
) -> Result<Html<String>, WebError> {
    let notice = done_message(&q.done);
    Ok(Html(
        inspector_page(&s, staff, &id, notice, None, None).await?,
    ))
}

pub async fn edit_inspector(
    State(s): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(staff, edit): CsrfForm<InspectorEdit>,
) -> Result<Response, WebError> {
    let was = InspectorForm {
        status: edit.was_status.clone(),
        certificate_no: edit.was_certificate_no.clone(),
        certificate_valid_until: edit.was_certificate_valid_until.clone(),
        specialties: edit.was_specialties.clone(),
        phone: edit.was_phone.clone(),
    };
    // As shown, unchecked; without the fields (an old page), as it is now.
    let expected = was.shown();
    let outcome = match edit.form.details() {
        Err(e) => Err(e),
        Ok(change) => {
            s.app
                .edit_inspector(
                    &staff.context(s.clock.now()),
                    &id,
                    expected.as_ref(),
                    &change,
                    &edit.reason,
                )
                .await
        }
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!(
            "/staff/inspectors/{}?done=record-edited#notice",
            url_encode(&id)
        ))
        .into_response()),
        Err(e) => {
            let status = refused_status(&e);
            // After a change made meanwhile the form carries the record as it is now:
            // checked against the page, the next save goes through.
            let shown = (!matches!(e, AppError::Conflict(_))).then_some(was);
            let error = FormError::of(e)?;
            let typed = Some((edit.form, shown, edit.reason));
            let page = inspector_page(&s, staff, &id, None, typed, Some(error)).await?;
            let mut res = again(Html(page));
            *res.status_mut() = status;
            Ok(res)
        }
    }
}
