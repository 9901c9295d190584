//! The task page: the plan, sealing, witnesses, the draw, substitutions, teams and visits.

use super::*;
use liancha_domain::workflow::ExclusionReason;

#[derive(Template)]
#[template(path = "staff/task.html")]
struct TaskPage {
    staff: Staff,
    names: Names,
    notice: Option<&'static str>,
    task: Task,
    can_manage: bool,
    /// The head who decides on the task's approval (检查审批).
    can_approve: bool,
    /// The approval's steps, in order, and where it stands for this version.
    approvals: Vec<liancha_domain::approval::ApprovalEvent>,
    approval: liancha_domain::approval::Standing,
    /// The lead department has no head to approve (a draft then cannot be sealed).
    no_head: bool,
    review_department: Option<String>,
    /// The page of the visit table shown, with its filters.
    table: super::visit_table::VisitTable,
    /// 扫码入企: how each visit was checked in (absent: not yet).
    check_ins: BTreeMap<String, liancha_domain::check_in::CheckInMode>,
    members: Vec<TeamMember>,
    teams: BTreeMap<i32, Vec<TeamMember>>,
    witnesses: Vec<Witness>,
    ceremony: Vec<liancha_store::results::Attachment>,
    reviews: Vec<ReviewStatus>,
    excluded: usize,
    history: Vec<liancha_app::audit::AuditLine>,
    history_total: usize,
    deadline: Option<NaiveDate>,
    /// Which rule book version the task follows, in words.
    rule_book: String,
    flag: Option<DeadlineFlag>,
    /// Every declared source's time has passed: the reveal can be entered.
    sources_due: bool,
    suggested_round: u64,
    suggested_round_time: String,
    witness_roles: &'static [WitnessRole],
    my_inspector: Option<String>,
    quotas_text: String,
    /// Each risk class's population and quota: what sealing would freeze, or froze.
    preview: Option<liancha_app::tasks::DrawPreview>,
    preview_error: Option<String>,
    /// The campaign the task belongs to, with the name of the office that set it.
    campaign: Option<(liancha_store::campaigns::Campaign, String)>,
    /// A refused substitution: what it held and why, by field.
    substitution: Option<(SubstituteForm, Vec<(String, String)>)>,
}

impl TaskPage {
    /// The refused substitution's messages of `field`.
    fn sub_err(&self, field: &str) -> Option<String> {
        let (_, errors) = self.substitution.as_ref()?;
        super::field_messages(errors, field)
    }

    /// What the refused substitution held in `field` (`kind`, `id`, `reason`).
    fn sub_value(&self, field: &str) -> String {
        self.substitution
            .as_ref()
            .map(|(f, _)| match field {
                "kind" => f.kind.clone(),
                "id" => f.id.clone(),
                _ => f.reason.clone(),
            })
            .unwrap_or_default()
    }

    /// A visit table heading: a link that sorts by it, or the heading marked ▲ when
    /// the table is sorted by it (the links hold only percent-encoded values).
    fn sort_head(&self, key: &str) -> String {
        let label = super::visit_table::SORTS
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(key, |(_, l)| l);
        if self.table.sort() == key {
            format!("{label} ▲")
        } else {
            format!(
                "<a href=\"{}\">{label}</a>",
                self.table.link(self.task.id, key, 1)
            )
        }
    }

    fn all_approved(&self) -> bool {
        !self.reviews.is_empty() && self.reviews.iter().all(|r| r.approved_at.is_some())
    }
    /// Whether `department` has approved its items' results (its button is then gone).
    fn has_approved(&self, department: &str) -> bool {
        self.reviews
            .iter()
            .any(|r| r.department == department && r.approved_at.is_some())
    }
    /// A source is a drand round (whose reveal is the round's signature).
    fn has_drand(&self) -> bool {
        self.task
            .sources
            .iter()
            .any(|s| liancha_draw::drand::parse_source(&s.text).is_some())
    }

    /// Whether the reader prints team `no`'s documents: an inspector only the own
    /// team's.
    fn prints(&self, no: &i32) -> bool {
        self.staff.principal.role != Role::Inspector || self.my_team(&Some(*no))
    }

    fn my_team(&self, team_no: &Option<i32>) -> bool {
        match (team_no, &self.my_inspector) {
            (Some(t), Some(me)) => self
                .members
                .iter()
                .any(|m| m.team_no == *t && m.active && &m.inspector_id == me),
            _ => false,
        }
    }
}

