//! From the visit to publication: results entered by the team or by each department,
//! a department returning a visit or approving its items' results, the lead
//! department publishing.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use liancha_domain::InspectionMethod;
use liancha_domain::auth::{Action, Role, TaskScope};
use liancha_domain::check_points::{Answer, CheckPoint, propose, questions};
use liancha_domain::text::{FREE_TEXT, bounded_text};
use liancha_domain::workflow::{ResultCategory, TaskState, VisitState, check_categories};
use liancha_store::results::ItemResult;
use liancha_store::tasks::{Task, TaskItem, TeamMember, Visit};

use crate::{App, AppError, Context, Result};

/// A visit as one principal may see it.
#[derive(Debug, Clone)]
pub struct VisitAccess {
    pub task: Task,
    pub scope: TaskScope,
    pub visit: Visit,
    /// The visit's team as it stands (substituted members left out).
    pub team: Vec<TeamMember>,
}

/// What a principal can do on a visit's page.
#[derive(Debug, Clone)]
pub struct VisitView {
    pub access: VisitAccess,
    /// The items whose results the principal enters (see [`entry_items`]).
    pub entry_items: Vec<String>,
    /// The result form is open to the principal.
    pub editable: bool,
    /// Evidence can be attached.
    pub can_attach: bool,
    /// The department whose items' results the principal reviews, if any.
    pub review_department: Option<String>,
    /// The visits before and after this one in draw order, among those the principal
    /// opens (an inspector: their team's), as (entity id, name): to go from household
    /// to household entering paper forms or reviewing.
    pub previous: Option<(String, String)>,
    pub next: Option<(String, String)>,
    /// For whoever enters results: the next visit after this one (from the first
    /// again past the last) whose results are still to be entered, when it is not
    /// simply [`next`](Self::next).
    pub next_open: Option<(String, String)>,
}

/// The items whose results `ctx`'s principal enters on a visit of `task`: every item
/// for the visit's team (an inspector, whom [`App::visit_access`] has checked is on
/// it), their own department's items for other staff.
pub fn entry_items(ctx: &Context, task: &Task) -> Vec<String> {
    task.items
        .iter()
        .filter(|i| {
            enters_whole_visit(ctx) || Some(&i.department) == ctx.principal.department.as_ref()
        })
        .map(|i| i.code.clone())
        .collect()
}

/// Everything wrong with a result form, each with the form field it belongs to
/// (`inspected_on`, `cat_<item>`, `method_<item>`, `findings_<item>`), so that the
/// form can say all of it at once beside the fields; empty when the form is
/// complete. `entry` are the items the principal enters; `window` the days a visit
/// of the task can have happened on (its start to today in Beijing). The store checks
/// the same again when the results are written.
pub fn result_errors(
    items: &[TaskItem],
    entry: &[String],
    inspected_on: Option<NaiveDate>,
    window: (NaiveDate, NaiveDate),
    results: &[ItemResult],
) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    match inspected_on {
        None => errors.push((
            "inspected_on".into(),
            "请填写检查日期，如 2026-12-05".into(),
        )),
        // A task whose inspections start later takes no result yet, whatever the date.
        Some(_) if window.0 > window.1 => errors.push((
            "inspected_on".into(),
            format!("本任务 {} 开始检查，此前不能录入检查结果", window.0),
        )),
        Some(d) if d < window.0 || d > window.1 => errors.push((
            "inspected_on".into(),
            format!(
                "检查日期须在任务开始日期 {} 与今天（{}）之间",
                window.0, window.1
            ),
        )),
        Some(_) => {}
    }
    for item in items.iter().filter(|i| entry.contains(&i.code)) {
        let r = results.iter().find(|r| r.item_code == item.code);
        let categories = r.map(|r| r.categories.as_slice()).unwrap_or_default();
        if let Err(e) = check_categories(categories) {
            errors.push((format!("cat_{}", item.code), e.to_string()));
        }
        if r.is_none_or(|r| r.methods.is_empty()) {
            errors.push((format!("method_{}", item.code), "请选择检查方式".into()));
        }
        if let Some(r) = r
            && let Err(e) = bounded_text(&r.findings, FREE_TEXT)
        {
            errors.push((format!("findings_{}", item.code), e.to_string()));
        }
    }
    errors
}

