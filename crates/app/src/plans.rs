//! Annual plans (年度抽查工作计划): a domain's lead department (or the coordinator)
//! creates the year's plan, adds its planned tasks month by month and publishes it;
//! once published it does not change.

use liancha_domain::Domain;
use liancha_domain::auth::Action;
use liancha_store::plans::AnnualPlan;

use crate::{App, AppError, Context, Result};

/// A new annual plan as the form gives it.
#[derive(Debug, Clone)]
pub struct NewPlan {
    pub year: i32,
    pub domain: Domain,
    pub title: String,
    pub lead_department: String,
    /// The participating departments besides the lead.
    pub departments: Vec<String>,
}

/// A planned task of an annual plan.
#[derive(Debug, Clone)]
pub struct NewPlanEntry {
    pub month: u32,
    pub title: String,
    pub items: Vec<String>,
    pub scope: String,
}

impl App {
    /// Whether the principal may create plans and tasks at all (for any department):
    /// what decides whether the pages offer the form.
    pub fn may_plan(&self, ctx: &Context) -> bool {
        let own = ctx.principal.department.as_deref().unwrap_or_default();
        ctx.may(&Action::ManagePlans {
            lead_department: own,
        })
    }

    pub async fn create_plan(&self, ctx: &Context, plan: &NewPlan) -> Result<i64> {
        ctx.require(&Action::ManagePlans {
            lead_department: &plan.lead_department,
        })?;
        Ok(self
            .county(ctx)
            .create_annual_plan(
                plan.year,
                plan.domain,
                &plan.title,
                &plan.lead_department,
                &plan.departments,
                &ctx.actor(),
                ctx.now,
            )
            .await?)
    }

    /// The plan, to anyone who works in the county (plans are published anyway).
    pub async fn plan(&self, ctx: &Context, id: i64) -> Result<AnnualPlan> {
        self.county(ctx)
            .annual_plan(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("计划 {id}")))
    }

    /// Whether the principal manages this plan (adds entries, publishes).
    pub fn may_manage_plan(&self, ctx: &Context, plan: &AnnualPlan) -> bool {
        ctx.may(&Action::ManagePlans {
            lead_department: &plan.lead_department,
        })
    }

    /// The plan, if the principal manages it.
    pub async fn managed_plan(&self, ctx: &Context, id: i64) -> Result<AnnualPlan> {
        let plan = self.plan(ctx, id).await?;
        if !self.may_manage_plan(ctx, &plan) {
            return Err(AppError::Forbidden);
        }
        Ok(plan)
    }

    pub async fn add_plan_entry(&self, ctx: &Context, id: i64, e: &NewPlanEntry) -> Result<i64> {
        self.managed_plan(ctx, id).await?;
        Ok(self
            .county(ctx)
            .add_plan_entry(
                id,
                e.month,
                &e.title,
                &e.items,
                &e.scope,
                &ctx.actor(),
                ctx.now,
            )
            .await?)
    }

    /// Records (or corrects) the published plan's filing (备案) with the office
    /// above: the plan's managers.
    pub async fn file_plan(
        &self,
        ctx: &Context,
        id: i64,
        filed_with: &str,
        filed_on: &str,
        reference: &str,
    ) -> Result<()> {
        self.managed_plan(ctx, id).await?;
        self.county(ctx)
            .file_plan(id, filed_with, filed_on, reference, &ctx.actor(), ctx.now)
            .await?;
        Ok(())
    }

    pub async fn publish_plan(&self, ctx: &Context, id: i64) -> Result<()> {
        self.managed_plan(ctx, id).await?;
        self.county(ctx)
            .publish_annual_plan(id, &ctx.actor(), ctx.now)
            .await?;
        Ok(())
    }
}
