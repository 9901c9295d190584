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

// ---------------------------------------------------------------------------
// Errors

/// An error: what went wrong, in Chinese.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// 错误说明
    #[schema(example = "参数 page 须为正整数（从 1 开始）")]
    error: String,
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    /// Seconds after which the same request may succeed (503 when the database is busy).
    retry_after: Option<u32>,
}

impl ApiError {
    fn bad_request(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            retry_after: None,
        }
    }

    fn not_found(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
            retry_after: None,
        }
    }

    fn internal(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.into(),
            retry_after: None,
        }
    }
}

impl From<WebError> for ApiError {
    fn from(e: WebError) -> Self {
        match e {
            WebError::Store(e) => e.into(),
            e => {
                tracing::error!(error = %e, "error in the open-data API");
                ApiError::internal("系统繁忙，请稍后再试。")
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => ApiError::not_found(format!("未找到：{m}")),
            StoreError::Busy { retry_after } => ApiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: format!("数据库正忙，请 {retry_after} 秒后重试"),
                retry_after: Some(retry_after),
            },
            e => {
                tracing::error!(error = %e, "store error in the open-data API");
                ApiError::internal("系统繁忙，请稍后再试。")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (
            self.status,
            Json(ErrorBody {
                error: self.message,
            }),
        )
            .into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
        }
        res
    }
}

type ApiResult<T> = Result<T, ApiError>;

async fn no_such_endpoint() -> ApiError {
    ApiError::not_found("接口不存在，可用的接口见 /api/docs/")
}

// ---------------------------------------------------------------------------
// Query parameters

/// The query string, read leniently (unknown parameters are ignored) and checked
/// here, so that every bad value gets a JSON 400 with a clear message.
struct Params(HashMap<String, String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let q: Result<Query<HashMap<String, String>>, QueryRejection> =
            Query::from_request_parts(parts, state).await;
        match q {
            Ok(Query(map)) => Ok(Params(map)),
            Err(_) => Err(ApiError::bad_request("查询参数格式不正确")),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Paging {
    page: u32,
    per_page: u32,
}

impl Params {
    /// The value as sent: the document states each parameter's exact form, and a
    /// value outside it is refused rather than guessed at.
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// An integer parameter within `range`: digits only (a sign for negatives), no
    /// spaces or `+`.
    fn integer<T: std::str::FromStr + PartialOrd>(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<T>,
    ) -> Result<Option<T>, String> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        let digits = v.strip_prefix('-').unwrap_or(v);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(v.to_string());
        }
        match v.parse::<T>() {
            Ok(n) if range.contains(&n) => Ok(Some(n)),
            _ => Err(v.to_string()),
        }
    }

    fn paging(&self) -> ApiResult<Paging> {
        let page = self
            .integer("page", 1..=MAX_PAGE)
            .map_err(|v| {
                ApiError::bad_request(format!(
                    "参数 page 须为 1 至 {MAX_PAGE} 之间的整数，收到「{v}」"
                ))
            })?
            .unwrap_or(1);
        let per_page = self
            .integer("per_page", 1..=MAX_PER_PAGE)
            .map_err(|v| {
                ApiError::bad_request(format!(
                    "参数 per_page 须为 1 至 {MAX_PER_PAGE} 之间的整数，收到「{v}」"
                ))
            })?
            .unwrap_or(DEFAULT_PER_PAGE);
        Ok(Paging { page, per_page })
    }

    /// The counties the `county` parameter selects, in code order: every county when
    /// it is absent, those whose code begins with its significant digits otherwise
    /// (none for a well-formed code the installation does not have).
    async fn counties(&self, s: &AppState) -> ApiResult<Vec<Division>> {
        let prefix = match self.get("county") {
            None => None,
            Some(v) => {
                let shape = matches!(v.len(), 2 | 4 | 6) && v.bytes().all(|b| b.is_ascii_digit());
                if !shape {
                    return Err(ApiError::bad_request(format!(
                        "参数 county 须为 2、4 或 6 位行政区划代码（如 53、5323、532323），收到「{v}」"
                    )));
                }
                // 532300 is the prefecture 5323, 530000 the province 53.
                let mut p = v.to_string();
                while p.len() > 2 && p.ends_with("00") {
                    p.truncate(p.len() - 2);
                }
                Some(p)
            }
        };
        Ok(s.divisions()
            .await?
            .iter()
            .filter(|d| d.level() == Level::County)
            .filter(|d| {
                prefix
                    .as_ref()
                    .is_none_or(|p| d.code.as_str().starts_with(p.as_str()))
            })
            .cloned()
            .collect())
    }

    fn date(&self, name: &str) -> ApiResult<Option<NaiveDate>> {
        match self.get(name) {
            None => Ok(None),
            // Exactly the RFC 3339 full-date the document states: chrono alone would
            // also take 2026-3-1.
            Some(v) => v
                .as_bytes()
                .iter()
                .enumerate()
                .all(|(i, b)| {
                    if i == 4 || i == 7 {
                        *b == b'-'
                    } else {
                        b.is_ascii_digit()
                    }
                })
                .then_some(v)
                .filter(|v| v.len() == 10)
                .and_then(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
                .map(Some)
                .ok_or(())
                .map_err(|_| {
                    ApiError::bad_request(format!(
                        "参数 {name} 须为 YYYY-MM-DD 格式的有效日期（如 2026-03-01），收到「{v}」"
                    ))
                }),
        }
    }
}

/// Query parameters of every list endpoint (documentation only; [`Params`] reads them).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct PageParams {
    /// 页码，从 1 开始，默认 1，至多 1000000
    #[param(minimum = 1, maximum = 1_000_000)]
    page: Option<u32>,
    /// 每页条数，1 至 1000，默认 100
    #[param(minimum = 1, maximum = 1000)]
    per_page: Option<u32>,
}

/// The county filter of every list (documentation only; [`Params::counties`] reads it).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct CountyParams {
    /// 行政区划代码（GB/T 2260）：县（市、区）如 532323，州（市）如 5323 或 532300，省如 53 或 530000；
    /// 只列出该县或该州（市）、省所辖各县的条目。不填为全部。格式正确但本系统没有的代码返回空列表
    #[param(pattern = "^[0-9]{2}([0-9]{2}([0-9]{2})?)?$")]
    county: Option<String>,
}

/// Query parameter of the item list (documentation only).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct OnParams {
    /// 查看某日公布的清单版本（北京时间当日结束时的状态），格式 YYYY-MM-DD（如 2026-03-01）；不填为现行清单
    #[param(format = Date, value_type = Option<String>)]
    on: Option<String>,
}

