//! Setting up counties on the web: an office above counties adds counties and their
//! first administrators (`/staff/divisions`); a county's administrator keeps its
//! townships, departments and rule books (`/staff/settings`). A refused form comes
//! back as the same page, the values kept and the reason beside the field.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use liancha_domain::auth::{Action, Role};
use liancha_domain::org::{Division, DivisionCode, Level};
use liancha_domain::{Department, Domain, Item, JointItemList, RuleBook, Township};
use liancha_store::accounts::NewUser;
use liancha_store::numbers::DepartmentIssuer;
use serde::Deserialize;

use crate::session::{CsrfForm, Staff};
use crate::setup_lists::JointListForm;
use crate::staff::{DoneQuery, done_message};
use crate::{AppState, WebError};

/// Why a form was refused, and which of its fields is to blame.
#[derive(Debug, Clone, Default)]
pub struct FormError {
    pub field: String,
    pub message: String,
}

impl FormError {
    pub(crate) fn of(e: liancha_app::AppError) -> Result<FormError, WebError> {
        use liancha_app::AppError as A;
        match e {
            A::Invalid { field, message } => Ok(FormError {
                field: field.unwrap_or_default(),
                message,
            }),
            A::WrongState(message) | A::Conflict(message) => Ok(FormError {
                field: String::new(),
                message,
            }),
            e => Err(WebError::refused(e, "/staff".into())),
        }
    }

    /// Whether `field` is the one to blame (askama passes arguments by reference).
    pub fn on(&self, field: &str) -> bool {
        self.field == field
    }
}

/// A refused form's page: 422, the form shown again.
pub(crate) fn again(page: Html<String>) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

// ---------------------------------------------------------------- divisions

#[derive(Deserialize, Default, Clone)]
pub struct DivisionForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    admin_username: String,
    #[serde(default)]
    admin_name: String,
    #[serde(default)]
    admin_password: String,
}

#[derive(Template)]
#[template(path = "staff/divisions.html")]
struct DivisionsPage {
    staff: Staff,
    notice: Option<&'static str>,
    /// The office's tree: each division below it, with its level and its accounts.
    tree: Vec<(Division, usize)>,
    form: DivisionForm,
    error: Option<FormError>,
}

impl DivisionsPage {
    fn indent(&self, d: &Division) -> &'static str {
        match d.level() {
            Level::Province => "",
            Level::Prefecture => "　",
            Level::County => "　　",
        }
    }
}

async fn divisions_page(
    s: &AppState,
    staff: Staff,
    notice: Option<&'static str>,
    form: DivisionForm,
    error: Option<FormError>,
) -> Result<Html<String>, WebError> {
    staff.require(&Action::ManageDivisions)?;
    let users = s
        .app
        .accounts(
            &staff.context(s.clock.now()),
            &liancha_app::accounts::AccountQuery::default(),
        )
        .await?;
    let tree = s
        .divisions()
        .await?
        .iter()
        .filter(|d| staff.principal.reaches(&d.code))
        .map(|d| {
            let n = users.iter().filter(|u| u.division == d.code).count();
            (d.clone(), n)
        })
        .collect();
    Ok(Html(
        DivisionsPage {
            staff,
            notice,
            tree,
            form,
            error,
        }
        .render()?,
    ))
}

pub async fn divisions(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Result<Html<String>, WebError> {
    divisions_page(
        &s,
        staff,
        done_message(&q.done),
        DivisionForm::default(),
        None,
    )
    .await
}

/// Adds a county (or prefecture) below the office, and a county's first
/// administrator, who changes the password at first sign-in.
pub async fn create_division(
    State(s): State<AppState>,
    CsrfForm(staff, f): CsrfForm<DivisionForm>,
) -> Result<Response, WebError> {
    staff.require(&Action::ManageDivisions)?;
    let fail = |field: &str, message: String| FormError {
        field: field.into(),
        message,
    };
    let outcome = match DivisionCode::parse(&f.code) {
        Err(e) => Err(fail("code", e.to_string())),
        Ok(code) => {
            let division = Division {
                code: code.clone(),
                name: f.name.clone(),
            };
            let admin = (code.level() == Level::County).then(|| NewUser {
                division: code.clone(),
                username: f.admin_username.clone(),
                display_name: f.admin_name.clone(),
                role: Role::Admin,
                department: None,
                township: None,
                inspector_id: None,
                password: f.admin_password.clone(),
                must_change_password: true,
            });
            match s
                .app
                .create_division(&staff.context(s.clock.now()), &division, admin.as_ref())
                .await
            {
                Ok(()) => Ok(()),
                Err(e) => Err(FormError::of(e)?),
            }
        }
    };
    match outcome {
        Ok(()) => {
            s.tree_changed();
            Ok(Redirect::to("/staff/divisions?done=division").into_response())
        }
        Err(error) => Ok(again(
            divisions_page(&s, staff, None, f, Some(error)).await?,
        )),
    }
}

// ---------------------------------------------------------------- settings

#[derive(Deserialize, Default, Clone)]
pub struct TownshipForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize, Default, Clone)]
pub struct DepartmentForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    domain: String,
}