/// 「按要点填入结果」: the results the check points' answers propose for every item
/// the principal enters that has points, the other items' results as posted.
/// Every question of those items must be answered first: the unanswered ones come
/// back as errors on their fields (`pt_<code>`), so the form says which.
pub fn results_from_points(
    entry: &[String],
    points: &[CheckPoint],
    answers: &BTreeMap<String, Answer>,
    posted: Vec<ItemResult>,
) -> std::result::Result<Vec<ItemResult>, Vec<(String, String)>> {
    let unanswered: Vec<(String, String)> = questions(entry, points)
        .iter()
        .filter(|q| !answers.contains_key(q.code))
        .map(|q| {
            (
                format!("pt_{}", q.code),
                "请选择“符合”“不符合”或“不涉及”".to_string(),
            )
        })
        .collect();
    if !unanswered.is_empty() {
        return Err(unanswered);
    }
    Ok(posted
        .into_iter()
        .map(|r| {
            if !entry.contains(&r.item_code) {
                return r;
            }
            match propose(&r.item_code, points, answers) {
                Some(p) => {
                    let own: Vec<&CheckPoint> =
                        points.iter().filter(|p| p.item == r.item_code).collect();
                    merge(r, p, &own)
                }
                None => r,
            }
        })
        .collect())
}

/// A proposal over what the inspector already entered: what the points decide is
/// the answers' (a point's problem and cited line go when it now complies), the rest
/// stays theirs: problems ticked by hand that no point of the item proposes (a problem
/// outside the points), methods ticked (the points' are added), typed findings (the
/// cited lines not yet in them follow). With no problem at all, the proposal's 未发现
/// 问题 (or 未发现开展…).
fn merge(
    r: ItemResult,
    p: liancha_domain::check_points::Proposal,
    own: &[&CheckPoint],
) -> ItemResult {
    // A point that no longer fails takes back only what it had put in: its cited
    // line where the findings still hold it, and with it its category (unless the
    // answers still propose it). Anything else stays the inspector's.
    let withdrawn: Vec<&CheckPoint> = own
        .iter()
        .copied()
        .filter(|pt| {
            let cited = pt.cited();
            !p.findings.lines().any(|l| l == cited) && r.findings.lines().any(|l| l.trim() == cited)
        })
        .collect();
    let mut problems: Vec<ResultCategory> = r
        .categories
        .iter()
        .copied()
        .filter(|c| {
            c.is_problem()
                && (p.categories.contains(c) || !withdrawn.iter().any(|pt| pt.fail_category == *c))
        })
        .collect();
    for c in p.categories.iter().filter(|c| c.is_problem()) {
        if !problems.contains(c) {
            problems.push(*c);
        }
    }
    let categories = if problems.is_empty() {
        p.categories
    } else {
        problems
    };
    let mut methods = r.methods;
    for m in p.methods {
        if !methods.contains(&m) {
            methods.push(m);
        }
    }
    let mut findings = r
        .findings
        .lines()
        .filter(|l| !withdrawn.iter().any(|pt| pt.cited() == l.trim()))
        .collect::<Vec<_>>()
        .join("\n")
        .trim_end()
        .to_string();
    for line in p.findings.lines() {
        if findings.contains(line) {
            continue;
        }
        if !findings.is_empty() {
            findings.push('\n');
        }
        findings.push_str(line);
    }
    ItemResult {
        item_code: r.item_code,
        categories,
        methods,
        findings,
    }
}

