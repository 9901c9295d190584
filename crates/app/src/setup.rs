//! Setting up a county without editing code or files: an office above counties adds
//! a county (and its first administrator); the county's administrator adds its
//! townships and departments and sets its rule books and joint item lists.
//! Everything lands in the audit trail of the division it belongs to.

use chrono::NaiveDate;
use liancha_domain::auth::Action;
use liancha_domain::calendar::china_date;
use liancha_domain::org::Division;
use liancha_domain::{Department, JointItemList, RuleBook, Township};
use liancha_store::accounts::NewUser;

use crate::{App, AppError, Context, Result};

impl App {
    /// Adds a division below the principal's office, and for a county its first
    /// administrator (who must change the password at first sign-in): both or
    /// neither.
    pub async fn create_division(
        &self,
        ctx: &Context,
        division: &Division,
        admin: Option<&NewUser>,
    ) -> Result<()> {
        ctx.require(&Action::ManageDivisions)?;
        if division.code == ctx.principal.division || !ctx.principal.reaches(&division.code) {
            return Err(AppError::invalid_field(
                "code",
                format!("只能在 {} 之下建立行政区划", ctx.principal.division),
            ));
        }
        self.store()
            .add_division_with_admin(division, admin, &ctx.actor(), ctx.now)
            .await?;
        Ok(())
    }

    /// Registers a witness of the installation's transparency log by its public key
    /// (from `liancha witness key`); its name, as the key says it.
    pub async fn add_log_witness(&self, ctx: &Context, key: &str) -> Result<String> {
        ctx.require(&Action::ManageLog)?;
        Ok(self
            .store()
            .add_log_witness(key, &ctx.principal.division, &ctx.actor(), ctx.now)
            .await?)
    }

    /// Whether the county's announcements list each task's drawn entities from the
    /// draw on, rather than with the results.
    pub async fn set_announce_selection(&self, ctx: &Context, on: bool) -> Result<()> {
        ctx.require(&Action::ManageSettings)?;
        self.county(ctx)
            .set_announce_selection(on, &ctx.actor(), ctx.now)
            .await?;
        Ok(())
    }

    pub async fn add_township(&self, ctx: &Context, t: &Township) -> Result<()> {
        ctx.require(&Action::ManageSettings)?;
        self.county(ctx)
            .add_township(t, &ctx.actor(), ctx.now)
            .await?;
        Ok(())
    }

    pub async fn save_department(&self, ctx: &Context, d: &Department) -> Result<()> {
        ctx.require(&Action::ManageSettings)?;
        self.county(ctx)
            .save_department(d, &ctx.actor(), ctx.now)
            .await?;
        Ok(())
    }

    /// A new version of a domain's rule book, in force from `effective_from`: today
    /// or a later day (a rule book adopted now for the new year), never a past one,
    /// which would change what tasks already drafted were planned under. Returns the
    /// version's number.
    pub async fn save_rule_book(
        &self,
        ctx: &Context,
        r: &RuleBook,
        effective_from: NaiveDate,
        expected_version: Option<i64>,
    ) -> Result<i64> {
        ctx.require(&Action::ManageSettings)?;
        if let Some(m) = RuleBook::effective_from_problem(effective_from, china_date(ctx.now)) {
            return Err(AppError::invalid_field("effective_from", m));
        }
        Ok(self
            .county(ctx)
            .save_rule_book(r, effective_from, expected_version, &ctx.actor(), ctx.now)
            .await?)
    }

    /// Creates or replaces a joint item list of the county: its administrator any,
    /// a lead department its own (it drafts it, 「牵头部门会同有关部门拟定」, and
    /// corrects it when the 编办 sends it back).
    pub async fn save_joint_item_list(&self, ctx: &Context, l: &JointItemList) -> Result<()> {
        if !ctx.may(&Action::ManageSettings) {
            ctx.require(&Action::KeepDirectory {
                department: &l.lead_department,
            })?;
            let lists = self.county(ctx).joint_item_lists(false).await?;
            if let Some(old) = lists.iter().find(|o| o.code == l.code) {
                ctx.require(&Action::KeepDirectory {
                    department: &old.lead_department,
                })?;
            }
        }
        self.county(ctx)
            .save_joint_item_lists(std::slice::from_ref(l), &ctx.actor(), ctx.now)
            .await?;
        Ok(())
    }
}

impl App {
    /// Every department's numbering (机关代字 and agency code).
    pub async fn issuers(
        &self,
        ctx: &Context,
    ) -> Result<Vec<liancha_store::numbers::DepartmentIssuer>> {
        ctx.require(&Action::ReadDirectories)?;
        Ok(self.county(ctx).issuers().await?)
    }

    /// A department sets what its documents are numbered with; the county's
    /// administrator may set any department's.
    pub async fn set_issuer(
        &self,
        ctx: &Context,
        issuer: &liancha_store::numbers::DepartmentIssuer,
    ) -> Result<()> {
        ctx.require(&Action::KeepDirectory {
            department: &issuer.department,
        })?;
        Ok(self
            .county(ctx)
            .set_issuer(issuer, &ctx.actor(), ctx.now)
            .await?)
    }
}