/// A rule book as the form edits it: ratios in percent with up to two decimals.
#[derive(Deserialize, Default, Clone)]
pub struct RuleBookForm {
    #[serde(default)]
    domain: String,
    #[serde(default)]
    ratio_a: String,
    #[serde(default)]
    ratio_b: String,
    #[serde(default)]
    ratio_c: String,
    #[serde(default)]
    ratio_d: String,
    #[serde(default)]
    annual_cap: String,
    #[serde(default)]
    deadline_days: String,
    #[serde(default)]
    min_team_size: String,
    #[serde(default)]
    recuse: String,
    /// The first day the new version applies (YYYY-MM-DD).
    #[serde(default)]
    effective_from: String,
    /// The latest version the form showed (a save made meanwhile is not overwritten).
    #[serde(default)]
    was_version: String,
    /// The domain's versions, newest first, and the one in force today: for the page.
    #[serde(skip)]
    versions: Vec<liancha_store::rule_books::RuleBookVersion>,
    #[serde(skip)]
    in_force: i64,
}

/// `12.5` → 1250 basis points; at most two decimals, 0 to 100.
fn percent_bp(field: &str, v: &str) -> Result<u32, FormError> {
    liancha_domain::setup_rows::percent_bp(v).ok_or_else(|| FormError {
        field: field.into(),
        message: format!("抽查比例须为 0 至 100 之间、至多两位小数的百分数，收到「{v}」"),
    })
}

fn whole_number(field: &str, label: &str, v: &str) -> Result<u32, FormError> {
    v.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| *n <= 1000)
        .ok_or_else(|| FormError {
            field: field.into(),
            message: format!("{label}须为整数，收到「{v}」"),
        })
}

impl RuleBookForm {
    fn of(r: &RuleBook) -> Self {
        let pct = liancha_domain::setup_rows::bp_percent;
        RuleBookForm {
            domain: r.domain.code().into(),
            ratio_a: pct(r.ratio_bp[0]),
            ratio_b: pct(r.ratio_bp[1]),
            ratio_c: pct(r.ratio_bp[2]),
            ratio_d: pct(r.ratio_bp[3]),
            annual_cap: r.annual_cap.to_string(),
            deadline_days: r.publication_deadline_days.to_string(),
            min_team_size: r.min_team_size.to_string(),
            recuse: if r.recuse_same_township {
                "yes".into()
            } else {
                String::new()
            },
            ..RuleBookForm::default()
        }
    }

    /// The first day the new version applies, as typed.
    fn effective_from(&self) -> Result<chrono::NaiveDate, FormError> {
        liancha_domain::rows::parse_date(&self.effective_from).ok_or_else(|| FormError {
            field: "effective_from".into(),
            message: "施行日期：请填写日期，如 2027-01-01".into(),
        })
    }

    fn rule_book(&self) -> Result<RuleBook, FormError> {
        let domain = Domain::from_code(&self.domain).ok_or_else(|| FormError {
            field: "domain".into(),
            message: "请选择领域".into(),
        })?;
        Ok(RuleBook {
            domain,
            ratio_bp: [
                percent_bp("ratio_a", &self.ratio_a)?,
                percent_bp("ratio_b", &self.ratio_b)?,
                percent_bp("ratio_c", &self.ratio_c)?,
                percent_bp("ratio_d", &self.ratio_d)?,
            ],
            annual_cap: whole_number("annual_cap", "年度检查上限", &self.annual_cap)?,
            publication_deadline_days: whole_number(
                "deadline_days",
                "公示期限",
                &self.deadline_days,
            )?,
            min_team_size: whole_number("min_team_size", "检查组最少人数", &self.min_team_size)?,
            recuse_same_township: self.recuse == "yes",
        })
    }
}

