//! The inspector's visits: the phone list of one's own visits and the result form.

use super::*;

#[derive(Template)]
#[template(path = "staff/my.html")]
struct MyPage {
    staff: Staff,
    rows: Vec<(Visit, String)>,
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
    render(&MyPage { staff, rows })
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
    today: NaiveDate,
    /// The items whose results this user enters: all for the team, the own
    /// department's for its staff.
    entry_items: Vec<String>,
    previous: Option<(String, String)>,
    next: Option<(String, String)>,
}

impl VisitPage {
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

pub async fn visit(
    State(s): State<AppState>,
    staff: Staff,
    Path((id, entity)): Path<(i64, String)>,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let ctx = staff.context(s.clock.now());
    let view = s.app.visit_view(&ctx, id, &entity).await?;
    let attachments = staff
        .rows(&s)
        .attachments(id)
        .await?
        .into_iter()
        .filter(|a| a.entity_id.as_deref() == Some(entity.as_str()))
        .collect();
    render(&VisitPage {
        can_attach: view.can_attach,
        attachments,
        names: Names::load(&s, &staff.county.code).await?,
        notice: done_message(&q.done),
        results: staff.rows(&s).visit_results(id, &entity).await?,
        categories: ResultCategory::ALL,
        methods: InspectionMethod::ALL,
        today: china_date(s.clock.now()),
        editable: view.editable,
        review_department: view.review_department,
        entry_items: view.entry_items,
        previous: view.previous,
        next: view.next,
        task: view.access.task,
        visit: view.access.visit,
        team: view.access.team,
        staff,
    })
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
    let access = s
        .app
        .visit_access(&ctx, id, &entity)
        .await
        .map_err(|e| WebError::refused(e, back.clone()))?;
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
    // The 「全部未发现问题」 button: the same form, every item cleared at once.
    let results = if get("all_clear") == "yes" {
        let name = |code: &str| {
            access
                .task
                .items
                .iter()
                .find(|i| i.code == code)
                .map_or_else(|| code.to_string(), |i| i.name.clone())
        };
        liancha_app::review::all_clear(results, name)
            .map_err(|e| WebError::refused(e, back.clone()))?
    } else {
        results
    };
    match s
        .app
        .record_results(&ctx, id, &entity, inspected_on, &results)
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