fn paginate<T>(all: Vec<T>, p: Paging) -> (Vec<T>, u64) {
    let total = all.len() as u64;
    let skip = (u64::from(p.page) - 1) * u64::from(p.per_page);
    let items = all
        .into_iter()
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take(p.per_page as usize)
        .collect();
    (items, total)
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
            fn new(all: Vec<$row>, p: Paging) -> Self {
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

// ---------------------------------------------------------------------------
// Public shapes

/// 枚举值：稳定的英文代码与中文名称。
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodeLabel {
    /// 代码
    #[schema(example = "market")]
    code: String,
    /// 中文名称
    #[schema(example = "市场监管")]
    label: String,
}

impl CodeLabel {
    fn of(code: &str, label: &str) -> Self {
        CodeLabel {
            code: code.to_string(),
            label: label.to_string(),
        }
    }
}

macro_rules! code_label {
    ($v:expr) => {{
        let v = $v;
        CodeLabel::of(v.code(), v.label())
    }};
}

/// 县（市、区）：行政区划代码（GB/T 2260）与名称。
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CountyRef {
    #[schema(example = "532323")]
    code: String,
    #[schema(example = "牟定县")]
    name: String,
}

/// 部门：代码与名称（部门代码在本县（市、区）内唯一）。
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DepartmentRef {
    #[schema(example = "amr")]
    code: String,
    #[schema(example = "县市场监督管理局")]
    name: String,
}

/// 抽查事项的编码与名称。
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemRef {
    #[schema(example = "SC-001")]
    code: String,
    /// 事项名称；事项已不在现行公布的清单中时为 null
    name: Option<String>,
}

/// 抽查事项清单中的一项。
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemOut {
    /// 所属县（市、区）
    county: CountyRef,
    /// 事项编码
    code: String,
    /// 抽查事项
    name: String,
    /// 抽查依据
    legal_basis: String,
    /// 抽查主体
    department: DepartmentRef,
    /// 抽查内容
    content: String,
    /// 抽查方式
    methods: Vec<CodeLabel>,
    /// 执法权限
    authority: String,
    /// 适用对象类型；空表示适用于所有类型
    entity_types: Vec<CodeLabel>,
}

/// 跨部门联合抽查事项清单。
#[derive(Debug, Serialize, ToSchema)]
pub struct JointListOut {
    /// 所属县（市、区）
    county: CountyRef,
    code: String,
    name: String,
    domain: CodeLabel,
    lead_department: DepartmentRef,
    /// 清单中的事项，按清单顺序
    items: Vec<ItemRef>,
}

/// 某一风险类别的抽查比例。
#[derive(Debug, Serialize, ToSchema)]
pub struct RiskRatio {
    /// 信用风险分类（A 最低，D 最高）
    risk_class: CodeLabel,
    /// 抽查比例，单位为基点（1 基点 = 0.01%）
    ratio_bp: u32,
    /// 抽查比例，百分数文本
    #[schema(example = "5.00%")]
    ratio_percent: String,
}

/// 某一领域的实施细则。
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleBookOut {
    /// 所属县（市、区）
    county: CountyRef,
    domain: CodeLabel,
    /// 各风险类别的抽查比例
    ratios: Vec<RiskRatio>,
    /// 同一检查对象一年内接受检查（随机与定向合计）的上限次数
    annual_cap: u32,
    /// 检查结束后公示的期限（工作日）
    publication_deadline_days: u32,
    /// 检查组最少人数
    min_team_size: u32,
    /// 执法人员是否回避本人所在乡镇
    recuse_same_township: bool,
}

/// 年度计划中的一项计划任务。
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanEntryOut {
    /// 计划月份（1–12）
    month: u32,
    title: String,
    items: Vec<ItemRef>,
    /// 检查范围说明
    scope: String,
    /// 据此开展并已公示的任务编号
    published_tasks: Vec<i64>,
}

/// 已公布的年度抽查工作计划。
#[derive(Debug, Serialize, ToSchema)]
pub struct PlanOut {
    /// 所属县（市、区）
    county: CountyRef,
    id: i64,
    year: i32,
    domain: CodeLabel,
    title: String,
    lead_department: DepartmentRef,
    /// 参与部门（含牵头部门）
    departments: Vec<DepartmentRef>,
    /// 公布时间
    published_at: Option<String>,
    entries: Vec<PlanEntryOut>,
}

/// 已公示的联合抽查任务（概要）。
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskSummary {
    /// 所属县（市、区）
    county: CountyRef,
    id: i64,
    year: i32,
    title: String,
    domain: CodeLabel,
    /// 检查模式
    mode: CodeLabel,
    lead_department: DepartmentRef,
    /// 参与部门（各事项的部门）
    departments: Vec<DepartmentRef>,
    /// 检查事项
    items: Vec<ItemRef>,
    /// 检查开始日期
    #[schema(example = "2026-03-01")]
    inspection_start: String,
    /// 检查结束日期
    inspection_end: String,
    /// 抽取方案摘要（SHA-256）
    plan_digest: Option<String>,
    /// 公示时间
    #[schema(example = "2026-03-20T10:00:00+08:00")]
    published_at: Option<String>,
    /// 本任务的详情接口
    url: String,
}

/// 一个随机源及其揭示值。
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceOut {
    /// 随机源说明
    text: String,
    /// 揭示不早于
    not_before: String,
    /// 揭示值
    revealed: Option<String>,
}

/// 抽取概要：任何人可据此复算抽取。
#[derive(Debug, Serialize, ToSchema)]
pub struct DrawSummary {
    /// 抽取方案摘要（SHA-256）
    plan_digest: Option<String>,
    /// 方案封存时间
    committed_at: Option<String>,
    /// 抽取时间
    drawn_at: Option<String>,
    /// 随机种子（十六进制）
    seed: Option<String>,
    sources: Vec<SourceOut>,
    /// 完整抽取记录（draw-v1 JSON）
    record_url: String,
    /// 在浏览器中验证本次抽取的页面
    verify_url: String,
}

/// 检查组成员：只有姓名与部门。
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberOut {
    name: String,
    department: DepartmentRef,
}

/// 检查组。
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamOut {
    /// 组号
    team_no: i32,
    members: Vec<MemberOut>,
}

/// 见证人。
#[derive(Debug, Serialize, ToSchema)]
pub struct WitnessOut {
    name: String,
    role: CodeLabel,
    /// 所在单位
    organisation: String,
}

/// 公开的附件（只有说明，不含文件内容）。
#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentOut {
    /// 用途
    purpose: CodeLabel,
    filename: String,
    content_type: String,
    /// 字节数
    size: i64,
    /// 文件的 SHA-256
    sha256: String,
    uploaded_at: String,
}

/// 已公示任务的详情。
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskDetail {
    task: TaskSummary,
    draw: DrawSummary,
    teams: Vec<TeamOut>,
    witnesses: Vec<WitnessOut>,
    attachments: Vec<AttachmentOut>,
    /// 本任务的检查结果接口
    results_url: String,
}

/// 一户一个事项的已公示检查结果。
#[derive(Debug, Serialize, ToSchema)]
pub struct ResultOut {
    /// 所属县（市、区）
    county: CountyRef,
    task_id: i64,
    task_title: String,
    /// 公示时间
    published_at: Option<String>,
    /// 统一社会信用代码（无代码的主体为其编号）
    #[schema(example = "91532323MA6K0000X0")]
    entity_id: String,
    entity_name: String,
    item: ItemRef,
    /// 抽查主体
    department: DepartmentRef,
    /// 检查日期
    inspected_on: Option<String>,
    /// 检查结果
    categories: Vec<CodeLabel>,
    /// 检查方式
    methods: Vec<CodeLabel>,
}

/// 列入经营异常名录或严重违法失信名单的主体。
#[derive(Debug, Serialize, ToSchema)]
pub struct ListedEntityOut {
    /// 所属县（市、区）
    county: CountyRef,
    /// 统一社会信用代码（无代码的主体为其编号）
    entity_id: String,
    name: String,
    township: String,
}

mod announcements;

page_type!(ItemsPage, ItemOut, "抽查事项");
page_type!(JointListsPage, JointListOut, "联合抽查事项清单");
page_type!(RuleBooksPage, RuleBookOut, "实施细则");
page_type!(PlansPage, PlanOut, "年度计划");
page_type!(TasksPage, TaskSummary, "已公示任务");
page_type!(ResultsPage, ResultOut, "检查结果");
page_type!(ListedPage, ListedEntityOut, "名单中的主体");

// ---------------------------------------------------------------------------
// From the store to the public shapes

fn time(t: DateTime<Utc>) -> String {
    t.with_timezone(&liancha_domain::calendar::china())
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

fn time_opt(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(time)
}

/// Names for the codes a response mentions: one county's departments and published
/// items (codes are the county's own).
struct Names {
    county: CountyRef,
    departments: Vec<Department>,
    items: BTreeMap<String, String>,
}

impl Names {
    async fn load(s: &AppState, county: &Division) -> ApiResult<Names> {
        let c = s.app.public_county(&county.code);
        Ok(Names {
            county: CountyRef {
                code: county.code.to_string(),
                name: county.name.clone(),
            },
            departments: c.departments().await?,
            items: c
                .items(true)
                .await?
                .into_iter()
                .map(|i| (i.code, i.name))
                .collect(),
        })
    }

    /// The names of the county with this code.
    async fn of(s: &AppState, code: &str) -> ApiResult<Names> {
        let code = DivisionCode::parse(code).map_err(|e| ApiError::internal(e.to_string()))?;
        let county = s
            .division(&code)
            .await?
            .ok_or_else(|| ApiError::internal(format!("no county {code}")))?;
        Names::load(s, &county).await
    }

    fn county(&self) -> CountyRef {
        self.county.clone()
    }

    fn dept(&self, code: &str) -> DepartmentRef {
        DepartmentRef {
            code: code.to_string(),
            name: self
                .departments
                .iter()
                .find(|d| d.code == code)
                .map_or_else(|| code.to_string(), |d| d.name.clone()),
        }
    }

    /// An item by code, named only if it is in the published list.
    fn item(&self, code: &str) -> ItemRef {
        ItemRef {
            code: code.to_string(),
            name: self.items.get(code).cloned(),
        }
    }
}

fn item_out(i: Item, names: &Names) -> ItemOut {
    ItemOut {
        county: names.county(),
        department: names.dept(&i.department),
        methods: i.methods.iter().map(|m| code_label!(*m)).collect(),
        entity_types: i.entity_types.iter().map(|t| code_label!(*t)).collect(),
        code: i.code,
        name: i.name,
        legal_basis: i.legal_basis,
        content: i.content,
        authority: i.authority,
    }
}

/// The task's own items, named as they were when it was sealed.
fn task_items(t: &Task) -> Vec<ItemRef> {
    t.items
        .iter()
        .map(|i| ItemRef {
            code: i.code.clone(),
            name: Some(i.name.clone()),
        })
        .collect()
}

fn task_summary(t: &Task, names: &Names) -> TaskSummary {
    TaskSummary {
        county: names.county(),
        id: t.id,
        year: t.year,
        title: t.title.clone(),
        domain: code_label!(t.domain),
        mode: code_label!(t.mode),
        lead_department: names.dept(&t.lead_department),
        departments: t.departments().iter().map(|d| names.dept(d)).collect(),
        items: task_items(t),
        inspection_start: t.inspection_start.to_string(),
        inspection_end: t.inspection_end.to_string(),
        plan_digest: t.plan_digest.clone(),
        published_at: time_opt(t.published_at),
        url: format!("/api/v1/tasks/{}", t.id),
    }
}

fn result_out(r: PublishedResult, names: &Names) -> ResultOut {
    ResultOut {
        county: names.county(),
        task_id: r.task_id,
        task_title: r.task_title,
        published_at: time_opt(r.published_at),
        item: ItemRef {
            code: r.item_code,
            name: Some(r.item_name),
        },
        department: names.dept(&r.department),
        inspected_on: r.inspected_on.map(|d| d.to_string()),
        categories: r.categories.iter().map(|c| code_label!(*c)).collect(),
        methods: r.methods.iter().map(|m| code_label!(*m)).collect(),
        entity_id: r.entity_id,
        entity_name: r.entity_name,
    }
}

async fn published_tasks(s: &AppState, county: &Division) -> ApiResult<Vec<Task>> {
    Ok(s.app
        .public_county(&county.code)
        .tasks(&TaskFilter {
            state: Some(TaskState::Published),
            ..TaskFilter::default()
        })
        .await?)
}

/// A published task and its county, or 404 for any other (draft, committed, drawn,
/// cancelled, missing): the public cannot tell them apart.
async fn published_task(s: &AppState, id: &str) -> ApiResult<(Division, Task)> {
    let not_found = || ApiError::not_found(format!("没有编号为 {id} 的已公示任务"));
    let Ok(n) = id.parse::<i64>() else {
        return Err(not_found());
    };
    let Some(code) = s.app.public().published_task_county(n).await? else {
        return Err(not_found());
    };
    let county = s.division(&code).await?.ok_or_else(not_found)?;
    match s.app.public_county(&code).task(n).await? {
        Some(t) if t.state == TaskState::Published => Ok((county, t)),
        _ => Err(not_found()),
    }
}

// ---------------------------------------------------------------------------
// Loaders: the whole list, in a stable order

async fn load_items(s: &AppState, q: &Params) -> ApiResult<Vec<ItemOut>> {
    let on = q.date("on")?;
    let mut out = Vec::new();
    for county in q.counties(s).await? {
        let c = s.app.public_county(&county.code);
        let items = match on {
            Some(day) => c.items_as_published_on(day).await?,
            None => c.items(true).await?,
        };
        let names = Names::load(s, &county).await?;
        out.extend(
            items
                .into_iter()
                // Belt and braces: both queries return published items only.
                .filter(|i| i.published)
                .map(|i| item_out(i, &names)),
        );
    }
    Ok(out)
}

async fn load_joint_lists(s: &AppState, q: &Params) -> ApiResult<Vec<JointListOut>> {
    let mut out = Vec::new();
    for county in q.counties(s).await? {
        let names = Names::load(s, &county).await?;
        out.extend(joint_lists_of(s, &county, &names).await?);
    }
    Ok(out)
}

async fn joint_lists_of(
    s: &AppState,
    county: &Division,
    names: &Names,
) -> ApiResult<Vec<JointListOut>> {
    Ok(s.app
        .public_county(&county.code)
        .joint_item_lists(true)
        .await?
        .into_iter()
        .filter(|l| l.published)
        .map(|l| JointListOut {
            county: names.county(),
            domain: code_label!(l.domain),
            lead_department: names.dept(&l.lead_department),
            items: l.items.iter().map(|c| names.item(c)).collect(),
            code: l.code,
            name: l.name,
        })
        .collect())
}

async fn load_rule_books(s: &AppState, q: &Params) -> ApiResult<Vec<RuleBookOut>> {
    let mut out = Vec::new();
    for county in q.counties(s).await? {
        out.extend(rule_books_of(s, &county).await?);
    }
    Ok(out)
}

async fn rule_books_of(s: &AppState, county: &Division) -> ApiResult<Vec<RuleBookOut>> {
    use liancha_domain::RiskClass;
    let mut out = Vec::new();
    for d in Domain::ALL {
        let r = s.app.public_county(&county.code).rule_book(*d).await?;
        out.push(RuleBookOut {
            county: CountyRef {
                code: county.code.to_string(),
                name: county.name.clone(),
            },
            domain: code_label!(r.domain),
            ratios: RiskClass::ALL
                .iter()
                .map(|c| {
                    let bp = r.ratio_for(*c);
                    RiskRatio {
                        risk_class: code_label!(*c),
                        ratio_bp: bp,
                        ratio_percent: format!("{}.{:02}%", bp / 100, bp % 100),
                    }
                })
                .collect(),
            annual_cap: r.annual_cap,
            publication_deadline_days: r.publication_deadline_days,
            min_team_size: r.min_team_size,
            recuse_same_township: r.recuse_same_township,
        });
    }
    Ok(out)
}

async fn load_plans(s: &AppState, q: &Params) -> ApiResult<Vec<PlanOut>> {
    let mut out = Vec::new();
    for county in q.counties(s).await? {
        out.extend(plans_of(s, &county).await?);
    }
    Ok(out)
}

async fn plans_of(s: &AppState, county: &Division) -> ApiResult<Vec<PlanOut>> {
    let names = Names::load(s, county).await?;
    let published: BTreeSet<i64> = published_tasks(s, county)
        .await?
        .iter()
        .map(|t| t.id)
        .collect();
    Ok(s.app
        .public_county(&county.code)
        .annual_plans(None, true)
        .await?
        .into_iter()
        .filter(|p| p.published_at.is_some())
        .map(|p| PlanOut {
            county: names.county(),
            id: p.id,
            year: p.year,
            domain: code_label!(p.domain),
            lead_department: names.dept(&p.lead_department),
            departments: p.departments.iter().map(|d| names.dept(d)).collect(),
            published_at: time_opt(p.published_at),
            entries: p
                .entries
                .into_iter()
                .map(|e| PlanEntryOut {
                    month: e.month,
                    items: e.items.iter().map(|c| names.item(c)).collect(),
                    // Tasks made from the entry but not published are not public.
                    published_tasks: e
                        .tasks
                        .into_iter()
                        .filter(|t| published.contains(t))
                        .collect(),
                    title: e.title,
                    scope: e.scope,
                })
                .collect(),
            title: p.title,
        })
        .collect())
}

/// Published tasks of the counties asked for, newest first (ids grow in the whole
/// installation).
async fn load_tasks(s: &AppState, q: &Params) -> ApiResult<Vec<TaskSummary>> {
    let mut out: Vec<TaskSummary> = Vec::new();
    for county in q.counties(s).await? {
        let names = Names::load(s, &county).await?;
        out.extend(
            published_tasks(s, &county)
                .await?
                .iter()
                .filter(|t| t.state == TaskState::Published)
                .map(|t| task_summary(t, &names)),
        );
    }
    out.sort_by_key(|t| std::cmp::Reverse(t.id));
    Ok(out)
}

async fn load_task_results(s: &AppState, id: &str) -> ApiResult<(Task, Vec<ResultOut>)> {
    let (county, task) = published_task(s, id).await?;
    let names = Names::load(s, &county).await?;
    let results = s
        .app
        .public_county(&county.code)
        .published_results_of_task(task.id)
        .await?
        .into_iter()
        .map(|r| result_out(r, &names))
        .collect();
    Ok((task, results))
}

/// Every published result about an entity, in every county it has been on record in.
async fn load_entity_results(s: &AppState, id: &str) -> ApiResult<Vec<ResultOut>> {
    if s.app.public().entity_home(id).await?.is_none() {
        return Err(ApiError::not_found(format!("没有编号为 {id} 的检查对象")));
    }
    let mut names: BTreeMap<String, Names> = BTreeMap::new();
    let mut out = Vec::new();
    for r in s
        .app
        .public()
        .published_results_of_entity(&id.trim().to_ascii_uppercase())
        .await?
    {
        if !names.contains_key(&r.county) {
            names.insert(r.county.clone(), Names::of(s, &r.county).await?);
        }
        let n = &names[&r.county];
        out.push(result_out(r, n));
    }
    Ok(out)
}

async fn load_listed(
    s: &AppState,
    q: &Params,
    list: CreditList,
) -> ApiResult<Vec<ListedEntityOut>> {
    let mut out = Vec::new();
    for county in q.counties(s).await? {
        let c = CountyRef {
            code: county.code.to_string(),
            name: county.name.clone(),
        };
        out.extend(
            s.app
                .public_county(&county.code)
                .listed_entities(list)
                .await?
                .into_iter()
                .map(|(entity_id, name, township)| ListedEntityOut {
                    county: c.clone(),
                    entity_id,
                    name,
                    township,
                }),
        );
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Tables for the downloads

enum Cell {
    Text(String),
    Int(i64),
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}

impl From<Option<String>> for Cell {
    fn from(s: Option<String>) -> Self {
        Cell::Text(s.unwrap_or_default())
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Int(n)
    }
}

impl From<i32> for Cell {
    fn from(n: i32) -> Self {
        Cell::Int(n.into())
    }
}

impl From<u32> for Cell {
    fn from(n: u32) -> Self {
        Cell::Int(n.into())
    }
}

macro_rules! row {
    ($($cell:expr),* $(,)?) => { vec![$(Cell::from($cell)),*] };
}

/// A list as a table: file name, headers, rows.
struct Table {
    /// ASCII name for old clients, without extension.
    file: String,
    /// The Chinese name, without extension; also the worksheet's name.
    title: String,
    headers: &'static [&'static str],
    rows: Vec<Vec<Cell>>,
}

fn joined(v: &[CodeLabel]) -> String {
    v.iter()
        .map(|c| c.label.as_str())
        .collect::<Vec<_>>()
        .join("、")
}

fn items_table(items: &[ItemOut], on: Option<NaiveDate>) -> Table {
    Table {
        file: match on {
            Some(d) => format!("liancha-items-{d}"),
            None => "liancha-items".into(),
        },
        title: match on {
            Some(d) => format!("抽查事项清单-{d}"),
            None => "抽查事项清单".into(),
        },
        headers: &[
            "事项编码",
            "抽查事项",
            "抽查依据",
            "抽查主体",
            "抽查内容",
            "抽查方式",
            "执法权限",
            "适用对象类型",
        ],
        rows: items
            .iter()
            .map(|i| {
                row![
                    i.code.as_str(),
                    i.name.as_str(),
                    i.legal_basis.as_str(),
                    i.department.name.as_str(),
                    i.content.as_str(),
                    joined(&i.methods),
                    i.authority.as_str(),
                    if i.entity_types.is_empty() {
                        "全部".to_string()
                    } else {
                        joined(&i.entity_types)
                    },
                ]
            })
            .collect(),
    }
}

fn joint_lists_table(lists: &[JointListOut]) -> Table {
    let mut rows = Vec::new();
    for l in lists {
        for (n, i) in l.items.iter().enumerate() {
            rows.push(row![
                l.code.as_str(),
                l.name.as_str(),
                l.domain.label.as_str(),
                l.lead_department.name.as_str(),
                (n + 1) as i64,
                i.code.as_str(),
                i.name.clone(),
            ]);
        }
    }
    Table {
        file: "liancha-joint-lists".into(),
        title: "联合抽查事项清单".into(),
        headers: &[
            "清单编码",
            "清单名称",
            "领域",
            "牵头部门",
            "序号",
            "事项编码",
            "抽查事项",
        ],
        rows,
    }
}

fn plans_table(plans: &[PlanOut]) -> Table {
    let mut rows = Vec::new();
    for p in plans {
        let departments = p
            .departments
            .iter()
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>()
            .join("、");
        for e in &p.entries {
            rows.push(row![
                p.id,
                p.year,
                p.domain.label.as_str(),
                p.title.as_str(),
                p.lead_department.name.as_str(),
                departments.as_str(),
                p.published_at.clone(),
                e.month,
                e.title.as_str(),
                e.items
                    .iter()
                    .map(|i| i.code.as_str())
                    .collect::<Vec<_>>()
                    .join("、"),
                e.scope.as_str(),
                e.published_tasks
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join("、"),
            ]);
        }
    }
    Table {
        file: "liancha-plans".into(),
        title: "年度抽查工作计划".into(),
        headers: &[
            "计划编号",
            "年度",
            "领域",
            "计划名称",
            "牵头部门",
            "参与部门",
            "公布时间",
            "月份",
            "计划任务",
            "事项编码",
            "范围",
            "已公示任务编号",
        ],
        rows,
    }
}

fn tasks_table(tasks: &[TaskSummary]) -> Table {
    Table {
        file: "liancha-tasks".into(),
        title: "已公示的联合抽查任务".into(),
        headers: &[
            "任务编号",
            "年度",
            "任务名称",
            "领域",
            "检查模式",
            "牵头部门",
            "参与部门",
            "检查事项",
            "检查开始日期",
            "检查结束日期",
            "方案摘要",
            "公示时间",
        ],
        rows: tasks
            .iter()
            .map(|t| {
                row![
                    t.id,
                    t.year,
                    t.title.as_str(),
                    t.domain.label.as_str(),
                    t.mode.label.as_str(),
                    t.lead_department.name.as_str(),
                    t.departments
                        .iter()
                        .map(|d| d.name.as_str())
                        .collect::<Vec<_>>()
                        .join("、"),
                    t.items
                        .iter()
                        .map(|i| i.name.clone().unwrap_or_else(|| i.code.clone()))
                        .collect::<Vec<_>>()
                        .join("；"),
                    t.inspection_start.as_str(),
                    t.inspection_end.as_str(),
                    t.plan_digest.clone(),
                    t.published_at.clone(),
                ]
            })
            .collect(),
    }
}

fn results_table(file: String, title: String, results: &[ResultOut]) -> Table {
    Table {
        file,
        title,
        headers: &[
            "任务编号",
            "任务名称",
            "公示时间",
            "统一社会信用代码",
            "检查对象名称",
            "事项编码",
            "抽查事项",
            "抽查主体",
            "检查日期",
            "检查结果",
            "检查方式",
        ],
        rows: results
            .iter()
            .map(|r| {
                row![
                    r.task_id,
                    r.task_title.as_str(),
                    r.published_at.clone(),
                    r.entity_id.as_str(),
                    r.entity_name.as_str(),
                    r.item.code.as_str(),
                    r.item.name.clone(),
                    r.department.name.as_str(),
                    r.inspected_on.clone(),
                    joined(&r.categories),
                    joined(&r.methods),
                ]
            })
            .collect(),
    }
}

fn listed_table(list: CreditList, rows: &[ListedEntityOut]) -> Table {
    Table {
        file: format!("liancha-{}", list.code()),
        title: list.label().to_string(),
        headers: &["统一社会信用代码", "名称", "乡镇"],
        rows: rows
            .iter()
            .map(|r| row![r.entity_id.as_str(), r.name.as_str(), r.township.as_str()])
            .collect(),
    }
}

#[derive(Debug, Clone, Copy)]
enum FileFormat {
    Csv,
    Xlsx,
}

impl Table {
    /// UTF-8 with a BOM, so that Excel on Chinese Windows reads it as UTF-8.
    fn csv(&self) -> ApiResult<Vec<u8>> {
        let fail = |e: &dyn std::fmt::Display| {
            tracing::error!(error = %e, "CSV export");
            ApiError::internal("文件生成失败，请稍后再试。")
        };
        // The shared writer neutralises formula-like text (CSV injection).
        let mut w = liancha_sheet::CsvWriter::new(Vec::new()).map_err(|e| fail(&e))?;
        w.text_row(self.headers).map_err(|e| fail(&e))?;
        for row in &self.rows {
            for cell in row {
                match cell {
                    Cell::Text(s) => w.text(s),
                    Cell::Int(n) => w.number(*n),
                }
                .map_err(|e| fail(&e))?;
            }
            w.end_row().map_err(|e| fail(&e))?;
        }
        w.into_inner().map_err(|e| fail(&e))
    }

    /// Every text cell is a string cell in a column formatted as text (`@`), so USCCs
    /// and other ids stay exactly as written. The creation time is fixed so that the
    /// same list gives the same bytes (and ETag) on every request.
    fn xlsx(&self) -> ApiResult<Vec<u8>> {
        use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
        let fail = |e: rust_xlsxwriter::XlsxError| {
            tracing::error!(error = %e, "XLSX export");
            ApiError::internal("文件生成失败，请稍后再试。")
        };
        let mut book = Workbook::new();
        let created = ExcelDateTime::from_ymd(2000, 1, 1).map_err(fail)?;
        book.set_properties(
            &DocProperties::new()
                .set_title(&self.title)
                .set_creation_datetime(&created),
        );
        let text = Format::new().set_num_format_index(49);
        let header = Format::new().set_bold().set_num_format_index(49);
        let sheet = book.add_worksheet();
        // Worksheet names: at most 31 characters, none of []:*?/\.
        let name: String = self
            .title
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect();
        sheet.set_name(name).map_err(fail)?;
        for (col, h) in self.headers.iter().enumerate() {
            let col = col as u16;
            sheet.set_column_format(col, &text).map_err(fail)?;
            sheet
                .write_string_with_format(0, col, *h, &header)
                .map_err(fail)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let r = (r + 1) as u32;
            for (col, cell) in row.iter().enumerate() {
                let col = col as u16;
                match cell {
                    Cell::Text(s) => {
                        sheet
                            .write_string_with_format(r, col, s, &text)
                            .map_err(fail)?;
                    }
                    Cell::Int(n) => {
                        sheet.write_number(r, col, *n as f64).map_err(fail)?;
                    }
                }
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(fail)?;
        sheet.autofit();
        book.save_to_buffer().map_err(fail)
    }

    fn download(&self, format: FileFormat) -> ApiResult<Response> {
        let (body, ext, content_type) = match format {
            FileFormat::Csv => (self.csv()?, "csv", "text/csv; charset=utf-8"),
            FileFormat::Xlsx => (
                self.xlsx()?,
                "xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
        };
        let disposition = format!(
            "attachment; filename=\"{}.{ext}\"; filename*=UTF-8''{}.{ext}",
            self.file,
            percent_encode(&self.title)
        );
        let mut res = body.into_response();
        let h = res.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Ok(v) = HeaderValue::from_str(&disposition) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        Ok(res)
    }
}

/// RFC 5987 encoding for `filename*`.
fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Handlers

/// The CSV and XLSX handlers of one list: both build the same [`Table`].
macro_rules! downloads {
    (
        $(#[$csv_attr:meta])* csv $csv:ident;
        $(#[$xlsx_attr:meta])* xlsx $xlsx:ident;
        ($($arg:pat => $ty:ty),*) => $table:expr
    ) => {
        $(#[$csv_attr])*
        async fn $csv($($arg: $ty),*) -> ApiResult<Response> {
            $table.download(FileFormat::Csv)
        }

        $(#[$xlsx_attr])*
        async fn $xlsx($($arg: $ty),*) -> ApiResult<Response> {
            $table.download(FileFormat::Xlsx)
        }
    };
}

/// 现行（或某日公布的）抽查事项清单
#[utoipa::path(get, path = "/api/v1/items", tag = "一单：抽查事项清单",
    params(CountyParams, OnParams, PageParams),
    responses(
        (status = 200, description = "已公布的抽查事项，按事项编码排序", body = ItemsPage),
        (status = 400, description = "参数错误", body = ErrorBody),
    ))]
async fn items(State(s): State<AppState>, q: Params) -> ApiResult<Json<ItemsPage>> {
    let p = q.paging()?;
    Ok(Json(ItemsPage::new(load_items(&s, &q).await?, p)))
}

downloads! {
    /// 抽查事项清单（CSV）
    #[utoipa::path(get, path = "/api/v1/items.csv", tag = "一单：抽查事项清单", params(CountyParams, OnParams),
        responses((status = 200, description = "全部条目，UTF-8（带 BOM）", content_type = "text/csv", body = String),
                  (status = 400, description = "参数错误", body = ErrorBody)))]
    csv items_csv;
    /// 抽查事项清单（XLSX）
    #[utoipa::path(get, path = "/api/v1/items.xlsx", tag = "一单：抽查事项清单", params(CountyParams, OnParams),
        responses((status = 200, description = "全部条目", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
                  (status = 400, description = "参数错误", body = ErrorBody)))]
    xlsx items_xlsx;
    (State(s) => State<AppState>, q => Params) =>
        items_table(&load_items(&s, &q).await?, q.date("on")?)
}

/// 已公布的跨部门联合抽查事项清单
#[utoipa::path(get, path = "/api/v1/joint-lists", tag = "一单：抽查事项清单",
    params(CountyParams, PageParams),
    responses(
        (status = 200, description = "按清单编码排序", body = JointListsPage),
        (status = 400, description = "参数错误", body = ErrorBody),
    ))]
async fn joint_lists(State(s): State<AppState>, q: Params) -> ApiResult<Json<JointListsPage>> {
    let p = q.paging()?;
    Ok(Json(JointListsPage::new(
        load_joint_lists(&s, &q).await?,
        p,
    )))
}

downloads! {
    /// 联合抽查事项清单（CSV，每个事项一行）
    #[utoipa::path(get, path = "/api/v1/joint-lists.csv", tag = "一单：抽查事项清单", params(CountyParams),
        responses((status = 200, description = "UTF-8（带 BOM）", content_type = "text/csv", body = String)))]
    csv joint_lists_csv;
    /// 联合抽查事项清单（XLSX，每个事项一行）
    #[utoipa::path(get, path = "/api/v1/joint-lists.xlsx", tag = "一单：抽查事项清单", params(CountyParams),
        responses((status = 200, description = "XLSX", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>)))]
    xlsx joint_lists_xlsx;
    (State(s) => State<AppState>, q => Params) => joint_lists_table(&load_joint_lists(&s, &q).await?)
}

