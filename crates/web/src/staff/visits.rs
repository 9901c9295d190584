//! The inspector's visits: the phone list of one's own visits and the result form.

use super::*;

#[derive(Template)]
#[template(path = "staff/my.html")]
struct MyPage {
    staff: Staff,
    rows: Vec<(Visit, String)>,
    /// When the user last saved a draft of a visit, by (task, entity).
    drafts: BTreeMap<(i64, String), chrono::DateTime<chrono::Utc>>,
}

impl MyPage {
    /// "saved at" of the user's draft of `v`, while the visit still takes results.
    fn drafted(&self, v: &Visit) -> Option<String> {
        use liancha_domain::workflow::VisitState;
        if !matches!(v.state, VisitState::Pending | VisitState::Returned) {
            return None;
        }
        self.drafts
            .get(&(v.task_id, v.entity_id.clone()))
            .map(|at| liancha_domain::calendar::format_china_time(*at))
    }
}

pub async fn my_visits(State(s): State<AppState>, staff: Staff) -> PageResult {
    let Some(me) = staff.principal.inspector_id.clone() else {
        return Err(WebError::Forbidden);
    };
    let mut rows = Vec::new();
    let mut titles: BTreeMap<i64, String> = BTreeMap::new();
    for v in staff.rows(&s).visits_for_inspector(&me).await? {
        if let std::collections::btree_map::Entry::Vacant(e) = titles.entry(v.task_id) {
            e.insert(staff.rows(&s).task_or_404(v.task_id).await?.title);
        }
        let title = titles[&v.task_id].clone();
        rows.push((v, title));
    }
    // What is still to do first (returned, then pending), each group in draw order.
    {
        use liancha_domain::workflow::VisitState;
        let rank = |v: &Visit| match v.state {
            VisitState::Returned => 0,
            VisitState::Pending => 1,
            _ => 2,
        };
        rows.sort_by_key(|(v, _)| rank(v));
    }
    let drafts = staff
        .rows(&s)
        .drafted_visits(staff.principal.user_id)
        .await?;
    render(&MyPage {
        staff,
        rows,
        drafts,
    })
}

#[derive(Template)]
#[template(path = "staff/visit.html")]
struct VisitPage {
    staff: Staff,
    names: Names,
    notice: Option<&'static str>,
    task: Task,
    visit: Visit,
    team: Vec<TeamMember>,
    results: BTreeMap<String, ItemResult>,
    categories: &'static [ResultCategory],
    methods: &'static [InspectionMethod],
    editable: bool,
    can_attach: bool,
    attachments: Vec<liancha_store::results::Attachment>,
    review_department: Option<String>,
    /// The items whose results this user enters: all for the team, the own
    /// department's for its staff.
    entry_items: Vec<String>,
    previous: Option<(String, String)>,
    next: Option<(String, String)>,
    next_open: Option<(String, String)>,
    /// The date input's value: the visit's date, a refused form's, or today.
    date_value: String,
    /// A refused form's errors, by field (`inspected_on`, `cat_<item>` …).
    errors: Vec<(String, String)>,
    /// When the form shown was the user's draft (暂存), the time it was saved.
    draft_saved_at: Option<String>,
    /// The check points of the items the user enters, each asked once.
    questions: Vec<points::QuestionView>,
    /// The answers the posted form carried.
    answers: BTreeMap<String, Answer>,
    answer_kinds: &'static [Answer],
    proposed: bool,
    /// 扫码入企: the visit's check-ins, whether this user checks it in now, and the
    /// form's code (from the scanned link, or as refused) with its error.
    check_ins: Vec<liancha_store::results::CheckIn>,
    may_check_in: bool,
    check_in_code: String,
    check_in_error: Option<String>,
    /// The team's result form waits for the check-in.
    awaits_check_in: bool,
    /// A department's paper entry of a visit never checked in says why.
    paper_needed: bool,
    paper_reason: String,
}

impl VisitPage {
    fn sees_code(&self) -> bool {
        liancha_domain::check_in::sees_check_codes(self.staff.principal.role)
    }

    /// The messages of `field` (askama passes arguments by reference).
    fn err(&self, field: &str) -> Option<String> {
        field_messages(&self.errors, field)
    }