/// Which entities a task draws from: `全县` or its townships, then the types,
/// risk classes, industry sections (with their names) and tags it is limited to.
pub(crate) fn scope_text(task: &Task) -> String {
    let scope = &task.scope;
    let mut text = if scope.townships.is_empty() {
        "全县".to_string()
    } else {
        scope.townships.join("、")
    };
    let mut part = |label: &str, values: Vec<String>| {
        if !values.is_empty() {
            text.push_str(&format!("；{label} {}", values.join("、")));
        }
    };
    part(
        "类型",
        scope
            .entity_types
            .iter()
            .map(|c| EntityType::from_code(c).map_or_else(|| c.clone(), |t| t.label().to_string()))
            .collect(),
    );
    part("风险", scope.risk_classes.clone());
    part(
        "行业",
        scope
            .industry_sections
            .iter()
            .map(|c| liancha_domain::industry::section_with_name(c))
            .collect(),
    );
    part("标签", scope.tags.clone());
    text
}

pub(crate) fn quotas_text(task: &Task) -> String {
    match task.quotas {
        QuotaSpec::RuleBook => "按领域实施细则的比例".into(),
        QuotaSpec::RatioBp(r) => RiskClass::ALL
            .iter()
            .map(|c| format!("{} 类 {}%", c.code(), format_bp(&r[*c as usize])))
            .collect::<Vec<_>>()
            .join("，"),
        QuotaSpec::Count(n) => RiskClass::ALL
            .iter()
            .map(|c| format!("{} 类 {} 户", c.code(), n[*c as usize]))
            .collect::<Vec<_>>()
            .join("，"),
    }
}

pub async fn task(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<super::visit_table::TaskQuery>,
) -> PageResult {
    task_page(&s, staff, id, q, None).await
}

/// The task page; with a refused substitution, that form shows its errors and values.
async fn task_page(
    s: &AppState,
    staff: Staff,
    id: i64,
    q: super::visit_table::TaskQuery,
    substitution: Option<(SubstituteForm, Vec<(String, String)>)>,
) -> PageResult {
    let (task, scope) = load_task(s, &staff, id).await?;
    let can_manage = staff.may(&Action::ManageTask(&scope));
    let can_approve = staff.may(&Action::ApproveTask {
        lead_department: &task.lead_department,
    });
    let approvals = staff.rows(s).approvals(id).await?;
    let approval = liancha_domain::approval::standing(&approvals, task.version);
    let no_head = task.state == TaskState::Draft
        && approval != liancha_domain::approval::Standing::Approved
        && !staff.rows(s).has_head(&task.lead_department).await?;
    let review_department = staff.review_department(&scope.departments);
    let members = staff.rows(s).team_members(id).await?;
    let mut teams: BTreeMap<i32, Vec<TeamMember>> = BTreeMap::new();
    for m in &members {
        teams.entry(m.team_no).or_default().push(m.clone());
    }
    let visits = visible_visits(s, &staff, id, &members).await?;
    let rule_book = {
        let v = staff.rows(s).task_rule_book(&task).await?;
        match (
            task.committed_at.is_some(),
            task.rule_book_version.is_some(),
        ) {
            (true, true) => format!("{}，封存时施行", v.label()),
            (true, false) => "封存时未记录版本（早于版本记录）".to_string(),
            (false, _) => format!("现行{}；封存时以当日施行的版本为准", v.label()),
        }
    };
    let (deadline, flag) = if task.state == TaskState::Drawn {
        let cal = staff.rows(s).calendar().await?;
        let d = staff.rows(s).deadline_on(&cal, &task).await?;
        (
            Some(d),
            Some(deadline_flag(&cal, china_date(s.clock.now()), d)),
        )
    } else {
        (None, None)
    };
    let now = s.clock.now();
    // The first drand round at least ten minutes ahead: time to publish the digest.
    let suggested_round = SourceDecl::drand_round_after(now + chrono::Duration::minutes(10));
    // The latest steps; the whole history (every visit's submission) has its own page.
    let (history, history_total) = match s
        .app
        .task_history(&staff.context(now), id, HISTORY_ON_TASK_PAGE)
        .await?
    {
        Some((lines, total)) => (lines, total as usize),
        None => (vec![], 0),
    };
    // A preview that cannot be made is said in its place: the page is the one where
    // the clerk fixes the task.
    let (preview, preview_error) =
        match s.app.draw_preview(&staff.context(now), &task, &scope).await {
            Ok(p) => (p, None),
            Err(e @ (liancha_app::AppError::Invalid { .. } | liancha_app::AppError::Store(_))) => {
                tracing::warn!(task = id, error = %e, "draw preview failed");
                (None, Some(e.to_string()))
            }
            Err(e) => return Err(e.into()),
        };
    let campaign = match s.app.campaign_of(&task).await? {
        None => None,
        Some(c) => {
            let tree = s.divisions().await?;
            let office = tree
                .iter()
                .find(|d| d.code == c.division)
                .map_or_else(|| c.division.to_string(), |d| d.name.clone());
            Some((c, office))
        }
    };
    render(&TaskPage {
        substitution,
        campaign,
        names: Names::load(s, &staff.county.code).await?,
        notice: done_message(&q.done),
        can_manage,
        can_approve,
        approvals,
        approval,
        no_head,
        review_department,
        excluded: if task.committed_at.is_some() {
            staff.rows(s).exclusions(id).await?.len()
        } else {
            0
        },
        witnesses: staff.rows(s).witnesses(id).await?,
        ceremony: staff
            .rows(s)
            .attachments(id)
            .await?
            .into_iter()
            .filter(|a| a.entity_id.is_none())
            .collect(),
        reviews: if task.state == TaskState::Drawn || task.state == TaskState::Published {
            staff.rows(s).reviews(id).await?
        } else {
            vec![]
        },
        history,
        history_total,
        deadline,
        rule_book,
        flag,
        sources_due: task.sources.iter().all(|s| s.not_before <= now),
        suggested_round_time: format_china_time(SourceDecl::drand(suggested_round).not_before),
        suggested_round,
        witness_roles: WitnessRole::ALL,
        my_inspector: staff.principal.inspector_id.clone(),
        quotas_text: quotas_text(&task),
        preview,
        preview_error,
        check_ins: staff.rows(s).check_in_modes(id).await?,
        table: super::visit_table::VisitTable::new(visits, &township_order(s, &staff).await?, &q),
        members,
        teams,
        task,
        staff,
    })
}

