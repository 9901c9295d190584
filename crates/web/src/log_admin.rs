//! The province administrator's page of the installation's transparency log
//! (`/staff/log`): its name and key, and the witnesses whose cosignatures it
//! accepts, registered here by their public keys.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use liancha_domain::auth::Action;
use liancha_store::transparency::{LogKey, Witness};
use serde::Deserialize;

use crate::session::{CsrfForm, Staff};
use crate::setup::FormError;
use crate::staff::{DoneQuery, done_message};
use crate::{AppState, WebError};

#[derive(Template)]
#[template(path = "staff/log.html")]
struct LogPage {
    staff: Staff,
    notice: Option<&'static str>,
    key: LogKey,
    /// The SM2 key (国密) and the size after which checkpoints carry it.
    sm2: Option<(String, u64)>,
    size: u64,
    witnesses: Vec<Witness>,
    form: WitnessForm,
    error: Option<FormError>,
}

impl LogPage {
    fn latest(&self, w: &Witness) -> String {
        match w.latest {
            Some((size, at)) => format!(
                "{size} 条时的检查点，{}",
                liancha_domain::calendar::format_china_time_seconds(at)
            ),
            None => "尚未联署".into(),
        }
    }

    fn added(&self, w: &Witness) -> String {
        liancha_domain::calendar::format_china_time(w.added_at)
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct WitnessForm {
    #[serde(default)]
    key: String,
}

pub async fn page(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Result<Html<String>, WebError> {
    render(
        &s,
        staff,
        done_message(&q.done),
        WitnessForm::default(),
        None,
    )
    .await
}

async fn render(
    s: &AppState,
    staff: Staff,
    notice: Option<&'static str>,
    form: WitnessForm,
    error: Option<FormError>,
) -> Result<Html<String>, WebError> {
    staff.require(&Action::ManageLog)?;
    let store = s.app.store();
    Ok(Html(
        LogPage {
            notice,
            key: store.log_key().await?,
            sm2: store.log_sm2_key().await?,
            size: store.log_size().await?,
            witnesses: store.log_witnesses().await?,
            form,
            error,
            staff,
        }
        .render()?,
    ))
}

/// Registers a witness; a refused key comes back in the form with the reason.
pub async fn add_witness(
    State(s): State<AppState>,
    CsrfForm(staff, f): CsrfForm<WitnessForm>,
) -> Result<Response, WebError> {
    match s
        .app
        .add_log_witness(&staff.context(s.clock.now()), f.key.trim())
        .await
    {
        Ok(_) => Ok(Redirect::to("/staff/log?done=log-witness").into_response()),
        Err(e) => {
            let error = Some(FormError::of(e)?);
            let page = render(&s, staff, None, f, error).await?;
            Ok(crate::setup::again(page))
        }
    }
}
