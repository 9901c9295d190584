//! 抽查任务公告 in the open-data API: every task whose plan was sealed, from the
//! commit on (see `crate::announcements`). What was drawn (entities, teams, the
//! record and the revealed values) comes with the results, under `/api/v1/tasks`.

use super::*;

/// 公告中声明的随机源：揭示值随结果公示，此处只说是否已揭示。
#[derive(Debug, Serialize, ToSchema)]
pub struct AnnouncedSource {
    /// 随机源说明（如 drand 轮次、现场摇号）
    text: String,
    /// 最早揭示时间：此前谁也无法得知揭示值
    not_before: String,
    /// 是否已揭示
    revealed: bool,
}

/// 抽中的检查对象（本县在抽取后即公布时）。
#[derive(Debug, Serialize, ToSchema)]
pub struct SelectedEntity {
    /// 抽取顺序
    draw_order: i32,
    /// 统一社会信用代码
    entity_id: String,
    name: String,
    township: String,
}

/// 一个抽查任务的公告：方案封存时即公开。
#[derive(Debug, Serialize, ToSchema)]
pub struct AnnouncementOut {
    county: CountyRef,
    /// 任务编号
    id: i64,
    year: i32,
    title: String,
    domain: CodeLabel,
    /// 任务所处阶段：committed（方案已封存）、drawn（已抽取）、published（结果已公示）、cancelled（已取消）
    state: CodeLabel,
    lead_department: DepartmentRef,
    departments: Vec<DepartmentRef>,
    items: Vec<ItemRef>,
    /// 抽查范围
    scope: String,
    /// 抽取比例
    quotas: String,
    /// 检查组数
    team_count: u32,
    /// 每组至少人数
    team_size: u32,
    inspection_start: String,
    inspection_end: String,
    /// 抽取方案摘要（SHA-256）：结果公示时公开的方案须与之相符
    plan_digest: Option<String>,
    /// 方案封存时间
    committed_at: Option<String>,
    sources: Vec<AnnouncedSource>,
    /// 抽取时间
    drawn_at: Option<String>,
    /// 取消时间与原因
    cancelled_at: Option<String>,
    cancel_reason: Option<String>,
    /// 抽中的检查对象：本县在抽取后即公布时，按抽取顺序；随结果公示的县为 null
    selection: Option<Vec<SelectedEntity>>,
    /// 结果公示后，任务详情（抽取记录、检查组）的接口
    task_url: Option<String>,
    /// 公告页面
    page_url: String,
}

page_type!(AnnouncementsPage, AnnouncementOut, "抽查任务公告");

fn announcement(
    t: &Task,
    names: &Names,
    selection: Option<Vec<liancha_store::tasks::Visit>>,
) -> AnnouncementOut {
    AnnouncementOut {
        selection: selection.map(|vs| {
            vs.into_iter()
                .map(|v| SelectedEntity {
                    draw_order: v.draw_order,
                    entity_id: v.entity_id,
                    name: v.entity_name,
                    township: v.township,
                })
                .collect()
        }),
        county: names.county(),
        id: t.id,
        year: t.year,
        title: t.title.clone(),
        domain: code_label!(t.domain),
        state: code_label!(t.state),
        lead_department: names.dept(&t.lead_department),
        departments: t.departments().iter().map(|d| names.dept(d)).collect(),
        items: task_items(t),
        scope: crate::announcements::scope_text(t),
        quotas: crate::staff::quotas_text(t),
        team_count: t.team_count,
        team_size: t.team_size,
        inspection_start: t.inspection_start.to_string(),
        inspection_end: t.inspection_end.to_string(),
        plan_digest: t.plan_digest.clone(),
        committed_at: time_opt(t.committed_at),
        sources: t
            .sources
            .iter()
            .map(|s| AnnouncedSource {
                text: s.text.clone(),
                not_before: time(s.not_before),
                revealed: s.revealed.is_some(),
            })
            .collect(),
        drawn_at: time_opt(t.drawn_at),
        cancelled_at: time_opt(t.cancelled_at),
        cancel_reason: t.cancel_reason.clone(),
        task_url: (t.state == TaskState::Published).then(|| format!("/api/v1/tasks/{}", t.id)),
        page_url: format!("/public/tasks/{}", t.id),
    }
}

/// 抽查任务公告：方案已封存的任务（含已取消的），按编号倒序
#[utoipa::path(get, path = "/api/v1/announcements", tag = "任务与检查结果",
    params(CountyParams, PageParams),
    responses(
        (status = 200, description = "按任务编号倒序（新的在前）", body = AnnouncementsPage),
        (status = 400, description = "参数错误", body = ErrorBody),
    ))]
pub(super) async fn announcements(
    State(s): State<AppState>,
    q: Params,
) -> ApiResult<Json<AnnouncementsPage>> {
    let p = q.paging()?;
    let mut out = Vec::new();
    for county in q.counties(&s).await? {
        let names = Names::load(&s, &county).await?;
        let c = s.app.public_county(&county.code);
        let tasks = c
            .tasks(&TaskFilter {
                announced: true,
                ..TaskFilter::default()
            })
            .await?;
        for t in &tasks {
            let selection = crate::announcements::selection(&c, t).await?;
            out.push(announcement(t, &names, selection));
        }
    }
    out.sort_by_key(|a| std::cmp::Reverse(a.id));
    Ok(Json(AnnouncementsPage::new(out, p)))
}

/// 一个任务的公告（方案封存后即可查询）
#[utoipa::path(get, path = "/api/v1/announcements/{id}", tag = "任务与检查结果",
    params(("id" = i64, Path, description = "任务编号")),
    responses(
        (status = 200, description = "任务公告", body = AnnouncementOut),
        (status = 404, description = "没有这个已封存方案的任务（草稿一律如此）", body = ErrorBody),
    ))]
pub(super) async fn announcement_of(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<AnnouncementOut>> {
    let not_found = || ApiError::not_found(format!("没有编号为 {id} 的任务公告"));
    let Ok(n) = id.parse::<i64>() else {
        return Err(not_found());
    };
    let Some(code) = s.app.public().announced_task_county(n).await? else {
        return Err(not_found());
    };
    let county = s.division(&code).await?.ok_or_else(not_found)?;
    let names = Names::load(&s, &county).await?;
    let c = s.app.public_county(&code);
    match c.task(n).await? {
        Some(t) if t.committed_at.is_some() => {
            let selection = crate::announcements::selection(&c, &t).await?;
            Ok(Json(announcement(&t, &names, selection)))
        }
        _ => Err(not_found()),
    }
}