#[derive(Template)]
#[template(path = "staff/settings.html")]
struct SettingsPage {
    staff: Staff,
    notice: Option<&'static str>,
    can_edit: bool,
    townships: Vec<Township>,
    departments: Vec<Department>,
    domains: &'static [Domain],
    /// Each domain's rule book, as its form shows it (the refused one as posted).
    books: Vec<RuleBookForm>,
    township: TownshipForm,
    department: DepartmentForm,
    lists: Vec<JointItemList>,
    /// Where each list stands with the 编办.
    approvals: Vec<liancha_store::items::JointListApproval>,
    /// The county's items, for the lists' members.
    items: Vec<Item>,
    joint: JointListForm,
    /// Which form the error is of: "township", "department", "joint-list" or a
    /// domain's code.
    error_in: String,
    error: Option<FormError>,
    /// Whether the county's announcements list the drawn entities from the draw on.
    announce_selection: bool,
    today: chrono::NaiveDate,
    /// Each department's numbering (发文字号).
    issuers: Vec<DepartmentIssuer>,
    /// The numbering form: as posted, or the department asked for.
    issuer: DepartmentIssuer,
    /// The departments whose numbering this account sets.
    numbering: Vec<String>,
    /// Codes of the joint lists this account may change (all for the county's
    /// administrator, its own for a lead department).
    editable_lists: Vec<String>,
    /// The last number of this year by 机关代字.
    last_numbers: std::collections::BTreeMap<String, i64>,
}

impl SettingsPage {
    fn is_approved(&self, code: &str) -> bool {
        self.approvals
            .iter()
            .any(|a| a.code == code && a.approved())
    }

    /// The 编办's 退回 of a list still to be submitted again.
    fn returned(&self, code: &str) -> Option<&liancha_store::items::ListReturn> {
        self.approvals
            .iter()
            .find(|a| a.code == code)
            .and_then(|a| a.returned.as_ref())
    }

    fn department_name(&self, code: &str) -> String {
        self.departments
            .iter()
            .find(|d| d.code == code)
            .map_or_else(|| code.to_string(), |d| d.name.clone())
    }
    fn items_of(&self, department: &str) -> Vec<&Item> {
        self.items
            .iter()
            .filter(|i| i.department == department)
            .collect()
    }
    fn error_for(&self, form: &str) -> Option<&FormError> {
        self.error.as_ref().filter(|_| self.error_in == form)
    }
    /// Percent of a basis-point ratio, for the versions table.
    fn pct(&self, bp: &u32) -> String {
        liancha_domain::setup_rows::bp_percent(*bp)
    }

    /// Where a version stands: in force today, waiting for its day, or replaced.
    fn version_state(
        &self,
        b: &RuleBookForm,
        v: &liancha_store::rule_books::RuleBookVersion,
    ) -> &'static str {
        if v.version == b.in_force {
            "现行"
        } else if !v.is_overtaken(&b.versions) && v.effective_from.is_some_and(|d| d > self.today) {
            "待施行"
        } else {
            "已被取代"
        }
    }

    /// The number `word` gives next this year (empty: no word).
    fn next_number(&self, word: &str) -> String {
        let last = self.last_numbers.get(word.trim()).copied().unwrap_or(0);
        liancha_domain::numbering::IssuerWord::parse(word)
            .map(|w| w.number(chrono::Datelike::year(&self.today), (last + 1) as u32))
            .unwrap_or_default()
    }

    fn domain_label(&self, code: &str) -> &'static str {
        Domain::from_code(code).map_or("", Domain::label)
    }
}

#[derive(Default)]
pub(crate) struct Posted {
    pub township: TownshipForm,
    pub department: DepartmentForm,
    pub book: Option<RuleBookForm>,
    /// The joint item list form as posted, or the list asked for (`?list=`).
    pub joint: Option<JointListForm>,
    /// The numbering form as posted, or the department asked for (`?issuer=`).
    pub issuer: Option<DepartmentIssuer>,
    pub error_in: String,
    pub error: Option<FormError>,
}

