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
    today: NaiveDate,
}

pub async fn targeted(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let department = staff.department_view()?;
    render(&TargetedPage {
        notice: done_message(&q.done),
        rows: staff
            .rows(&s)
            .targeted_inspections(department.as_deref())
            .await?,
        sources: TargetedSource::ALL,
        can_record: department
            .as_deref()
            .is_some_and(|d| staff.may(&Action::RecordTargeted { department: d })),
        today: china_date(s.clock.now()),
        staff,
    })
}

#[derive(Deserialize)]
pub struct TargetedForm {
    entity_id: String,
    source: String,
    document_ref: String,
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
    let Some(source) = TargetedSource::from_code(&f.source) else {
        return Err(WebError::Refused {
            message: "请选择来源".into(),
            back,
        });
    };
    let Ok(inspected_on) = NaiveDate::parse_from_str(f.inspected_on.trim(), "%Y-%m-%d") else {
        return Err(WebError::Refused {
            message: "请填写检查日期".into(),
            back,
        });
    };
    let t = liancha_app::records::TargetedInput {
        entity_id: f.entity_id,
        source,
        document_ref: f.document_ref,
        inspected_on,
        items: f
            .items
            .split([',', '，', '、', ' '])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(String::from)
            .collect(),
        findings: f.findings,
    };
    s.app
        .record_targeted(&staff.context(s.clock.now()), t)
        .await
        .map_err(|e| WebError::refused(e, back))?;
    Ok(see_other("/staff/targeted?done=targeted".into()))
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
}

/// Department admins see and declare their own inspectors' conflicts; the county
/// coordinator and oversight see all, the coordinator declares any.
pub async fn conflicts(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let department = staff.department_view()?;
    render(&ConflictsPage {
        names: Names::load(&s, &staff.county.code).await?,
        notice: done_message(&q.done),
        rows: staff
            .rows(&s)
            .conflict_declarations(department.as_deref())
            .await?,
        can_declare: s.app.may_declare_conflicts(&staff.context(s.clock.now())),
        staff,
    })
}

#[derive(Deserialize)]
pub struct ConflictForm {
    inspector_id: String,
    entity_id: String,
    kind: String,
    reason: String,
}

pub async fn declare_conflict(
    State(s): State<AppState>,
    CsrfForm(staff, f): CsrfForm<ConflictForm>,
) -> Result<Response, WebError> {
    let c = liancha_app::records::ConflictInput {
        inspector_id: f.inspector_id,
        entity_id: f.entity_id,
        entity_request: f.kind == "entity-request",
        reason: f.reason,
    };
    s.app
        .declare_conflict(&staff.context(s.clock.now()), &c)
        .await
        .map_err(|e| WebError::refused(e, "/staff/conflicts".into()))?;
    Ok(see_other("/staff/conflicts?done=conflict".into()))
}
