//! The entity directory on the staff side: the list, the export, an entity's page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use liancha_app::AppError;
use liancha_app::directory::EntityRecord;
use liancha_domain::record_edit::EntityDetails;
use liancha_domain::{Entity, EntityStatus, EntityType, RiskClass};
use liancha_store::directories::{EntityFilter, EntitySort};
use serde::Deserialize;

use super::{DoneOnly, PAGE_SIZE, page_number, query_string, refused_status, written};
use crate::pages::{sheet_download, url_encode};
use crate::session::{CsrfForm, Staff};
use crate::setup::{FormError, again};
use crate::staff::done_message;
use crate::{AppState, WebError};

#[derive(Deserialize, Default, Clone)]
pub struct EntitiesQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    township: String,
    #[serde(default)]
    entity_type: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    risk_class: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    page: String,
    #[serde(default)]
    format: String,
}

impl EntitiesQuery {
    fn filter(&self) -> EntityFilter {
        let opt =
            |s: &str| Some(s.trim().chars().take(64).collect::<String>()).filter(|s| !s.is_empty());
        EntityFilter {
            township: opt(&self.township),
            entity_type: EntityType::from_code(&self.entity_type),
            risk_class: RiskClass::from_code(&self.risk_class),
            status: EntityStatus::from_code(&self.status),
            query: opt(&self.q),
            tag: opt(&self.tag),
            sort: EntitySort::from_code(&self.sort).unwrap_or_default(),
        }
    }

    /// The search without its order and page.
    fn base(&self) -> String {
        query_string(&[
            ("q", &self.q),
            ("township", &self.township),
            ("entity_type", &self.entity_type),
            ("status", &self.status),
            ("risk_class", &self.risk_class),
            ("tag", &self.tag),
        ])
    }
}

#[derive(Template)]
#[template(path = "staff/entities.html")]
struct EntitiesPage {
    staff: Staff,
    query: EntitiesQuery,
    base: String,
    rows: Vec<Entity>,
    total: i64,
    page: i64,
    pages: i64,
    townships: Vec<String>,
    types: &'static [EntityType],
    statuses: &'static [EntityStatus],
    classes: &'static [RiskClass],
    sorts: &'static [EntitySort],
    keeps: bool,
}

impl EntitiesPage {
    /// The search with its order, without the page.
    fn sorted(&self) -> String {
        let mut q = self.base.clone();
        if self.sort_code() != "id" {
            q.push_str(&format!(
                "{}sort={}",
                if q.is_empty() { "" } else { "&" },
                self.sort_code()
            ));
        }
        q
    }

    fn page_link(&self, page: impl std::borrow::Borrow<i64>) -> String {
        let page = format!("page={}", page.borrow());
        super::link("/staff/entities", &self.sorted(), &page)
    }

    fn export_link(&self, format: &str) -> String {
        let format = format!("format={format}");
        super::link("/staff/entities/export", &self.sorted(), &format)
    }

    fn sort_code(&self) -> &'static str {
        EntitySort::from_code(&self.query.sort)
            .unwrap_or_default()
            .code()
    }
}