    /// The item's errors, whichever of its fields they belong to.
    fn item_errors(&self, item: &str) -> Vec<String> {
        ["cat_", "method_", "findings_"]
            .iter()
            .filter_map(|p| self.err(&format!("{p}{item}")))
            .collect()
    }

    fn answered(&self, code: &str, a: &Answer) -> bool {
        self.answers.get(code) == Some(a)
    }

    fn enters(&self, item: &str) -> bool {
        self.entry_items.iter().any(|c| c == item)
    }
    fn checked(&self, item: &str, c: &ResultCategory) -> bool {
        self.results
            .get(item)
            .is_some_and(|r| r.categories.contains(c))
    }
    fn method_checked(&self, item: &str, m: &InspectionMethod) -> bool {
        self.results
            .get(item)
            .is_some_and(|r| r.methods.contains(m))
    }
    fn findings(&self, item: &str) -> String {
        self.results
            .get(item)
            .map(|r| r.findings.clone())
            .unwrap_or_default()
    }
}

#[derive(Deserialize)]
pub struct VisitQuery {
    #[serde(default)]
    done: String,
    /// The code of a scanned notice (see [`check_in_link`]).
    #[serde(default)]
    code: String,
}

pub async fn visit(
    State(s): State<AppState>,
    staff: Staff,
    Path((id, entity)): Path<(i64, String)>,
    Query(q): Query<VisitQuery>,
) -> PageResult {
    let check_in = (!q.code.is_empty()).then(|| CheckInPosted {
        code: q.code.chars().take(16).collect(),
        error: None,
    });
    Ok(Html(
        visit_page(
            &s,
            staff,
            id,
            &entity,
            done_message(&q.done),
            None,
            check_in,
        )
        .await?,
    ))
}

/// The check-in form as posted (or as the scanned link fills it).
struct CheckInPosted {
    code: String,
    error: Option<String>,
}

/// What a refused result form brings back: what was entered, and why it was refused.
struct Posted {
    results: Vec<ItemResult>,
    date: String,
    errors: Vec<(String, String)>,
    answers: BTreeMap<String, Answer>,
    /// The form was filled in from the points' answers (said beside the results).
    proposed: bool,
    paper_reason: String,
}

/// The visit page, with a refused form's entries and errors when given.
async fn visit_page(
    s: &AppState,
    staff: Staff,
    id: i64,
    entity: &str,
    notice: Option<&'static str>,
    posted: Option<Posted>,
    check_in: Option<CheckInPosted>,
) -> Result<String, WebError> {
    let ctx = staff.context(s.clock.now());
    let view = s.app.visit_view(&ctx, id, entity).await?;
    let check_ins = s.app.check_ins(&ctx, id, entity).await?;
    let may_check_in = liancha_app::check_in::may_check_in(&ctx, &view.access);
    let inspector = staff.principal.role == Role::Inspector;
    let awaits_check_in = view.editable && inspector && check_ins.is_empty();
    let paper_needed = view.editable && !inspector && check_ins.is_empty();
    let (check_in_code, check_in_error) = match check_in {
        Some(c) => (c.code, c.error),
        None => (String::new(), None),
    };
    let paper_reason = posted
        .as_ref()
        .map(|p| p.paper_reason.clone())
        .unwrap_or_default();
    let attachments = staff
        .rows(s)
        .attachments(id)
        .await?
        .into_iter()
        .filter(|a| a.entity_id.as_deref() == Some(entity))
        .collect();
    let today = china_date(s.clock.now());
    let mut results = staff.rows(s).visit_results(id, entity).await?;
    // What the form shows: a refused form's entries, else the user's draft while the
    // form is open to them, else what is recorded.
    let draft = match &posted {
        None if view.editable => s.app.own_draft(&ctx, id, entity).await?,
        _ => None,
    };
    let mut draft_saved_at = None;
    let mut answers = BTreeMap::new();
    let mut proposed = false;
    let (date_value, errors) = match (posted, draft) {
        (Some(p), _) => {
            for r in p.results {
                results.insert(r.item_code.clone(), r);
            }
            answers = p.answers;
            proposed = p.proposed;
            (p.date, p.errors)
        }
        (None, Some(d)) => {
            for r in d.results {
                results.insert(r.item_code.clone(), r);
            }
            answers = d.answers;
            draft_saved_at = Some(crate::staff::time(&d.saved_at));
            (d.inspected_on, vec![])
        }
        (None, None) => (
            view.access.visit.inspected_on.unwrap_or(today).to_string(),
            vec![],
        ),
    };
    let names = Names::load(s, &staff.county.code).await?;
    let points = if view.editable {
        staff.rows(s).check_points(&view.entry_items).await?
    } else {
        Vec::new()
    };
    Ok(VisitPage {
        questions: points::question_views(&view.access.task, &view.entry_items, &points, &names),
        answers,
        answer_kinds: Answer::ALL,
        proposed,
        check_ins,
        may_check_in,
        check_in_code,
        check_in_error,
        awaits_check_in,
        paper_needed,
        paper_reason,
        can_attach: view.can_attach,
        attachments,
        names,
        notice,
        results,
        categories: ResultCategory::ALL,
        methods: InspectionMethod::ALL,
        editable: view.editable,
        review_department: view.review_department,
        entry_items: view.entry_items,
        previous: view.previous,
        next: view.next,
        next_open: view.next_open,
        date_value,
        errors,
        draft_saved_at,
        task: view.access.task,
        visit: view.access.visit,
        team: view.access.team,
        staff,
    }
    .render()?)
}