pub(crate) async fn settings_page(
    s: &AppState,
    staff: Staff,
    notice: Option<&'static str>,
    posted: Posted,
) -> Result<Html<String>, WebError> {
    let c = staff.rows(s);
    let today = liancha_domain::calendar::china_date(s.clock.now());
    let mut books = Vec::new();
    for d in Domain::ALL {
        let in_force = c.rule_book_on(*d, today).await?;
        let versions = c.rule_book_versions(*d).await?;
        let latest = versions.iter().map(|v| v.version).max().unwrap_or(0);
        let mut form = match &posted.book {
            // Refused after a save made meanwhile: what was typed, against the latest.
            Some(b) if b.domain == d.code() && b.was_version.is_empty() => RuleBookForm {
                was_version: latest.to_string(),
                ..b.clone()
            },
            Some(b) if b.domain == d.code() => b.clone(),
            _ => RuleBookForm {
                effective_from: today.to_string(),
                was_version: latest.to_string(),
                ..RuleBookForm::of(&in_force.book)
            },
        };
        form.in_force = in_force.version;
        form.versions = versions;
        books.push(form);
    }
    let departments = c.departments().await?;
    let issuers = s.app.issuers(&staff.context(s.clock.now())).await?;
    let numbering: Vec<String> = departments
        .iter()
        .filter(|d| {
            staff.may(&Action::KeepDirectory {
                department: &d.code,
            })
        })
        .map(|d| d.code.clone())
        .collect();
    // The form shows the department asked for, else the account's own, else the first.
    let wanted = posted
        .issuer
        .as_ref()
        .map(|i| i.department.clone())
        .or_else(|| staff.principal.department.clone())
        .filter(|d| numbering.contains(d))
        .or_else(|| numbering.first().cloned())
        .unwrap_or_default();
    let issuer = match posted.issuer {
        // Refused: as typed.
        Some(i) if i.department == wanted && posted.error_in == "numbering" => i,
        _ => issuers
            .iter()
            .find(|i| i.department == wanted)
            .cloned()
            .unwrap_or_default(),
    };
    let last_numbers = c.last_numbers(chrono::Datelike::year(&today)).await?;
    let lists = c.joint_item_lists(false).await?;
    let editable_lists = lists
        .iter()
        .filter(|l| {
            staff.may(&Action::ManageSettings)
                || staff.may(&Action::KeepDirectory {
                    department: &l.lead_department,
                })
        })
        .map(|l| l.code.clone())
        .collect();
    Ok(Html(
        SettingsPage {
            last_numbers,
            issuers,
            issuer,
            numbering,
            can_edit: staff.may(&Action::ManageSettings),
            notice,
            townships: c.townships().await?,
            departments,
            domains: Domain::ALL,
            books,
            joint: posted.joint.unwrap_or_default(),
            lists,
            editable_lists,
            approvals: c.joint_list_approvals().await?,
            items: c.items(false).await?,
            township: posted.township,
            department: posted.department,
            error_in: posted.error_in,
            error: posted.error,
            announce_selection: c.announces_selection().await?,
            today,
            staff,
        }
        .render()?,
    ))
}

#[derive(Deserialize, Default)]
pub struct SettingsQuery {
    #[serde(default)]
    done: String,
    /// A joint item list to edit.
    #[serde(default)]
    list: String,
    /// A department whose numbering to edit.
    #[serde(default)]
    issuer: String,
}

pub async fn settings(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<SettingsQuery>,
) -> Result<Html<String>, WebError> {
    let joint = if q.list.is_empty() {
        None
    } else {
        let c = staff.rows(&s);
        let returned = c
            .joint_list_approvals()
            .await?
            .into_iter()
            .any(|a| a.code == q.list && a.returned.is_some());
        c.joint_item_lists(false)
            .await?
            .iter()
            .find(|l| l.code == q.list)
            .map(JointListForm::of)
            .map(|f| if returned { f.resubmitted() } else { f })
    };
    let posted = Posted {
        joint,
        // Only its department: the form shows what is saved.
        issuer: (!q.issuer.is_empty()).then(|| DepartmentIssuer {
            department: q.issuer.clone(),
            ..Default::default()
        }),
        ..Posted::default()
    };
    settings_page(&s, staff, done_message(&q.done), posted).await
}

/// A department's numbering (发文字号) as its form posts it.
#[derive(Deserialize, Default, Clone)]
pub struct IssuerForm {
    #[serde(default)]
    department: String,
    #[serde(default)]
    plan_word: String,
    #[serde(default)]
    task_word: String,
    #[serde(default)]
    notice_word: String,
    #[serde(default)]
    agency_code: String,
}

pub async fn save_issuer(
    State(s): State<AppState>,
    CsrfForm(staff, f): CsrfForm<IssuerForm>,
) -> Result<Response, WebError> {
    let issuer = DepartmentIssuer {
        department: f.department,
        plan_word: f.plan_word,
        task_word: f.task_word,
        notice_word: f.notice_word,
        agency_code: f.agency_code,
    };
    match s
        .app
        .set_issuer(&staff.context(s.clock.now()), &issuer)
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!(
            "/staff/settings?done=numbering&issuer={}#numbering",
            crate::pages::url_encode(&issuer.department)
        ))
        .into_response()),
        Err(e) => {
            let posted = Posted {
                issuer: Some(issuer),
                error_in: "numbering".into(),
                error: Some(FormError::of(e)?),
                ..Posted::default()
            };
            Ok(again(settings_page(&s, staff, None, posted).await?))
        }
    }
}