/// 「全部未发现问题」: every item the form carries marked 未发现问题, its ticked
/// methods kept (实地检查 when none is ticked); refused, naming the item, when another
/// category is ticked or findings are written, so that a slip of the finger never
/// overwrites a problem entered on the same form.
pub fn all_clear(
    results: Vec<ItemResult>,
    name: impl Fn(&str) -> String,
) -> Result<Vec<ItemResult>> {
    results
        .into_iter()
        .map(|mut r| {
            if r.categories.iter().any(|c| *c != ResultCategory::NoProblem)
                || !r.findings.trim().is_empty()
            {
                return Err(AppError::invalid_field(
                    "all_clear",
                    format!(
                        "事项「{}」已勾选其他检查结果，不能一键标为未发现问题；请逐项提交",
                        name(&r.item_code)
                    ),
                ));
            }
            r.categories = vec![ResultCategory::NoProblem];
            if r.methods.is_empty() {
                r.methods = vec![InspectionMethod::OnSite];
            }
            r.findings.clear();
            Ok(r)
        })
        .collect()
}

/// The visit's team enters all of it at once; anyone else enters department by
/// department (from the paper forms of a joint visit).
fn enters_whole_visit(ctx: &Context) -> bool {
    ctx.principal.role == Role::Inspector
}

/// Whether the principal may enter results of the visit now: a drawn task, a visit
/// not yet submitted (or returned), a role that records results, and items of its own.
fn editable(ctx: &Context, access: &VisitAccess, entry_items: &[String]) -> bool {
    access.task.state == TaskState::Drawn
        && matches!(
            access.visit.state,
            VisitState::Pending | VisitState::Returned
        )
        && ctx.may(&Action::RecordResults(&access.scope))
        && !entry_items.is_empty()
}

/// The department whose results the principal reviews in a task with `departments`.
pub fn review_department(ctx: &Context, departments: &[String]) -> Option<String> {
    ctx.principal
        .department
        .clone()
        .filter(|d| ctx.may(&Action::ReviewResults { department: d }) && departments.contains(d))
}

impl App {
    /// The task, if the principal may read it.
    pub async fn task_access(&self, ctx: &Context, id: i64) -> Result<(Task, TaskScope)> {
        let task = self.county(ctx).task_or_404(id).await?;
        let scope = self.county(ctx).task_scope(&task).await?;
        ctx.require(&Action::ReadTask(&scope))?;
        Ok((task, scope))
    }

