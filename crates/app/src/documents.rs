//! The documents of a drawn task (检查通知书, 检查记录表): which of its visits the
//! principal may print, and what a notice says about each entity.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use liancha_domain::Item;
use liancha_domain::approval::ApprovalEvent;
use liancha_domain::auth::Role;
use liancha_domain::workflow::VisitState;
use liancha_store::tasks::{Task, TeamMember, Visit};

use crate::{App, AppError, Context, Result};

/// A task's 检查审批表: what its lead department asked to inspect, and what the
/// head decided.
pub struct ApprovalSheet {
    pub task: Task,
    /// The task's items with their legal basis, as a notice lists them.
    pub items: Vec<NoticeItem>,
    /// The last request and the decision on it (none yet: pending).
    pub steps: Vec<ApprovalEvent>,
}

/// The task's items in its order, each with its legal basis from the item list, and
/// how they are checked (each method once).
async fn items_with_basis(
    county: &liancha_store::County<'_>,
    task: &Task,
) -> Result<(Vec<NoticeItem>, Vec<liancha_domain::InspectionMethod>)> {
    let mut items = Vec::with_capacity(task.items.len());
    let mut methods = Vec::new();
    for i in &task.items {
        let listed: Option<Item> = county.item(&i.code).await?;
        for m in listed.iter().flat_map(|l| l.methods.iter()) {
            if !methods.contains(m) {
                methods.push(*m);
            }
        }
        items.push(NoticeItem {
            code: i.code.clone(),
            name: i.name.clone(),
            department: i.department.clone(),
            legal_basis: listed.map(|l| l.legal_basis).unwrap_or_default(),
        });
    }
    Ok((items, methods))
}

/// The visits of a task to print, with their teams.
pub struct Documents {
    pub task: Task,
    /// The visits a team makes, in draw order: every one, one team's, or one
    /// entity's; an inspector's own team's only.
    pub visits: Vec<Visit>,
    /// Each team's active members, the 组长 (the first drawn) first.
    pub teams: BTreeMap<i32, Vec<TeamMember>>,
    /// The day of the draw that chose the entities: the notices' date.
    pub issued: NaiveDate,
}

impl Documents {
    /// The members of the visit's team, 组长 first.
    pub fn team_of(&self, visit: &Visit) -> &[TeamMember] {
        visit
            .team_no
            .and_then(|t| self.teams.get(&t))
            .map_or(&[], Vec::as_slice)
    }
}

/// What a notice tells the entity beyond the task: each item's legal basis, and
/// how often it has been inspected this year against the cap.
pub struct NoticeFacts {
    /// The task's items, in its order, as the task has them, with each one's
    /// legal basis (抽查依据) from the item list (empty if the list lost it).
    pub items: Vec<NoticeItem>,
    /// How the items are checked, each once.
    methods: Vec<liancha_domain::InspectionMethod>,
    /// The rule book's cap on inspections of one entity a year.
    pub annual_cap: u32,
    /// Inspections of each entity in the task's year up to its draw, this one
    /// included: the same however late the notice is printed.
    pub counts: BTreeMap<String, i64>,
}

/// One item as a notice lists it.
pub struct NoticeItem {
    pub code: String,
    pub name: String,
    pub department: String,
    pub legal_basis: String,
}

impl NoticeFacts {
    pub fn count(&self, entity: &str) -> i64 {
        self.counts.get(entity).copied().unwrap_or(1).max(1)
    }

    /// How the items are checked, once each, in the items' order.
    pub fn methods(&self) -> Vec<liancha_domain::InspectionMethod> {
        self.methods.clone()
    }
}