/// Result form: `inspected_on`, and per item `cat_<code>` (repeated), `method_<code>`
/// (repeated), `findings_<code>`. Every item the form carries a field of is passed
/// on, with the items the user enters: whether the user may enter them is the use
/// case's to say.
pub async fn record_results(
    State(s): State<AppState>,
    Path((id, entity)): Path<(i64, String)>,
    CsrfForm(staff, f): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    let back = format!("/staff/tasks/{id}/visits/{entity}");
    let view = s
        .app
        .visit_view(&ctx, id, &entity)
        .await
        .map_err(|e| WebError::refused(e, back.clone()))?;
    let access = &view.access;
    let entry = liancha_app::review::entry_items(&ctx, &access.task);
    let get = |k: &str| {
        f.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let inspected_on = NaiveDate::parse_from_str(get("inspected_on").trim(), "%Y-%m-%d").ok();
    let mut results = Vec::new();
    for item in &access.task.items {
        let keys = [
            format!("cat_{}", item.code),
            format!("method_{}", item.code),
            format!("findings_{}", item.code),
        ];
        if !entry.contains(&item.code) && !f.iter().any(|(k, _)| keys.contains(k)) {
            continue;
        }
        let mut categories = Vec::new();
        let mut methods = Vec::new();
        for (k, v) in &f {
            if *k == keys[0] {
                match ResultCategory::from_code(v) {
                    Some(c) => categories.push(c),
                    None => {
                        return Err(WebError::Refused {
                            message: format!("未知的检查结果「{v}」"),
                            back,
                        });
                    }
                }
            } else if *k == keys[1] {
                match InspectionMethod::from_code(v) {
                    Some(m) => methods.push(m),
                    None => {
                        return Err(WebError::Refused {
                            message: format!("未知的检查方式「{v}」"),
                            back,
                        });
                    }
                }
            }
        }
        results.push(ItemResult {
            item_code: item.code.clone(),
            categories,
            methods,
            findings: get(&keys[2]).to_string(),
        });
    }
    let mut answers = BTreeMap::new();
    for (k, v) in &f {
        if let Some(code) = k.strip_prefix("pt_") {
            match Answer::from_code(v) {
                Some(a) => {
                    answers.insert(code.to_string(), a);
                }
                None => {
                    return Err(WebError::Refused {
                        message: format!("未知的要点答案「{v}」"),
                        back,
                    });
                }
            }
        }
    }
    let posted = |results: Vec<ItemResult>, errors, answers| Posted {
        results,
        date: get("inspected_on").chars().take(20).collect(),
        errors,
        answers,
        proposed: false,
        paper_reason: get("paper_reason").chars().take(600).collect(),
    };
    // 按要点填入结果: the answers propose each item's result, shown for checking;
    // nothing is saved until the form is submitted.
    if get("propose") == "yes" && view.editable {
        let points = staff.rows(&s).check_points(&entry).await?;
        return Ok(
            match liancha_app::review::results_from_points(
                &entry,
                &points,
                &answers,
                results.clone(),
            ) {
                Ok(proposed) => {
                    let p = Posted {
                        proposed: true,
                        ..posted(proposed, vec![], answers)
                    };
                    Html(visit_page(&s, staff, id, &entity, None, Some(p), None).await?)
                        .into_response()
                }
                Err(errors) => {
                    let p = posted(results, errors, answers);
                    let page = visit_page(&s, staff, id, &entity, None, Some(p), None).await?;
                    (axum::http::StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response()
                }
            },
        );
    }
    // 暂存: the form as it stands, kept for its author to finish; nothing is checked
    // but that it is theirs to fill in.
    if get("draft") == "yes" {
        return match s
            .app
            .save_draft(&ctx, id, &entity, get("inspected_on"), &results, &answers)
            .await
        {
            Ok(()) => Ok(see_other(format!("{back}?done=draft"))),
            Err(liancha_app::AppError::Invalid {
                field: Some(field),
                message,
            }) => {
                let posted = posted(results, vec![(field, message)], answers);
                let page = visit_page(&s, staff, id, &entity, None, Some(posted), None).await?;
                Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response())
            }
            Err(e) => Err(WebError::refused(e, back)),
        };
    }
    // The 「全部未发现问题」 button: the same form, every item cleared at once.
    let results_or_refusal = if get("all_clear") == "yes" {
        let name = |code: &str| {
            access
                .task
                .items
                .iter()
                .find(|i| i.code == code)
                .map_or_else(|| code.to_string(), |i| i.name.clone())
        };
        match liancha_app::review::all_clear(results.clone(), name) {
            Ok(cleared) => Ok(cleared),
            Err(liancha_app::AppError::Invalid { message, .. }) => {
                Err(vec![("all_clear".to_string(), message)])
            }
            Err(e) => return Err(WebError::refused(e, back)),
        }
    } else {
        Ok(results.clone())
    };
    // Everything wrong with the form is said at once, beside each field, with what
    // was entered kept; the use case checks it all again when it writes.
    // Only where the form is open to the principal and carries only its items: anyone
    // else is refused by the use case below, for the reason that applies to them
    // (role, state, another department's item).
    let (results, errors) = match results_or_refusal {
        _ if !view.editable || results.iter().any(|r| !entry.contains(&r.item_code)) => {
            (results, vec![])
        }
        Ok(r) => {
            let window = (
                access.task.inspection_start,
                liancha_domain::calendar::china_date(ctx.now),
            );
            let errors = liancha_app::review::result_errors(
                &access.task.items,
                &entry,
                inspected_on,
                window,
                &r,
            );
            (r, errors)
        }
        Err(errors) => (results, errors),
    };
    let mut errors = errors;
    // A department's paper entry of a visit never checked in says why (the store
    // checks again with the visit's row held).
    let paper_reason = get("paper_reason");
    if view.editable
        && staff.principal.role != Role::Inspector
        && s.app.needs_paper_reason(&ctx, id, &entity).await?
        && let Err(e) = liancha_domain::check_in::paper_reason(paper_reason)
    {
        errors.push(("paper_reason".into(), e.to_string()));
    }
    if !errors.is_empty() {
        let posted = posted(results, errors, answers);
        let page = visit_page(&s, staff, id, &entity, None, Some(posted), None).await?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response());
    }
    match s
        .app
        .record_results(
            &ctx,
            id,
            &entity,
            inspected_on,
            &results,
            Some(paper_reason),
        )
        .await
    {
        Ok(VisitState::Submitted) => Ok(see_other(format!("{back}?done=submitted"))),
        Ok(_) => Ok(see_other(format!("{back}?done=saved"))),
        Err(e) => Err(WebError::refused(e, back)),
    }
}

