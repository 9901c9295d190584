//! After publication: follow-up work and credit list proposals.

use super::*;

#[derive(Template)]
#[template(path = "staff/follow_ups.html")]
struct FollowUpsPage {
    staff: Staff,
    names: Names,
    notice: Option<&'static str>,
    rows: Vec<FollowUp>,
    proposals: Vec<CreditProposal>,
    kinds: &'static [FollowUpKind],
    department: Option<String>,
    can_manage: bool,
    /// Item names by code, for the items each row came from.
    item_names: BTreeMap<String, String>,
    /// The form refused, shown again in its row with its errors and values.
    failed: Option<Failed>,
    query: FollowUpsQuery,
    /// Rows before the search.
    all: usize,
    states: &'static [FollowUpState],
}

/// The follow-up list's search and order, as the query string says.
#[derive(Deserialize, Default, Clone)]
pub struct FollowUpsQuery {
    #[serde(default)]
    done: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    format: String,
}

impl FollowUpsQuery {
    fn base(&self) -> String {
        crate::directory::query_string(&[
            ("q", &self.q),
            ("state", &self.state),
            ("sort", &self.sort),
        ])
    }

    /// The rows it finds: by entity name or code and state; newest first, or by
    /// due date (open ones first, the nearest at the top, those without one last).
    fn apply(&self, mut rows: Vec<FollowUp>) -> Vec<FollowUp> {
        let text = self.q.trim().to_lowercase();
        let state = FollowUpState::from_code(&self.state);
        rows.retain(|f| {
            state.is_none_or(|s| f.state == s)
                && (text.is_empty()
                    || f.entity_name.to_lowercase().contains(&text)
                    || f.entity_id.to_lowercase().contains(&text))
        });
        if self.sort == "due" {
            // What is still open first, the nearest due date at the top.
            let key = |f: &FollowUp| {
                (
                    f.state != FollowUpState::Open,
                    f.due_on.is_none(),
                    f.due_on,
                    f.id,
                )
            };
            rows.sort_by_key(key);
        } else {
            rows.sort_by_key(|f| std::cmp::Reverse(f.id));
        }
        rows
    }
}

/// A refused form of one row: which (`update`, `close`, `confirm`, `reject`), of
/// which follow-up or proposal, why, and what it held.
struct Failed {
    form: &'static str,
    id: i64,
    errors: Vec<(String, String)>,
    values: FollowUpForm,
}

impl FollowUpsPage {
    fn export_link(&self, format: &str) -> String {
        let format = format!("format={format}");
        crate::directory::link("/staff/follow-ups/export", &self.query.base(), &format)
    }

    /// The errors of form `form` of row `id`, joined, when that form was refused.
    fn row_err(&self, form: &str, id: &i64) -> Option<String> {
        let f = self
            .failed
            .as_ref()
            .filter(|f| f.form == form && f.id == *id)?;
        Some(
            f.errors
                .iter()
                .map(|(_, m)| m.as_str())
                .collect::<Vec<_>>()
                .join("；"),
        )
    }

    /// What the update form of follow-up `f` shows in `field`: a refused form's
    /// value, else the follow-up's own.
    fn shown(&self, f: &FollowUp, field: &str) -> String {
        self.kept("update", &f.id, field)
            .unwrap_or_else(|| match field {
                "kind" => f.kind.code().to_string(),
                "due_on" => f.due_on.map(|d| d.to_string()).unwrap_or_default(),
                "target_department" => f.target_department.clone().unwrap_or_default(),
                _ => f.note.clone(),
            })
    }

    /// What the refused form `form` of row `id` held in `field`, if it was refused.
    fn kept(&self, form: &str, id: &i64, field: &str) -> Option<String> {
        let f = self
            .failed
            .as_ref()
            .filter(|f| f.form == form && f.id == *id)?;
        let v = &f.values;
        Some(match field {
            "kind" => v.kind.clone(),
            "due_on" => v.due_on.clone(),
            "target_department" => v.target_department.clone(),
            _ => v.note.clone(),
        })
    }