impl App {
    /// The documents of task `id` the principal may print: `team` narrows them to a
    /// team's, `entity` to one entity's.
    pub async fn documents(
        &self,
        ctx: &Context,
        id: i64,
        team: Option<i32>,
        entity: Option<&str>,
    ) -> Result<Documents> {
        let (task, _) = self.task_access(ctx, id).await?;
        let Some(drawn_at) = task.drawn_at else {
            return Err(AppError::NotFound("该任务尚未抽取".into()));
        };
        let county = self.county(ctx);
        let mut teams: BTreeMap<i32, Vec<TeamMember>> = BTreeMap::new();
        for m in county
            .team_members(id)
            .await?
            .into_iter()
            .filter(|m| m.active)
        {
            teams.entry(m.team_no).or_default().push(m);
        }
        for members in teams.values_mut() {
            members.sort_by_key(|m| m.position);
        }
        let mut visits = county.visits(id).await?;
        visits.retain(|v| {
            v.team_no.is_some()
                && v.state != VisitState::Replaced
                && (team.is_none() || v.team_no == team)
                && entity.is_none_or(|e| v.entity_id == e)
        });
        if ctx.principal.role == Role::Inspector {
            let me = ctx.principal.inspector_id.clone().unwrap_or_default();
            visits.retain(|v| {
                v.team_no
                    .and_then(|t| teams.get(&t))
                    .is_some_and(|m| m.iter().any(|m| m.inspector_id == me))
            });
        }
        // The team prints its documents without the codes the entity holds.
        if !liancha_domain::check_in::sees_check_codes(ctx.principal.role) {
            for v in &mut visits {
                v.check_code.clear();
            }
        }
        if let Some(e) = entity
            && visits.is_empty()
        {
            return Err(AppError::NotFound(format!(
                "{e} 不是本任务由检查组检查的对象，或不由你所在的检查组检查"
            )));
        }
        Ok(Documents {
            task,
            visits,
            teams,
            issued: liancha_domain::calendar::china_date(drawn_at),
        })
    }

    /// Task `id`'s 检查审批表, to whoever reads the task: refused for a task never
    /// asked for (or sealed before approvals were kept) and for a draft changed
    /// since it was.
    pub async fn approval_sheet(&self, ctx: &Context, id: i64) -> Result<ApprovalSheet> {
        let (task, _) = self.task_access(ctx, id).await?;
        let county = self.county(ctx);
        let events = county.approvals(id).await?;
        // A plan never sealed (a draft, or one cancelled before sealing) is the one
        // approved only if unchanged since.
        let draft = task.committed_at.is_none();
        let Some(steps) = liancha_domain::approval::last_round(&events, task.version, draft) else {
            return Err(AppError::NotFound(
                if events.is_empty() {
                    "该任务没有检查审批记录：尚未报请审批，或在检查审批上线之前已封存"
                } else {
                    "任务报请审批之后又修改或取消了，没有可打印的检查审批表"
                }
                .into(),
            ));
        };
        let steps = steps.to_vec();
        let (items, _) = items_with_basis(&county, &task).await?;
        Ok(ApprovalSheet { task, items, steps })
    }

    /// What the notices of `task` say beyond the task itself.
    pub async fn notice_facts(&self, ctx: &Context, task: &Task) -> Result<NoticeFacts> {
        let county = self.county(ctx);
        let (items, methods) = items_with_basis(&county, task).await?;
        let Some(drawn_at) = task.drawn_at else {
            return Err(AppError::NotFound("该任务尚未抽取".into()));
        };
        // The cap the task was sealed under.
        let book = county.task_rule_book(task).await?;
        Ok(NoticeFacts {
            items,
            methods,
            annual_cap: book.book.annual_cap,
            counts: county
                .inspections_until(task.year, task.id, drawn_at)
                .await?,
        })
    }
}

/// The results of the visits whose results are published, for their 检查结果告知书.
pub struct ResultNotices {
    pub docs: Documents,
    /// Entity → item code → result, for each visit of `docs` (published only).
    pub results: BTreeMap<String, BTreeMap<String, liancha_store::results::ItemResult>>,
}

impl App {
    /// The 检查结果告知书 of task `id` the principal may print: only visits whose
    /// results are published (a result is told once it is final).
    pub async fn result_notices(
        &self,
        ctx: &Context,
        id: i64,
        team: Option<i32>,
        entity: Option<&str>,
    ) -> Result<ResultNotices> {
        let mut docs = self.documents(ctx, id, team, entity).await?;
        docs.visits.retain(|v| v.state == VisitState::Published);
        if docs.visits.is_empty() {
            return Err(AppError::NotFound(
                "没有结果已公示的检查对象：检查结果公示后才能出具检查结果告知书".into(),
            ));
        }
        let mut results = self.county(ctx).results_of_task(id).await?;
        results.retain(|e, _| docs.visits.iter().any(|v| &v.entity_id == e));
        Ok(ResultNotices { docs, results })
    }
}