/// 各领域的实施细则（抽查比例、频次、公示期限）
#[utoipa::path(get, path = "/api/v1/rule-books", tag = "一细则：实施细则",
    params(CountyParams, PageParams),
    responses(
        (status = 200, description = "每个领域一项", body = RuleBooksPage),
        (status = 400, description = "参数错误", body = ErrorBody),
    ))]
async fn rule_books(State(s): State<AppState>, q: Params) -> ApiResult<Json<RuleBooksPage>> {
    let p = q.paging()?;
    Ok(Json(RuleBooksPage::new(load_rule_books(&s, &q).await?, p)))
}

/// 已公布的年度抽查工作计划
#[utoipa::path(get, path = "/api/v1/plans", tag = "年度计划",
    params(CountyParams, PageParams),
    responses(
        (status = 200, description = "按年度（新的在前）、领域排序", body = PlansPage),
        (status = 400, description = "参数错误", body = ErrorBody),
    ))]
async fn plans(State(s): State<AppState>, q: Params) -> ApiResult<Json<PlansPage>> {
    let p = q.paging()?;
    Ok(Json(PlansPage::new(load_plans(&s, &q).await?, p)))
}

downloads! {
    /// 年度抽查工作计划（CSV，每项计划任务一行）
    #[utoipa::path(get, path = "/api/v1/plans.csv", tag = "年度计划", params(CountyParams),
        responses((status = 200, description = "UTF-8（带 BOM）", content_type = "text/csv", body = String)))]
    csv plans_csv;
    /// 年度抽查工作计划（XLSX，每项计划任务一行）
    #[utoipa::path(get, path = "/api/v1/plans.xlsx", tag = "年度计划", params(CountyParams),
        responses((status = 200, description = "XLSX", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>)))]
    xlsx plans_xlsx;
    (State(s) => State<AppState>, q => Params) => plans_table(&load_plans(&s, &q).await?)
}

