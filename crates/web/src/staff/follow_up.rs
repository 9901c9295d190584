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
    /// Credit repair applications of the department's listings (信用修复).
    repairs: Vec<liancha_store::results::CreditRepair>,
    /// Objections to published results holding the department's items.
    objections: Vec<liancha_store::results::ResultObjection>,
    /// For each open objection the department may answer: its items' results.
    objection_items: BTreeMap<i64, Vec<liancha_store::results::ItemResult>>,
    /// When each application's decision is due (15 working days).
    due: BTreeMap<i64, NaiveDate>,
    today: NaiveDate,
    /// The section the notice belongs to (`repairs`, `objections`), shown there:
    /// the page opens at it. Empty: at the top.
    notice_at: &'static str,
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
            "findings" => v.findings.clone(),
            _ => v.note.clone(),
        })
    }

    fn notice_in(&self, section: &str) -> Option<&'static str> {
        self.notice.filter(|_| self.notice_at == section)
    }

    /// The refused form's row, to link to from the top of the page (the page
    /// opens at its top after a refusal).
    fn failed_anchor(&self) -> Option<String> {
        let f = self.failed.as_ref()?;
        let row = match f.form {
            "update" | "close" => "follow-up",
            "grant" | "refuse" => "repair",
            "uphold" | "correct" => "objection",
            _ => "credit",
        };
        Some(format!("{row}-{}", f.id))
    }

    /// Whether the refused correction form of objection `id` had `field` = `value`.
    fn correction_kept(&self, id: &i64, field: &str, value: &str) -> bool {
        self.failed
            .as_ref()
            .filter(|f| f.form == "correct" && f.id == *id)
            .is_some_and(|f| match field {
                "item" => f.values.item == value,
                _ => f.values.categories.iter().any(|c| c == value),
            })
    }

    fn grounds(
        &self,
        list: &liancha_domain::workflow::CreditList,
    ) -> Vec<liancha_domain::credit_repair::RepairGround> {
        liancha_domain::credit_repair::RepairGround::of(*list)
    }

    /// Whether the refused form `form` of row `id` had ground `g` ticked.
    fn ground_kept(&self, form: &str, id: &i64, g: &str) -> bool {
        self.failed
            .as_ref()
            .filter(|f| f.form == form && f.id == *id)
            .is_some_and(|f| f.values.grounds.iter().any(|x| x == g))
    }

    fn item_name(&self, code: &str) -> String {
        self.item_names
            .get(code)
            .cloned()
            .unwrap_or_else(|| code.to_string())
    }

    fn categories(&self) -> &'static [ResultCategory] {
        ResultCategory::ALL
    }

    fn due_of(&self, a: &liancha_store::results::CreditRepair) -> String {
        self.due
            .get(&a.id)
            .map(|d| d.to_string())
            .unwrap_or_default()
    }

    fn overdue(&self, a: &liancha_store::results::CreditRepair) -> bool {
        a.state == liancha_domain::credit_repair::RepairState::Applied
            && self.due.get(&a.id).is_some_and(|d| *d < self.today)
    }

    /// For a listing not yet open to repair (the blacklist's year), the day it
    /// will be.
    fn repair_from(&self, c: &CreditProposal) -> Option<NaiveDate> {
        let listed = liancha_domain::calendar::china_date(c.decided_at?);
        let first = liancha_domain::credit_repair::first_repair_day(c.list, listed);
        (first > self.today).then_some(first)
    }

    /// Whether a listing awaits a decision on an application (none may be added).
    fn repair_open(&self, proposal: &i64) -> bool {
        self.repairs.iter().any(|a| {
            a.proposal_id == *proposal
                && a.state == liancha_domain::credit_repair::RepairState::Applied
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
    let ctx = staff.context(s.clock.now());
    let repairs = s.app.credit_repairs(&ctx, department.as_deref()).await?;
    let calendar = staff.rows(s).calendar().await?;
    let due = repairs
        .iter()
        .map(|a| {
            let applied = liancha_domain::calendar::china_date(a.applied_at);
            (
                a.id,
                liancha_domain::credit_repair::decision_due(&calendar, applied),
            )
        })
        .collect();
    let objections = s.app.objections(&ctx, department.as_deref()).await?;
    let may_answer = s.app.may_answer_objections(&ctx);
    let mut objection_items = BTreeMap::new();
    if may_answer && let Some(d) = department.as_deref() {
        let item_departments: BTreeMap<String, String> = staff
            .rows(s)
            .items(false)
            .await?
            .into_iter()
            .map(|i| (i.code, i.department))
            .collect();
        for o in objections
            .iter()
            .filter(|o| o.state == liancha_domain::credit_repair::ObjectionState::Open)
        {
            let mine: Vec<_> = staff
                .rows(s)
                .visit_results(o.task_id, &o.entity_id)
                .await?
                .into_values()
                .filter(|r| item_departments.get(&r.item_code).map(String::as_str) == Some(d))
                .collect();
            if !mine.is_empty() {
                objection_items.insert(o.id, mine);
            }
        }
    }
    let notice_at = match notice {
        Some(_) if query.done.starts_with("repair-") => "repairs",
        Some(_) if query.done.starts_with("objection-") => "objections",
        _ => "",
    };
    Ok(FollowUpsPage {
        notice_at,
        repairs,
        objections,
        objection_items,
        due,
        today: liancha_domain::calendar::china_date(ctx.now),
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
    /// A credit repair registered on paper: its grounds, what was done, who to call.
    #[serde(skip)]
    grounds: Vec<String>,
    #[serde(default)]
    statement: String,
    #[serde(default)]
    contact: String,
    /// An objection's correction: the item, its new categories and findings.
    #[serde(default)]
    item: String,
    #[serde(skip)]
    categories: Vec<String>,
    #[serde(default)]
    findings: String,
}

impl FollowUpForm {
    /// A form posted with repeated fields (`grounds`, `categories`).
    fn from_pairs(pairs: &[(String, String)]) -> Self {
        let p = crate::pages::Pairs(pairs);
        let get = |k: &str| p.one(k).to_string();
        let all = |k: &str| p.all(k, 20);
        FollowUpForm {
            action: get("action"),
            note: get("note"),
            confirm: get("confirm"),
            grounds: all("grounds"),
            statement: get("statement"),
            contact: get("contact"),
            item: get("item"),
            categories: all("categories"),
            findings: get("findings"),
            ..FollowUpForm::default()
        }
    }
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

/// The department registers a credit repair application handed in on paper.
pub async fn register_credit_repair(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let values = FollowUpForm::from_pairs(&f);
    let ctx = staff.context(s.clock.now());
    match s
        .app
        .register_credit_repair(
            &ctx,
            id,
            &values.grounds,
            &values.statement,
            &values.contact,
        )
        .await
    {
        Ok(_) => Ok(see_other(
            "/staff/follow-ups?done=repair-registered#repairs".into(),
        )),
        Err(e) => again(&s, staff, "register", id, e, values).await,
    }
}

#[derive(Deserialize)]
pub struct RepairDecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    confirm: String,
}

/// The listing department grants or refuses a credit repair application.
pub async fn decide_credit_repair(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<RepairDecisionForm>,
) -> Result<Response, WebError> {
    let ctx = staff.context(s.clock.now());
    let grant = f.decision == "grant";
    match s
        .app
        .decide_credit_repair(&ctx, id, grant, &f.note, ticked(&f.confirm))
        .await
    {
        Ok(true) => Ok(see_other(
            "/staff/follow-ups?done=repair-granted#repairs".into(),
        )),
        Ok(false) if grant => Ok(see_other(
            "/staff/follow-ups?done=repair-granted-kept#repairs".into(),
        )),
        Ok(false) => Ok(see_other(
            "/staff/follow-ups?done=repair-refused#repairs".into(),
        )),
        Err(e) => {
            let values = FollowUpForm {
                note: f.note.clone(),
                ..FollowUpForm::default()
            };
            again(
                &s,
                staff,
                if grant { "grant" } else { "refuse" },
                id,
                e,
                values,
            )
            .await
        }
    }
}

/// A department answers an objection to a published result: the result stands
/// (`action=uphold`, `note` the reply) or one of its items is corrected
/// (`action=correct`: `item`, repeated `categories`, `findings`, `note` the reason).
pub async fn answer_objection(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    use liancha_app::credit_repair::ObjectionAnswer;
    let values = FollowUpForm::from_pairs(&f);
    let ctx = staff.context(s.clock.now());
    let correct = values.action == "correct";
    let answer = if correct {
        ObjectionAnswer::Correct {
            item: values.item.clone(),
            categories: values.categories.clone(),
            findings: values.findings.clone(),
            reason: values.note.clone(),
            confirmed: ticked(&values.confirm),
        }
    } else {
        ObjectionAnswer::Uphold {
            reply: values.note.clone(),
        }
    };
    match s.app.answer_objection(&ctx, id, answer).await {
        Ok(()) if correct => Ok(see_other(
            "/staff/follow-ups?done=objection-corrected#objections".into(),
        )),
        Ok(()) => Ok(see_other(
            "/staff/follow-ups?done=objection-upheld#objections".into(),
        )),
        Err(e) => {
            again(
                &s,
                staff,
                if correct { "correct" } else { "uphold" },
                id,
                e,
                values,
            )
            .await
        }
    }
}
