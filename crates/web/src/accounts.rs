//! Account administration: the list (searched, a page at a time), a new account, and
//! one account's page: its name and role, a new initial password, disabling.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use liancha_app::accounts::{AccountQuery, AccountState};
use liancha_domain::auth::{Action, Role};
use liancha_domain::org::DivisionCode;
use liancha_store::accounts::{NewUser, User, UserChange};
use serde::Deserialize;

use crate::pages::url_encode;
use crate::session::{CsrfForm, Staff};
use crate::setup::{FormError, again};
use crate::staff::{Names, done_message, ticked};
use crate::{AppState, WebError};

/// Accounts a page of the list shows.
const PAGE_SIZE: usize = 50;

/// The list's search, as sent.
#[derive(Deserialize, Default, Clone)]
pub struct UsersQuery {
    #[serde(default)]
    done: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    page: String,
}

impl UsersQuery {
    fn query(&self) -> AccountQuery {
        AccountQuery {
            text: self.q.chars().take(64).collect(),
            role: Role::from_code(&self.role),
            state: AccountState::from_code(&self.state),
        }
    }

    /// The search as a query string, for the pager.
    fn base(&self) -> String {
        [("q", &self.q), ("role", &self.role), ("state", &self.state)]
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", url_encode(v.trim())))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// The new-account form, as typed (kept when refused): the account's fields, its
/// username and its initial password.
#[derive(Deserialize, Default, Clone)]
pub struct UserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(flatten)]
    account: AccountForm,
}

#[derive(Template)]
#[template(path = "staff/users.html")]
struct UsersPage {
    staff: Staff,
    names: Names,
    notice: Option<&'static str>,
    users: Vec<User>,
    total: usize,
    page: usize,
    pages: usize,
    query: UsersQuery,
    base: String,
    roles: &'static [Role],
    states: &'static [AccountState],
    townships: Vec<String>,
    /// Division code → name, for the accounts of an office's divisions.
    divisions: std::collections::BTreeMap<String, String>,
    form: UserForm,
    error: Option<FormError>,
}

impl UsersPage {
    fn division_name(&self, u: &User) -> String {
        self.divisions
            .get(u.division.as_str())
            .cloned()
            .unwrap_or_else(|| u.division.to_string())
    }

    fn state(&self, u: &User) -> AccountState {
        AccountState::of(u)
    }

    fn page_link(&self, page: impl std::borrow::Borrow<usize>) -> String {
        let page = format!("page={}", page.borrow());
        crate::directory::link("/staff/users", &self.base, &page)
    }

    fn err(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|e| e.on(field))
            .map(|e| e.message.as_str())
    }
}

async fn users_page(
    s: &AppState,
    staff: Staff,
    query: UsersQuery,
    form: UserForm,
    error: Option<FormError>,
) -> Result<String, WebError> {
    let all = s
        .app
        .accounts(&staff.context(s.clock.now()), &query.query())
        .await?;
    let total = all.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = query.page.trim().parse().unwrap_or(1).clamp(1, pages);
    let users = all
        .into_iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    Ok(UsersPage {
        names: Names::load(s, &staff.county.code).await?,
        notice: done_message(&query.done),
        users,
        total,
        page,
        pages,
        base: query.base(),
        query,
        roles: Role::ALL,
        states: AccountState::ALL,
        townships: townships(s, &staff.county.code).await?,
        divisions: s
            .divisions()
            .await?
            .iter()
            .map(|d| (d.code.to_string(), d.name.clone()))
            .collect(),
        form,
        error,
        staff,
    }
    .render()?)
}

async fn townships(s: &AppState, division: &DivisionCode) -> Result<Vec<String>, WebError> {
    Ok(s.app
        .public_county(division)
        .townships()
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect())
}

pub async fn users(
    State(s): State<AppState>,
    staff: Staff,
    Query(q): Query<UsersQuery>,
) -> Result<Html<String>, WebError> {
    staff.require(&Action::ManageUsers)?;
    Ok(Html(
        users_page(&s, staff, q, UserForm::default(), None).await?,
    ))
}