/// 已公示的联合抽查任务
#[utoipa::path(get, path = "/api/v1/tasks", tag = "任务与检查结果",
    params(CountyParams, PageParams),
    responses(
        (status = 200, description = "按任务编号倒序（新的在前）", body = TasksPage),
        (status = 400, description = "参数错误", body = ErrorBody),
    ))]
async fn tasks(State(s): State<AppState>, q: Params) -> ApiResult<Json<TasksPage>> {
    let p = q.paging()?;
    Ok(Json(TasksPage::new(load_tasks(&s, &q).await?, p)))
}

downloads! {
    /// 已公示的联合抽查任务（CSV）
    #[utoipa::path(get, path = "/api/v1/tasks.csv", tag = "任务与检查结果", params(CountyParams),
        responses((status = 200, description = "UTF-8（带 BOM）", content_type = "text/csv", body = String)))]
    csv tasks_csv;
    /// 已公示的联合抽查任务（XLSX）
    #[utoipa::path(get, path = "/api/v1/tasks.xlsx", tag = "任务与检查结果", params(CountyParams),
        responses((status = 200, description = "XLSX", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>)))]
    xlsx tasks_xlsx;
    (State(s) => State<AppState>, q => Params) => tasks_table(&load_tasks(&s, &q).await?)
}

