//! Directory pages: the one list, two directories and one rule book, as people read them.

use askama::Template;
use axum::extract::{FromRequestParts, Path, Query, RawPathParams, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use liancha_domain::org::{Division, DivisionCode, Level};
use liancha_domain::{
    Department, Domain, Entity, EntityType, Inspector, Item, JointItemList, RiskClass,
};
use liancha_store::directories::{Counts, EntityFilter};
use liancha_store::rule_books::RuleBookVersion;
use serde::Deserialize;

use crate::{AppState, WebError};

/// The county portal a public page belongs to (`/c/532323/…`); the province-wide
/// pages (search, lists, check, verify) have none.
#[derive(Debug, Clone)]
pub struct Portal {
    pub code: DivisionCode,
    pub name: String,
}

impl Portal {
    /// The portal of the county with this code, if the installation has such a county.
    pub async fn of(s: &AppState, raw: &str) -> Result<Portal, WebError> {
        let missing = || WebError::NotFound(format!("没有代码为 {raw} 的县（市、区）"));
        let code = DivisionCode::parse(raw).map_err(|_| missing())?;
        match s.division(&code).await? {
            Some(d) if d.level() == Level::County => Ok(Portal { code, name: d.name }),
            _ => Err(missing()),
        }
    }

    /// The county's published rows, as the public reads them.
    pub fn rows<'a>(&self, s: &'a AppState) -> liancha_store::County<'a> {
        s.app.public_county(&self.code)
    }
}

impl FromRequestParts<AppState> for Portal {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, WebError> {
        let params = RawPathParams::from_request_parts(parts, s)
            .await
            .map_err(|_| WebError::NotFound("页面不存在".into()))?;
        let raw = params
            .iter()
            .find(|(k, _)| *k == "county")
            .map(|(_, v)| v.to_string())
            .ok_or_else(|| WebError::NotFound("页面不存在".into()))?;
        Portal::of(s, &raw).await
    }
}

/// The counties of the installation, under their prefectures, for the portal's
/// home and the county picker.
#[derive(Debug, Clone)]
pub struct Prefecture {
    pub name: String,
    pub counties: Vec<Division>,
}

async fn prefectures(s: &AppState) -> Result<Vec<Prefecture>, WebError> {
    let tree = s.divisions().await?;
    Ok(tree
        .iter()
        .filter(|d| d.level() == Level::Prefecture)
        .map(|p| Prefecture {
            name: p.name.clone(),
            counties: tree
                .iter()
                .filter(|c| c.level() == Level::County && c.code.parent().as_ref() == Some(&p.code))
                .cloned()
                .collect(),
        })
        .filter(|p| !p.counties.is_empty())
        .collect())
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    portal: Option<Portal>,
    prefectures: Vec<Prefecture>,
    province: Option<String>,
}

/// The province's portal: a search over every county's published results, and each
/// county's own portal.
pub async fn home(State(s): State<AppState>) -> PageResult {
    let province = s
        .divisions()
        .await?
        .iter()
        .find(|d| d.level() == Level::Province)
        .map(|d| d.name.clone());
    render(&HomePage {
        portal: None,
        prefectures: prefectures(&s).await?,
        province,
    })
}

#[derive(Template)]
#[template(path = "pick_county.html")]
struct PickCountyPage {
    portal: Option<Portal>,
    prefectures: Vec<Prefecture>,
    path: String,
    query: String,
}

/// An address from before counties had portals (`/items`, `/public/plans` …): the
/// county's page when the installation has one county, else a choice of county.
pub async fn county_page(
    s: &AppState,
    path: &str,
    query: Option<&str>,
) -> Result<Response, WebError> {
    let prefectures = prefectures(s).await?;
    let counties: Vec<&Division> = prefectures.iter().flat_map(|p| &p.counties).collect();
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    if let [only] = counties.as_slice() {
        return Ok(Redirect::to(&format!("/c/{}{path}{query}", only.code)).into_response());
    }
    Ok(render(&PickCountyPage {
        portal: None,
        prefectures,
        path: path.to_string(),
        query,
    })?
    .into_response())
}

/// `/items` and the other pages of one county, without the county: see [`county_page`].
pub async fn legacy(State(s): State<AppState>, uri: axum::http::Uri) -> Result<Response, WebError> {
    let path = match uri.path() {
        "/public/plans" => "/plans",
        "/public/stats" => "/stats",
        p => p,
    };
    county_page(&s, path, uri.query()).await
}

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

#[derive(Template, Clone)]
#[template(path = "error.html")]
pub(crate) struct ErrorPage {
    pub portal: Option<Portal>,
    pub status: u16,
    pub message: String,
    pub back: Option<String>,
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    portal: Option<Portal>,
    counts: Counts,
    townships: Vec<(String, [i64; 4], i64)>,
}

