//! 上报: the page that exports the county's published results for the provincial
//! platform, and the export itself (a POST: it is recorded, and the next export
//! starts where it ends).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::NaiveDate;
use liancha_app::upward::Since;
use liancha_domain::auth::Action;
use liancha_domain::upward::{TITLES, UpwardFormat};
use liancha_store::upward::UpwardExport;
use serde::Deserialize;

use crate::api::table::{Cell, FileFormat, Table};
use crate::session::{CsrfForm, Staff};
use crate::{AppState, WebError};

/// The schema of the export (column names, code lists), served at
/// `/schemas/upward/results-v1.schema.json`.
pub const SCHEMA: &str = include_str!("../../../docs/upward/results-v1.schema.json");
const SCHEMA_ID: &str = "https://liancha.example/upward/results-v1.schema.json";

pub async fn schema() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/schema+json; charset=utf-8",
        )],
        SCHEMA,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "staff/upward.html")]
struct UpwardPage {
    staff: Staff,
    /// Whether the account imports the province's credit statuses.
    imports_credit: bool,
    /// Whether the account records exports (not the oversight office).
    may_report: bool,
    exports: Vec<UpwardExport>,
    /// Records that changed since the last export (all, before the first).
    pending: usize,
    error: Option<String>,
    posted: UpwardForm,
}

impl UpwardPage {
    fn formats(&self) -> &'static [UpwardFormat] {
        UpwardFormat::ALL
    }

    fn since_label(&self, x: &UpwardExport) -> String {
        x.since
            .map(|t| crate::staff::time(&t))
            .unwrap_or_else(|| "全部".into())
    }
}

/// The export form: from where (`last`, `all`, or `day` with `day`) and the format.
#[derive(Deserialize, Default, Clone)]
pub struct UpwardForm {
    #[serde(default)]
    since: String,
    #[serde(default)]
    day: String,
    #[serde(default)]
    format: String,
}

async fn page(
    s: &AppState,
    staff: Staff,
    error: Option<String>,
    posted: UpwardForm,
) -> Result<String, WebError> {
    let ctx = staff.context(s.clock.now());
    let exports = s.app.upward_exports(&ctx).await?;
    let imports_credit = s
        .app
        .may_import(&ctx, liancha_store::import::Kind::CreditStatus)
        .await?;
    let pending = s
        .app
        .export_upward(&ctx, Since::LastExport, None)
        .await
        .map(|u| u.records.len())
        .unwrap_or(0);
    Ok(UpwardPage {
        may_report: s.app.may_report_upward(&ctx),
        imports_credit,
        staff,
        exports,
        pending,
        error,
        posted,
    }
    .render()?)
}

pub async fn show(State(s): State<AppState>, staff: Staff) -> Result<Html<String>, WebError> {
    staff.require(&Action::ReadOversight)?;
    Ok(Html(page(&s, staff, None, UpwardForm::default()).await?))
}

pub async fn export(
    State(s): State<AppState>,
    CsrfForm(staff, f): CsrfForm<UpwardForm>,
) -> Result<Response, WebError> {
    use liancha_app::AppError;
    let ctx = staff.context(s.clock.now());
    let since = match f.since.as_str() {
        "all" => Ok(Since::Everything),
        "day" => NaiveDate::parse_from_str(f.day.trim(), "%Y-%m-%d")
            .map(Since::Day)
            .map_err(|_| AppError::invalid_field("day", "请填写起始日期，如 2026-12-01")),
        _ => Ok(Since::LastExport),
    };
    let format = UpwardFormat::from_code(&f.format).unwrap_or(UpwardFormat::Json);
    let done = match since {
        Ok(since) => s.app.export_upward(&ctx, since, Some(format)).await,
        Err(e) => Err(e),
    };
    let upward = match done {
        Ok(u) => u,
        Err(AppError::Invalid { message, .. }) => {
            let html = page(&s, staff, Some(message), f).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response());
        }
        Err(e) => return Err(WebError::refused(e, "/staff/upward".into())),
    };
    let county = ctx.county().as_str().to_string();
    let stamp = upward.until.format("%Y%m%dT%H%M%SZ");
    let file = format!("liancha-upward-{county}-{stamp}");
    match format {
        UpwardFormat::Json => {
            let body = serde_json::to_vec_pretty(&serde_json::json!({
                "schema": SCHEMA_ID,
                "division_code": county,
                "since": upward.since,
                "until": upward.until,
                "records": upward.records,
            }))
            .map_err(|_| WebError::Unavailable {
                message: "文件生成失败，请稍后再试。".into(),
                retry: None,
            })?;
            let mut res = body.into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}.json\"")) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            Ok(res)
        }
        UpwardFormat::Xlsx | UpwardFormat::Csv => {
            let table = Table {
                file,
                title: format!("{}上报检查结果", staff.county_name()),
                headers: TITLES,
                rows: upward
                    .records
                    .iter()
                    .map(|r| r.row().into_iter().map(Cell::from).collect())
                    .collect(),
            };
            Ok(table
                .download(if format == UpwardFormat::Csv {
                    FileFormat::Csv
                } else {
                    FileFormat::Xlsx
                })
                .into_response())
        }
    }
}

/// The county's credit state in the province's columns (省级回传), as XLSX.
pub async fn credit_state(State(s): State<AppState>, staff: Staff) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    if !s.app.may_read_credit_state(&ctx).await? {
        return Err(WebError::Forbidden);
    }
    let dir =
        tempfile::tempdir().map_err(|e| WebError::BadRequest(format!("无法生成文件：{e}")))?;
    let path = dir.path().join("credit-state.xlsx");
    s.app
        .export_credit_state(&ctx, &path)
        .await
        .map_err(|e| WebError::refused(e, "/staff/upward".into()))?;
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|e| WebError::BadRequest(format!("无法生成文件：{e}")))?;
    let county = ctx.county().as_str().to_string();
    Ok(crate::pages::sheet_download(
        bytes,
        &format!("liancha-credit-state-{county}.xlsx"),
        &format!("{}信用状态（省级回传格式）.xlsx", staff.county_name()),
        false,
    ))
}