    /// 「营业执照…的检查、农药经营的检查」: the items a row came from, by name.
    fn items(&self, codes: &[String]) -> String {
        codes
            .iter()
            .map(|c| self.item_names.get(c).cloned().unwrap_or_else(|| c.clone()))
            .collect::<Vec<_>>()
            .join("、")
    }
}

pub async fn follow_ups(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<FollowUpsQuery>,
) -> PageResult {
    let notice = done_message(&q.done);
    Ok(Html(follow_ups_page(&s, staff, notice, None, q).await?))
}

/// The follow-ups as the page's search finds them, as a spreadsheet.
pub async fn export_follow_ups(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<FollowUpsQuery>,
) -> Result<Response, WebError> {
    use crate::api::table::{FileFormat, Table, row};
    let department = staff.department_view()?;
    let names = Names::load(&s, &staff.county.code).await?;
    let item_names: BTreeMap<String, String> = staff
        .rows(&s)
        .items(false)
        .await?
        .into_iter()
        .map(|i| (i.code, i.name))
        .collect();
    let rows = q.apply(
        staff
            .rows(&s)
            .follow_ups(department.as_deref(), false)
            .await?,
    );
    let table = Table {
        file: "follow-ups".into(),
        title: format!("{}后续处置", staff.county_name()),
        headers: &[
            "编号",
            "任务编号",
            "统一社会信用代码",
            "检查对象",
            "部门",
            "抽查事项",
            "问题",
            "处置方式",
            "接收部门",
            "办理期限",
            "状态",
            "说明",
        ],
        rows: rows
            .iter()
            .map(|f| {
                row![
                    f.id,
                    f.task_id.map(|t| t.to_string()),
                    f.entity_id.as_str(),
                    f.entity_name.as_str(),
                    names.dept(&f.department),
                    f.items
                        .iter()
                        .map(|c| item_names.get(c).cloned().unwrap_or_else(|| c.clone()))
                        .collect::<Vec<_>>()
                        .join("、"),
                    f.category.label(),
                    f.kind.label(),
                    f.target_department.as_deref().map(|d| names.dept(d)),
                    f.due_on.map(|d| d.to_string()),
                    f.state.label(),
                    f.note.as_str(),
                ]
            })
            .collect(),
    };
    let format = if q.format == "csv" {
        FileFormat::Csv
    } else {
        FileFormat::Xlsx
    };
    Ok(table.download(format).into_response())
}

async fn follow_ups_page(
    s: &AppState,
    staff: Staff,
    notice: Option<&'static str>,
    failed: Option<Failed>,
    query: FollowUpsQuery,
) -> Result<String, WebError> {
    let department = staff.department_view()?;
    let all = staff
        .rows(s)
        .follow_ups(department.as_deref(), false)
        .await?;
    let count = all.len();
    let can_manage = department
        .as_deref()
        .is_some_and(|d| staff.may(&Action::ManageFollowUp { department: d }));
    Ok(FollowUpsPage {
        names: Names::load(s, &staff.county.code).await?,
        notice,
        failed,
        rows: query.apply(all),
        all: count,
        query,
        states: FollowUpState::ALL,
        proposals: staff
            .rows(s)
            .credit_proposals(department.as_deref())
            .await?,
        kinds: FollowUpKind::ALL,
        department,
        can_manage,
        item_names: staff
            .rows(s)
            .items(false)
            .await?
            .into_iter()
            .map(|i| (i.code, i.name))
            .collect(),
        staff,
    }
    .render()?)
}

