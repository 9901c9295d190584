//! The endpoints, each documented for the OpenAPI description.

use super::*;

/// The CSV and XLSX handlers of one list: both build the same [`Table`].
macro_rules! downloads {
    (
        $(#[$csv_attr:meta])* csv $csv:ident;
        $(#[$xlsx_attr:meta])* xlsx $xlsx:ident;
        ($($arg:pat => $ty:ty),*) => $table:expr
    ) => {
        $(#[$csv_attr])*
        pub(super) async fn $csv($($arg: $ty),*) -> ApiResult<Response> {
            $table.download(FileFormat::Csv)
        }

        $(#[$xlsx_attr])*
        pub(super) async fn $xlsx($($arg: $ty),*) -> ApiResult<Response> {
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
pub(super) async fn items(State(s): State<AppState>, q: Params) -> ApiResult<Json<ItemsPage>> {
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
pub(super) async fn joint_lists(
    State(s): State<AppState>,
    q: Params,
) -> ApiResult<Json<JointListsPage>> {
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
pub(super) async fn rule_books(
    State(s): State<AppState>,
    q: Params,
) -> ApiResult<Json<RuleBooksPage>> {
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
pub(super) async fn plans(State(s): State<AppState>, q: Params) -> ApiResult<Json<PlansPage>> {
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
pub(super) async fn tasks(State(s): State<AppState>, q: Params) -> ApiResult<Json<TasksPage>> {
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
pub(super) async fn task(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<TaskDetail>> {
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
pub(super) async fn task_results(
    State(s): State<AppState>,
    Path(id): Path<String>,
    q: Params,
) -> ApiResult<Json<ResultsPage>> {
    let p = q.paging()?;
    let (_, results) = load_task_results(&s, &id).await?;
    Ok(Json(ResultsPage::new(results, p)))
}

pub(super) async fn task_results_table(s: &AppState, id: &str) -> ApiResult<Table> {
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
pub(super) struct FoundResult {
    /// 所属县（市、区）
    pub(super) county: CountyRef,
    /// 检查对象编号（统一社会信用代码）
    pub(super) entity_id: String,
    /// 检查对象名称（公示时）
    pub(super) entity_name: String,
    pub(super) township: String,
    pub(super) task_id: i64,
    pub(super) task_title: String,
    /// 检查事项所属部门代码
    pub(super) departments: Vec<String>,
    /// 检查日期 YYYY-MM-DD
    pub(super) inspected_on: Option<String>,
    /// 公示日期 YYYY-MM-DD（北京时间）
    pub(super) published_on: String,
    /// 是否发现问题
    pub(super) problems: bool,
    /// 检查结果分类
    pub(super) categories: Vec<CodeLabel>,
}

/// A page of search results, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct FoundPage {
    pub(super) items: Vec<FoundResult>,
    /// 下一页的 before 参数；没有下一页时为 null
    pub(super) next: Option<i64>,
    /// 查询条件查不到结果的原因（如不足两个字、校验码错误），否则为 null
    pub(super) notice: Option<String>,
}

/// Query parameters of the search (documentation only).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(super) struct SearchParams {
    /// 检查对象名称中任意连续的至少两个字（标点和空格不计），或 18 位统一社会信用代码。
    /// 不足两个字或校验码错误的代码查不到结果，`notice` 说明原因
    #[param(min_length = 2, max_length = 40)]
    pub(super) q: String,
    /// 上一页返回的 next，取更早的结果
    pub(super) before: Option<i64>,
    /// 每页条数，1 至 100，默认 20
    #[param(minimum = 1, maximum = 100)]
    pub(super) limit: Option<u32>,
}

/// 按名称片段或统一社会信用代码查询已公示的检查结果（新的在前）
#[utoipa::path(get, path = "/api/v1/results", tag = "任务与检查结果",
    params(SearchParams),
    responses(
        (status = 200, description = "查询结果", body = FoundPage),
        (status = 400, description = "参数超出文档所列的格式或范围（q 不足 2 或超过 40 个字符、limit 不在 1–100、before 不是整数）；查不到结果的查询条件（如只有标点、校验码错误的代码）不是错误，返回 200 与 notice", body = ErrorBody),
        (status = 429, description = "同一地址查询过于频繁"),
    ))]
pub(super) async fn search_results(
    State(s): State<AppState>,
    q: Params,
) -> ApiResult<Json<FoundPage>> {
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
pub(super) async fn entity_results(
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

pub(super) async fn entity_results_table(s: &AppState, id: &str) -> ApiResult<Table> {
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
pub(super) async fn abnormal(State(s): State<AppState>, q: Params) -> ApiResult<Json<ListedPage>> {
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
pub(super) async fn blacklist(State(s): State<AppState>, q: Params) -> ApiResult<Json<ListedPage>> {
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
