//! Campaigns (专项整治) set by a prefecture or the province across its counties: each
//! county gets its own draft task, led by its own department for the domain, and
//! works it as any other; the office follows each county's task.

use liancha_domain::auth::Action;
use liancha_domain::org::Division;
use liancha_store::campaigns::{Campaign, NewCampaign};
use liancha_store::tasks::{Task, VisitProgress};

use crate::{App, AppError, Context, Result};

impl App {
    /// Sets a campaign for `counties` below the principal's office, once confirmed
    /// (`confirmed`: it cannot be withdrawn). Each county's task
    /// is led by the department that leads the domain's joint item list there (else
    /// its first department of the domain).
    pub async fn create_campaign(
        &self,
        ctx: &Context,
        mut campaign: NewCampaign,
        counties: &[Division],
        confirmed: bool,
    ) -> Result<i64> {
        ctx.require(&Action::SetCampaign)?;
        ctx.require_confirmed(
            confirmed,
            "下达后各县（市、区）即各得一项草稿任务，专项不能撤回",
        )?;
        campaign.division = ctx.principal.division.clone();
        campaign.counties.clear();
        for county in counties {
            if !ctx.principal.reaches(&county.code) || county.code == ctx.principal.division {
                return Err(AppError::Forbidden);
            }
            let c = self.county_below(ctx, &county.code)?;
            let lead = match c
                .joint_item_lists(false)
                .await?
                .into_iter()
                .find(|l| l.domain == campaign.domain && l.published)
            {
                Some(l) => l.lead_department,
                None => c
                    .departments()
                    .await?
                    .into_iter()
                    .find(|d| d.domain == campaign.domain)
                    .map(|d| d.code)
                    .ok_or_else(|| {
                        AppError::invalid_field(
                            "counties",
                            format!("{}没有{}领域的部门", county.name, campaign.domain.label()),
                        )
                    })?,
            };
            campaign.counties.push((county.code.clone(), lead));
        }
        Ok(self
            .store()
            .create_campaign(&campaign, &ctx.actor(), ctx.now)
            .await?)
    }

    /// The campaigns of the principal's office (and the offices below it).
    pub async fn campaigns(&self, ctx: &Context) -> Result<Vec<Campaign>> {
        ctx.require(&Action::ReadOversight)?;
        Ok(self.store().campaigns(&ctx.principal.division).await?)
    }

    /// A campaign of the principal's office, with each county's task of it and how far
    /// its visits are.
    pub async fn campaign(
        &self,
        ctx: &Context,
        id: i64,
    ) -> Result<(Campaign, Vec<(String, Task, VisitProgress)>)> {
        ctx.require(&Action::ReadOversight)?;
        let campaign = self
            .store()
            .campaign(id)
            .await?
            .filter(|c| ctx.principal.reaches(&c.division))
            .ok_or_else(|| AppError::NotFound(format!("专项 {id}")))?;
        let mut tasks = Vec::new();
        for county in &campaign.counties {
            let c = self.county_below(ctx, county)?;
            for t in c
                .tasks(&liancha_store::tasks::TaskFilter {
                    campaign: Some(id),
                    ..Default::default()
                })
                .await?
            {
                let progress = c.visit_progress(t.id).await?;
                tasks.push((county.to_string(), t, progress));
            }
        }
        Ok((campaign, tasks))
    }

    /// The campaign a task (already read in its county) belongs to, if any.
    pub async fn campaign_of(&self, task: &Task) -> Result<Option<Campaign>> {
        match task.campaign_id {
            None => Ok(None),
            Some(id) => Ok(self.store().campaign(id).await?),
        }
    }
}
