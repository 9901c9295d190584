//! Directory pages: the one list, two directories and one rule book, as people read them.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse};
use chrono::NaiveDate;
use liancha_domain::{
    Department, Domain, Entity, EntityType, Inspector, Item, JointItemList, RiskClass, RuleBook,
};
use liancha_store::directories::{Counts, EntityFilter};
use serde::Deserialize;

use crate::{AppState, WebError};

type PageResult = Result<Html<String>, WebError>;

/// A department's name for a code; the code itself if the department is unknown.
fn department_name(departments: &[Department], code: &str) -> String {
    departments
        .iter()
        .find(|d| d.code == code)
        .map(|d| d.name.clone())
        .unwrap_or_else(|| code.into())
}

fn render<T: Template>(t: &T) -> PageResult {
    Ok(Html(t.render()?))
}

#[derive(Template)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage {
    pub status: u16,
    pub message: String,
    pub back: Option<String>,
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    counts: Counts,
    engine: &'static str,
    townships: Vec<(String, [i64; 4], i64)>,
}

pub async fn index(State(s): State<AppState>) -> PageResult {
    let counts = s.store.counts().await?;
    let mut townships: Vec<(String, [i64; 4], i64)> = s
        .store
        .townships()
        .await?
        .into_iter()
        .map(|t| (t.name, [0; 4], 0))
        .collect();
    for (township, class, n) in s.store.entity_breakdown().await? {
        if let (Some(row), Some(c)) = (
            townships.iter_mut().find(|r| r.0 == township),
            RiskClass::from_code(&class),
        ) {
            row.1[c as usize] += n;
            row.2 += n;
        }
    }
    render(&IndexPage {
        counts,
        engine: s.store.engine().name(),
        townships,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct EntityQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    township: String,
    #[serde(default)]
    entity_type: String,
    #[serde(default)]
    risk_class: String,
    #[serde(default)]
    page: Option<i64>,
}

const PAGE_SIZE: i64 = 50;

#[derive(Template)]
#[template(path = "entities.html")]
struct EntitiesPage {
    query: EntityQuery,
    townships: Vec<String>,
    types: &'static [EntityType],
    classes: &'static [RiskClass],
    rows: Vec<Entity>,
    total: i64,
    page: i64,
    pages: i64,
    /// Query string without `page`, for the pager links.
    base_query: String,
}

fn query_pair(out: &mut String, key: &str, value: &str) {
    if !value.is_empty() {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(key);
        out.push('=');
        out.push_str(&url_encode(value));
    }
}

/// Percent-encodes everything but unreserved characters.
pub(crate) fn url_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

pub async fn entities(State(s): State<AppState>, Query(query): Query<EntityQuery>) -> PageResult {
    let filter = EntityFilter {
        township: Some(query.township.clone()).filter(|t| !t.is_empty()),
        entity_type: EntityType::from_code(&query.entity_type),
        risk_class: RiskClass::from_code(&query.risk_class),
        status: None,
        query: Some(query.q.clone()).filter(|q| !q.trim().is_empty()),
    };
    let page = query.page.unwrap_or(1).max(1);
    let result = s
        .store
        .entities(&filter, (page - 1) * PAGE_SIZE, PAGE_SIZE)
        .await?;
    let mut base_query = String::new();
    query_pair(&mut base_query, "q", &query.q);
    query_pair(&mut base_query, "township", &query.township);
    query_pair(&mut base_query, "entity_type", &query.entity_type);
    query_pair(&mut base_query, "risk_class", &query.risk_class);
    render(&EntitiesPage {
        townships: s
            .store
            .townships()
            .await?
            .into_iter()
            .map(|t| t.name)
            .collect(),
        types: EntityType::ALL,
        classes: RiskClass::ALL,
        pages: (result.total + PAGE_SIZE - 1) / PAGE_SIZE,
        total: result.total,
        rows: result.rows,
        page,
        base_query,
        query,
    })
}

#[derive(Template)]
#[template(path = "entity.html")]
struct EntityPage {
    e: Entity,
    inspections: Vec<liancha_store::results::PublishedResult>,
}

pub async fn entity(State(s): State<AppState>, Path(id): Path<String>) -> PageResult {
    match s.store.entity(&id).await? {
        Some(e) => render(&EntityPage {
            inspections: s.store.published_results_of_entity(&e.id).await?,
            e,
        }),
        None => Err(WebError::NotFound(format!("没有编号为 {id} 的检查对象"))),
    }
}

#[derive(Template)]
#[template(path = "inspectors.html")]
struct InspectorsPage {
    departments: Vec<Department>,
    rows: Vec<Inspector>,
    today: NaiveDate,
    /// Signed-in staff see each inspector's id and certificate number; the public
    /// directory shows names, departments and whether they may be drawn.
    staff: bool,
}

impl InspectorsPage {
    fn department_name(&self, code: &str) -> String {
        department_name(&self.departments, code)
    }
}

pub async fn inspectors(
    State(s): State<AppState>,
    mut parts: axum::http::request::Parts,
) -> Result<axum::response::Response, WebError> {
    use axum::extract::FromRequestParts;
    use axum::response::IntoResponse;
    let staff = crate::session::Staff::from_request_parts(&mut parts, &s)
        .await
        .is_ok();
    let page = render(&InspectorsPage {
        departments: s.store.departments().await?,
        rows: s.store.inspectors(None).await?,
        today: liancha_domain::calendar::today_in_china(),
        staff,
    })?;
    let mut res = page.into_response();
    // The page differs by who asks: a cache keeps neither version.
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
pub struct ItemsQuery {
    /// Show the list as it was published on this day.
    #[serde(default)]
    date: String,
}

#[derive(Template)]
#[template(path = "items.html")]
struct ItemsPage {
    departments: Vec<Department>,
    items: Vec<Item>,
    lists: Vec<JointItemList>,
    as_of: Option<NaiveDate>,
}

impl ItemsPage {
    fn department_name(&self, code: &str) -> String {
        department_name(&self.departments, code)
    }
    fn item_name(&self, code: &str) -> String {
        self.items
            .iter()
            .find(|i| i.code == code)
            .map(|i| i.name.clone())
            .unwrap_or_else(|| code.into())
    }
    fn methods(&self, item: &Item) -> String {
        item.methods
            .iter()
            .map(|m| m.label())
            .collect::<Vec<_>>()
            .join("、")
    }
}

pub async fn items(State(s): State<AppState>, Query(q): Query<ItemsQuery>) -> PageResult {
    let as_of = match q.date.trim() {
        "" => None,
        d => Some(liancha_domain::rows::parse_date(d).ok_or_else(|| {
            WebError::BadRequest(format!("「{d}」不是有效日期，应写作 2026-03-01"))
        })?),
    };
    let items = match as_of {
        Some(day) => s.store.items_as_published_on(day).await?,
        None => s.store.items(true).await?,
    };
    render(&ItemsPage {
        departments: s.store.departments().await?,
        lists: if as_of.is_none() {
            s.store.joint_item_lists(true).await?
        } else {
            Vec::new()
        },
        items,
        as_of,
    })
}

#[derive(Template)]
#[template(path = "rule_books.html")]
struct RuleBooksPage {
    books: Vec<RuleBook>,
}

impl RuleBooksPage {
    fn percent(&self, bp: &u32) -> String {
        format!("{}.{:02}%", bp / 100, bp % 100)
    }
}

pub async fn rule_books(State(s): State<AppState>) -> PageResult {
    let mut books = Vec::new();
    for d in Domain::ALL {
        books.push(s.store.rule_book(*d).await?);
    }
    render(&RuleBooksPage { books })
}

pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../static/app.css"),
    )
}

pub async fn not_found() -> WebError {
    WebError::NotFound("页面不存在".into())
}