const HISTORY_ON_TASK_PAGE: i64 = 50;

/// The task's visits the signed-in user may see: an inspector only their own
/// team's.
pub(super) async fn visible_visits(
    s: &AppState,
    staff: &Staff,
    id: i64,
    members: &[TeamMember],
) -> Result<Vec<Visit>, WebError> {
    let mut visits = staff.rows(s).visits(id).await?;
    if staff.principal.role == Role::Inspector {
        let me = staff.principal.inspector_id.clone().unwrap_or_default();
        let mine: Vec<i32> = members
            .iter()
            .filter(|m| m.active && m.inspector_id == me)
            .map(|m| m.team_no)
            .collect();
        visits.retain(|v| v.team_no.is_some_and(|t| mine.contains(&t)));
    }
    if !liancha_domain::check_in::sees_check_codes(staff.principal.role) {
        for v in &mut visits {
            v.check_code.clear();
        }
    }
    Ok(visits)
}

/// The county's townships in its own order, which tables follow.
pub(super) async fn township_order(s: &AppState, staff: &Staff) -> Result<Vec<String>, WebError> {
    Ok(staff
        .rows(s)
        .townships()
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect())
}

/// Turns a store refusal into a page that says why, with a way back; other errors pass.
#[derive(Deserialize)]
pub struct CommitForm {
    version: i32,
    /// The box that says the plan cannot be changed once sealed.
    #[serde(default)]
    confirm: String,
    #[serde(default)]
    drand_round: String,
    #[serde(default)]
    other_source: String,
    /// `YYYY-MM-DDTHH:MM` in Beijing time, from a datetime-local input.
    #[serde(default)]
    other_time: String,
}

fn parse_local_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    let naive = [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())?;
    china()
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

pub async fn commit(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<CommitForm>,
) -> Result<Response, WebError> {
    let back = format!("/staff/tasks/{id}");
    let mut sources = Vec::new();
    if !f.drand_round.trim().is_empty() {
        match f.drand_round.trim().parse::<u64>() {
            Ok(r) if r > 0 => sources.push(SourceDecl::drand(r)),
            _ => {
                return Err(WebError::Refused {
                    message: "drand 轮次须为正整数".into(),
                    back,
                });
            }
        }
    }
    if !f.other_source.trim().is_empty() {
        let Some(t) = parse_local_time(&f.other_time) else {
            return Err(WebError::Refused {
                message: "请填写该随机源产生的时间（北京时间）".into(),
                back,
            });
        };
        match SourceDecl::other(&f.other_source, t) {
            Ok(src) => sources.push(src),
            Err(e) => {
                return Err(WebError::Refused {
                    message: e.to_string(),
                    back,
                });
            }
        }
    }
    let ctx = staff.context(s.clock.now());
    match s
        .app
        .commit(&ctx, id, f.version, &sources, ticked(&f.confirm))
        .await
    {
        Ok(()) => Ok(see_other(format!("/staff/tasks/{id}?done=committed"))),
        Err(e) => Err(WebError::refused(e, back)),
    }
}

