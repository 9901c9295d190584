//! The directories on the staff side: the entity and inspector lists (searched,
//! sorted, a page at a time, exported), and each record's page with its staff-only
//! contacts, the form that corrects it (with a reason) and its history.

mod entities;
mod inspectors;
mod items;

pub use entities::{edit_entity, entities, entity, export_entities};
pub use inspectors::{edit_inspector, export_inspectors, inspector, inspectors};
pub use items::{
    approve_joint_list, create_item, export_items, item, items, joint_lists, new_item, post_item,
    return_joint_list,
};

use axum::http::StatusCode;
use liancha_app::AppError;
use serde::Deserialize;

use crate::WebError;
use crate::pages::url_encode;

/// Rows a list page shows.
pub(crate) const PAGE_SIZE: i64 = 50;

/// A list's search as a query string (for the pager, the sort links and export).
pub(crate) fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", url_encode(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
}

/// `path` with a list page's search (`base`, a query string, maybe empty) and one
/// more parameter (`page=2`, `format=csv`).
pub(crate) fn link(path: &str, base: &str, param: &str) -> String {
    let sep = if base.is_empty() { "" } else { "&" };
    format!("{path}?{base}{sep}{param}")
}

/// One page of a list kept in memory, as the query's `page` asks.
pub(crate) struct Paged<T> {
    pub rows: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

pub(crate) fn paged<T>(all: Vec<T>, page: &str) -> Paged<T> {
    let total = all.len() as i64;
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page = page_number(page, pages);
    let rows = all
        .into_iter()
        .skip(((page - 1) * PAGE_SIZE) as usize)
        .take(PAGE_SIZE as usize)
        .collect();
    Paged {
        rows,
        total,
        page,
        pages,
    }
}

pub(crate) fn page_number(s: &str, pages: i64) -> i64 {
    s.trim().parse::<i64>().unwrap_or(1).clamp(1, pages.max(1))
}

/// Runs `write` on a file in a fresh temporary directory and returns its bytes.
pub(crate) async fn written<F, Fut>(ext: &str, write: F) -> Result<Vec<u8>, WebError>
where
    F: FnOnce(std::path::PathBuf) -> Fut,
    Fut: std::future::Future<Output = Result<u64, AppError>>,
{
    let dir = tempfile::tempdir().map_err(|e| WebError::BadRequest(e.to_string()))?;
    let path = dir.path().join(format!("export.{ext}"));
    write(path.clone()).await?;
    tokio::fs::read(&path)
        .await
        .map_err(|e| WebError::BadRequest(e.to_string()))
}

#[derive(Deserialize, Default)]
pub struct DoneOnly {
    #[serde(default)]
    done: String,
}

/// A refused edit's status: 409 when someone changed the record meanwhile.
pub(crate) fn refused_status(e: &AppError) -> StatusCode {
    if matches!(e, AppError::Conflict(_)) {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}
