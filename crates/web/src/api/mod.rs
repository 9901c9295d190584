//! The public open-data API (开放数据接口): read-only JSON under `/api/v1/` for
//! everything the public pages show, and a CSV and an XLSX download of every list.
//! Documented with OpenAPI at `/api/openapi.json`, browsable at `/api/docs/`.
//!
//! What may be shown is decided here, field by field: every response is built from
//! the `*Out` structs below, never from store or domain types, so a staff-only field
//! (inspector ids, phone numbers, certificate numbers, findings, private
//! attachments, anything of a task that is not published) cannot slip out when those
//! types grow.
//!
//! Conventions (also in the OpenAPI description):
//! - every list endpoint takes `page` (from 1) and `per_page` (1–1000, default 100)
//!   and answers `{ "items": [...], "page": n, "per_page": m, "total": t }`, in a
//!   stable order;
//! - the same list with `.csv` or `.xlsx` appended to the path (`/api/v1/items.csv`)
//!   is the whole list as a file (no paging): CSV in UTF-8 with a BOM, Chinese
//!   headers; in XLSX every id is a string cell in a text-formatted column;
//! - codes of enumerations come with their Chinese label (`{code, label}`), dates are
//!   `YYYY-MM-DD` and times RFC 3339 in Beijing time (`+08:00`);
//! - every successful response carries a strong `ETag` (SHA-256 of the body) and
//!   `Cache-Control: public, max-age=60`; `If-None-Match` gets `304 Not Modified`;
//!   errors carry `Cache-Control: no-store`;
//! - errors are `{ "error": "…" }` with status 400 (bad parameter) or 404.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use liancha_domain::workflow::{CreditList, TaskState, WitnessRole};
use liancha_domain::{Department, Domain, Item};
use liancha_store::StoreError;
use liancha_store::results::PublishedResult;
use liancha_store::tasks::{Task, TaskFilter};
use serde::Serialize;
use utoipa::{IntoParams, OpenApi, ToSchema};

use liancha_domain::org::{Division, DivisionCode, Level};

use crate::{AppState, WebError};

const DEFAULT_PER_PAGE: u32 = 100;
/// Highest `page` a list accepts (a bound the document states).
const MAX_PAGE: u32 = 1_000_000;
const MAX_PER_PAGE: u32 = 1000;
const CACHE_CONTROL: &str = "public, max-age=60";

pub fn routes() -> Router<AppState> {
    let v1 = Router::new()
        .route("/api/v1/items", get(items))
        .route("/api/v1/items.csv", get(items_csv))
        .route("/api/v1/items.xlsx", get(items_xlsx))
        .route("/api/v1/joint-lists", get(joint_lists))
        .route("/api/v1/joint-lists.csv", get(joint_lists_csv))
        .route("/api/v1/joint-lists.xlsx", get(joint_lists_xlsx))
        .route("/api/v1/rule-books", get(rule_books))
        .route("/api/v1/plans", get(plans))
        .route("/api/v1/plans.csv", get(plans_csv))
        .route("/api/v1/plans.xlsx", get(plans_xlsx))
        .route("/api/v1/announcements", get(announcements::announcements))
        .route(
            "/api/v1/announcements/{id}",
            get(announcements::announcement_of),
        )
        .route("/api/v1/tasks", get(tasks))
        .route("/api/v1/tasks.csv", get(tasks_csv))
        .route("/api/v1/tasks.xlsx", get(tasks_xlsx))
        .route("/api/v1/tasks/{id}", get(task))
        .route("/api/v1/tasks/{id}/results", get(task_results))
        .route("/api/v1/tasks/{id}/results.csv", get(task_results_csv))
        .route("/api/v1/tasks/{id}/results.xlsx", get(task_results_xlsx))
        .route("/api/v1/entities/{id}/results", get(entity_results))
        .route("/api/v1/entities/{id}/results.csv", get(entity_results_csv))
        .route(
            "/api/v1/entities/{id}/results.xlsx",
            get(entity_results_xlsx),
        )
        .route("/api/v1/results", get(search_results))
        .route("/api/v1/lists/abnormal", get(abnormal))
        .route("/api/v1/lists/abnormal.csv", get(abnormal_csv))
        .route("/api/v1/lists/abnormal.xlsx", get(abnormal_xlsx))
        .route("/api/v1/lists/blacklist", get(blacklist))
        .route("/api/v1/lists/blacklist.csv", get(blacklist_csv))
        .route("/api/v1/lists/blacklist.xlsx", get(blacklist_xlsx))
        .route("/api/openapi.json", get(openapi_json))
        .route("/api/{*rest}", get(no_such_endpoint))
        .layer(axum::middleware::from_fn(etag));
    v1.merge(docs())
}

/// Declares the page envelope of one kind of row, so that each list has its own
/// named schema in the OpenAPI document.
macro_rules! page_type {
    ($name:ident, $row:ty, $what:literal) => {
        #[doc = concat!("一页", $what, "。")]
        #[derive(Debug, Serialize, ToSchema)]
        pub struct $name {
            /// 本页的条目
            items: Vec<$row>,
            /// 页码（从 1 开始）
            page: u32,
            /// 每页条数
            per_page: u32,
            /// 全部条目数
            total: u64,
        }

        impl $name {
            pub(super) fn new(all: Vec<$row>, p: Paging) -> Self {
                let (items, total) = paginate(all, p);
                $name {
                    items,
                    page: p.page,
                    per_page: p.per_page,
                    total,
                }
            }
        }
    };
}

macro_rules! code_label {
    ($v:expr) => {{
        let v = $v;
        CodeLabel::of(v.code(), v.label())
    }};
}

mod announcements;
mod cache;
mod docs;
mod error;
mod handlers;
mod load;
mod params;
mod shapes;
pub(crate) mod table;

use cache::*;
use docs::*;
use error::*;
use handlers::*;
use load::*;
use params::*;
use shapes::*;
use table::*;