fn opt(s: &str) -> Option<String> {
    Some(s.trim().to_string()).filter(|s| !s.is_empty())
}

pub async fn create_user(
    State(s): State<AppState>,
    CsrfForm(staff, f): CsrfForm<UserForm>,
) -> Result<Response, WebError> {
    staff.require(&Action::ManageUsers)?;
    let outcome = match f.account.change() {
        Err(e) => Err(e),
        Ok(c) => {
            let u = NewUser {
                division: staff.county.code.clone(),
                username: f.username.clone(),
                display_name: c.display_name,
                role: c.role,
                department: c.department,
                township: c.township,
                inspector_id: c.inspector_id,
                password: f.password.clone(),
                must_change_password: true,
            };
            match s
                .app
                .create_account(&staff.context(s.clock.now()), &u)
                .await
            {
                Ok(_) => Ok(()),
                Err(e) => Err(FormError::of(e)?),
            }
        }
    };
    match outcome {
        Ok(()) => Ok(Redirect::to("/staff/users?done=user").into_response()),
        Err(error) => {
            // A password is never sent back into the page.
            let form = UserForm {
                password: String::new(),
                ..f
            };
            let page = users_page(&s, staff, UsersQuery::default(), form, Some(error)).await?;
            Ok(again(Html(page)))
        }
    }
}

/// One account's edit form, as typed (kept when refused).
#[derive(Deserialize, Default, Clone)]
pub struct AccountForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    township: String,
    #[serde(default)]
    inspector_id: String,
}

impl AccountForm {
    /// The change the form asks for, as typed: a department, township or inspector
    /// number that does not fit the role is refused by the store, never dropped
    /// unseen (a clerk who forgot to pick the role would otherwise make an admin).
    fn change(&self) -> Result<UserChange, FormError> {
        let role = Role::from_code(&self.role).ok_or_else(|| FormError {
            field: "role".into(),
            message: "请选择角色".into(),
        })?;
        Ok(UserChange {
            display_name: self.display_name.clone(),
            role,
            department: opt(&self.department),
            township: opt(&self.township),
            inspector_id: opt(&self.inspector_id),
        })
    }

    /// The account as the form showed it, from its hidden `was_*` fields.
    fn was(f: &EditForm) -> Self {
        AccountForm {
            display_name: f.was_display_name.clone(),
            role: f.was_role.clone(),
            department: f.was_department.clone(),
            township: f.was_township.clone(),
            inspector_id: f.was_inspector_id.clone(),
        }
    }

    fn of(u: &User) -> Self {
        AccountForm {
            display_name: u.display_name.clone(),
            role: u.role.code().into(),
            department: u.department.clone().unwrap_or_default(),
            township: u.township.clone().unwrap_or_default(),
            inspector_id: u.inspector_id.clone().unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "staff/account.html")]
struct AccountPage {
    staff: Staff,
    names: Names,
    notice: Option<&'static str>,
    user: User,
    division_name: String,
    roles: &'static [Role],
    townships: Vec<String>,
    form: AccountForm,
    /// The account as the page first showed it.
    was: AccountForm,
    /// Which form was refused (`edit` or `password`) and why.
    error: Option<(&'static str, FormError)>,
}

impl AccountPage {
    fn err(&self, form: &str, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(f, e)| *f == form && (field.is_empty() || e.on(field)))
            .map(|(_, e)| e.message.as_str())
    }

    fn is_self(&self) -> bool {
        self.user.id == self.staff.principal.user_id
    }

