//! The reviewer's sheet of a task: every visit with each item's result on one page,
//! filtered to what needs attention, so that a reviewer does not open every visit.

use liancha_domain::RiskClass;
use liancha_domain::auth::Role;
use liancha_domain::workflow::{ResultCategory, VisitState};
use liancha_store::results::ItemResult;
use liancha_store::tasks::{Task, Visit};

use crate::review::review_department;
use crate::tasks::may_read_whole_task;
use crate::{App, AppError, Context, Result};

/// Which visits the sheet shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SheetFilter {
    #[default]
    All,
    /// Visits with a problem in any item (发现问题).
    Problems,
    /// Submitted and waiting for review.
    Submitted,
    /// Returned to the team and not yet submitted again.
    Returned,
    /// Not yet submitted (pending, returned).
    Open,
}

impl SheetFilter {
    pub const ALL: &'static [SheetFilter] = &[
        SheetFilter::All,
        SheetFilter::Problems,
        SheetFilter::Submitted,
        SheetFilter::Returned,
        SheetFilter::Open,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|f| f.code() == s)
    }

    pub fn code(self) -> &'static str {
        match self {
            SheetFilter::All => "",
            SheetFilter::Problems => "problems",
            SheetFilter::Submitted => "submitted",
            SheetFilter::Returned => "returned",
            SheetFilter::Open => "open",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SheetFilter::All => "全部",
            SheetFilter::Problems => "发现问题",
            SheetFilter::Submitted => "待审核",
            SheetFilter::Returned => "已退回",
            SheetFilter::Open => "未提交",
        }
    }

    fn keeps(self, line: &SheetLine) -> bool {
        match self {
            SheetFilter::All => true,
            SheetFilter::Problems => line.has_problem,
            SheetFilter::Submitted => line.visit.state == VisitState::Submitted,
            SheetFilter::Returned => line.visit.state == VisitState::Returned,
            SheetFilter::Open => {
                matches!(line.visit.state, VisitState::Pending | VisitState::Returned)
            }
        }
    }
}

/// One visit on the sheet.
#[derive(Debug, Clone)]
pub struct SheetLine {
    pub visit: Visit,
    pub risk_class: Option<RiskClass>,
    /// The task's items in order, each with its result if entered.
    pub results: Vec<(String, Option<ItemResult>)>,
    pub has_problem: bool,
    /// The reviewer may return this visit to its team.
    pub returnable: bool,
}

/// The sheet: the task, the lines the filter keeps, and how many lines each filter
/// would keep.
#[derive(Debug, Clone)]
pub struct ReviewSheet {
    pub task: Task,
    pub lines: Vec<SheetLine>,
    pub counts: Vec<(SheetFilter, usize)>,
    /// The department whose items the principal reviews, if any.
    pub review_department: Option<String>,
}

/// Whether the principal reads task `task`'s review sheet: staff who read the whole
/// task. Never an inspector: the sheet holds every team's findings, which stay
/// staff-only after publication too; an inspector reads their own team's visits.
pub fn may_read_review_sheet(ctx: &Context, task: &Task) -> bool {
    ctx.principal.role != Role::Inspector && may_read_whole_task(ctx, task)
}

impl App {
    /// Task `id`'s sheet for the staff who read the whole task; never an inspector,
    /// who sees their own team's visits on the task page.
    pub async fn review_sheet(
        &self,
        ctx: &Context,
        id: i64,
        filter: SheetFilter,
    ) -> Result<ReviewSheet> {
        let (task, scope) = self.task_access(ctx, id).await?;
        if !may_read_review_sheet(ctx, &task) {
            return Err(AppError::Forbidden);
        }
        let county = self.county(ctx);
        let visits = county.visits(id).await?;
        let mut results = county.task_results(id).await?;
        let classes = county.visit_risk_classes(id).await?;
        let reviewer = review_department(ctx, &scope.departments);
        let lines: Vec<SheetLine> = visits
            .into_iter()
            // Replaced and unassigned visits have no results to review.
            .filter(|v| v.team_no.is_some() && v.state != VisitState::Replaced)
            .map(|visit| {
                let mut mine = results.remove(&visit.entity_id).unwrap_or_default();
                let results: Vec<(String, Option<ItemResult>)> = task
                    .items
                    .iter()
                    .map(|i| (i.code.clone(), mine.remove(&i.code)))
                    .collect();
                let has_problem = results.iter().any(|(_, r)| {
                    r.as_ref().is_some_and(|r| {
                        r.categories.iter().any(|c| ResultCategory::is_problem(*c))
                    })
                });
                SheetLine {
                    risk_class: classes.get(&visit.entity_id).copied(),
                    returnable: reviewer.is_some() && visit.state == VisitState::Submitted,
                    visit,
                    results,
                    has_problem,
                }
            })
            .collect();
        let counts = SheetFilter::ALL
            .iter()
            .map(|f| (*f, lines.iter().filter(|l| f.keeps(l)).count()))
            .collect();
        Ok(ReviewSheet {
            lines: lines.into_iter().filter(|l| filter.keeps(l)).collect(),
            counts,
            review_department: reviewer,
            task,
        })
    }
}