#[derive(Deserialize)]
pub struct ApprovalRequestForm {
    version: i32,
}

/// 报请审批: the task as it is goes to its lead department's head.
pub async fn request_approval(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<ApprovalRequestForm>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    match s.app.request_approval(&ctx, id, f.version).await {
        Ok(()) => Ok(see_other(format!(
            "/staff/tasks/{id}?done=approval-requested"
        ))),
        Err(e) => Err(WebError::refused(e, format!("/staff/tasks/{id}"))),
    }
}

#[derive(Deserialize)]
pub struct ApprovalForm {
    version: i32,
    /// `approve` or `refuse`: the button pressed.
    decision: String,
    #[serde(default)]
    opinion: String,
}

/// The head's decision: 同意 or 不同意, with the opinion.
pub async fn decide_approval(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<ApprovalForm>,
) -> Result<Response, WebError> {
    let approve = match f.decision.as_str() {
        "approve" => true,
        "refuse" => false,
        _ => return Err(WebError::BadRequest("请选择同意或不同意".into())),
    };
    let ctx = staff.context(s.clock.now());
    match s
        .app
        .decide_approval(&ctx, id, f.version, approve, &f.opinion)
        .await
    {
        Ok(()) => Ok(see_other(format!(
            "/staff/tasks/{id}?done={}",
            if approve {
                "approval-granted"
            } else {
                "approval-refused"
            }
        ))),
        Err(e) => Err(WebError::refused(e, format!("/staff/tasks/{id}#approval"))),
    }
}

#[derive(Deserialize)]
pub struct DrawForm {
    version: i32,
    #[serde(default)]
    reveal: Vec<String>,
    #[serde(default)]
    confirm: String,
}

pub async fn draw(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<DrawForm>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    match s
        .app
        .draw(&ctx, id, f.version, &f.reveal, ticked(&f.confirm))
        .await
    {
        Ok(()) => Ok(see_other(format!("/staff/tasks/{id}?done=drawn"))),
        Err(e) => Err(WebError::refused(e, format!("/staff/tasks/{id}"))),
    }
}

#[derive(Deserialize)]
pub struct WitnessForm {
    name: String,
    role: String,
    #[serde(default)]
    organisation: String,
}

pub async fn add_witness(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<WitnessForm>,
) -> Result<Response, WebError> {
    let back = format!("/staff/tasks/{id}");
    let Some(role) = WitnessRole::from_code(&f.role) else {
        return Err(WebError::Refused {
            message: "请选择见证人身份".into(),
            back,
        });
    };
    let ctx = staff.context(s.clock.now());
    match s
        .app
        .add_witness(&ctx, id, &f.name, role, &f.organisation)
        .await
    {
        Ok(()) => Ok(see_other(format!("/staff/tasks/{id}?done=witness"))),
        Err(e) => Err(WebError::refused(e, back)),
    }
}

#[derive(Deserialize)]
pub struct CancelForm {
    version: i32,
    reason: String,
}

pub async fn cancel(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<CancelForm>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    match s.app.cancel(&ctx, id, f.version, &f.reason).await {
        Ok(()) => Ok(see_other(format!("/staff/tasks/{id}?done=cancelled"))),
        Err(e) => Err(WebError::refused(e, format!("/staff/tasks/{id}"))),
    }
}

#[derive(Deserialize, Clone)]
pub struct SubstituteForm {
    version: i32,
    /// `inspector` or `entity`.
    #[serde(default)]
    kind: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    reason: String,
}