#[derive(Deserialize)]
pub struct ReturnForm {
    note: String,
    /// `review` when posted from the review sheet, which the clerk returns to.
    #[serde(default)]
    from: String,
}

pub async fn return_visit(
    State(s): State<AppState>,
    Path((id, entity)): Path<(i64, String)>,
    CsrfForm(staff, f): CsrfForm<ReturnForm>,
) -> Result<Response, WebError> {
    let back = format!("/staff/tasks/{id}/visits/{entity}");
    let ctx = staff.context(s.clock.now());
    match s.app.return_visit(&ctx, id, &entity, &f.note).await {
        Ok(()) if f.from == "review" => Ok(see_other(format!(
            "/staff/tasks/{id}/review?show=submitted&done=returned"
        ))),
        Ok(()) => Ok(see_other(format!("{back}?done=returned"))),
        Err(e) => Err(WebError::refused(e, back)),
    }
}

pub async fn approve(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<ConfirmForm>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    match s.app.approve_results(&ctx, id, ticked(&f.confirm)).await {
        Ok(()) => Ok(see_other(format!("/staff/tasks/{id}?done=approved"))),
        Err(e) => Err(WebError::refused(e, format!("/staff/tasks/{id}"))),
    }
}

#[derive(Deserialize)]
pub struct VersionForm {
    version: i32,
    #[serde(default)]
    confirm: String,
}

