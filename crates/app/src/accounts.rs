//! Accounts across the levels: a county's administrator keeps its county's accounts,
//! a province's or prefecture's administrator those of the divisions below it (the
//! first administrator of a new county among them). Nobody reaches an account outside
//! their own division: to them it does not exist.

use liancha_domain::auth::Action;
use liancha_store::accounts::{NewUser, User};

use crate::{App, AppError, Context, Result};

impl App {
    /// The accounts the principal keeps: those of its division and below.
    pub async fn accounts(&self, ctx: &Context) -> Result<Vec<User>> {
        ctx.require(&Action::ManageUsers)?;
        Ok(self.store().users(&ctx.principal.division).await?)
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
        ctx.require(&Action::ManageUsers)?;
        let user = self
            .store()
            .user(id)
            .await?
            .filter(|u| ctx.principal.reaches(&u.division))
            .ok_or_else(|| AppError::NotFound(format!("用户 {id}")))?;
        if disabled {
            ctx.require_confirmed(confirmed, "停用后该账号立即退出、不能再登录")?;
        }
        self.store()
            .set_user_disabled(user.id, disabled, &ctx.actor(), ctx.now)
            .await?;
        Ok(())
    }
}