pub async fn substitute(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<SubstituteForm>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    let kind = if f.kind == "inspector" {
        liancha_app::tasks::Substitution::Inspector
    } else {
        liancha_app::tasks::Substitution::Entity
    };
    match s
        .app
        .substitute(&ctx, id, f.version, kind, f.id.trim(), &f.reason)
        .await
    {
        Ok(()) => Ok(see_other(format!("/staff/tasks/{id}?done=substituted"))),
        // What the form can put right comes back beside its field, with what was typed.
        Err(liancha_app::AppError::Invalid { field, message }) => {
            let failed = (f, vec![(field.unwrap_or_default(), message)]);
            let page = task_page(&s, staff, id, Default::default(), Some(failed)).await?;
            Ok(crate::setup::again(page))
        }
        Err(e) => Err(WebError::refused(e, format!("/staff/tasks/{id}"))),
    }
}

/// See [`liancha_app::tasks::may_read_whole_task`].
pub(crate) fn may_read_whole_task(staff: &Staff, task: &Task) -> bool {
    liancha_app::tasks::may_read_whole_task(&staff.context(chrono::Utc::now()), task)
}

/// Whether the task page links the review sheet.
pub(crate) fn may_read_review_sheet(staff: &Staff, task: &Task) -> bool {
    liancha_app::review_sheet::may_read_review_sheet(&staff.context(chrono::Utc::now()), task)
}

async fn load_whole_task(s: &AppState, staff: &Staff, id: i64) -> Result<Task, WebError> {
    Ok(s.app.whole_task(&staff.context(s.clock.now()), id).await?)
}

/// The draw record as a file, for `liancha verify` or the browser verifier.
pub async fn record(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    load_whole_task(&s, &staff, id).await?;
    let Some(json) = staff.rows(&s).draw_record(id).await? else {
        return Err(WebError::NotFound("该任务尚未抽取".into()));
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/json; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"draw-task-{id}.json\""),
            ),
        ],
        json,
    )
        .into_response())
}

/// The committed plan as a file: published before the sources exist.
pub async fn plan(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    load_whole_task(&s, &staff, id).await?;
    let Some(json) = staff.rows(&s).plan_json(id).await? else {
        return Err(WebError::NotFound("该任务尚未封存抽取方案".into()));
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/json; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"plan-task-{id}.json\""),
            ),
        ],
        json,
    )
        .into_response())
}

/// Exclusions a page: a county-wide task leaves out a thousand entities and more.
const EXCLUSIONS_PER_PAGE: usize = 100;

#[derive(Template)]
#[template(path = "staff/exclusions.html")]
struct ExclusionsPage {
    staff: Staff,
    task: Task,
    rows: Vec<Exclusion>,
    /// Every exclusion of the task, and per reason (in the reasons' order).
    total: usize,
    by_reason: Vec<(ExclusionReason, usize)>,
    reason: Option<ExclusionReason>,
    page: usize,
    pages: usize,
}

impl ExclusionsPage {
    fn is_shown(&self, reason: &ExclusionReason) -> bool {
        self.reason == Some(*reason)
    }

    /// The page of one reason (`""`: every reason), from its first page.
    fn tab(&self, reason: &str) -> String {
        self.href(reason, 1)
    }

    /// Page `page` of the reason shown.
    fn page_link(&self, page: impl std::borrow::Borrow<usize>) -> String {
        self.href(self.reason.map_or("", |r| r.code()), *page.borrow())
    }

    fn href(&self, reason: &str, page: usize) -> String {
        let mut q = String::new();
        crate::pages::query_pair(&mut q, "reason", reason);
        if page > 1 {
            crate::pages::query_pair(&mut q, "page", &page.to_string());
        }
        let path = format!("/staff/tasks/{}/exclusions", self.task.id);
        if q.is_empty() {
            path
        } else {
            format!("{path}?{q}")
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ExclusionsQuery {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    page: String,
}

pub async fn exclusions(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<ExclusionsQuery>,
) -> PageResult {
    let task = load_whole_task(&s, &staff, id).await?;
    let all = staff.rows(&s).exclusions(id).await?;
    let total = all.len();
    let by_reason = ExclusionReason::ALL
        .iter()
        .map(|r| (*r, all.iter().filter(|e| e.reason == r.code()).count()))
        .filter(|(_, n)| *n > 0)
        .collect();
    // An unknown reason shows them all rather than an empty page.
    let reason = ExclusionReason::from_code(q.reason.trim());
    let rows: Vec<Exclusion> = all
        .into_iter()
        .filter(|e| reason.is_none_or(|r| e.reason == r.code()))
        .collect();
    let (rows, page, pages) = crate::pages::page_of(rows, &q.page, EXCLUSIONS_PER_PAGE);
    render(&ExclusionsPage {
        rows,
        total,
        by_reason,
        reason,
        page,
        pages,
        task,
        staff,
    })
}