    fn state(&self) -> AccountState {
        AccountState::of(&self.user)
    }
}

async fn account_page(
    s: &AppState,
    staff: Staff,
    id: i64,
    notice: Option<&'static str>,
    form: Option<(AccountForm, AccountForm)>,
    error: Option<(&'static str, FormError)>,
) -> Result<String, WebError> {
    let user = s
        .app
        .account(&staff.context(s.clock.now()), id)
        .await
        .map_err(|e| WebError::refused(e, "/staff/users".into()))?;
    let division_name = s
        .divisions()
        .await?
        .iter()
        .find(|d| d.code == user.division)
        .map_or_else(|| user.division.to_string(), |d| d.name.clone());
    Ok(AccountPage {
        names: Names::load(s, &user.division).await?,
        townships: townships(s, &user.division).await?,
        form: form
            .clone()
            .map_or_else(|| AccountForm::of(&user), |(typed, _)| typed),
        was: form.map_or_else(|| AccountForm::of(&user), |(_, was)| was),
        division_name,
        user,
        notice,
        roles: Role::ALL,
        error,
        staff,
    }
    .render()?)
}

#[derive(Deserialize, Default)]
pub struct DoneOnly {
    #[serde(default)]
    done: String,
}

pub async fn account(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    staff: Staff,
    Query(q): Query<DoneOnly>,
) -> Result<Html<String>, WebError> {
    staff.require(&Action::ManageUsers)?;
    let notice = done_message(&q.done);
    Ok(Html(account_page(&s, staff, id, notice, None, None).await?))
}

/// The edit form: the account's fields as typed, and as the page showed them (so
/// that a change made meanwhile by someone else is not overwritten unseen).
#[derive(Deserialize, Default, Clone)]
pub struct EditForm {
    #[serde(flatten)]
    account: AccountForm,
    #[serde(default)]
    was_display_name: String,
    #[serde(default)]
    was_role: String,
    #[serde(default)]
    was_department: String,
    #[serde(default)]
    was_township: String,
    #[serde(default)]
    was_inspector_id: String,
}

pub async fn update_account(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, edit): CsrfForm<EditForm>,
) -> Result<Response, WebError> {
    staff.require(&Action::ManageUsers)?;
    let was = AccountForm::was(&edit);
    // Without the fields (an old page), the account as it is now.
    let expected = was.change().ok();
    let f = edit.account;
    let outcome = match f.change() {
        Err(e) => Err(e),
        Ok(change) => {
            match s
                .app
                .update_account(
                    &staff.context(s.clock.now()),
                    id,
                    expected.as_ref(),
                    &change,
                )
                .await
            {
                Ok(()) => Ok(()),
                Err(e) => Err(FormError::of(e)?),
            }
        }
    };
    match outcome {
        Ok(()) => Ok(Redirect::to(&format!("/staff/users/{id}?done=user-edited")).into_response()),
        Err(error) => {
            let page =
                account_page(&s, staff, id, None, Some((f, was)), Some(("edit", error))).await?;
            Ok(again(Html(page)))
        }
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn reset_password(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<PasswordForm>,
) -> Result<Response, WebError> {
    staff.require(&Action::ManageUsers)?;
    match s
        .app
        .reset_account_password(
            &staff.context(s.clock.now()),
            id,
            &f.password,
            ticked(&f.confirm),
        )
        .await
    {
        Ok(()) => {
            Ok(Redirect::to(&format!("/staff/users/{id}?done=password-reset")).into_response())
        }
        Err(e) => {
            let error = FormError::of(e)?;
            let page = account_page(&s, staff, id, None, None, Some(("password", error))).await?;
            Ok(again(Html(page)))
        }
    }
}

#[derive(Deserialize)]
pub struct DisableForm {
    disabled: String,
    /// Disabling ends the account's sessions at once: the form's box confirms it.
    #[serde(default)]
    confirm: String,
    /// `account` when sent from the account's own page, which it returns to.
    #[serde(default)]
    from: String,
}

pub async fn set_disabled(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(staff, f): CsrfForm<DisableForm>,
) -> Result<Response, WebError> {
    let back = if f.from == "account" {
        format!("/staff/users/{id}")
    } else {
        "/staff/users".into()
    };
    match s
        .app
        .set_account_disabled(
            &staff.context(s.clock.now()),
            id,
            f.disabled == "1",
            ticked(&f.confirm),
        )
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("{back}?done=user-updated")).into_response()),
        Err(e) => Err(WebError::refused(e, back)),
    }
}
