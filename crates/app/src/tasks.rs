//! A task's life before the visits: sealing the plan, witnesses, the reveal and
//! draw, substitutions and cancellation. Each is the task's managing department's
//! (or the coordinator's), at the version of the task the clerk's page showed.

use liancha_domain::auth::{Action, Role, TaskScope};
use liancha_domain::preview::StratumLine;
use liancha_domain::workflow::{ExclusionReason, SourceDecl, TaskState, WitnessRole};
use liancha_store::tasks::{NewTask, Task};

use crate::{App, AppError, Context, Result};

/// Which draw a substitution replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Substitution {
    Inspector,
    Entity,
}

/// Whether the principal may read the whole task's plan, exclusions and draw record
/// (every team's entities): everyone who reads the task, except an inspector before
/// the results are published, who sees only their own team's visits (the published
/// record is public anyway).
pub fn may_read_whole_task(ctx: &Context, task: &Task) -> bool {
    ctx.principal.role != Role::Inspector || task.state == TaskState::Published
}

/// The scope of a task led by `lead_department`, before it has items or teams: what
/// decides who may create it (the lead department's admin, or the coordinator).
fn led_by(lead_department: &str) -> TaskScope {
    TaskScope {
        lead_department: lead_department.to_string(),
        ..TaskScope::default()
    }
}

impl App {
    /// Whether the principal may create tasks (for its own department, or for any as
    /// the coordinator): whether the pages offer the form.
    pub fn may_create_task(&self, ctx: &Context) -> bool {
        let own = ctx.principal.department.as_deref().unwrap_or_default();
        self.may_create_task_for(ctx, own)
    }

    /// Whether the principal may create a task led by `lead_department`.
    pub fn may_create_task_for(&self, ctx: &Context, lead_department: &str) -> bool {
        ctx.may(&Action::ManageTask(&led_by(lead_department)))
    }

    pub async fn create_task(&self, ctx: &Context, task: &NewTask) -> Result<i64> {
        ctx.require(&Action::ManageTask(&led_by(&task.lead_department)))?;
        Ok(self
            .county(ctx)
            .create_task(task, &ctx.actor(), ctx.now)
            .await?)
    }

    /// The task as its form edits it: only before the plan is sealed.
    pub async fn editable_task(&self, ctx: &Context, id: i64) -> Result<Task> {
        let (task, scope) = self.task_access(ctx, id).await?;
        ctx.require(&Action::ManageTask(&scope))?;
        if !task.state.editable() {
            return Err(AppError::WrongState(format!(
                "任务处于「{}」状态，抽取方案已封存，不能修改",
                task.state.label()
            )));
        }
        Ok(task)
    }

    /// Changes a draft task, at the version the form showed. A department admin
    /// cannot hand its task to another department.
    pub async fn update_task(
        &self,
        ctx: &Context,
        id: i64,
        version: i32,
        task: &NewTask,
    ) -> Result<()> {
        self.require_manage(ctx, id).await?;
        ctx.require(&Action::ManageTask(&led_by(&task.lead_department)))?;
        self.county(ctx)
            .update_task(id, version, task, &ctx.actor(), ctx.now)
            .await?;
        Ok(())
    }

    /// The task with every team's part, if the principal may read all of it.
    pub async fn whole_task(&self, ctx: &Context, id: i64) -> Result<Task> {
        let (task, _) = self.task_access(ctx, id).await?;
        if !may_read_whole_task(ctx, &task) {
            return Err(AppError::Forbidden);
        }
        Ok(task)
    }

    async fn require_manage(&self, ctx: &Context, id: i64) -> Result<()> {
        let (_, scope) = self.task_access(ctx, id).await?;
        ctx.require(&Action::ManageTask(&scope))
    }

    /// The task's approval steps (检查审批), to whoever reads the task.
    pub async fn approvals(
        &self,
        ctx: &Context,
        id: i64,
    ) -> Result<Vec<liancha_domain::approval::ApprovalEvent>> {
        self.task_access(ctx, id).await?;
        Ok(self.county(ctx).approvals(id).await?)
    }

    /// Asks the lead department's head to approve the task at `version`: whoever
    /// manages it.
    pub async fn request_approval(&self, ctx: &Context, id: i64, version: i32) -> Result<()> {
        self.require_manage(ctx, id).await?;
        self.county(ctx)
            .request_approval(id, version, &ctx.actor(), ctx.now)
            .await?;
        Ok(())
    }

    /// Whether the principal is the head who decides on this task's approval.
    pub fn may_approve_task(&self, ctx: &Context, task: &Task) -> bool {
        ctx.may(&Action::ApproveTask {
            lead_department: &task.lead_department,
        })
    }

    /// The head's decision on the task's pending request (同意 or 不同意 with an
    /// opinion), at the version the head's page showed.
    pub async fn decide_approval(
        &self,
        ctx: &Context,
        id: i64,
        version: i32,
        approve: bool,
        opinion: &str,
    ) -> Result<()> {
        let (task, _) = self.task_access(ctx, id).await?;
        if !self.may_approve_task(ctx, &task) {
            return Err(AppError::Forbidden);
        }
        self.county(ctx)
            .decide_approval(
                id,
                version,
                &task.lead_department,
                approve,
                opinion,
                &ctx.actor(),
                ctx.now,
            )
            .await?;
        Ok(())
    }

