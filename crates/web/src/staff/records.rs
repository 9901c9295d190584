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
    /// The form's values: empty but for today's date, or what a refused form held.
    form: TargetedForm,
    /// A refused form's errors, by field.
    errors: Vec<(String, String)>,
}

impl TargetedPage {
    /// The messages of `field` (askama passes arguments by reference).
    fn err(&self, field: &str) -> Option<String> {
        field_messages(&self.errors, field)
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
        targeted_page(&s, staff, done_message(&q.done), form, vec![]).await?,
    ))
}

async fn targeted_page(
    s: &AppState,
    staff: Staff,
    notice: Option<&'static str>,
    form: TargetedForm,
    errors: Vec<(String, String)>,
) -> Result<String, WebError> {
    let department = staff.department_view()?;
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
        form,
        errors,
        staff,
    }
    .render()?)
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
        items: f
            .items
            .split([',', '，', '、', ' '])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(String::from)
            .collect(),
        findings: f.findings.clone(),
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
            let page = targeted_page(&s, staff, None, f, errors).await?;
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
