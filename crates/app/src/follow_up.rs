//! After publication: the departments' follow-up work and their decisions on credit
//! list proposals. Each is the responsible department's alone.

use chrono::NaiveDate;
use liancha_domain::auth::{Action, Role};
use liancha_domain::workflow::FollowUpKind;

use crate::{App, AppError, Context, Result};

/// What a department does with one of its follow-ups.
#[derive(Debug, Clone)]
pub enum FollowUpChange {
    Update {
        kind: FollowUpKind,
        due_on: Option<NaiveDate>,
        target_department: Option<String>,
        note: String,
    },
    /// 办结: final; a closed follow-up is not reopened, so the clerk confirms it.
    Close { note: String, confirmed: bool },
}

/// Whose department-wide lists (follow-ups, targeted inspections, conflicts) the
/// principal reads: `None` for all departments (admin, coordinator, oversight), the
/// own department for a department admin; anyone else is refused.
pub fn department_view(ctx: &Context) -> Result<Option<String>> {
    match ctx.principal.role {
        Role::DepartmentAdmin => Ok(ctx.principal.department.clone()),
        Role::Admin | Role::Coordinator | Role::Oversight => Ok(None),
        _ => Err(AppError::Forbidden),
    }
}

impl App {
    pub async fn change_follow_up(
        &self,
        ctx: &Context,
        id: i64,
        change: FollowUpChange,
    ) -> Result<()> {
        let item = self
            .county(ctx)
            .follow_up(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("后续处置 {id}")))?;
        // A follow-up's department never changes, so it can be read before the change.
        ctx.require(&Action::ManageFollowUp {
            department: &item.department,
        })?;
        let (actor, now) = (ctx.actor(), ctx.now);
        match change {
            FollowUpChange::Close { note, confirmed } => {
                ctx.require_confirmed(confirmed, "办结后该处置不能重新打开")?;
                self.county(ctx)
                    .close_follow_up(id, &note, &actor, now)
                    .await?
            }
            FollowUpChange::Update {
                kind,
                due_on,
                target_department,
                note,
            } => {
                self.county(ctx)
                    .update_follow_up(
                        id,
                        kind,
                        due_on,
                        target_department.as_deref(),
                        &note,
                        &actor,
                        now,
                    )
                    .await?
            }
        }
        Ok(())
    }

    /// The responsible department confirms (`confirm`) or rejects a credit list proposal;
    /// either decision is final, so either must be confirmed.
    pub async fn decide_credit(
        &self,
        ctx: &Context,
        id: i64,
        confirm: bool,
        note: &str,
        confirmed: bool,
    ) -> Result<()> {
        self.credit_proposal_to_manage(ctx, id).await?;
        ctx.require_confirmed(
            confirmed,
            if confirm {
                "列入名单将改变该主体的信用标记和风险分类"
            } else {
                "不予列入后该建议不能再列入"
            },
        )?;
        self.county(ctx)
            .decide_credit_proposal(id, confirm, note, &ctx.actor(), ctx.now)
            .await?;
        Ok(())
    }

    /// The responsible department takes an entity off the list one of its confirmed
    /// proposals put it on (移出名单: the entity corrected what led to it, or a credit
    /// repair decision says so), with the reason. Returns whether the entity's flag
    /// was cleared (it stays while another confirmed listing on that list stands).
    pub async fn remove_credit_listing(
        &self,
        ctx: &Context,
        id: i64,
        reason: &str,
        confirmed: bool,
    ) -> Result<bool> {
        self.credit_proposal_to_manage(ctx, id).await?;
        ctx.require_confirmed(
            confirmed,
            "移出记入透明日志，该主体的名单标记随之取消（另有同类列入仍有效的除外）",
        )?;
        Ok(self
            .county(ctx)
            .remove_credit_listing(id, reason, &ctx.actor(), ctx.now)
            .await?)
    }

    /// A credit proposal, if the principal's department is the one responsible.
    async fn credit_proposal_to_manage(
        &self,
        ctx: &Context,
        id: i64,
    ) -> Result<liancha_store::results::CreditProposal> {
        let proposal = self
            .county(ctx)
            .credit_proposal(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("信用名单建议 {id}")))?;
        ctx.require(&Action::ManageFollowUp {
            department: &proposal.department,
        })?;
        Ok(proposal)
    }
}