/// 一个已公示任务：抽取概要、检查组（姓名与部门）、见证人、公开附件
#[utoipa::path(get, path = "/api/v1/tasks/{id}", tag = "任务与检查结果",
    params(("id" = i64, Path, description = "任务编号")),
    responses(
        (status = 200, description = "任务详情", body = TaskDetail),
        (status = 404, description = "没有这个已公示的任务（未公示的任务一律如此）", body = ErrorBody),
    ))]
async fn task(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult<Json<TaskDetail>> {
    let (county, t) = published_task(&s, &id).await?;
    let names = Names::load(&s, &county).await?;
    let c = s.app.public_county(&county.code);
    let seed = c
        .draw_record(t.id)
        .await?
        .and_then(|r| liancha_draw::Record::parse(r.as_bytes()).ok())
        .map(|r| r.seed_hex());
    let mut teams: BTreeMap<i32, Vec<MemberOut>> = BTreeMap::new();
    for m in c.team_members(t.id).await?.into_iter().filter(|m| m.active) {
        // The store names a member by id when the inspector is gone: never show that.
        let name = if m.name == m.inspector_id {
            "（未登记姓名）".to_string()
        } else {
            m.name
        };
        teams.entry(m.team_no).or_default().push(MemberOut {
            name,
            department: names.dept(&m.department),
        });
    }
    let witnesses = c
        .witnesses(t.id)
        .await?
        .into_iter()
        .map(|w| WitnessOut {
            role: WitnessRole::from_code(&w.role)
                .map_or_else(|| CodeLabel::of(&w.role, "见证人"), |r| code_label!(r)),
            name: w.name,
            organisation: w.organisation,
        })
        .collect();
    let attachments = c
        .attachments(t.id)
        .await?
        .into_iter()
        .filter(|a| a.public)
        .map(|a| AttachmentOut {
            purpose: liancha_domain::attachment::AttachmentPurpose::from_code(&a.purpose)
                .map_or_else(|| CodeLabel::of(&a.purpose, &a.purpose), |p| code_label!(p)),
            filename: a.filename,
            content_type: a.content_type,
            size: a.size,
            sha256: a.sha256,
            uploaded_at: time(a.uploaded_at),
        })
        .collect();
    Ok(Json(TaskDetail {
        draw: DrawSummary {
            plan_digest: t.plan_digest.clone(),
            committed_at: time_opt(t.committed_at),
            drawn_at: time_opt(t.drawn_at),
            seed,
            sources: t
                .sources
                .iter()
                .map(|src| SourceOut {
                    text: src.text.clone(),
                    not_before: time(src.not_before),
                    revealed: src.revealed.clone(),
                })
                .collect(),
            record_url: format!("/public/tasks/{}/record.json", t.id),
            verify_url: format!("/verify?task={}", t.id),
        },
        teams: teams
            .into_iter()
            .map(|(team_no, members)| TeamOut { team_no, members })
            .collect(),
        witnesses,
        attachments,
        results_url: format!("/api/v1/tasks/{}/results", t.id),
        task: task_summary(&t, &names),
    }))
}

/// 一个已公示任务的检查结果（按抽取顺序，每户每事项一条）
#[utoipa::path(get, path = "/api/v1/tasks/{id}/results", tag = "任务与检查结果",
    params(("id" = i64, Path, description = "任务编号"), PageParams),
    responses(
        (status = 200, description = "检查结果", body = ResultsPage),
        (status = 400, description = "参数错误", body = ErrorBody),
        (status = 404, description = "没有这个已公示的任务", body = ErrorBody),
    ))]