pub async fn entities(
    State(s): State<AppState>,
    staff: Staff,
    Query(query): Query<EntitiesQuery>,
) -> Result<Html<String>, WebError> {
    let ctx = staff.context(s.clock.now());
    let filter = query.filter();
    let wanted = query
        .page
        .trim()
        .parse::<i64>()
        .unwrap_or(1)
        .clamp(1, 100_000);
    let mut found = s
        .app
        .staff_entities(&ctx, &filter, (wanted - 1) * PAGE_SIZE, PAGE_SIZE)
        .await
        .map_err(|e| WebError::refused(e, "/staff".into()))?;
    let pages = ((found.total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page = page_number(&query.page, pages);
    if page != wanted {
        // Past the end (the directory shrank since the link was made): the last page.
        found = s
            .app
            .staff_entities(&ctx, &filter, (page - 1) * PAGE_SIZE, PAGE_SIZE)
            .await?;
    }
    let townships = s
        .app
        .public_county(&staff.county.code)
        .townships()
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    Ok(Html(
        EntitiesPage {
            keeps: s.app.keeps_entities(&ctx).await?,
            base: query.base(),
            query,
            rows: found.rows,
            total: found.total,
            page,
            pages,
            townships,
            types: EntityType::ALL,
            statuses: EntityStatus::ALL,
            classes: RiskClass::ALL,
            sorts: EntitySort::ALL,
            staff,
        }
        .render()?,
    ))
}

pub async fn export_entities(
    State(s): State<AppState>,
    staff: Staff,
    Query(query): Query<EntitiesQuery>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    let csv = query.format == "csv";
    let ext = if csv { "csv" } else { "xlsx" };
    let filter = query.filter();
    let bytes = written(ext, |path| async move {
        s.app.export_entities(&ctx, &filter, &path).await
    })
    .await
    .map_err(|e| match e {
        WebError::Refused { message, .. } => WebError::Refused {
            message,
            back: "/staff/entities".into(),
        },
        e => e,
    })?;
    Ok(sheet_download(
        bytes,
        &format!("entities.{ext}"),
        &format!("{}检查对象名录.{ext}", staff.county_name()),
        csv,
    ))
}

/// The entity form's fields, as typed.
#[derive(Deserialize, Default, Clone)]
pub struct EntityForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    risk_class: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_phone: String,
}

impl EntityForm {
    fn of(d: &EntityDetails) -> Self {
        EntityForm {
            status: d.status.code().into(),
            risk_class: d.risk_class.code().into(),
            tags: d.tags.join("\n"),
            contact_name: d.contact_name.clone(),
            contact_phone: d.contact_phone.clone(),
        }
    }

    /// The hidden fields, read back as the page showed the entity.
    fn shown(&self) -> Option<EntityDetails> {
        EntityDetails::shown(
            &self.status,
            &self.risk_class,
            &self.tags,
            &self.contact_name,
            &self.contact_phone,
        )
    }

    fn details(&self) -> Result<EntityDetails, AppError> {
        Ok(EntityDetails::parse(
            &self.status,
            &self.risk_class,
            &self.tags,
            &self.contact_name,
            &self.contact_phone,
        )?)
    }
}

/// The edit form as posted: the fields as typed, the reason, and the entity as the
/// page showed it (`was_*`).
#[derive(Deserialize, Default, Clone)]
pub struct EntityEdit {
    #[serde(flatten)]
    form: EntityForm,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    was_status: String,
    #[serde(default)]
    was_risk_class: String,
    #[serde(default)]
    was_tags: String,
    #[serde(default)]
    was_contact_name: String,
    #[serde(default)]
    was_contact_phone: String,
}

#[derive(Template)]
#[template(path = "staff/entity.html")]
struct EntityPage {
    staff: Staff,
    notice: Option<&'static str>,
    r: EntityRecord,
    form: EntityForm,
    was: EntityForm,
    reason: String,
    statuses: &'static [EntityStatus],
    classes: &'static [RiskClass],
    error: Option<FormError>,
}

impl EntityPage {
    fn err(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|e| field.is_empty() || e.on(field))
            .map(|e| e.message.as_str())
    }

    /// A refusal not tied to one of the form's fields, shown above it.
    fn general_error(&self) -> Option<&str> {
        const FIELDS: [&str; 6] = [
            "status",
            "risk_class",
            "tags",
            "contact_name",
            "contact_phone",
            "reason",
        ];
        self.error
            .as_ref()
            .filter(|e| !FIELDS.contains(&e.field.as_str()))
            .map(|e| e.message.as_str())
    }
}

async fn entity_page(
    s: &AppState,
    staff: Staff,
    id: &str,
    notice: Option<&'static str>,
    // What was typed, the record as the form showed it (`None`: as it is now, after
    // a change made meanwhile), and the reason.
    typed: Option<(EntityForm, Option<EntityForm>, String)>,
    error: Option<FormError>,
) -> Result<String, WebError> {
    let r = s
        .app
        .entity_record(&staff.context(s.clock.now()), id)
        .await
        .map_err(|e| WebError::refused(e, "/staff/entities".into()))?;
    let now = EntityForm::of(&r.details);
    let (form, was, reason) = match typed {
        Some((form, was, reason)) => (form, was.unwrap_or_else(|| now.clone()), reason),
        None => (now.clone(), now, String::new()),
    };
    Ok(EntityPage {
        staff,
        notice,
        r,
        form,
        was,
        reason,
        statuses: EntityStatus::ALL,
        classes: RiskClass::ALL,
        error,
    }
    .render()?)
}

pub async fn entity(
    State(s): State<AppState>,
    Path(id): Path<String>,
    staff: Staff,
    Query(q): Query<DoneOnly>,
) -> Result<Html<String>, WebError> {
    let notice = done_message(&q.done);
    Ok(Html(entity_page(&s, staff, &id, notice, None, None).await?))
}

pub async fn edit_entity(
    State(s): State<AppState>,
    Path(id): Path<String>,
    CsrfForm(staff, edit): CsrfForm<EntityEdit>,
) -> Result<Response, WebError> {
    let was = EntityForm {
        status: edit.was_status.clone(),
        risk_class: edit.was_risk_class.clone(),
        tags: edit.was_tags.clone(),
        contact_name: edit.was_contact_name.clone(),
        contact_phone: edit.was_contact_phone.clone(),
    };
    // As shown, unchecked (what an import stored is compared as it is); without
    // the fields (an old page), the record as it is now.
    let expected = was.shown();
    let outcome = match edit.form.details() {
        Err(e) => Err(e),
        Ok(change) => {
            s.app
                .edit_entity(
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
            "/staff/entities/{}?done=record-edited#notice",
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
            let page = entity_page(&s, staff, &id, None, typed, Some(error)).await?;
            let mut res = again(Html(page));
            *res.status_mut() = status;
            Ok(res)
        }
    }
}