    /// Tasks waiting for the principal's approval: a head's, of its department.
    pub async fn pending_approvals(
        &self,
        ctx: &Context,
    ) -> Result<Vec<liancha_store::tasks::PendingApproval>> {
        match (&ctx.principal.role, &ctx.principal.department) {
            (Role::DepartmentHead, Some(d)) if ctx.principal.in_county() => {
                Ok(self.county(ctx).pending_approvals(Some(d)).await?)
            }
            _ => Ok(Vec::new()),
        }
    }

    /// Seals the plan with its random sources, once the clerk has confirmed it.
    pub async fn commit(
        &self,
        ctx: &Context,
        id: i64,
        version: i32,
        sources: &[SourceDecl],
        confirmed: bool,
    ) -> Result<()> {
        self.require_manage(ctx, id).await?;
        ctx.require_confirmed(confirmed, "封存后抽取方案不可更改")?;
        self.county(ctx)
            .commit_task(id, version, sources, &ctx.actor(), ctx.now)
            .await?;
        Ok(())
    }

    /// Reveals the sources' values and draws, once the clerk has confirmed it.
    pub async fn draw(
        &self,
        ctx: &Context,
        id: i64,
        version: i32,
        reveal: &[String],
        confirmed: bool,
    ) -> Result<()> {
        self.require_manage(ctx, id).await?;
        ctx.require_confirmed(confirmed, "揭示值一经提交即完成抽取，结果不可撤销")?;
        self.county(ctx)
            .reveal_and_draw(id, version, reveal, &ctx.actor(), ctx.now)
            .await?;
        Ok(())
    }

    pub async fn add_witness(
        &self,
        ctx: &Context,
        id: i64,
        name: &str,
        role: WitnessRole,
        organisation: &str,
    ) -> Result<()> {
        self.require_manage(ctx, id).await?;
        self.county(ctx)
            .add_witness(id, name, role, organisation, &ctx.actor(), ctx.now)
            .await?;
        Ok(())
    }

    pub async fn cancel(&self, ctx: &Context, id: i64, version: i32, reason: &str) -> Result<()> {
        self.require_manage(ctx, id).await?;
        self.county(ctx)
            .cancel_task(id, version, reason, &ctx.actor(), ctx.now)
            .await?;
        Ok(())
    }

    /// Replaces a drawn inspector or entity by the next of the draw.
    pub async fn substitute(
        &self,
        ctx: &Context,
        id: i64,
        version: i32,
        kind: Substitution,
        who: &str,
        reason: &str,
    ) -> Result<()> {
        self.require_manage(ctx, id).await?;
        let (actor, now) = (ctx.actor(), ctx.now);
        match kind {
            Substitution::Inspector => {
                self.county(ctx)
                    .substitute_inspector(id, version, who, reason, &actor, now)
                    .await?;
            }
            Substitution::Entity => {
                self.county(ctx)
                    .substitute_entity(id, version, who, reason, &actor, now)
                    .await?;
            }
        }
        Ok(())
    }
}

/// What a task's draw takes: each risk class's population and quota, the entities of
/// the scope left out and why, and the inspectors to form teams from.
#[derive(Debug, Clone)]
pub struct DrawPreview {
    pub strata: Vec<StratumLine>,
    pub population: u64,
    pub quota: u64,
    /// Left out of the population, by reason (in Chinese), with how many.
    pub excluded: Vec<(&'static str, i64)>,
    pub inspectors: usize,
    pub conflicts: usize,
    /// The sealed plan's numbers (otherwise what sealing now would freeze).
    pub frozen: bool,
}

impl App {
    /// The draw preview of a task the principal reads whole (`None` for an
    /// inspector before publication, and for a task cancelled before sealing).
    pub async fn draw_preview(
        &self,
        ctx: &Context,
        task: &Task,
        scope: &TaskScope,
    ) -> Result<Option<DrawPreview>> {
        ctx.require(&Action::ReadTask(scope))?;
        if !may_read_whole_task(ctx, task) {
            return Ok(None);
        }
        let Some(p) = self.county(ctx).plan_preview(task, ctx.now).await? else {
            return Ok(None);
        };
        let strata = liancha_domain::preview::strata(&p.plan)
            .map_err(|e| AppError::invalid(format!("抽取方案不合规：{e}")))?;
        Ok(Some(DrawPreview {
            population: strata.iter().map(|s| s.population).sum(),
            quota: strata.iter().map(|s| s.quota).sum(),
            strata,
            excluded: p
                .excluded
                .iter()
                .map(|(code, n)| {
                    (
                        ExclusionReason::from_code(code).map_or("其他", ExclusionReason::label),
                        *n,
                    )
                })
                .collect(),
            inspectors: p.plan.inspectors.len(),
            conflicts: p.plan.conflicts.len(),
            frozen: p.frozen,
        }))
    }
}