    /// The visit of `entity` in task `id`, if the principal may read it: an inspector
    /// only the visits of their own team.
    pub async fn visit_access(&self, ctx: &Context, id: i64, entity: &str) -> Result<VisitAccess> {
        let (task, scope) = self.task_access(ctx, id).await?;
        let visit = self
            .county(ctx)
            .visit(id, entity)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("{entity} 不是本任务的检查对象")))?;
        let team: Vec<TeamMember> = self
            .county(ctx)
            .team_members(id)
            .await?
            .into_iter()
            .filter(|m| m.active && Some(m.team_no) == visit.team_no)
            .collect();
        if ctx.principal.role == Role::Inspector {
            let me = ctx.principal.inspector_id.as_deref().unwrap_or_default();
            if !team.iter().any(|m| m.inspector_id == me) {
                return Err(AppError::Forbidden);
            }
        }
        Ok(VisitAccess {
            task,
            scope,
            visit,
            team,
        })
    }

    pub async fn visit_view(&self, ctx: &Context, id: i64, entity: &str) -> Result<VisitView> {
        let access = self.visit_access(ctx, id, entity).await?;
        let entry_items = entry_items(ctx, &access.task);
        let may_record = ctx.may(&Action::RecordResults(&access.scope));
        let drawn = access.task.state == TaskState::Drawn;
        let editable = editable(ctx, &access, &entry_items);
        let can_attach = drawn
            && matches!(
                access.visit.state,
                VisitState::Pending | VisitState::Returned | VisitState::Submitted
            )
            && may_record;
        let review_department = review_department(ctx, &access.scope.departments);
        let here = access.visit.draw_order;
        let team = access.visit.team_no;
        let inspector = ctx.principal.role == Role::Inspector;
        let around: Vec<(i32, String, String, VisitState)> = self
            .county(ctx)
            .visits(id)
            .await?
            .into_iter()
            .filter(|v| {
                v.team_no.is_some()
                    && v.state != VisitState::Replaced
                    && (!inspector || v.team_no == team)
            })
            .map(|v| (v.draw_order, v.entity_id, v.entity_name, v.state))
            .collect();
        let previous = around
            .iter()
            .filter(|(o, ..)| *o < here)
            .max_by_key(|(o, ..)| *o)
            .map(|(_, e, n, _)| (e.clone(), n.clone()));
        let next = around
            .iter()
            .filter(|(o, ..)| *o > here)
            .min_by_key(|(o, ..)| *o)
            .map(|(_, e, n, _)| (e.clone(), n.clone()));
        let next_open = if drawn && may_record && !entry_items.is_empty() {
            // A visit stays pending until every department has entered its items: a
            // department entering paper forms looks at its own items, the team at the
            // visit's state.
            let entered = if enters_whole_visit(ctx) {
                None
            } else {
                Some(self.county(ctx).task_results(id).await?)
            };
            let still_to_enter = |entity: &str, state: VisitState| match state {
                VisitState::Returned => true,
                VisitState::Pending => entered.as_ref().is_none_or(|r| {
                    let mine = r.get(entity);
                    entry_items
                        .iter()
                        .any(|i| mine.is_none_or(|m| !m.contains_key(i)))
                }),
                _ => false,
            };
            around
                .iter()
                .filter(|(o, e, _, state)| *o != here && still_to_enter(e, *state))
                // After this one first, then from the start again.
                .min_by_key(|(o, ..)| (*o < here, *o))
                .map(|(_, e, n, _)| (e.clone(), n.clone()))
                .filter(|open| Some(open) != next.as_ref())
        } else {
            None
        };
        Ok(VisitView {
            access,
            entry_items,
            editable,
            can_attach,
            review_department,
            previous,
            next,
            next_open,
        })
    }

    /// Saves the principal's result form of a visit as it stands (暂存), to finish
    /// later: only where they may enter results now and only their own items. Nothing
    /// else is checked, as a draft may be half filled; it is private to them and is
    /// no record of the inspection, so it writes no audit entry.
    pub async fn save_draft(
        &self,
        ctx: &Context,
        id: i64,
        entity: &str,
        inspected_on: &str,
        results: &[ItemResult],
        answers: &BTreeMap<String, Answer>,
    ) -> Result<()> {
        let access = self.visit_access(ctx, id, entity).await?;
        ctx.require(&Action::RecordResults(&access.scope))?;
        let own = entry_items(ctx, &access.task);
        if results.iter().any(|r| !own.contains(&r.item_code)) {
            return Err(AppError::Forbidden);
        }
        if !editable(ctx, &access, &own) {
            return Err(AppError::WrongState(
                "本户的检查结果已提交或任务不在检查阶段，不能暂存".into(),
            ));
        }
        for r in results {
            if r.findings.chars().count() > liancha_domain::text::FREE_TEXT.max_chars {
                return Err(AppError::invalid_field(
                    &format!("findings_{}", r.item_code),
                    format!(
                        "检查情况不能超过 {} 字",
                        liancha_domain::text::FREE_TEXT.max_chars
                    ),
                ));
            }
        }
        // A repeated box (a hand-made post) is kept once.
        let results: Vec<ItemResult> = results
            .iter()
            .map(|r| {
                let mut r = r.clone();
                let mut seen = Vec::new();
                r.categories.retain(|c| {
                    let new = !seen.contains(c);
                    seen.push(*c);
                    new
                });
                let mut seen = Vec::new();
                r.methods.retain(|m| {
                    let new = !seen.contains(m);
                    seen.push(*m);
                    new
                });
                r
            })
            .collect();
        let date: String = inspected_on.trim().chars().take(20).collect();
        // Only the points of the principal's own items, and a bounded number of them.
        let points = self.county(ctx).check_points(&own).await?;
        let answers: BTreeMap<String, Answer> = answers
            .iter()
            .filter(|(code, _)| points.iter().any(|p| &p.code == *code))
            .map(|(c, a)| (c.clone(), *a))
            .collect();
        self.county(ctx)
            .save_visit_draft(
                id,
                entity,
                ctx.principal.user_id,
                &liancha_store::drafts::DraftForm {
                    inspected_on: &date,
                    results: &results,
                    answers: &answers,
                },
                ctx.now,
            )
            .await?;
        Ok(())
    }

    /// The principal's own draft of a visit, while they may still enter its results.
    pub async fn own_draft(
        &self,
        ctx: &Context,
        id: i64,
        entity: &str,
    ) -> Result<Option<liancha_store::drafts::VisitDraft>> {
        self.visit_access(ctx, id, entity).await?;
        Ok(self
            .county(ctx)
            .visit_draft(id, entity, ctx.principal.user_id)
            .await?)
    }

    /// Enters results of a visit: the team enters every item and so submits the
    /// visit; a department's staff enter only their own items, and the visit is
    /// submitted once every item has its result, whoever entered it. A result for an
    /// item the principal does not enter is refused as forbidden, and nothing is saved.
    /// The team enters results of a visit it has checked in; a department entering
    /// a paper record of a visit never checked in gives `paper_reason`.
    pub async fn record_results(
        &self,
        ctx: &Context,
        id: i64,
        entity: &str,
        inspected_on: Option<NaiveDate>,
        results: &[ItemResult],
        paper_reason: Option<&str>,
    ) -> Result<VisitState> {
        let access = self.visit_access(ctx, id, entity).await?;
        ctx.require(&Action::RecordResults(&access.scope))?;
        let own = entry_items(ctx, &access.task);
        if let Some(r) = results.iter().find(|r| !own.contains(&r.item_code)) {
            tracing::warn!(user = %ctx.principal.username, task = id, item = %r.item_code,
                "result for another department's item refused");
            return Err(AppError::Forbidden);
        }
        let Some(inspected_on) = inspected_on else {
            return Err(AppError::invalid_field("inspected_on", "请填写检查日期"));
        };
        let (actor, now) = (ctx.actor(), ctx.now);
        let state = if enters_whole_visit(ctx) {
            self.county(ctx)
                .record_results(id, entity, inspected_on, results, &actor, now)
                .await
                .map(|()| VisitState::Submitted)?
        } else {
            let department = ctx.principal.department.as_deref().unwrap_or_default();
            self.county(ctx)
                .record_department_results(
                    id,
                    entity,
                    department,
                    paper_reason.filter(|r| !r.trim().is_empty()),
                    inspected_on,
                    results,
                    &actor,
                    now,
                )
                .await?
        };
        // The results are in: every draft of these items has served, the author's
        // and a teammate's alike (an older draft must not come back over them).
        // Losing this cleanup only leaves a draft, which the form then shows.
        let items: Vec<String> = results.iter().map(|r| r.item_code.clone()).collect();
        if let Err(e) = self
            .county(ctx)
            .drop_drafts_covering(id, entity, &items)
            .await
        {
            tracing::warn!(task = id, entity, error = %e, "draft not dropped");
        }
        Ok(state)
    }

    /// The principal's department returns a visit for its results to be entered again.
    pub async fn return_visit(
        &self,
        ctx: &Context,
        id: i64,
        entity: &str,
        note: &str,
    ) -> Result<()> {
        let department = self.reviewing_department(ctx)?;
        self.task_access(ctx, id).await?;
        self.county(ctx)
            .return_visit(id, entity, &department, note, &ctx.actor(), ctx.now)
            .await?;
        Ok(())
    }

    /// The principal's department approves the results of its items.
    pub async fn approve_results(&self, ctx: &Context, id: i64, confirmed: bool) -> Result<()> {
        let department = self.reviewing_department(ctx)?;
        self.task_access(ctx, id).await?;
        ctx.require_confirmed(confirmed, "审核通过后本部门事项的结果将随任务公示")?;
        self.county(ctx)
            .approve_results(id, &department, &ctx.actor(), ctx.now)
            .await?;
        Ok(())
    }

    /// The lead department publishes the task's results, at the version its page showed.
    pub async fn publish(
        &self,
        ctx: &Context,
        id: i64,
        version: i32,
        confirmed: bool,
    ) -> Result<()> {
        let (_, scope) = self.task_access(ctx, id).await?;
        ctx.require(&Action::ManageTask(&scope))?;
        ctx.require_confirmed(confirmed, "公示后结果向社会公开，不能撤回")?;
        self.county(ctx)
            .publish_task(id, version, &ctx.actor(), ctx.now)
            .await?;
        Ok(())
    }

    fn reviewing_department(&self, ctx: &Context) -> Result<String> {
        let department = ctx.principal.department.clone().unwrap_or_default();
        ctx.require(&Action::ReviewResults {
            department: &department,
        })?;
        Ok(department)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_fill_only_the_items_entered_once_every_question_is_answered() {
        let point = |item: &str, code: &str| CheckPoint {
            item: item.into(),
            code: code.into(),
            content: "内容".into(),
            method: InspectionMethod::Documentary,
            clause: format!("{item} 条款"),
            pass_text: "符合".into(),
            fail_text: "不符合".into(),
            fail_category: ResultCategory::PendingAction,
        };
        let points = vec![point("A", "P1"), point("A", "P2"), point("B", "P1")];
        let entry = vec!["A".to_string()];
        let posted = vec![
            r("A", vec![], vec![]),
            r(
                "B",
                vec![ResultCategory::NoProblem],
                vec![InspectionMethod::OnSite],
            ),
        ];
        let half: BTreeMap<String, Answer> = [("P1".to_string(), Answer::Fail)].into();
        let errors = results_from_points(&entry, &points, &half, posted.clone()).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, "pt_P2");
        let all: BTreeMap<String, Answer> = [
            ("P1".to_string(), Answer::Fail),
            ("P2".to_string(), Answer::Pass),
        ]
        .into();
        let out = results_from_points(&entry, &points, &all, posted.clone()).unwrap();
        assert_eq!(out[0].categories, [ResultCategory::PendingAction]);
        assert_eq!(out[0].findings, "不符合（A 条款）");
        // B is not the principal's to enter: left as posted, though P1 is its point too.
        assert_eq!(out[1], posted[1]);
        // What was entered by hand stays: a ticked problem, a method, typed words.
        let typed = vec![ItemResult {
            item_code: "A".into(),
            categories: vec![ResultCategory::Obstructed],
            methods: vec![InspectionMethod::OnSite],
            findings: "现场拒绝提供台账".into(),
        }];
        let out = results_from_points(&entry, &points, &all, typed).unwrap();
        assert_eq!(
            out[0].categories,
            [ResultCategory::Obstructed, ResultCategory::PendingAction]
        );
        assert_eq!(
            out[0].methods,
            [InspectionMethod::OnSite, InspectionMethod::Documentary]
        );
        assert_eq!(out[0].findings, "现场拒绝提供台账\n不符合（A 条款）");
        // Asked again, nothing is added twice.
        let again = results_from_points(&entry, &points, &all, out.clone()).unwrap();
        assert_eq!(again, out);
        // P1 complies after all: its problem and its line go, the hand-made stay.
        let fixed: BTreeMap<String, Answer> = [
            ("P1".to_string(), Answer::Pass),
            ("P2".to_string(), Answer::Pass),
        ]
        .into();
        let out = results_from_points(&entry, &points, &fixed, again).unwrap();
        assert_eq!(out[0].categories, [ResultCategory::Obstructed]);
        assert_eq!(out[0].findings, "现场拒绝提供台账");
        // A problem ticked by hand that happens to be a point's category stays when
        // every point complies: only what a point put in is taken back.
        let by_hand = vec![ItemResult {
            item_code: "A".into(),
            categories: vec![ResultCategory::PendingAction],
            methods: vec![],
            findings: "消防通道堵塞".into(),
        }];
        let out = results_from_points(&entry, &points, &fixed, by_hand).unwrap();
        assert_eq!(out[0].categories, [ResultCategory::PendingAction]);
        assert_eq!(out[0].findings, "消防通道堵塞");
        // All passing over a hand-ticked 未发现问题: still 未发现问题.
        let pass: BTreeMap<String, Answer> = [
            ("P1".to_string(), Answer::Pass),
            ("P2".to_string(), Answer::Pass),
        ]
        .into();
        let out = results_from_points(&entry, &points, &pass, posted.clone()).unwrap();
        assert_eq!(out[0].categories, [ResultCategory::NoProblem]);
    }

    fn r(
        code: &str,
        categories: Vec<ResultCategory>,
        methods: Vec<InspectionMethod>,
    ) -> ItemResult {
        ItemResult {
            item_code: code.into(),
            categories,
            methods,
            findings: String::new(),
        }
    }

    #[test]
    fn every_error_of_a_result_form_is_named_by_its_field() {
        let items: Vec<TaskItem> = ["A", "B", "C"]
            .iter()
            .map(|c| TaskItem {
                code: (*c).into(),
                name: (*c).into(),
                department: "amr".into(),
                specialty: None,
            })
            .collect();
        let entry = vec!["A".to_string(), "B".to_string()];
        let results = vec![
            r(
                "A",
                vec![ResultCategory::NoProblem, ResultCategory::Obstructed],
                vec![],
            ),
            r("C", vec![], vec![]),
        ];
        let window = (
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 12, 5).unwrap(),
        );
        let errors = result_errors(&items, &entry, None, window, &results);
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            ["inspected_on", "cat_A", "method_A", "cat_B", "method_B"]
        );
        assert!(errors[1].1.contains("不能与其他检查结果同时选择"));
        let fine = vec![
            r(
                "A",
                vec![ResultCategory::NoProblem],
                vec![InspectionMethod::OnSite],
            ),
            r(
                "B",
                vec![ResultCategory::Corrected],
                vec![InspectionMethod::Documentary],
            ),
        ];
        let on = |d| Some(NaiveDate::from_ymd_opt(2026, 12, d).unwrap());
        assert!(result_errors(&items, &entry, on(5), window, &fine).is_empty());
        // A day after today, or before the task began, is said beside the date too.
        for wrong in [on(6), Some(NaiveDate::from_ymd_opt(2026, 2, 28).unwrap())] {
            let errors = result_errors(&items, &entry, wrong, window, &fine);
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert_eq!(errors[0].0, "inspected_on");
            assert!(errors[0].1.contains("2026-03-01"), "{errors:?}");
        }
        // Before the task's start there is no day to choose: said so.
        let early = (window.1, window.0);
        let errors = result_errors(&items, &entry, on(5), early, &fine);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].1.contains("开始检查，此前不能录入"), "{errors:?}");
    }

    #[test]
    fn all_clear_marks_every_item_and_never_overwrites_a_problem() {
        let out = all_clear(
            vec![
                r("A", vec![], vec![]),
                r(
                    "B",
                    vec![ResultCategory::NoProblem],
                    vec![InspectionMethod::Documentary],
                ),
            ],
            |c| c.to_string(),
        )
        .unwrap();
        assert!(
            out.iter()
                .all(|r| r.categories == [ResultCategory::NoProblem] && r.findings.is_empty())
        );
        assert_eq!(out[0].methods, [InspectionMethod::OnSite]);
        assert_eq!(
            out[1].methods,
            [InspectionMethod::Documentary],
            "a ticked method is kept"
        );
        let refused = all_clear(
            vec![
                r("A", vec![], vec![]),
                r("B", vec![ResultCategory::Obstructed], vec![]),
            ],
            |c| format!("事项{c}"),
        );
        assert!(
            matches!(&refused, Err(AppError::Invalid { field: Some(f), message }) if f == "all_clear" && message.contains("事项B")),
            "{refused:?}"
        );
    }
}
