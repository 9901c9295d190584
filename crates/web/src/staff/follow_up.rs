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
}

impl FollowUpsPage {
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
    Query(q): Query<DoneQuery>,
) -> PageResult {
    let department = staff.department_view()?;
    let can_manage = department
        .as_deref()
        .is_some_and(|d| staff.may(&Action::ManageFollowUp { department: d }));
    render(&FollowUpsPage {
        names: Names::load(&s, &staff.county.code).await?,
        notice: done_message(&q.done),
        rows: staff
            .rows(&s)
            .follow_ups(department.as_deref(), false)
            .await?,
        proposals: staff
            .rows(&s)
            .credit_proposals(department.as_deref())
            .await?,
        kinds: FollowUpKind::ALL,
        department,
        can_manage,
        item_names: staff
            .rows(&s)
            .items(false)
            .await?
            .into_iter()
            .map(|i| (i.code, i.name))
            .collect(),
        staff,
    })
}

#[derive(Deserialize)]
pub struct FollowUpForm {
    /// `update` or `close`.
    action: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    due_on: String,
    #[serde(default)]
    target_department: String,
    #[serde(default)]
    note: String,
}

pub async fn update_follow_up(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<FollowUpForm>,
) -> Result<Response, WebError> {
    use liancha_app::follow_up::FollowUpChange;
    let back = "/staff/follow-ups".to_string();
    let change = if f.action == "close" {
        FollowUpChange::Close { note: f.note }
    } else {
        let Some(kind) = FollowUpKind::from_code(&f.kind) else {
            return Err(WebError::Refused {
                message: "请选择处置方式".into(),
                back,
            });
        };
        let due_on = if f.due_on.trim().is_empty() {
            None
        } else {
            match NaiveDate::parse_from_str(f.due_on.trim(), "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    return Err(WebError::Refused {
                        message: "期限须为日期".into(),
                        back,
                    });
                }
            }
        };
        FollowUpChange::Update {
            kind,
            due_on,
            target_department: Some(f.target_department.trim().to_string())
                .filter(|t| !t.is_empty()),
            note: f.note,
        }
    };
    let ctx = staff.context(s.clock.now());
    match s.app.change_follow_up(&ctx, id, change).await {
        Ok(()) => Ok(see_other("/staff/follow-ups?done=follow-up".into())),
        Err(e) => Err(WebError::refused(e, back)),
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
        Err(e) => Err(WebError::refused(e, "/staff/follow-ups".into())),
    }
}