#[derive(Deserialize)]
pub struct AnnouncementsForm {
    #[serde(default)]
    announce_selection: String,
}

/// Whether the county's announcements list each task's drawn entities.
pub async fn save_announcements(
    State(s): State<AppState>,
    CsrfForm(staff, f): CsrfForm<AnnouncementsForm>,
) -> Result<Response, WebError> {
    let on = f.announce_selection == "yes";
    s.app
        .set_announce_selection(&staff.context(s.clock.now()), on)
        .await
        .map_err(|e| WebError::refused(e, "/staff/settings#announcements".into()))?;
    Ok(Redirect::to("/staff/settings?done=announcements#announcements").into_response())
}

pub async fn add_township(
    State(s): State<AppState>,
    CsrfForm(staff, f): CsrfForm<TownshipForm>,
) -> Result<Response, WebError> {
    let t = Township {
        code: f.code.trim().to_string(),
        name: f.name.trim().to_string(),
    };
    match s.app.add_township(&staff.context(s.clock.now()), &t).await {
        Ok(()) => Ok(Redirect::to("/staff/settings?done=township").into_response()),
        Err(e) => {
            let error = FormError::of(e)?;
            let posted = Posted {
                township: f,
                error_in: "township".into(),
                error: Some(error),
                ..Posted::default()
            };
            Ok(again(settings_page(&s, staff, None, posted).await?))
        }
    }
}

pub async fn save_department(
    State(s): State<AppState>,
    CsrfForm(staff, f): CsrfForm<DepartmentForm>,
) -> Result<Response, WebError> {
    let refused = |error: FormError| Posted {
        department: f.clone(),
        error_in: "department".into(),
        error: Some(error),
        ..Posted::default()
    };
    let Some(domain) = Domain::from_code(&f.domain) else {
        let posted = refused(FormError {
            field: "domain".into(),
            message: "请选择部门所属领域".into(),
        });
        return Ok(again(settings_page(&s, staff, None, posted).await?));
    };
    let d = Department {
        code: f.code.trim().to_string(),
        name: f.name.trim().to_string(),
        domain,
    };
    match s
        .app
        .save_department(&staff.context(s.clock.now()), &d)
        .await
    {
        Ok(()) => Ok(Redirect::to("/staff/settings?done=department").into_response()),
        Err(e) => {
            let posted = refused(FormError::of(e)?);
            Ok(again(settings_page(&s, staff, None, posted).await?))
        }
    }
}

pub async fn save_rule_book(
    State(s): State<AppState>,
    CsrfForm(staff, mut f): CsrfForm<RuleBookForm>,
) -> Result<Response, WebError> {
    staff.require(&Action::ManageSettings)?;
    let outcome = match f.rule_book().and_then(|r| Ok((r, f.effective_from()?))) {
        Err(e) => Err(e),
        Ok((r, from)) => match s
            .app
            .save_rule_book(
                &staff.context(s.clock.now()),
                &r,
                from,
                f.was_version.trim().parse().ok(),
            )
            .await
        {
            Ok(_) => Ok(from > liancha_domain::calendar::china_date(s.clock.now())),
            Err(e) => {
                if matches!(e, liancha_app::AppError::Conflict(_)) {
                    f.was_version.clear();
                }
                Err(FormError::of(e)?)
            }
        },
    };
    match outcome {
        Ok(waiting) => Ok(Redirect::to(if waiting {
            "/staff/settings?done=rule-book-waiting#rule-books"
        } else {
            "/staff/settings?done=rule-book#rule-books"
        })
        .into_response()),
        Err(error) => {
            let posted = Posted {
                error_in: f.domain.clone(),
                book: Some(f),
                error: Some(error),
                ..Posted::default()
            };
            Ok(again(settings_page(&s, staff, None, posted).await?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::percent_bp;

    #[test]
    fn percents_become_basis_points() {
        assert_eq!(percent_bp("a", "3").unwrap(), 300);
        assert_eq!(percent_bp("a", "12.5").unwrap(), 1250);
        assert_eq!(percent_bp("a", "0.05").unwrap(), 5);
        assert_eq!(percent_bp("a", "100").unwrap(), 10_000);
        assert_eq!(percent_bp("a", "20%").unwrap(), 2000);
        for bad in ["", "-1", "100.01", "1.234", "abc", "1e2", "1000", " .5"] {
            assert!(percent_bp("a", bad).is_err(), "{bad:?}");
        }
    }
}
