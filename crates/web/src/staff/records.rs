//! Records outside the random tasks: targeted inspections, conflicts of interest,
//! and the audit log.

use super::*;

#[derive(Template)]
#[template(path = "staff/targeted.html")]
struct TargetedPage {
    staff: Staff,
    notice: Option<&'static str>,
    rows: Vec<TargetedInspection>,
    sources: &'static [TargetedSource],
    can_record: bool,
    /// An inspector of the department, who checks in on arrival.
    can_check_in: bool,
    /// The department's inspectors who may be present (certified, on duty).
    colleagues: Vec<liancha_domain::Inspector>,
    /// The form's values: empty but for today's date, or what a refused form held.
    form: TargetedForm,
    /// A refused form's errors, by field.
    errors: Vec<(String, String)>,
    /// The check-in form as posted, and its errors.
    arrival: ArrivalForm,
    arrival_errors: Vec<(String, String)>,
    /// A refused findings form: its inspection, what was typed, the field to
    /// blame and why.
    findings_error: Option<(i64, FindingsForm, String, String)>,
}

impl TargetedPage {
    /// The messages of `field` (askama passes arguments by reference).
    fn err(&self, field: &str) -> Option<String> {
        field_messages(&self.errors, field)
    }

    fn arrival_err(&self, field: &str) -> Option<String> {
        field_messages(&self.arrival_errors, field)
    }

    fn me(&self) -> &str {
        self.staff
            .principal
            .inspector_id
            .as_deref()
            .unwrap_or_default()
    }

    /// Whether `id` is ticked present: the one checking in always, the others as
    /// a refused form had them.
    fn present(&self, id: &str) -> bool {
        id == self.me() || self.arrival.present.iter().any(|p| p == id)
    }

    /// A colleague as the check-in form names them: a name two share gets the end
    /// of the inspector's number.
    fn colleague(&self, i: &liancha_domain::Inspector) -> String {
        if self.colleagues.iter().filter(|c| c.name == i.name).count() > 1 {
            let tail: String =
                i.id.chars()
                    .rev()
                    .take(4)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
            format!("{}（…{tail}）", i.name)
        } else {
            i.name.clone()
        }
    }

    /// What was typed into the findings form of `id`, if it was refused.
    fn findings_of(&self, id: &i64) -> Option<&(i64, FindingsForm, String, String)> {
        self.findings_error.as_ref().filter(|(i, _, _, _)| i == id)
    }
}

pub async fn targeted(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let form = TargetedForm {
        inspected_on: china_date(s.clock.now()).to_string(),
        ..TargetedForm::default()
    };
    Ok(Html(
        targeted_page(
            &s,
            staff,
            done_message(&q.done),
            form,
            vec![],
            Refused::None,
        )
        .await?,
    ))
}

/// What a refused post leaves on the page besides the paper form.
enum Refused {
    None,
    Arrival(ArrivalForm, Vec<(String, String)>),
    Findings(i64, FindingsForm, String, String),
}

async fn targeted_page(
    s: &AppState,
    staff: Staff,
    notice: Option<&'static str>,
    form: TargetedForm,
    errors: Vec<(String, String)>,
    refused: Refused,
) -> Result<String, WebError> {
    let ctx = staff.context(s.clock.now());
    let department = liancha_app::records::targeted_view(&ctx)?;
    let can_check_in = department
        .as_deref()
        .is_some_and(|d| staff.may(&Action::CheckInTargeted { department: d }));
    let today = china_date(ctx.now);
    let colleagues = if can_check_in {
        staff
            .rows(s)
            .inspectors(department.as_deref())
            .await?
            .into_iter()
            .filter(|i| i.is_available_on(today))
            .collect()
    } else {
        Vec::new()
    };
    let (arrival, arrival_errors, findings_error) = match refused {
        Refused::None => (ArrivalForm::default(), Vec::new(), None),
        Refused::Arrival(f, e) => (f, e, None),
        Refused::Findings(id, f, field, m) => {
            (ArrivalForm::default(), Vec::new(), Some((id, f, field, m)))
        }
    };
    Ok(TargetedPage {
        notice,
        rows: staff
            .rows(s)
            .targeted_inspections(department.as_deref())
            .await?,
        sources: TargetedSource::ALL,
        can_record: department
            .as_deref()
            .is_some_and(|d| staff.may(&Action::RecordTargeted { department: d })),
        can_check_in,
        colleagues,
        form,
        errors,
        arrival,
        arrival_errors,
        findings_error,
        staff,
    }
    .render()?)
}

/// The page again after a refused check-in or findings form, the paper form empty.
async fn again(s: &AppState, staff: Staff, refused: Refused) -> Result<Response, WebError> {
    let page = targeted_page(s, staff, None, TargetedForm::default(), vec![], refused).await?;
    Ok(crate::setup::again(Html(page)))
}