/// A row's form refused: the page again, 422, the errors and values in that row.
/// Anything but a field's error (forbidden, gone, already closed or decided) is
/// refused on the page that says why.
async fn again(
    s: &AppState,
    staff: Staff,
    form: &'static str,
    id: i64,
    e: liancha_app::AppError,
    values: FollowUpForm,
) -> Result<Response, WebError> {
    // Only an error of a field the row's form still has goes back into that form: a
    // row already closed or decided (a double click) has no form left to show it in.
    let errors = match e {
        liancha_app::AppError::Invalid {
            field: Some(field),
            message,
        } => vec![(field, message)],
        e => return Err(WebError::refused(e, "/staff/follow-ups".into())),
    };
    let failed = Some(Failed {
        form,
        id,
        errors,
        values,
    });
    let page = follow_ups_page(s, staff, None, failed, FollowUpsQuery::default()).await?;
    Ok(crate::setup::again(Html(page)))
}

#[derive(Deserialize, Default, Clone)]
pub struct FollowUpForm {
    /// `update` or `close`.
    #[serde(default)]
    action: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    due_on: String,
    #[serde(default)]
    target_department: String,
    #[serde(default)]
    note: String,
    /// The 办结 form's confirmation box.
    #[serde(default)]
    confirm: String,
}

pub async fn update_follow_up(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<FollowUpForm>,
) -> Result<Response, WebError> {
    use liancha_app::AppError;
    use liancha_app::follow_up::FollowUpChange;
    let form = if f.action == "close" {
        "close"
    } else {
        "update"
    };
    let change = if f.action == "close" {
        Ok(FollowUpChange::Close {
            note: f.note.clone(),
            confirmed: ticked(&f.confirm),
        })
    } else {
        let due_on = if f.due_on.trim().is_empty() {
            Ok(None)
        } else {
            NaiveDate::parse_from_str(f.due_on.trim(), "%Y-%m-%d")
                .map(Some)
                .map_err(|_| AppError::invalid_field("due_on", "期限须为日期"))
        };
        match (FollowUpKind::from_code(&f.kind), due_on) {
            (None, _) => Err(AppError::invalid_field("kind", "请选择处置方式")),
            (_, Err(e)) => Err(e),
            (Some(kind), Ok(due_on)) => Ok(FollowUpChange::Update {
                kind,
                due_on,
                target_department: Some(f.target_department.trim().to_string())
                    .filter(|t| !t.is_empty()),
                note: f.note.clone(),
            }),
        }
    };
    let ctx = staff.context(s.clock.now());
    let done = match change {
        Ok(change) => s.app.change_follow_up(&ctx, id, change).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(()) if form == "close" => {
            Ok(see_other("/staff/follow-ups?done=follow-up-closed".into()))
        }
        Ok(()) => Ok(see_other("/staff/follow-ups?done=follow-up".into())),
        Err(e) => again(&s, staff, form, id, e, f).await,
    }
}

#[derive(Deserialize)]
pub struct CreditForm {
    decision: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    confirm: String,
}

pub async fn decide_credit(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<CreditForm>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    match s
        .app
        .decide_credit(
            &ctx,
            id,
            f.decision == "confirm",
            &f.note,
            ticked(&f.confirm),
        )
        .await
    {
        Ok(()) => Ok(see_other("/staff/follow-ups?done=credit".into())),
        Err(e) => {
            let form = if f.decision == "confirm" {
                "confirm"
            } else {
                "reject"
            };
            let values = FollowUpForm {
                note: f.note.clone(),
                ..FollowUpForm::default()
            };
            again(&s, staff, form, id, e, values).await
        }
    }
}

#[derive(Deserialize)]
pub struct RemovalForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    confirm: String,
}

pub async fn remove_credit_listing(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<RemovalForm>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    match s
        .app
        .remove_credit_listing(&ctx, id, &f.reason, ticked(&f.confirm))
        .await
    {
        Ok(true) => Ok(see_other("/staff/follow-ups?done=credit-removed".into())),
        Ok(false) => Ok(see_other(
            "/staff/follow-ups?done=credit-removed-kept".into(),
        )),
        Err(e) => {
            let values = FollowUpForm {
                note: f.reason.clone(),
                ..FollowUpForm::default()
            };
            again(&s, staff, "remove", id, e, values).await
        }
    }
}
