//! The OpenAPI document and the bundled Swagger UI.

use super::*;

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
pub(super) struct ApiDoc;

/// Adds to every operation the answers that layers around the handlers give, so that
/// the document lists every status a client can get: 304 (the ETag layer), 429 (the
/// rate limits, where they apply), 500 and 503 (the database unavailable or busy),
/// and 400 wherever a parameter can be wrong.
pub(super) fn complete_responses(doc: &mut serde_json::Value) {
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
pub(super) async fn openapi_json() -> Response {
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
pub(super) fn docs() -> Router<AppState> {
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
pub(super) const DOCS_CSP: &str = "default-src 'self'; img-src 'self' data:; \
     style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='; \
     script-src 'self'; frame-ancestors 'none'; form-action 'self'";