/// A county's portal: its one list, two directories and rule book, and its
/// entities by township and risk class.
pub async fn index(State(s): State<AppState>, portal: Portal) -> PageResult {
    let c = portal.rows(&s);
    let counts = c.counts().await?;
    let mut townships: Vec<(String, [i64; 4], i64)> = c
        .townships()
        .await?
        .into_iter()
        .map(|t| (t.name, [0; 4], 0))
        .collect();
    for (township, class, n) in c.entity_breakdown().await? {
        if let (Some(row), Some(c)) = (
            townships.iter_mut().find(|r| r.0 == township),
            RiskClass::from_code(&class),
        ) {
            row.1[c as usize] += n;
            row.2 += n;
        }
    }
    render(&IndexPage {
        portal: Some(portal),
        counts,
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
    portal: Option<Portal>,
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

impl EntitiesPage {
    /// The county's code, for links within its portal.
    fn code(&self) -> String {
        self.portal
            .as_ref()
            .map(|p| p.code.to_string())
            .unwrap_or_default()
    }
}

/// Page `requested` (as the query gave it) of `rows`, `per` to a page: the rows, the
/// page shown and the number of pages. A missing or malformed page (an over-long
/// number included) shows the first, one past the end the last, so a bookmark never
/// fails.
pub(crate) fn page_of<T>(rows: Vec<T>, requested: &str, per: usize) -> (Vec<T>, usize, usize) {
    let pages = rows.len().div_ceil(per).max(1);
    let page = requested
        .trim()
        .parse::<usize>()
        .unwrap_or(1)
        .clamp(1, pages);
    let rows = rows.into_iter().skip((page - 1) * per).take(per).collect();
    (rows, page, pages)
}

pub(crate) fn query_pair(out: &mut String, key: &str, value: &str) {
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

pub async fn entities(
    State(s): State<AppState>,
    portal: Portal,
    Query(query): Query<EntityQuery>,
) -> PageResult {
    let c = portal.rows(&s);
    let filter = EntityFilter {
        township: Some(query.township.clone()).filter(|t| !t.is_empty()),
        entity_type: EntityType::from_code(&query.entity_type),
        risk_class: RiskClass::from_code(&query.risk_class),
        status: None,
        query: Some(query.q.clone()).filter(|q| !q.trim().is_empty()),
        ..EntityFilter::default()
    };
    let page = query.page.unwrap_or(1).max(1);
    let result = c
        .entities(&filter, (page - 1) * PAGE_SIZE, PAGE_SIZE)
        .await?;
    let mut base_query = String::new();
    query_pair(&mut base_query, "q", &query.q);
    query_pair(&mut base_query, "township", &query.township);
    query_pair(&mut base_query, "entity_type", &query.entity_type);
    query_pair(&mut base_query, "risk_class", &query.risk_class);
    render(&EntitiesPage {
        townships: c.townships().await?.into_iter().map(|t| t.name).collect(),
        types: EntityType::ALL,
        classes: RiskClass::ALL,
        pages: (result.total + PAGE_SIZE - 1) / PAGE_SIZE,
        total: result.total,
        rows: result.rows,
        page,
        base_query,
        query,
        portal: Some(portal),
    })
}

#[derive(Template)]
#[template(path = "entity.html")]
struct EntityPage {
    portal: Option<Portal>,
    e: Entity,
    inspections: Vec<liancha_store::results::PublishedResult>,
    /// Its listings in this county: when listed, and when and why taken off.
    listings: Vec<liancha_store::results::Listing>,
}

impl EntityPage {
    fn day(&self, t: &Option<chrono::DateTime<chrono::Utc>>) -> String {
        t.map(|t| liancha_domain::calendar::china_date(t).to_string())
            .unwrap_or_default()
    }

    /// The directory's own id says something only for an entity without a USCC
    /// (otherwise it is the same code again).
    fn shows_system_id(&self) -> bool {
        self.e
            .uscc
            .as_ref()
            .is_none_or(|u| u.to_string() != self.e.id)
    }
}

/// An entity of a county's directory, with its published inspections in every
/// county (an entity that moved keeps the record of each).
pub async fn entity(
    State(s): State<AppState>,
    portal: Portal,
    Path(params): Path<std::collections::BTreeMap<String, String>>,
) -> PageResult {
    let id = params.get("id").cloned().unwrap_or_default();
    match portal.rows(&s).entity(&id).await? {
        Some(e) => render(&EntityPage {
            inspections: s.app.public().published_results_of_entity(&e.id).await?,
            listings: portal.rows(&s).listings_of_entity(&e.id).await?,
            e,
            portal: Some(portal),
        }),
        None => Err(WebError::NotFound(format!("没有编号为 {id} 的检查对象"))),
    }
}

/// `/entities/ID` from before counties had portals: the county where the entity is
/// on the directory now.
pub async fn entity_anywhere(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    match s.app.public().entity_home(&id).await? {
        Some(county) => Ok(Redirect::to(&format!(
            "/c/{county}/entities/{}",
            url_encode(id.trim())
        ))
        .into_response()),
        None => Err(WebError::NotFound(format!("没有编号为 {id} 的检查对象"))),
    }
}

#[derive(Template)]
#[template(path = "inspectors.html")]
struct InspectorsPage {
    portal: Option<Portal>,
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
    let portal = Portal::from_request_parts(&mut parts, &s).await?;
    // Staff of this county see ids and certificate numbers; anyone else the public page.
    let staff = crate::session::Staff::from_request_parts(&mut parts, &s)
        .await
        .is_ok_and(|st| st.county.code == portal.code);
    let c = portal.rows(&s);
    let page = render(&InspectorsPage {
        departments: c.departments().await?,
        rows: c.inspectors(None).await?,
        portal: Some(portal),
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
    portal: Option<Portal>,
    departments: Vec<Department>,
    items: Vec<Item>,
    lists: Vec<JointItemList>,
    as_of: Option<NaiveDate>,
}

impl ItemsPage {
    /// The county's code, for links within its portal.
    fn code(&self) -> String {
        self.portal
            .as_ref()
            .map(|p| p.code.to_string())
            .unwrap_or_default()
    }
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

pub async fn items(
    State(s): State<AppState>,
    portal: Portal,
    Query(q): Query<ItemsQuery>,
) -> PageResult {
    let c = portal.rows(&s);
    let as_of = match q.date.trim() {
        "" => None,
        d => Some(liancha_domain::rows::parse_date(d).ok_or_else(|| {
            WebError::BadRequest(format!("「{d}」不是有效日期，应写作 2026-03-01"))
        })?),
    };
    let items = match as_of {
        Some(day) => c.items_as_published_on(day).await?,
        None => c.items(true).await?,
    };
    render(&ItemsPage {
        departments: c.departments().await?,
        lists: if as_of.is_none() {
            c.joint_item_lists(true).await?
        } else {
            Vec::new()
        },
        items,
        as_of,
        portal: Some(portal),
    })
}

#[derive(Template)]
#[template(path = "rule_books.html")]
struct RuleBooksPage {
    portal: Option<Portal>,
    /// Each domain's version in force today.
    books: Vec<RuleBookVersion>,
    /// Versions adopted for a later day, soonest first.
    upcoming: Vec<RuleBookVersion>,
}

impl RuleBooksPage {
    fn percent(&self, bp: &u32) -> String {
        format!("{}.{:02}%", bp / 100, bp % 100)
    }
}

pub async fn rule_books(State(s): State<AppState>, portal: Portal) -> PageResult {
    let today = liancha_domain::calendar::china_date(s.clock.now());
    let c = portal.rows(&s);
    let mut books = Vec::new();
    let mut upcoming = Vec::new();
    for d in Domain::ALL {
        books.push(c.rule_book_on(*d, today).await?);
        let versions = c.rule_book_versions(*d).await?;
        // Of two versions for the same day only the later saved will apply.
        upcoming.extend(
            versions
                .iter()
                .filter(|v| {
                    v.effective_from.is_some_and(|f| f > today) && !v.is_overtaken(&versions)
                })
                .cloned(),
        );
    }
    upcoming.sort_by_key(|v| (v.effective_from, v.book.domain.code()));
    render(&RuleBooksPage {
        portal: Some(portal),
        books,
        upcoming,
    })
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

/// An exported sheet as a download (named in Chinese, with an ASCII fallback).
pub(crate) fn sheet_download(bytes: Vec<u8>, ascii: &str, name: &str, csv: bool) -> Response {
    let content_type = if csv {
        "text/csv; charset=utf-8"
    } else {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    };
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
                    url_encode(name)
                ),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// A form posted with repeated fields (check boxes of one name), read by name.
pub struct Pairs<'a>(pub &'a [(String, String)]);

impl Pairs<'_> {
    /// The first value of `key`, or empty.
    pub fn one(&self, key: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of `key`, at most `max` (a posted form is not trusted to be small).
    pub fn all(&self, key: &str, max: usize) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .take(max)
            .collect()
    }
}

#[cfg(test)]
mod page_tests {
    use super::*;

    #[test]
    fn a_page_is_always_one_that_exists() {
        let rows: Vec<u32> = (1..=120).collect();
        assert_eq!(page_of(rows.clone(), "", 50), ((1..=50).collect(), 1, 3));
        assert_eq!(
            page_of(rows.clone(), "3", 50),
            ((101..=120).collect(), 3, 3)
        );
        assert_eq!(page_of(rows.clone(), " 2 ", 50).1, 2);
        assert_eq!(page_of(rows.clone(), "4", 50).1, 3);
        for bad in ["99999999999999999999999", "-1", "x"] {
            assert_eq!(page_of(rows.clone(), bad, 50).1, 1, "{bad}");
        }
        assert_eq!(page_of(rows.clone(), "0", 50).1, 1);
        assert_eq!(page_of(Vec::<u32>::new(), "2", 50), (vec![], 1, 1));
    }
}
