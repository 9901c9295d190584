//! Accounts across the levels: a county's administrator keeps its county's accounts,
//! a province's or prefecture's administrator those of the divisions below it (the
//! first administrator of a new county among them). Nobody reaches an account outside
//! their own division: to them it does not exist.

use liancha_domain::auth::Action;
use liancha_domain::auth::Role;
use liancha_store::accounts::{NewUser, User, UserChange};

use crate::{App, AppError, Context, Result};

impl App {
    /// The accounts the principal keeps (those of its division and below) that
    /// match `query`.
    pub async fn accounts(&self, ctx: &Context, query: &AccountQuery) -> Result<Vec<User>> {
        ctx.require(&Action::ManageUsers)?;
        let mut users = self.store().users(&ctx.principal.division).await?;
        users.retain(|u| query.matches(u));
        Ok(users)
    }

    /// One account the principal keeps; one it does not keep is not found.
    pub async fn account(&self, ctx: &Context, id: i64) -> Result<User> {
        ctx.require(&Action::ManageUsers)?;
        self.store()
            .user(id)
            .await?
            .filter(|u| ctx.principal.reaches(&u.division))
            .ok_or_else(|| AppError::NotFound(format!("用户 {id}")))
    }

    /// Changes an account's name and role bindings, if it is still as `expected`
    /// (as the form showed it).
    pub async fn update_account(
        &self,
        ctx: &Context,
        id: i64,
        expected: Option<&UserChange>,
        change: &UserChange,
    ) -> Result<()> {
        let user = self.account(ctx, id).await?;
        self.store()
            .update_user(user.id, expected, change, &ctx.actor(), ctx.now)
            .await?;
        Ok(())
    }

    /// Gives an account a new initial password (its holder forgot theirs), once
    /// confirmed: the holder's sessions end and they must choose their own password.
    pub async fn reset_account_password(
        &self,
        ctx: &Context,
        id: i64,
        password: &str,
        confirmed: bool,
    ) -> Result<()> {
        let user = self.account(ctx, id).await?;
        ctx.require_confirmed(
            confirmed,
            "重置后该账号立即退出，须用新的初始密码登录并改密",
        )?;
        self.store()
            .reset_password(user.id, password, &ctx.actor(), ctx.now)
            .await?;
        Ok(())
    }

    /// Creates an account in a division the principal keeps.
    pub async fn create_account(&self, ctx: &Context, new: &NewUser) -> Result<i64> {
        ctx.require(&Action::ManageUsers)?;
        if !ctx.principal.reaches(&new.division) {
            return Err(AppError::invalid_field(
                "division",
                format!("不能在 {} 之外建立账号", ctx.principal.division),
            ));
        }
        Ok(self.store().create_user(new, &ctx.actor(), ctx.now).await?)
    }

    /// Disables (once confirmed) or enables an account the principal keeps; one it
    /// does not keep is not found.
    pub async fn set_account_disabled(
        &self,
        ctx: &Context,
        id: i64,
        disabled: bool,
        confirmed: bool,
    ) -> Result<()> {
        let user = self.account(ctx, id).await?;
        if disabled {
            ctx.require_confirmed(confirmed, "停用后该账号立即退出、不能再登录")?;
        }
        self.store()
            .set_user_disabled(user.id, disabled, &ctx.actor(), ctx.now)
            .await?;
        Ok(())
    }
}

/// Which accounts the list shows: a part of the username or name, a role, a state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountQuery {
    pub text: String,
    pub role: Option<Role>,
    pub state: Option<AccountState>,
}

/// An account's state as the list filters it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountState {
    Active,
    /// Still to change the initial password.
    Initial,
    Disabled,
}

impl AccountState {
    pub const ALL: &[AccountState] = &[Self::Active, Self::Initial, Self::Disabled];

    pub fn code(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Initial => "initial",
            Self::Disabled => "disabled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Active => "正常",
            Self::Initial => "待首次登录改密",
            Self::Disabled => "已停用",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|s| s.code() == code)
    }

    pub fn of(u: &User) -> Self {
        if u.disabled {
            Self::Disabled
        } else if u.must_change_password {
            Self::Initial
        } else {
            Self::Active
        }
    }
}

impl AccountQuery {
    pub fn matches(&self, u: &User) -> bool {
        let text = self.text.trim();
        let text_ok = text.is_empty()
            || u.username.to_lowercase().contains(&text.to_lowercase())
            || u.display_name.contains(text)
            || u.inspector_id.as_deref().is_some_and(|i| i.contains(text));
        text_ok
            && self.role.is_none_or(|r| r == u.role)
            && self.state.is_none_or(|s| s == AccountState::of(u))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use liancha_domain::org::DivisionCode;

    fn user(username: &str, name: &str, role: Role, disabled: bool, initial: bool) -> User {
        User {
            id: 1,
            division: DivisionCode::parse("532323").unwrap(),
            username: username.into(),
            display_name: name.into(),
            role,
            department: None,
            township: None,
            inspector_id: None,
            must_change_password: initial,
            locked_until: None,
            disabled,
        }
    }

    #[test]
    fn a_query_matches_by_part_of_the_name_role_and_state() {
        let zhang = user("Zhang.Wei", "张伟", Role::Inspector, false, false);
        let q = |text: &str, role, state| AccountQuery {
            text: text.into(),
            role,
            state,
        };
        assert!(q("", None, None).matches(&zhang));
        assert!(q("zhang", None, None).matches(&zhang), "username, any case");
        assert!(q(" 张 ", None, None).matches(&zhang), "name, trimmed");
        assert!(!q("李", None, None).matches(&zhang));
        assert!(q("", Some(Role::Inspector), None).matches(&zhang));
        assert!(!q("", Some(Role::Admin), None).matches(&zhang));
        assert!(q("", None, Some(AccountState::Active)).matches(&zhang));
        assert!(!q("", None, Some(AccountState::Disabled)).matches(&zhang));
        let off = user("li", "李娜", Role::Admin, true, true);
        assert_eq!(AccountState::of(&off), AccountState::Disabled);
        let new = user("wang", "王芳", Role::Admin, false, true);
        assert_eq!(AccountState::of(&new), AccountState::Initial);
        for s in AccountState::ALL {
            assert_eq!(AccountState::from_code(s.code()), Some(*s));
        }
    }
}