pub async fn publish(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<VersionForm>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    match s.app.publish(&ctx, id, f.version, ticked(&f.confirm)).await {
        Ok(()) => Ok(see_other(format!("/staff/tasks/{id}?done=published"))),
        Err(e) => Err(WebError::refused(e, format!("/staff/tasks/{id}"))),
    }
}

/// The check-in form: `code`, `present` (repeated: the inspector ids of the team
/// members there), and `latitude`, `longitude`, `accuracy` as the page's script
/// filled them from the phone (empty when it gave no place).
pub async fn check_in(
    State(s): State<AppState>,
    Path((id, entity)): Path<(i64, String)>,
    CsrfForm(staff, f): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    let back = format!("/staff/tasks/{id}/visits/{entity}");
    let pairs = crate::pages::Pairs(&f);
    let get = |k: &str| pairs.one(k);
    let present = pairs.all("present", 50);
    let code: String = get("code").trim().chars().take(16).collect();
    // A place the phone gave that cannot be read is left out: the check-in
    // itself never fails for it.
    let location = liancha_domain::check_in::Location::parse(
        get("latitude"),
        get("longitude"),
        get("accuracy"),
    )
    .ok()
    .flatten();
    let result = s
        .app
        .check_in(&ctx, id, &entity, &code, &present, location)
        .await;
    match result {
        Ok(()) => Ok(see_other(format!("{back}?done=checked-in"))),
        Err(liancha_app::AppError::Invalid { message, .. }) => {
            let page = visit_page(
                &s,
                staff,
                id,
                &entity,
                None,
                None,
                Some(CheckInPosted {
                    code,
                    error: Some(message),
                }),
            )
            .await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response())
        }
        Err(e) => Err(WebError::refused(e, back)),
    }
}

#[derive(Deserialize)]
pub struct CodeQuery {
    #[serde(default)]
    code: String,
}

/// Where the QR code of a notice leads a signed-in inspector (from the public check
/// page): the visit of that code in the user's county, its check-in form filled in.
pub async fn check_in_link(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<CodeQuery>,
) -> Result<Response, WebError> {
    let code = q.code.trim().to_ascii_uppercase();
    let visit = if code.is_empty() || code.len() > 16 {
        None
    } else {
        staff.rows(&s).visit_by_code(&code).await?
    };
    if let Some(v) = &visit {
        let ctx = staff.context(s.clock.now());
        if let Err(liancha_app::AppError::Forbidden) =
            s.app.visit_access(&ctx, v.task_id, &v.entity_id).await
        {
            return Err(WebError::NotFound(
                "该核验码对应的检查不属于您所在的检查组，请核对通知书".into(),
            ));
        }
    }
    match visit {
        Some(v) => Ok(see_other(format!(
            "/staff/tasks/{}/visits/{}?code={code}#check-in",
            v.task_id, v.entity_id
        ))),
        None => Err(WebError::NotFound(format!(
            "本县没有核验码为「{code}」的检查。请核对通知书上的核验码，或确认登录的是检查所在县的账号"
        ))),
    }
}
