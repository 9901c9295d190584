//! 信用修复 and 异议: the entity applies to leave a credit list (through its code, or
//! on paper at the department) and objects to a published result; the department
//! that listed it, or whose item the result is, decides with reasons.

use liancha_domain::auth::Action;
use liancha_domain::credit_repair::{
    Objection, RepairApplication, RepairError, RepairSource, decision_reason, written_reason,
};
use liancha_domain::workflow::{CreditList, ResultCategory, check_categories};
use liancha_store::results::{CreditRepair, ResultObjection};

use crate::{App, AppError, Context, Result};

fn refused(e: RepairError) -> AppError {
    AppError::invalid_field(e.field, e.message)
}

/// An application as the entity's form gave it: the listing (`proposal`) and its
/// list, the grounds ticked, what was done, who to call.
#[derive(Debug, Clone, Copy)]
pub struct RepairForm<'a> {
    pub proposal: i64,
    pub list: &'a str,
    pub grounds: &'a [String],
    pub statement: &'a str,
    pub contact: &'a str,
}

/// What a department does with an objection.
#[derive(Debug, Clone)]
pub enum ObjectionAnswer {
    /// The result stands; the reply says why.
    Uphold { reply: String },
    /// The result of `item` becomes `categories` (and `findings`); `reason` is shown
    /// on the public result beside it.
    Correct {
        item: String,
        categories: Vec<String>,
        findings: String,
        reason: String,
        /// The form's confirmation box: a correction is public at once and final.
        confirmed: bool,
    },
}

impl App {
    /// The entity applies, through the code of one of its visits, to leave the list
    /// that `form.proposal` put it on.
    pub async fn apply_credit_repair_by_code(
        &self,
        code: &str,
        form: &RepairForm<'_>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<i64> {
        let list = CreditList::from_code(form.list)
            .ok_or_else(|| AppError::invalid_field("grounds", "请选择要申请移出的名单"))?;
        let application =
            RepairApplication::parse(list, form.grounds, form.statement, form.contact)
                .map_err(refused)?;
        let (code, county) = self.visit_code(code).await?;
        Ok(self
            .entity_county(&county)
            .apply_credit_repair_by_code(&code, form.proposal, &application, now)
            .await?)
    }

    /// The listing department registers an application handed in on paper (or
    /// starts the repair itself).
    pub async fn register_credit_repair(
        &self,
        ctx: &Context,
        proposal_id: i64,
        grounds: &[String],
        statement: &str,
        contact: &str,
    ) -> Result<i64> {
        let proposal = self
            .county(ctx)
            .credit_proposal(proposal_id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("信用名单建议 {proposal_id}")))?;
        ctx.require(&Action::ManageFollowUp {
            department: &proposal.department,
        })?;
        let application = RepairApplication::parse(proposal.list, grounds, statement, contact)
            .map_err(refused)?;
        Ok(self
            .county(ctx)
            .apply_credit_repair(
                &proposal.entity_id,
                proposal_id,
                &application,
                RepairSource::Department,
                &ctx.actor(),
                ctx.now,
            )
            .await?)
    }

    /// Applications for the principal's department's listings (all of the county's
    /// for whoever reads every department's follow-up).
    pub async fn credit_repairs(
        &self,
        ctx: &Context,
        department: Option<&str>,
    ) -> Result<Vec<CreditRepair>> {
        Ok(self.county(ctx).credit_repairs(department).await?)
    }

    /// The listing department decides: granted, the entity leaves the list at once
    /// (and its risk class returns, unless another listing stands); refused, with
    /// the reason the applicant reads. Returns whether the flag was cleared.
    pub async fn decide_credit_repair(
        &self,
        ctx: &Context,
        id: i64,
        grant: bool,
        reason: &str,
        confirmed: bool,
    ) -> Result<bool> {
        let repair = self
            .county(ctx)
            .credit_repair(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("信用修复申请 {id}")))?;
        ctx.require(&Action::ManageFollowUp {
            department: &repair.department,
        })?;
        let reason = decision_reason(grant, reason).map_err(refused)?;
        ctx.require_confirmed(
            confirmed,
            if grant {
                "准予修复即移出名单，记入透明日志，不能撤回"
            } else {
                "不予修复的决定和理由将告知申请人"
            },
        )?;
        Ok(self
            .county(ctx)
            .decide_credit_repair(id, grant, &reason, &ctx.actor(), ctx.now)
            .await?)
    }

    /// The entity objects to the published result of the visit of `code`.
    pub async fn object_to_result(
        &self,
        code: &str,
        department: &str,
        text: &str,
        contact: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<i64> {
        let objection = Objection::parse(department, text, contact).map_err(refused)?;
        let (code, county) = self.visit_code(code).await?;
        Ok(self
            .entity_county(&county)
            .object_to_result(&code, &objection, now)
            .await?)
    }

    /// Objections to results holding items of `department` (all for `None`).
    pub async fn objections(
        &self,
        ctx: &Context,
        department: Option<&str>,
    ) -> Result<Vec<ResultObjection>> {
        Ok(self.county(ctx).objections(department).await?)
    }

    /// Whether the principal answers objections to results of its department.
    pub fn may_answer_objections(&self, ctx: &Context) -> bool {
        ctx.principal
            .department
            .as_deref()
            .is_some_and(|d| ctx.may(&Action::ReviewResults { department: d }))
    }

    /// A department whose items the visit holds answers an objection: the result
    /// stands, or it corrects one of its own items.
    pub async fn answer_objection(
        &self,
        ctx: &Context,
        id: i64,
        answer: ObjectionAnswer,
    ) -> Result<()> {
        let objection = self
            .county(ctx)
            .objection(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("异议 {id}")))?;
        let department = ctx.principal.department.clone().unwrap_or_default();
        ctx.require(&Action::ReviewResults {
            department: &department,
        })?;
        if objection.department != department {
            return Err(AppError::Forbidden);
        }
        let county = self.county(ctx);
        match answer {
            ObjectionAnswer::Uphold { reply } => {
                let reply = written_reason(&reply, "请写明维持原结果的理由，企业将看到")
                    .map_err(refused)?;
                county
                    .answer_objection(id, &department, &reply, None, &ctx.actor(), ctx.now)
                    .await?;
            }
            ObjectionAnswer::Correct {
                item,
                categories,
                findings,
                reason,
                confirmed,
            } => {
                let reason =
                    written_reason(&reason, "请写明更正理由，公示结果旁将显示").map_err(refused)?;
                let mut parsed = Vec::new();
                for c in &categories {
                    let c = ResultCategory::from_code(c).ok_or_else(|| {
                        AppError::invalid_field("categories", "检查结果不在结果分类之中")
                    })?;
                    if !parsed.contains(&c) {
                        parsed.push(c);
                    }
                }
                parsed.sort();
                check_categories(&parsed)
                    .map_err(|e| AppError::invalid_field("categories", e.to_string()))?;
                ctx.require_confirmed(confirmed, "更正后的结果立即公示并记入透明日志，不能撤回")?;
                let findings = liancha_domain::text::bounded_text(
                    findings.trim(),
                    liancha_domain::text::FREE_TEXT,
                )
                .map_err(|e| AppError::invalid_field("findings", format!("检查情况：{e}")))?
                .to_string();
                county
                    .answer_objection(
                        id,
                        &department,
                        &reason,
                        Some((item.as_str(), &parsed, findings.as_str())),
                        &ctx.actor(),
                        ctx.now,
                    )
                    .await?;
            }
        }
        Ok(())
    }
}