/// The check-in form of an inspector arriving at an enterprise.
#[derive(Default, Clone)]
pub struct ArrivalForm {
    entity_id: String,
    source: String,
    document_ref: String,
    present: Vec<String>,
}

/// 现场签到 of a targeted inspection: an inspector on arrival, with the colleagues
/// present and the place the phone gave.
pub async fn check_in_targeted(
    State(s): State<AppState>,
    CsrfForm(staff, f): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    staff.require(&Action::CheckInTargeted {
        department: staff.principal.department.as_deref().unwrap_or_default(),
    })?;
    let ctx = staff.context(s.clock.now());
    let back = "/staff/targeted".to_string();
    let pairs = crate::pages::Pairs(&f);
    let form = ArrivalForm {
        entity_id: pairs.one("entity_id").trim().chars().take(40).collect(),
        source: pairs.one("source").to_string(),
        document_ref: pairs.one("document_ref").chars().take(200).collect(),
        present: pairs.all("present", 50),
    };
    // A place the phone gave that cannot be read is left out: the check-in never
    // fails for it.
    let location = liancha_domain::check_in::Location::parse(
        pairs.one("latitude"),
        pairs.one("longitude"),
        pairs.one("accuracy"),
    )
    .ok()
    .flatten();
    let with_place = location.is_some();
    let source = TargetedSource::from_code(&form.source);
    let t = liancha_app::records::TargetedInput {
        entity_id: form.entity_id.clone(),
        source: source.unwrap_or(TargetedSource::Complaint),
        document_ref: form.document_ref.clone(),
        inspected_on: china_date(ctx.now),
        items: Vec::new(),
        findings: String::new(),
        arrival: liancha_app::records::Arrival::OnSite {
            present: form.present.clone(),
            location,
        },
    };
    let mut errors = s
        .app
        .targeted_errors(&ctx, &t)
        .await
        .map_err(|e| WebError::refused(e, back.clone()))?;
    if source.is_none() {
        errors.push(("source".into(), "请选择来源".into()));
    }
    let result = if errors.is_empty() {
        s.app.record_targeted(&ctx, t).await
    } else {
        Err(liancha_app::AppError::invalid("form"))
    };
    match result {
        // Said as it is: the place only when the phone gave it.
        Ok(_) if with_place => Ok(see_other(
            "/staff/targeted?done=targeted-checked-in#records".into(),
        )),
        Ok(_) => Ok(see_other(
            "/staff/targeted?done=targeted-checked-in-no-place#records".into(),
        )),
        Err(liancha_app::AppError::Invalid { field, message }) => {
            if errors.is_empty() {
                errors.push((field.unwrap_or_default(), message));
            }
            again(&s, staff, Refused::Arrival(form, errors)).await
        }
        Err(e) => Err(WebError::refused(e, back)),
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct FindingsForm {
    #[serde(default)]
    items: String,
    #[serde(default)]
    findings: String,
}

fn item_codes(s: &str) -> Vec<String> {
    s.split([',', '，', '、', ' '])
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(String::from)
        .collect()
}

/// The findings of a targeted inspection checked in on arrival.
pub async fn targeted_findings(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<FindingsForm>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    let back = "/staff/targeted".to_string();
    match s
        .app
        .record_targeted_findings(&ctx, id, item_codes(&f.items), &f.findings)
        .await
    {
        Ok(()) => Ok(see_other(format!(
            "/staff/targeted?done=targeted-findings#t{id}"
        ))),
        Err(liancha_app::AppError::Invalid { field, message }) => {
            let field = field.unwrap_or_default().to_string();
            again(&s, staff, Refused::Findings(id, f, field, message)).await
        }
        Err(e) => Err(WebError::refused(e, back)),
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct TargetedForm {
    #[serde(default)]
    entity_id: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    document_ref: String,
    #[serde(default)]
    inspected_on: String,
    #[serde(default)]
    items: String,
    #[serde(default)]
    findings: String,
    #[serde(default)]
    paper_reason: String,
}

pub async fn record_targeted(
    State(s): State<AppState>,
    CsrfForm(staff, f): CsrfForm<TargetedForm>,
) -> Result<Response, WebError> {
    staff.require(&Action::RecordTargeted {
        department: staff.principal.department.as_deref().unwrap_or_default(),
    })?;
    let back = "/staff/targeted".to_string();
    let ctx = staff.context(s.clock.now());
    // Every error of the form at once, beside its field, with what was entered kept.
    let mut errors: Vec<(String, String)> = Vec::new();
    let source = TargetedSource::from_code(&f.source);
    if source.is_none() {
        errors.push(("source".into(), "请选择来源".into()));
    }
    let inspected_on = NaiveDate::parse_from_str(f.inspected_on.trim(), "%Y-%m-%d").ok();
    if inspected_on.is_none() {
        errors.push(("inspected_on".into(), "请填写检查日期".into()));
    }
    let t = liancha_app::records::TargetedInput {
        entity_id: f.entity_id.clone(),
        source: source.unwrap_or(TargetedSource::Complaint),
        document_ref: f.document_ref.clone(),
        inspected_on: inspected_on.unwrap_or_else(|| china_date(ctx.now)),
        items: item_codes(&f.items),
        findings: f.findings.clone(),
        arrival: liancha_app::records::Arrival::Paper {
            reason: f.paper_reason.clone(),
        },
    };
    errors.extend(
        s.app
            .targeted_errors(&ctx, &t)
            .await
            .map_err(|e| WebError::refused(e, back.clone()))?,
    );
    let result = if errors.is_empty() {
        s.app.record_targeted(&ctx, t).await
    } else {
        Err(liancha_app::AppError::invalid("form"))
    };
    match result {
        Ok(_) => Ok(see_other("/staff/targeted?done=targeted".into())),
        Err(liancha_app::AppError::Invalid { field, message }) => {
            if errors.is_empty() {
                errors.push((field.unwrap_or_default(), message));
            }
            let page = targeted_page(&s, staff, None, f, errors, Refused::None).await?;
            Ok(crate::setup::again(Html(page)))
        }
        Err(e) => Err(WebError::refused(e, back)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_to_basis_points() {
        assert_eq!(parse_percent_bp("3"), Some(300));
        assert_eq!(parse_percent_bp("2.5"), Some(250));
        assert_eq!(parse_percent_bp("0.05%"), Some(5));
        assert_eq!(parse_percent_bp("100"), Some(10_000));
        assert_eq!(parse_percent_bp("100.01"), None);
        assert_eq!(parse_percent_bp("1.234"), None);
        assert_eq!(parse_percent_bp("-1"), None);
        assert_eq!(format_bp(&250), "2.5");
        assert_eq!(format_bp(&5), "0.05");
        assert_eq!(format_bp(&300), "3");
    }
}

// ---------------------------------------------------------------- conflicts of interest

#[derive(Template)]
#[template(path = "staff/conflicts.html")]
struct ConflictsPage {
    staff: Staff,
    names: Names,
    notice: Option<&'static str>,
    rows: Vec<liancha_store::tasks::ConflictDeclaration>,
    can_declare: bool,
    /// The form's values: empty, or what a refused form held.
    form: ConflictForm,
    /// A refused form's errors, by field.
    errors: Vec<(String, String)>,
}

impl ConflictsPage {
    /// The messages of `field` (askama passes arguments by reference).
    fn err(&self, field: &str) -> Option<String> {
        field_messages(&self.errors, field)
    }
}

/// Department admins see and declare their own inspectors' conflicts; the county
/// coordinator and oversight see all, the coordinator declares any.
pub async fn conflicts(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    Ok(Html(
        conflicts_page(
            &s,
            staff,
            done_message(&q.done),
            ConflictForm::default(),
            vec![],
        )
        .await?,
    ))
}

async fn conflicts_page(
    s: &AppState,
    staff: Staff,
    notice: Option<&'static str>,
    form: ConflictForm,
    errors: Vec<(String, String)>,
) -> Result<String, WebError> {
    let department = staff.department_view()?;
    Ok(ConflictsPage {
        names: Names::load(s, &staff.county.code).await?,
        notice,
        rows: staff
            .rows(s)
            .conflict_declarations(department.as_deref())
            .await?,
        can_declare: s.app.may_declare_conflicts(&staff.context(s.clock.now())),
        form,
        errors,
        staff,
    }
    .render()?)
}

#[derive(Deserialize, Default, Clone)]
pub struct ConflictForm {
    #[serde(default)]
    inspector_id: String,
    #[serde(default)]
    entity_id: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    reason: String,
}

pub async fn declare_conflict(
    State(s): State<AppState>,
    CsrfForm(staff, f): CsrfForm<ConflictForm>,
) -> Result<Response, WebError> {
    let back = "/staff/conflicts".to_string();
    let ctx = staff.context(s.clock.now());
    if !s.app.may_declare_conflicts(&ctx) {
        return Err(WebError::Forbidden);
    }
    let c = liancha_app::records::ConflictInput {
        inspector_id: f.inspector_id.clone(),
        entity_id: f.entity_id.clone(),
        entity_request: f.kind == "entity-request",
        reason: f.reason.clone(),
    };
    // Every error of the form at once, beside its field, with what was entered kept.
    let mut errors = s
        .app
        .conflict_errors(&ctx, &c)
        .await
        .map_err(|e| WebError::refused(e, back.clone()))?;
    if errors.is_empty() {
        match s.app.declare_conflict(&ctx, &c).await {
            Ok(_) => return Ok(see_other("/staff/conflicts?done=conflict".into())),
            Err(liancha_app::AppError::Invalid { field, message }) => {
                errors.push((field.unwrap_or_default(), message))
            }
            Err(e) => return Err(WebError::refused(e, back)),
        }
    }
    let page = conflicts_page(&s, staff, None, f, errors).await?;
    Ok(crate::setup::again(Html(page)))
}