async fn task_results(
    State(s): State<AppState>,
    Path(id): Path<String>,
    q: Params,
) -> ApiResult<Json<ResultsPage>> {
    let p = q.paging()?;
    let (_, results) = load_task_results(&s, &id).await?;
    Ok(Json(ResultsPage::new(results, p)))
}

async fn task_results_table(s: &AppState, id: &str) -> ApiResult<Table> {
    let (task, results) = load_task_results(s, id).await?;
    Ok(results_table(
        format!("liancha-task-{}-results", task.id),
        format!("任务{}检查结果", task.id),
        &results,
    ))
}

downloads! {
    /// 一个已公示任务的检查结果（CSV）
    #[utoipa::path(get, path = "/api/v1/tasks/{id}/results.csv", tag = "任务与检查结果",
        params(("id" = i64, Path, description = "任务编号")),
        responses((status = 200, description = "UTF-8（带 BOM）", content_type = "text/csv", body = String),
                  (status = 404, description = "没有这个已公示的任务", body = ErrorBody)))]
    csv task_results_csv;
    /// 一个已公示任务的检查结果（XLSX）
    #[utoipa::path(get, path = "/api/v1/tasks/{id}/results.xlsx", tag = "任务与检查结果",
        params(("id" = i64, Path, description = "任务编号")),
        responses((status = 200, description = "XLSX", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
                  (status = 404, description = "没有这个已公示的任务", body = ErrorBody)))]
    xlsx task_results_xlsx;
    (State(s) => State<AppState>, Path(id) => Path<String>) => task_results_table(&s, &id).await?
}

/// One published inspection found by the search.
#[derive(Debug, Serialize, ToSchema)]
struct FoundResult {
    /// 所属县（市、区）
    county: CountyRef,
    /// 检查对象编号（统一社会信用代码）
    entity_id: String,
    /// 检查对象名称（公示时）
    entity_name: String,
    township: String,
    task_id: i64,
    task_title: String,
    /// 检查事项所属部门代码
    departments: Vec<String>,
    /// 检查日期 YYYY-MM-DD
    inspected_on: Option<String>,
    /// 公示日期 YYYY-MM-DD（北京时间）
    published_on: String,
    /// 是否发现问题
    problems: bool,
    /// 检查结果分类
    categories: Vec<CodeLabel>,
}

/// A page of search results, newest first.
#[derive(Debug, Serialize, ToSchema)]
struct FoundPage {
    items: Vec<FoundResult>,
    /// 下一页的 before 参数；没有下一页时为 null
    next: Option<i64>,
    /// 查询条件查不到结果的原因（如不足两个字、校验码错误），否则为 null
    notice: Option<String>,
}

/// Query parameters of the search (documentation only).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct SearchParams {
    /// 检查对象名称中任意连续的至少两个字（标点和空格不计），或 18 位统一社会信用代码。
    /// 不足两个字或校验码错误的代码查不到结果，`notice` 说明原因
    #[param(min_length = 2, max_length = 40)]
    q: String,
    /// 上一页返回的 next，取更早的结果
    before: Option<i64>,
    /// 每页条数，1 至 100，默认 20
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// 按名称片段或统一社会信用代码查询已公示的检查结果（新的在前）
#[utoipa::path(get, path = "/api/v1/results", tag = "任务与检查结果",
    params(SearchParams),
    responses(
        (status = 200, description = "查询结果", body = FoundPage),
        (status = 400, description = "参数超出文档所列的格式或范围（q 不足 2 或超过 40 个字符、limit 不在 1–100、before 不是整数）；查不到结果的查询条件（如只有标点、校验码错误的代码）不是错误，返回 200 与 notice", body = ErrorBody),
        (status = 429, description = "同一地址查询过于频繁"),
    ))]
async fn search_results(State(s): State<AppState>, q: Params) -> ApiResult<Json<FoundPage>> {
    let before = q
        .integer("before", i64::MIN..=i64::MAX)
        .map_err(|v| ApiError::bad_request(format!("参数 before 须为整数，收到「{v}」")))?;
    let limit = q
        .integer("limit", 1..=liancha_store::search::MAX_PAGE)
        .map_err(|v| {
            ApiError::bad_request(format!("参数 limit 须为 1 至 100 的整数，收到「{v}」"))
        })?
        .unwrap_or(20);
    let raw = q.get("q").unwrap_or("");
    let n = raw.chars().count();
    if !(2..=liancha_domain::search::MAX_NAME_CHARS).contains(&n) {
        return Err(ApiError::bad_request(format!(
            "参数 q 须为 2 至 {} 个字符，收到 {n} 个",
            liancha_domain::search::MAX_NAME_CHARS
        )));
    }
    // A query of the documented shape is never refused: one that cannot match
    // anything (only punctuation, a USCC with a wrong check character) is answered
    // with no results and the reason, as the portal's search page says it.
    let query = match liancha_domain::search::ResultQuery::parse(raw) {
        Ok(query) => query,
        Err(e) => {
            return Ok(Json(FoundPage {
                items: vec![],
                next: None,
                notice: Some(e.to_string()),
            }));
        }
    };
    let page = s
        .app
        .public()
        .search_published(&query, before, limit)
        .await?;
    let counties: BTreeMap<String, String> = s
        .divisions()
        .await?
        .iter()
        .map(|d| (d.code.to_string(), d.name.clone()))
        .collect();
    Ok(Json(FoundPage {
        notice: None,
        next: page.next,
        items: page
            .rows
            .into_iter()
            .map(|r| FoundResult {
                county: CountyRef {
                    name: counties.get(&r.county).cloned().unwrap_or_default(),
                    code: r.county,
                },
                published_on: liancha_domain::calendar::china_date(r.published_at).to_string(),
                inspected_on: r.inspected_on.map(|d| d.to_string()),
                categories: r
                    .categories
                    .iter()
                    .map(|c| CodeLabel::of(c.code(), c.label()))
                    .collect(),
                entity_id: r.entity_id,
                entity_name: r.entity_name,
                township: r.township,
                task_id: r.task_id,
                task_title: r.task_title,
                departments: r.departments,
                problems: r.problems,
            })
            .collect(),
    }))
}

/// 一个检查对象的全部已公示检查结果（新的在前）
#[utoipa::path(get, path = "/api/v1/entities/{id}/results", tag = "任务与检查结果",
    params(("id" = String, Path, description = "统一社会信用代码（无代码的主体为其编号）"), PageParams),
    responses(
        (status = 200, description = "检查结果", body = ResultsPage),
        (status = 400, description = "参数错误", body = ErrorBody),
        (status = 404, description = "没有这个检查对象", body = ErrorBody),
    ))]
async fn entity_results(
    State(s): State<AppState>,
    Path(id): Path<String>,
    q: Params,
) -> ApiResult<Json<ResultsPage>> {
    let p = q.paging()?;
    Ok(Json(ResultsPage::new(
        load_entity_results(&s, &id).await?,
        p,
    )))
}

async fn entity_results_table(s: &AppState, id: &str) -> ApiResult<Table> {
    let results = load_entity_results(s, id).await?;
    // The id goes into a header: keep only what is safe in a file name.
    let safe: String = id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(40)
        .collect();
    Ok(results_table(
        format!("liancha-entity-{safe}-results"),
        format!("{safe}检查结果"),
        &results,
    ))
}

downloads! {
    /// 一个检查对象的已公示检查结果（CSV）
    #[utoipa::path(get, path = "/api/v1/entities/{id}/results.csv", tag = "任务与检查结果",
        params(("id" = String, Path, description = "统一社会信用代码（无代码的主体为其编号）")),
        responses((status = 200, description = "UTF-8（带 BOM）", content_type = "text/csv", body = String),
                  (status = 404, description = "没有这个检查对象", body = ErrorBody)))]
    csv entity_results_csv;
    /// 一个检查对象的已公示检查结果（XLSX）
    #[utoipa::path(get, path = "/api/v1/entities/{id}/results.xlsx", tag = "任务与检查结果",
        params(("id" = String, Path, description = "统一社会信用代码（无代码的主体为其编号）")),
        responses((status = 200, description = "XLSX", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
                  (status = 404, description = "没有这个检查对象", body = ErrorBody)))]
    xlsx entity_results_xlsx;
    (State(s) => State<AppState>, Path(id) => Path<String>) => entity_results_table(&s, &id).await?
}

/// 经营异常名录
#[utoipa::path(get, path = "/api/v1/lists/abnormal", tag = "信用名单",
    params(CountyParams, PageParams),
    responses(
        (status = 200, description = "按统一社会信用代码排序", body = ListedPage),
        (status = 400, description = "参数错误", body = ErrorBody),
    ))]
async fn abnormal(State(s): State<AppState>, q: Params) -> ApiResult<Json<ListedPage>> {
    let p = q.paging()?;
    Ok(Json(ListedPage::new(
        load_listed(&s, &q, CreditList::Abnormal).await?,
        p,
    )))
}

downloads! {
    /// 经营异常名录（CSV）
    #[utoipa::path(get, path = "/api/v1/lists/abnormal.csv", tag = "信用名单", params(CountyParams),
        responses((status = 200, description = "UTF-8（带 BOM）", content_type = "text/csv", body = String)))]
    csv abnormal_csv;
    /// 经营异常名录（XLSX）
    #[utoipa::path(get, path = "/api/v1/lists/abnormal.xlsx", tag = "信用名单", params(CountyParams),
        responses((status = 200, description = "XLSX", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>)))]
    xlsx abnormal_xlsx;
    (State(s) => State<AppState>, q => Params) =>
        listed_table(CreditList::Abnormal, &load_listed(&s, &q, CreditList::Abnormal).await?)
}

/// 严重违法失信名单
#[utoipa::path(get, path = "/api/v1/lists/blacklist", tag = "信用名单",
    params(CountyParams, PageParams),
    responses(
        (status = 200, description = "按统一社会信用代码排序", body = ListedPage),
        (status = 400, description = "参数错误", body = ErrorBody),
    ))]
async fn blacklist(State(s): State<AppState>, q: Params) -> ApiResult<Json<ListedPage>> {
    let p = q.paging()?;
    Ok(Json(ListedPage::new(
        load_listed(&s, &q, CreditList::Blacklist).await?,
        p,
    )))
}

downloads! {
    /// 严重违法失信名单（CSV）
    #[utoipa::path(get, path = "/api/v1/lists/blacklist.csv", tag = "信用名单", params(CountyParams),
        responses((status = 200, description = "UTF-8（带 BOM）", content_type = "text/csv", body = String)))]
    csv blacklist_csv;
    /// 严重违法失信名单（XLSX）
    #[utoipa::path(get, path = "/api/v1/lists/blacklist.xlsx", tag = "信用名单", params(CountyParams),
        responses((status = 200, description = "XLSX", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>)))]
    xlsx blacklist_xlsx;
    (State(s) => State<AppState>, q => Params) =>
        listed_table(CreditList::Blacklist, &load_listed(&s, &q, CreditList::Blacklist).await?)
}

// ---------------------------------------------------------------------------
// OpenAPI and the docs page

#[derive(OpenApi)]
#[openapi(
    info(
        title = "联查 liancha 开放数据接口",
        version = "1",
        description = "“双随机、一公开”联合抽查的公开数据：抽查事项清单、实施细则、年度计划、已公示的任务与检查结果、信用名单。只读，无需登录。\n\n\
- 列表接口均接受 `page`（从 1 开始，默认 1）与 `per_page`（1–1000，默认 100），返回 `{items, page, per_page, total}`，排序稳定。\n\
- 在列表接口的路径后加 `.csv` 或 `.xlsx`（如 `/api/v1/items.csv`）下载整个列表（不分页）：CSV 为带 BOM 的 UTF-8、中文表头；XLSX 中编号一律为文本单元格。\n\
- 枚举值给出代码与中文名称 `{code, label}`；日期为 `YYYY-MM-DD`，时间为北京时间的 RFC 3339（`+08:00`）。\n\
- 每个成功的响应带强 `ETag`（响应体的 SHA-256）与 `Cache-Control: public, max-age=60`；带匹配的 `If-None-Match` 请求得到 `304 Not Modified`；错误响应带 `Cache-Control: no-store`，不被缓存。\n\
- 出错时返回 `{\"error\": \"说明\"}`：参数错误 400，不存在（含未公示的任务）404，查询或下载过于频繁 429（`Retry-After` 给出秒数），数据库暂时繁忙 503。每个参数的格式与取值范围见各接口，超出者一律 400，不作猜测（如 `page=+1`、`on=2026-3-1`）。\n\
- 任务的抽取方案一经封存，其公告（方案摘要、随机源及最早揭示时间、范围与比例）即可在 `/api/v1/announcements` 查询，先于抽取；抽中的对象、检查组与抽取记录随结果公示。\n\
- 不公开的内容（未公示任务的抽取结果、检查情况描述、执法人员编号、电话与执法证号、未公开的附件、未发布的事项）不出现在任何接口中。",
    ),
    paths(
        items, items_csv, items_xlsx,
        joint_lists, joint_lists_csv, joint_lists_xlsx,
        rule_books,
        plans, plans_csv, plans_xlsx,
        announcements::announcements, announcements::announcement_of,
        tasks, tasks_csv, tasks_xlsx,
        task,
        task_results, task_results_csv, task_results_xlsx,
        entity_results, entity_results_csv, entity_results_xlsx,
        search_results,
        abnormal, abnormal_csv, abnormal_xlsx,
        blacklist, blacklist_csv, blacklist_xlsx,
    ),
    tags(
        (name = "一单：抽查事项清单", description = "随机抽查事项清单与跨部门联合抽查事项清单"),
        (name = "一细则：实施细则", description = "各领域的抽查比例、频次与公示期限"),
        (name = "年度计划", description = "已公布的年度抽查工作计划"),
        (name = "任务与检查结果", description = "抽查任务公告（方案封存即公开）、已公示的任务、抽取记录与检查结果"),
        (name = "信用名单", description = "经营异常名录与严重违法失信名单"),
    ),
)]
struct ApiDoc;

/// Adds to every operation the answers that layers around the handlers give, so that
/// the document lists every status a client can get: 304 (the ETag layer), 429 (the
/// rate limits, where they apply), 500 and 503 (the database unavailable or busy),
/// and 400 wherever a parameter can be wrong.
fn complete_responses(doc: &mut serde_json::Value) {
    use serde_json::json;
    let error = |description: &str| {
        json!({
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        })
    };
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let limited = crate::limits::is_rate_limited(&axum::http::Method::GET, path);
        let Some(op) = item.get_mut("get") else {
            continue;
        };
        let has_params = op
            .get("parameters")
            .and_then(|p| p.as_array())
            .is_some_and(|p| !p.is_empty());
        let Some(responses) = op.get_mut("responses").and_then(|r| r.as_object_mut()) else {
            continue;
        };
        responses.entry("304").or_insert_with(
            || json!({"description": "未修改：请求带的 If-None-Match 与当前 ETag 相同，无响应体"}),
        );
        if has_params {
            responses.entry("400").or_insert_with(|| error("参数错误"));
        }
        if limited {
            responses.entry("429").or_insert_with(|| {
                let mut e = error("同一地址请求过于频繁；Retry-After 给出可重试的秒数");
                e["headers"] = json!({"Retry-After": {"schema": {"type": "integer"}}});
                e
            });
        }
        responses
            .entry("500")
            .or_insert_with(|| error("服务器内部错误"));
        responses
            .entry("503")
            .or_insert_with(|| error("数据库暂时繁忙或不可用，请稍后重试"));
    }
}

/// The OpenAPI document of this API, built once.
async fn openapi_json() -> Response {
    static SPEC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let spec = SPEC.get_or_init(|| {
        let mut doc =
            serde_json::to_value(ApiDoc::openapi()).expect("the OpenAPI document serializes");
        complete_responses(&mut doc);
        doc.to_string()
    });
    ([(header::CONTENT_TYPE, "application/json")], spec.as_str()).into_response()
}

/// Swagger UI at `/api/docs/` (`/api/docs` redirects there), its assets built into
/// the binary by utoipa-swagger-ui's `vendored` feature: nothing is fetched from
/// elsewhere. The spec comes from our own `/api/openapi.json` route (which carries
/// the ETag), so the SwaggerUi router only serves the page and its assets.
fn docs() -> Router<AppState> {
    use utoipa_swagger_ui::{Config, SwaggerUi};
    let config = Config::new(["/api/openapi.json"])
        // The online validator badge would load an image from validator.swagger.io.
        .validator_url("none")
        .supported_submit_methods(["get"])
        .try_it_out_enabled(true)
        .display_request_duration(false);
    Router::from(SwaggerUi::new("/api/docs").config(config)).layer(
        tower_http::set_header::SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DOCS_CSP),
        ),
    )
}

/// The site's policy (see `security_headers` in lib.rs), with one exception for the
/// docs page: Swagger UI draws its logo as an inline SVG holding a `<style>` element
/// (`.logo_small_svg__cls-2{fill:#fff}.logo_small_svg__cls-3{fill:#85ea2d}`), which
/// `style-src 'self'` blocks (the page works, the logo loses its colours). That one
/// stylesheet is allowed by its hash, nothing else: no 'unsafe-inline', and scripts
/// stay `'self'` only (Swagger UI needs no inline script and no eval). The site-wide
/// layer only sets the header when absent, so this one wins on `/api/docs/…`. The
/// test `openapi_lists_every_path_and_docs_work_offline` checks the hash against the
/// bundled Swagger UI, so an upgrade that changes the logo says so.
const DOCS_CSP: &str = "default-src 'self'; img-src 'self' data:; \
     style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='; \
     script-src 'self'; frame-ancestors 'none'; form-action 'self'";

// ---------------------------------------------------------------------------
// Caching

/// A strong ETag (SHA-256 of the body) and a short public cache on every successful
/// API response (errors are `no-store`); a GET whose `If-None-Match` names the current
/// ETag gets 304 without a body. Bodies are small (a whole list at most), so
/// buffering them is fine.
async fn etag(req: Request, next: Next) -> Response {
    let conditional = matches!(*req.method(), Method::GET | Method::HEAD)
        .then(|| if_none_match(req.headers()))
        .flatten();
    let (mut parts, body) = next.run(req).await.into_parts();
    if !parts.status.is_success() {
        // A 404 for a task about to be published, or a 429, must not outlive its
        // cause in a shared cache.
        parts
            .headers
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Response::from_parts(parts, body);
    }
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "reading an API response body");
            return ApiError::internal("系统繁忙，请稍后再试。").into_response();
        }
    };
    let tag = {
        use sha2::Digest;
        format!(
            "\"{}\"",
            liancha_draw::hex::encode(&sha2::Sha256::digest(&bytes))
        )
    };
    let tag_value = HeaderValue::from_str(&tag).expect("hex digits in quotes");
    parts.headers.insert(header::ETAG, tag_value.clone());
    parts.headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    if let Some(tags) = conditional
        && tags.iter().any(|t| t == "*" || *t == tag)
    {
        let mut not_modified = Response::new(Body::empty());
        *not_modified.status_mut() = StatusCode::NOT_MODIFIED;
        let h = not_modified.headers_mut();
        h.insert(header::ETAG, tag_value);
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(CACHE_CONTROL),
        );
        return not_modified;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The entity tags of `If-None-Match`, weak ones compared as strong (RFC 9110 §13.1.2
/// uses the weak comparison for this header).
fn if_none_match(headers: &HeaderMap) -> Option<Vec<String>> {
    let values: Vec<String> = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .map(|t| t.strip_prefix("W/").unwrap_or(t).to_string())
        .collect();
    (!values.is_empty()).then_some(values)
}
