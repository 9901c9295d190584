//! The race harness: each pair of conflicting workflow actions fired at the same
//! instant, many times, on SQLite and on PostgreSQL; afterwards the task must be in
//! a state its rows agree with, whichever action won.
//!
//! Invariants checked after every trial (see [`check`]):
//! - a published task has every assigned visit published, every department's
//!   approval, its published results and no open follow-up work on unpublished rows;
//! - no approval stands beside a pending or returned visit;
//! - every task state has the rows it implies (plan at commit, record, teams and
//!   visits at the draw, a reason at cancellation) and none it does not;
//! - an inspector is active at most once in a task, an entity visited at most once;
//! - follow-ups and credit proposals come only from published tasks;
//! - every action that reported success left exactly one audit entry, and an action
//!   that was refused left none.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use liancha_domain::workflow::{
    CreditList, ProposalState, ResultCategory, SourceDecl, TaskMode, TaskState, VisitState,
};
use liancha_domain::{Domain, InspectionMethod};
use liancha_store::accounts::Actor;
use liancha_store::demo::{self, DemoSize};
use liancha_store::results::ItemResult;
use liancha_store::tasks::{NewTask, QuotaSpec, TaskScopeFilter};
use liancha_store::{Store, StoreError};
use tokio::sync::Barrier;

/// Trials per pair and engine: enough for the reported races (1–6 in 30 on SQLite,
/// 17 in 25 on PostgreSQL before the fix) to show, within the CI budget.
const TRIALS: usize = 20;

fn t0() -> DateTime<Utc> {
    // 2026-11-26 10:00 Beijing time: tests never read the wall clock.
    Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

struct World {
    store: Store,
    /// The demo county's handle, on a store that lives as long as the test run.
    mouding: liancha_store::County<'static>,
    coordinator: Actor,
    amr: Actor,
    agri: Actor,
}

async fn actor(store: &Store, name: &str) -> Actor {
    let u = store.user_by_name(name).await.unwrap().unwrap();
    (&u.principal()).into()
}

async fn world(store: &Store) -> Arc<World> {
    demo::load(
        store,
        DemoSize {
            legal_persons: 120,
            individuals: 380,
        },
        &|_, _| {},
    )
    .await
    .unwrap();
    demo::accounts(store, t0()).await.unwrap();
    let forever: &'static Store = Box::leak(Box::new(store.clone()));
    Arc::new(World {
        store: store.clone(),
        mouding: liancha_store::testing::mouding_county(forever).await,
        coordinator: actor(store, "bianban").await,
        amr: actor(store, "amr-admin").await,
        agri: actor(store, "agri-admin").await,
    })
}

/// How far a fresh task is taken before the race.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Stage {
    /// Asked for its head's approval (检查审批), not decided.
    Requested,
    /// Approved by its head, not sealed.
    Draft,
    Committed,
    Drawn,
    /// Every visit submitted.
    Submitted,
    /// Every visit submitted, then the first one returned.
    OneReturned,
    /// Submitted and approved by every department.
    Approved,
    Published,
}

fn ok(code: &str) -> ItemResult {
    ItemResult {
        item_code: code.into(),
        categories: vec![ResultCategory::NoProblem],
        methods: vec![InspectionMethod::OnSite],
        findings: String::new(),
    }
}

fn problem(code: &str) -> ItemResult {
    ItemResult {
        item_code: code.into(),
        categories: vec![ResultCategory::Obstructed],
        methods: vec![InspectionMethod::OnSite],
        findings: "拒绝提供台账".into(),
    }
}

const ITEMS: [&str; 2] = ["SC-001", "NY-001"];

/// A task of its own for one trial. Each trial's task is of its own year, so that the
/// annual cap never runs out however many trials draw from the same small county.
fn new_task(year: i32, title: String) -> NewTask {
    NewTask {
        year,
        title,
        domain: Domain::Market,
        mode: TaskMode::Comprehensive,
        lead_department: "amr".into(),
        items: ITEMS.iter().map(|c| c.to_string()).collect(),
        scope: TaskScopeFilter::default(),
        quotas: QuotaSpec::Count([1, 1, 1, 1]),
        team_count: 2,
        team_size: 2,
        avoid_same_township: false,
        inspection_start: today(),
        inspection_end: today() + Duration::days(30),
        plan_entry_id: None,
    }
}

async fn task_at(w: &World, trial: usize, stage: Stage) -> i64 {
    let s = &w.mouding;
    let now = t0();
    let year = 2000 + (trial as i32 % 100);
    let id = s
        .create_task(
            &new_task(year, format!("竞态试验 {trial}")),
            &w.coordinator,
            now,
        )
        .await
        .unwrap();
    let v = s.task_or_404(id).await.unwrap().version;
    if stage == Stage::Requested {
        s.request_approval(id, v, &w.amr, now).await.unwrap();
        return id;
    }
    liancha_store::testing::approve(s, id, v, now).await;
    if stage == Stage::Draft {
        return id;
    }
    let dice = SourceDecl::other("公证员现场掷骰", now + Duration::minutes(5)).unwrap();
    s.commit_task(id, v, &[dice], &w.coordinator, now)
        .await
        .unwrap();
    if stage == Stage::Committed {
        return id;
    }
    let v = s.task_or_404(id).await.unwrap().version;
    s.reveal_and_draw(
        id,
        v,
        &[format!("{trial} 1 4 1 5")],
        &w.coordinator,
        after(),
    )
    .await
    .unwrap();
    liancha_store::testing::check_in_all(s, id, after()).await;
    if stage == Stage::Drawn {
        return id;
    }
    for (n, v) in assigned(s, id).await.iter().enumerate() {
        // One visit with a problem, so that publication has follow-ups to make.
        let results = if n == 0 {
            vec![problem("SC-001"), ok("NY-001")]
        } else {
            vec![ok("SC-001"), ok("NY-001")]
        };
        s.record_results(id, v, today(), &results, &w.amr, after())
            .await
            .unwrap();
    }
    if stage == Stage::Submitted {
        return id;
    }
    if stage == Stage::OneReturned {
        let first = assigned(s, id).await.remove(0);
        s.return_visit(id, &first, "amr", "请补充", &w.amr, after())
            .await
            .unwrap();
        return id;
    }
    s.approve_results(id, "amr", &w.amr, after()).await.unwrap();
    s.approve_results(id, "agri", &w.agri, after())
        .await
        .unwrap();
    if stage == Stage::Approved {
        return id;
    }
    let v = s.task_or_404(id).await.unwrap().version;
    s.publish_task(id, v, &w.coordinator, after())
        .await
        .unwrap();
    id
}

/// After the sources' time.
fn after() -> DateTime<Utc> {
    t0() + Duration::minutes(10)
}

/// Entities of the visits that have a team.
async fn assigned(s: &liancha_store::County<'_>, id: i64) -> Vec<String> {
    s.visits(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|v| v.team_no.is_some() && v.state != VisitState::Replaced)
        .map(|v| v.entity_id)
        .collect()
}

/// An action's outcome: `Ok(audit action it must have logged)` or a refusal.
type Outcome = Result<&'static str, StoreError>;

/// Only refusals are acceptable failures: a database error is a defect.
fn refused_cleanly(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Invalid { .. } | StoreError::Conflict(_) | StoreError::WrongState(_)
    )
}

/// Fires `a` and `b` at the same instant on two runtime threads.
async fn fire<A, B, FA, FB>(a: A, b: B) -> (Outcome, Outcome)
where
    A: FnOnce() -> FA + Send + 'static,
    B: FnOnce() -> FB + Send + 'static,
    FA: Future<Output = Outcome> + Send + 'static,
    FB: Future<Output = Outcome> + Send + 'static,
{
    let start = Arc::new(Barrier::new(2));
    let (sa, sb) = (start.clone(), start);
    let ha = tokio::spawn(async move {
        sa.wait().await;
        a().await
    });
    let hb = tokio::spawn(async move {
        sb.wait().await;
        b().await
    });
    (ha.await.unwrap(), hb.await.unwrap())
}

/// The invariants of one task, whatever happened to it.
async fn check(w: &World, id: i64) {
    let s = &w.mouding;
    let task = s.task_or_404(id).await.unwrap();
    // Sealed only as approved; a draft's approval is of one version, one decision
    // to each request.
    let approvals = s.approvals(id).await.unwrap();
    use liancha_domain::approval::ApprovalStep;
    if task.committed_at.is_some() {
        assert_eq!(
            approvals.last().map(|e| e.step),
            Some(ApprovalStep::Approved),
            "task {id}"
        );
    }
    for pair in approvals.windows(2) {
        assert!(
            pair[0].step == ApprovalStep::Requested || pair[1].step == ApprovalStep::Requested,
            "task {id}: two decisions on one request: {approvals:?}"
        );
    }
    if task.state == TaskState::Draft
        && let Some(e) = approvals.last()
        && e.step != ApprovalStep::Requested
    {
        let asked = &approvals[approvals.len() - 2];
        assert_eq!(asked.task_version, e.task_version, "task {id}");
    }
    let visits = s.visits(id).await.unwrap();
    let reviews = s.reviews(id).await.unwrap();
    let members = s.team_members(id).await.unwrap();
    let record = s.draw_record(id).await.unwrap();
    let plan = s.plan_json(id).await.unwrap();
    let ctx = format!("task {id} in state {:?}", task.state);
    let open = visits
        .iter()
        .filter(|v| matches!(v.state, VisitState::Pending | VisitState::Returned))
        .count();
    let approved = reviews.iter().filter(|r| r.approved_at.is_some()).count();
    assert!(
        open == 0 || approved == 0,
        "{ctx}: {approved} approvals beside {open} pending or returned visits"
    );
    let drawn_rows = record.is_some() && !visits.is_empty() && !members.is_empty();
    match task.state {
        TaskState::Draft => {
            assert!(
                plan.is_none() && visits.is_empty() && task.sources.is_empty(),
                "{ctx}"
            )
        }
        TaskState::Committed => assert!(
            plan.is_some() && task.plan_digest.is_some() && record.is_none() && visits.is_empty(),
            "{ctx}"
        ),
        TaskState::Drawn => assert!(drawn_rows && task.drawn_at.is_some(), "{ctx}"),
        TaskState::Published => {
            assert!(drawn_rows && task.published_at.is_some(), "{ctx}");
            assert!(
                visits.iter().all(|v| matches!(
                    v.state,
                    VisitState::Published | VisitState::Replaced | VisitState::Unassigned
                )),
                "{ctx}: {:?}",
                visits.iter().map(|v| v.state).collect::<Vec<_>>()
            );
            assert_eq!(
                approved,
                reviews.len(),
                "{ctx}: a department did not approve"
            );
            let published = visits
                .iter()
                .filter(|v| v.state == VisitState::Published)
                .count();
            assert!(published > 0, "{ctx}");
            assert_eq!(
                s.published_results_of_task(id).await.unwrap().len(),
                published * task.items.len(),
                "{ctx}: published results, one per visit and item"
            );
        }
        TaskState::Cancelled => assert!(task.cancel_reason.is_some(), "{ctx}"),
    }
    // Submitted and published visits have a result for every item; a visit still
    // waiting for its first submission does not (it would have been submitted).
    for v in &visits {
        if v.state == VisitState::Pending {
            let r = s.visit_results(id, &v.entity_id).await.unwrap();
            assert!(
                r.len() < task.items.len(),
                "{ctx}: {} has every result but is still pending",
                v.entity_id
            );
        }
        if matches!(v.state, VisitState::Submitted | VisitState::Published) {
            let r = s.visit_results(id, &v.entity_id).await.unwrap();
            assert_eq!(
                r.len(),
                task.items.len(),
                "{ctx}: results of {}",
                v.entity_id
            );
        }
    }
    let mut active = BTreeSet::new();
    for m in members.iter().filter(|m| m.active) {
        assert!(
            active.insert(&m.inspector_id),
            "{ctx}: {} twice",
            m.inspector_id
        );
    }
    let follow_ups = s.follow_ups(None, false).await.unwrap();
    let proposals = s.credit_proposals(None).await.unwrap();
    let derived = follow_ups.iter().filter(|f| f.task_id == Some(id)).count()
        + proposals.iter().filter(|p| p.task_id == Some(id)).count();
    if task.state != TaskState::Published {
        assert_eq!(derived, 0, "{ctx}: follow-ups from unpublished results");
    }
}

fn audit_counts(log: &[liancha_store::accounts::AuditEntry]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for e in log {
        *m.entry(e.action.clone()).or_default() += 1;
    }
    m
}

/// Exactly one audit entry per success of each action, none for a refusal.
async fn check_audit(w: &World, id: i64, before: BTreeMap<String, usize>, outcomes: [&Outcome; 2]) {
    let mut expected = before;
    for action in outcomes.into_iter().flatten() {
        *expected.entry(action.to_string()).or_default() += 1;
    }
    let found = audit_counts(&w.mouding.audit_for_task(id).await.unwrap());
    assert_eq!(found, expected, "task {id}: audit entries");
}

/// Runs one pair `TRIALS` times and checks every outcome and the invariants.
/// `both_may_succeed`: whether the two actions can both take effect (one after the other).
async fn pair<A, B, FA, FB>(
    w: &Arc<World>,
    name: &str,
    stage: Stage,
    trials_from: usize,
    both_may_succeed: bool,
    a: impl Fn(Arc<World>, i64, i32) -> A,
    b: impl Fn(Arc<World>, i64, i32) -> B,
) where
    A: FnOnce() -> FA + Send + 'static,
    B: FnOnce() -> FB + Send + 'static,
    FA: Future<Output = Outcome> + Send + 'static,
    FB: Future<Output = Outcome> + Send + 'static,
{
    let mut wins = [0usize; 3];
    for trial in 0..TRIALS {
        let id = task_at(w, trials_from + trial, stage).await;
        let before = audit_counts(&w.mouding.audit_for_task(id).await.unwrap());
        // Both users opened the same page: their forms carry the same version.
        let v = version(w, id).await;
        let (ra, rb) = fire(a(w.clone(), id, v), b(w.clone(), id, v)).await;
        for r in [&ra, &rb] {
            if let Err(e) = r {
                assert!(refused_cleanly(e), "{name}: {e:?}");
            }
        }
        if !both_may_succeed {
            assert!(
                ra.is_err() || rb.is_err(),
                "{name}: both conflicting actions succeeded"
            );
        }
        wins[usize::from(ra.is_ok()) + usize::from(rb.is_ok())] += 1;
        check(w, id).await;
        check_audit(w, id, before, [&ra, &rb]).await;
        // A task left open would keep its entities out of later trials' draws.
        let t = w.mouding.task_or_404(id).await.unwrap();
        if t.state.cancellable() {
            w.mouding
                .cancel_task(id, t.version, "试验结束", &w.coordinator, after())
                .await
                .unwrap();
        }
    }
    eprintln!(
        "{name}: {TRIALS} trials on {}; none succeeded {}, one {}, both {}; 0 invariant violations",
        w.store.engine().name(),
        wins[0],
        wins[1],
        wins[2]
    );
}

/// An action of one trial: `|w, id, v| body` where `v` is the version of the task as
/// the user's page showed it.
macro_rules! act {
    (|$w:ident, $id:ident, $v:ident| $body:expr) => {
        |$w: Arc<World>, $id: i64, $v: i32| move || async move { $body }
    };
}

async fn version(w: &World, id: i64) -> i32 {
    w.mouding.task_or_404(id).await.unwrap().version
}

async fn first_assigned(w: &World, id: i64) -> String {
    assigned(&w.mouding, id).await.remove(0)
}

async fn publish(w: &World, id: i64, v: i32) -> Outcome {
    w.mouding
        .publish_task(id, v, &w.coordinator, after())
        .await
        .map(|_| "task.publish")
}

async fn return_first(w: &World, id: i64) -> Outcome {
    let e = first_assigned(w, id).await;
    w.mouding
        .return_visit(id, &e, "amr", "请补充材料", &w.amr, after())
        .await
        .map(|_| "visit.return")
}

async fn approve(w: &World, id: i64, department: &str) -> Outcome {
    let who = if department == "amr" { &w.amr } else { &w.agri };
    w.mouding
        .approve_results(id, department, who, after())
        .await
        .map(|_| "task.approve")
}

async fn cancel(w: &World, id: i64, v: i32) -> Outcome {
    w.mouding
        .cancel_task(id, v, "计划调整", &w.coordinator, after())
        .await
        .map(|_| "task.cancel")
}

async fn commit(w: &World, id: i64, v: i32, label: &str) -> Outcome {
    let src = SourceDecl::other(label, t0() + Duration::minutes(5)).unwrap();
    w.mouding
        .commit_task(id, v, &[src], &w.coordinator, t0())
        .await
        .map(|_| "task.commit")
}

async fn draw(w: &World, id: i64, v: i32, reveal: &str) -> Outcome {
    w.mouding
        .reveal_and_draw(id, v, &[reveal.to_string()], &w.coordinator, after())
        .await
        .map(|_| "task.draw")
}

/// One department's item of the first visit, as its staff enter it.
async fn department_enters(w: &World, id: i64, department: &str) -> Outcome {
    let e = first_assigned(w, id).await;
    let (who, item) = if department == "amr" {
        (&w.amr, "SC-001")
    } else {
        (&w.agri, "NY-001")
    };
    w.mouding
        .record_department_results(
            id,
            &e,
            department,
            Some("现场无信号，按纸质记录补录"),
            today(),
            &[ok(item)],
            who,
            after(),
        )
        .await
        .map(|state| {
            if state == VisitState::Submitted {
                "visit.submit"
            } else {
                "visit.results"
            }
        })
}

async fn submit_first(w: &World, id: i64) -> Outcome {
    let e = first_assigned(w, id).await;
    w.mouding
        .record_results(
            id,
            &e,
            today(),
            &[ok("SC-001"), ok("NY-001")],
            &w.amr,
            after(),
        )
        .await
        .map(|_| "visit.submit")
}

async fn substitute_first(w: &World, id: i64, v: i32) -> Outcome {
    let e = first_assigned(w, id).await;
    w.mouding
        .substitute_entity(id, v, &e, "已注销", &w.coordinator, after())
        .await
        .map(|_| "task.substitute-entity")
}

/// Substitutes the `n`th active member of the market department.
async fn substitute_member(w: &World, id: i64, v: i32, n: usize) -> Outcome {
    let members = w.mouding.team_members(id).await.unwrap();
    let m = members
        .iter()
        .filter(|m| m.active && m.department == "amr")
        .nth(n)
        .unwrap()
        .inspector_id
        .clone();
    w.mouding
        .substitute_inspector(id, v, &m, "因病住院", &w.coordinator, after())
        .await
        .map(|_| "task.substitute-inspector")
}

async fn workflow_races(store: &Store) {
    let w = world(store).await;
    let mut n = 0;
    let mut next = || {
        n += TRIALS;
        n
    };
    // The two reported races.
    pair(
        &w,
        "publish × return",
        Stage::Approved,
        next(),
        false,
        act!(|w, id, v| publish(&w, id, v).await),
        act!(|w, id, _v| return_first(&w, id).await),
    )
    .await;
    pair(
        &w,
        "approve × return",
        Stage::Submitted,
        next(),
        true,
        act!(|w, id, _v| approve(&w, id, "amr").await),
        act!(|w, id, _v| return_first(&w, id).await),
    )
    .await;
    // Every other pair of actions on the same task that can meet.
    pair(
        &w,
        "approve × resubmit",
        Stage::OneReturned,
        next(),
        true,
        act!(|w, id, _v| approve(&w, id, "agri").await),
        act!(|w, id, _v| submit_first(&w, id).await),
    )
    .await;
    pair(
        &w,
        "approve × cancel",
        Stage::Submitted,
        next(),
        false,
        act!(|w, id, _v| approve(&w, id, "amr").await),
        act!(|w, id, v| cancel(&w, id, v).await),
    )
    .await;
    pair(
        &w,
        "approve × approve",
        Stage::Submitted,
        next(),
        false,
        act!(|w, id, _v| approve(&w, id, "amr").await),
        act!(|w, id, _v| approve(&w, id, "amr").await),
    )
    .await;
    pair(
        &w,
        "publish × cancel",
        Stage::Approved,
        next(),
        false,
        act!(|w, id, v| publish(&w, id, v).await),
        act!(|w, id, v| cancel(&w, id, v).await),
    )
    .await;
    pair(
        &w,
        "publish × publish",
        Stage::Approved,
        next(),
        false,
        act!(|w, id, v| publish(&w, id, v).await),
        act!(|w, id, v| publish(&w, id, v).await),
    )
    .await;
    pair(
        &w,
        "publish × substitute inspector",
        Stage::Approved,
        next(),
        false,
        act!(|w, id, v| publish(&w, id, v).await),
        act!(|w, id, v| substitute_member(&w, id, v, 0).await),
    )
    .await;
    pair(
        &w,
        "return × return",
        Stage::Submitted,
        next(),
        false,
        act!(|w, id, _v| return_first(&w, id).await),
        act!(|w, id, _v| return_first(&w, id).await),
    )
    .await;
    pair(
        &w,
        "submit × submit",
        Stage::Drawn,
        next(),
        false,
        act!(|w, id, _v| submit_first(&w, id).await),
        act!(|w, id, _v| submit_first(&w, id).await),
    )
    .await;
    pair(
        &w,
        "submit × substitute entity",
        Stage::Drawn,
        next(),
        false,
        act!(|w, id, _v| submit_first(&w, id).await),
        act!(|w, id, v| substitute_first(&w, id, v).await),
    )
    .await;
    pair(
        &w,
        "department results × department results",
        Stage::Drawn,
        next(),
        true,
        act!(|w, id, _v| department_enters(&w, id, "amr").await),
        act!(|w, id, _v| department_enters(&w, id, "agri").await),
    )
    .await;
    pair(
        &w,
        "department results × team submit",
        Stage::Drawn,
        next(),
        true,
        act!(|w, id, _v| department_enters(&w, id, "agri").await),
        act!(|w, id, _v| submit_first(&w, id).await),
    )
    .await;
    pair(
        &w,
        "submit × cancel",
        Stage::Drawn,
        next(),
        false,
        act!(|w, id, _v| submit_first(&w, id).await),
        act!(|w, id, v| cancel(&w, id, v).await),
    )
    .await;
    pair(
        &w,
        "substitute inspector × substitute inspector",
        Stage::Drawn,
        next(),
        false,
        act!(|w, id, v| substitute_member(&w, id, v, 0).await),
        act!(|w, id, v| substitute_member(&w, id, v, 1).await),
    )
    .await;
    pair(
        &w,
        "substitute entity × substitute entity",
        Stage::Drawn,
        next(),
        false,
        act!(|w, id, v| substitute_first(&w, id, v).await),
        act!(|w, id, v| substitute_first(&w, id, v).await),
    )
    .await;
    pair(
        &w,
        "draw × cancel",
        Stage::Committed,
        next(),
        false,
        act!(|w, id, v| draw(&w, id, v, "3 1 4").await),
        act!(|w, id, v| cancel(&w, id, v).await),
    )
    .await;
    pair(
        &w,
        "draw × draw",
        Stage::Committed,
        next(),
        false,
        act!(|w, id, v| draw(&w, id, v, "3 1 4").await),
        act!(|w, id, v| draw(&w, id, v, "2 7 1").await),
    )
    .await;
    pair(
        &w,
        "commit × commit",
        Stage::Draft,
        next(),
        false,
        act!(|w, id, v| commit(&w, id, v, "掷骰甲").await),
        act!(|w, id, v| commit(&w, id, v, "掷骰乙").await),
    )
    .await;
    pair(
        &w,
        "commit × cancel",
        Stage::Draft,
        next(),
        false,
        act!(|w, id, v| commit(&w, id, v, "掷骰甲").await),
        act!(|w, id, v| cancel(&w, id, v).await),
    )
    .await;
    // 检查审批: one decision on a request; an approval is of the version approved.
    pair(
        &w,
        "grant × refuse",
        Stage::Requested,
        next(),
        false,
        act!(|w, id, v| decide(&w, id, v, true).await),
        act!(|w, id, v| decide(&w, id, v, false).await),
    )
    .await;
    pair(
        &w,
        "grant × edit",
        Stage::Requested,
        next(),
        true,
        act!(|w, id, v| decide(&w, id, v, true).await),
        act!(|w, id, v| edit(&w, id, v).await),
    )
    .await;
    check_log(&w).await;
}

/// The head's decision (two heads of one department may both open the page).
async fn decide(w: &World, id: i64, v: i32, approve: bool) -> Outcome {
    let head = Actor::system(if approve {
        "负责人甲"
    } else {
        "负责人乙"
    });
    w.mouding
        .decide_approval(id, v, "amr", approve, "意见", &head, t0())
        .await
        .map(|_| {
            if approve {
                "task.approval-grant"
            } else {
                "task.approval-refuse"
            }
        })
}

async fn edit(w: &World, id: i64, v: i32) -> Outcome {
    let t = w.mouding.task_or_404(id).await.unwrap();
    w.mouding
        .update_task(
            id,
            v,
            &new_task(t.year, format!("{}（改）", t.title)),
            &w.coordinator,
            t0(),
        )
        .await
        .map(|_| "task.update")
}

/// After every race: the transparency log is one gapless sequence whose signed
/// root is the tree of its entries in order, and each task has exactly the entries
/// its history calls for: one sealing if it was sealed, one draw if it was drawn.
async fn check_log(w: &World) {
    use liancha_domain::transparency::{Frontier, verify_checkpoint};
    let store = w.mouding.store();
    let size = store.log_size().await.unwrap();
    let mut entries = store.log_entries(None, u32::MAX).await.unwrap();
    entries.reverse();
    assert_eq!(entries.len() as u64, size);
    let mut tree = Frontier::default();
    let bundle = store.log_entry_bundle(0, 1).await.unwrap().unwrap();
    assert_eq!(&bundle[2..], entries[0].entry.to_bytes().unwrap());
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.index, i as u64, "a gap or a repeat in the log");
        tree.append(&e.entry.to_bytes().unwrap());
    }
    let key = store.log_key().await.unwrap();
    let note = store.log_checkpoint().await.unwrap().unwrap();
    let cp = verify_checkpoint(&key.verifier, note.as_bytes()).unwrap();
    assert_eq!((cp.size(), *cp.hash()), (size, tree.root()));
    let mut per_task: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
    for e in &entries {
        if let Some(t) = e.entry.task() {
            per_task.entry(t).or_default().push(e.entry.kind());
        }
    }
    for (id, kinds) in per_task {
        let task = w.mouding.task_or_404(id).await.unwrap();
        let count = |k: &str| kinds.iter().filter(|x| **x == k).count();
        assert_eq!(count("task.sealed"), 1, "task {id}: {kinds:?}");
        assert_eq!(kinds[0], "task.sealed", "task {id}: {kinds:?}");
        assert_eq!(
            count("task.drawn"),
            usize::from(task.drawn_at.is_some()),
            "task {id}: {kinds:?}"
        );
        assert_eq!(
            count("task.published"),
            usize::from(task.published_at.is_some()),
            "task {id}: {kinds:?}"
        );
        assert_eq!(
            count("task.cancelled"),
            usize::from(task.state == TaskState::Cancelled),
            "task {id}: {kinds:?}"
        );
        assert!(
            task.committed_at.is_some(),
            "task {id} logged but never sealed"
        );
    }
}

/// Follow-up and credit decisions on a published task: each decided once.
async fn follow_up_races(store: &Store) {
    let w = world(store).await;
    let mut province_runs = 0;
    for trial in 0..TRIALS {
        let id = task_at(&w, trial, Stage::Published).await;
        let f = w
            .mouding
            .follow_ups(Some("amr"), true)
            .await
            .unwrap()
            .into_iter()
            .find(|f| f.task_id == Some(id))
            .expect("the problem found became a follow-up");
        let (s1, s2) = (w.clone(), w.clone());
        let (a, b) = fire(
            move || async move {
                s1.mouding
                    .close_follow_up(f.id, "已整改", &s1.amr, after())
                    .await
                    .map(|_| "follow-up.close")
            },
            move || async move {
                s2.mouding
                    .update_follow_up(
                        f.id,
                        liancha_domain::workflow::FollowUpKind::Case,
                        None,
                        None,
                        "转立案",
                        &s2.amr,
                        after(),
                    )
                    .await
                    .map(|_| "follow-up.update")
            },
        )
        .await;
        for r in [&a, &b] {
            if let Err(e) = r {
                assert!(refused_cleanly(e), "{e:?}");
            }
        }
        let log = w.mouding.audit_recent(10_000).await.unwrap();
        let entries = |action: &str| {
            log.iter()
                .filter(|e| e.action == action && e.object_id == f.id.to_string())
                .count()
        };
        assert_eq!(entries("follow-up.close"), usize::from(a.is_ok()));
        assert_eq!(entries("follow-up.update"), usize::from(b.is_ok()));
        // Nothing changes a closed follow-up: if the close won, the kind stayed.
        let after_race = w.mouding.follow_up(f.id).await.unwrap().unwrap();
        if a.is_ok() && b.is_err() {
            assert_eq!(after_race.kind, f.kind);
        }

        let p = w
            .mouding
            .credit_proposals(Some("amr"))
            .await
            .unwrap()
            .into_iter()
            .find(|p| p.task_id == Some(id))
            .expect("不配合检查 leads to a blacklist proposal");
        // The small county's entities recur across trials: one may already be listed
        // from an earlier trial's confirmation, and a rejection does not unlist it.
        let listed_before = w
            .mouding
            .entity(&p.entity_id)
            .await
            .unwrap()
            .unwrap()
            .blacklisted;
        let (s1, s2) = (w.clone(), w.clone());
        let (a, b) = fire(
            move || async move {
                s1.mouding
                    .decide_credit_proposal(p.id, true, "", &s1.amr, after())
                    .await
                    .map(|_| "credit.confirm")
            },
            move || async move {
                s2.mouding
                    .decide_credit_proposal(p.id, false, "情节轻微", &s2.amr, after())
                    .await
                    .map(|_| "credit.reject")
            },
        )
        .await;
        assert!(a.is_ok() != b.is_ok(), "one decision: {a:?} {b:?}");
        let decided = w
            .mouding
            .credit_proposal(p.id)
            .await
            .unwrap()
            .unwrap()
            .state;
        assert_eq!(
            decided,
            if a.is_ok() {
                ProposalState::Confirmed
            } else {
                ProposalState::Rejected
            }
        );
        let listed = w.mouding.entity(&p.entity_id).await.unwrap().unwrap();
        assert_eq!(listed.blacklisted, listed_before || a.is_ok());

        // 信用修复 a year on: the entity's two submits at once are one application;
        // granting and refusing it at once is one decision; a grant takes the
        // entity off the list.
        let mut granted = false;
        if a.is_ok() {
            use liancha_domain::credit_repair::{RepairApplication, RepairSource};
            let later = after() + Duration::days(400);
            let application = Arc::new(
                RepairApplication::parse(
                    CreditList::Blacklist,
                    &[
                        "penalty-fulfilled".into(),
                        "harm-removed".into(),
                        "no-further-penalty".into(),
                    ],
                    "罚款已缴清，危害已消除",
                    "李四 139",
                )
                .unwrap(),
            );
            let entity = p.entity_id.clone();
            let (s1, s2) = (w.clone(), w.clone());
            let (a1, a2) = (application.clone(), application.clone());
            let (e1, e2) = (entity.clone(), entity.clone());
            let (x, y) = fire(
                move || async move {
                    s1.mouding
                        .apply_credit_repair(&e1, p.id, &a1, RepairSource::Entity, &s1.amr, later)
                        .await
                        .map(|_| "credit.repair-apply")
                },
                move || async move {
                    s2.mouding
                        .apply_credit_repair(
                            &e2,
                            p.id,
                            &a2,
                            RepairSource::Department,
                            &s2.amr,
                            later,
                        )
                        .await
                        .map(|_| "credit.repair-apply")
                },
            )
            .await;
            assert!(x.is_ok() != y.is_ok(), "one application: {x:?} {y:?}");
            let loser = if x.is_ok() { &y } else { &x };
            assert!(matches!(loser, Err(StoreError::Conflict(_))), "{loser:?}");
            let open: Vec<_> = w
                .mouding
                .credit_repairs_of_entity(&entity)
                .await
                .unwrap()
                .into_iter()
                .filter(|r| r.proposal_id == p.id && r.state.code() == "applied")
                .collect();
            assert_eq!(open.len(), 1, "one application awaits a decision");
            let repair = open[0].id;
            let (s1, s2) = (w.clone(), w.clone());
            let (g, r) = fire(
                move || async move {
                    s1.mouding
                        .decide_credit_repair(repair, true, "已核实", &s1.amr, later)
                        .await
                        .map(|_| "credit.repair-grant")
                },
                move || async move {
                    s2.mouding
                        .decide_credit_repair(repair, false, "材料不全", &s2.amr, later)
                        .await
                        .map(|_| "credit.repair-refuse")
                },
            )
            .await;
            assert!(g.is_ok() != r.is_ok(), "one decision: {g:?} {r:?}");
            granted = g.is_ok();
            let removed = w
                .mouding
                .credit_proposal(p.id)
                .await
                .unwrap()
                .unwrap()
                .removed
                .is_some();
            assert_eq!(removed, granted, "a grant, and only a grant, removes");
        }

        // 省级回传: the province's file takes the entity off the blacklist while a
        // clerk removes the listing (the first trial that leaves a listing standing,
        // then every other one; how many ran is reported, never required, for it
        // depends on how the races above fell): one removal, and the other either refused or
        // (reading after it) finding nothing to change; never a second removal.
        if a.is_ok()
            && !granted
            && (province_runs == 0 || trial % 2 == 1)
            && !p.entity_id.starts_with('X')
        {
            use liancha_store::results::Run;
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("province.csv");
            std::fs::write(
                &path,
                format!(
                    "统一社会信用代码,严重违法失信名单\r\n{},不在列\r\n",
                    p.entity_id
                ),
            )
            .unwrap();
            // Previewed first, as the clerk does: the import runs that plan or none.
            let digest = w
                .mouding
                .import_credit_status(&path, Run::Preview { now: after() })
                .await
                .unwrap()
                .digest;
            let (s1, s2) = (w.clone(), w.clone());
            let (x, y) = fire(
                move || async move {
                    let run = Run::Apply {
                        keeper: "amr",
                        digest: &digest,
                        actor: &s1.amr,
                        now: after(),
                    };
                    s1.mouding
                        .import_credit_status(&path, run)
                        .await
                        .map(|_| "credit.province")
                },
                move || async move {
                    s2.mouding
                        .remove_credit_listing(p.id, "已履行", &s2.amr, after())
                        .await
                        .map(|_| "credit.remove")
                },
            )
            .await;
            assert!(x.is_ok() || y.is_ok(), "one removes: {x:?} {y:?}");
            for o in [&x, &y] {
                if let Err(e) = o {
                    assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
                }
            }
            let removal = w
                .mouding
                .credit_proposal(p.id)
                .await
                .unwrap()
                .unwrap()
                .removed;
            let removal = removal.expect("removed once");
            assert_eq!(
                removal.reason.contains("省级协同监管平台回传"),
                y.is_err(),
                "removed by whoever won: {removal:?} {x:?} {y:?}"
            );
            let e = w.mouding.entity(&p.entity_id).await.unwrap().unwrap();
            assert!(!e.blacklisted || listed_before, "the flag is down");
            drop(dir);
            province_runs += 1;
        } else if a.is_ok() && !granted {
            // Two clerks remove the same listing at once: one removal, one refusal.
            let (s1, s2) = (w.clone(), w.clone());
            let (a, b) = fire(
                move || async move {
                    s1.mouding
                        .remove_credit_listing(p.id, "已履行", &s1.amr, after())
                        .await
                        .map(|_| "credit.remove")
                },
                move || async move {
                    s2.mouding
                        .remove_credit_listing(p.id, "信用修复", &s2.amr, after())
                        .await
                        .map(|_| "credit.remove")
                },
            )
            .await;
            assert!(a.is_ok() != b.is_ok(), "one removal: {a:?} {b:?}");
            let loser = if a.is_ok() { b } else { a };
            assert!(matches!(&loser, Err(StoreError::Conflict(_))), "{loser:?}");
            let removal = w
                .mouding
                .credit_proposal(p.id)
                .await
                .unwrap()
                .unwrap()
                .removed;
            assert!(removal.is_some());
        }
    }
    eprintln!(
        "follow-up close × update, credit confirm × reject, repair × repair, grant × refuse, removal × removal, province file × removal ({province_runs} of them): {TRIALS} trials each on {}; 0 invariant violations",
        w.store.engine().name()
    );
}

/// An entry added while the plan is being published: it is in the published plan
/// (and counted by the publication's audit entry), or it was refused; a published
/// plan never gains an entry.
async fn plan_races(store: &Store) {
    let w = world(store).await;
    let items: Vec<String> = w
        .mouding
        .items(true)
        .await
        .unwrap()
        .into_iter()
        .filter(|i| i.department == "amr")
        .map(|i| i.code)
        .take(1)
        .collect();
    // One plan per year and domain: a second is refused and changes nothing.
    let first = w
        .mouding
        .create_annual_plan(2029, Domain::Market, "计划", "amr", &[], &w.amr, t0())
        .await
        .unwrap();
    let again = w
        .mouding
        .create_annual_plan(2029, Domain::Market, "又一个", "amr", &[], &w.amr, t0())
        .await;
    assert!(
        matches!(&again, Err(StoreError::Invalid { message, .. }) if message.contains("已存在")),
        "{again:?}"
    );
    let plans = w.mouding.annual_plans(Some(2029), false).await.unwrap();
    assert_eq!(plans.len(), 1);
    assert_eq!((plans[0].id, plans[0].title.as_str()), (first, "计划"));
    for trial in 0..TRIALS {
        let year = 2030 + trial as i32;
        let id = w
            .mouding
            .create_annual_plan(
                year,
                Domain::Market,
                "市场监管领域年度计划",
                "amr",
                &[],
                &w.amr,
                t0(),
            )
            .await
            .unwrap();
        w.mouding
            .add_plan_entry(id, 3, "第一批", &items, "", &w.amr, t0())
            .await
            .unwrap();
        let (s1, s2, it) = (w.clone(), w.clone(), items.clone());
        let (a, b) = fire(
            move || async move {
                s1.mouding
                    .publish_annual_plan(id, &s1.amr, after())
                    .await
                    .map(|_| "plan.publish")
            },
            move || async move {
                s2.mouding
                    .add_plan_entry(id, 6, "第二批", &it, "", &s2.amr, after())
                    .await
                    .map(|_| "plan.entry")
            },
        )
        .await;
        assert!(a.is_ok(), "{a:?}");
        if let Err(e) = &b {
            assert!(refused_cleanly(e), "{e:?}");
        }
        let plan = w.mouding.annual_plan(id).await.unwrap().unwrap();
        assert_eq!(plan.entries.len(), 1 + usize::from(b.is_ok()));
        let published = w
            .mouding
            .audit_recent(10_000)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.action == "plan.publish" && e.object_id == id.to_string())
            .unwrap();
        let counted = published
            .after_value
            .as_deref()
            .and_then(|a| serde_json::from_str::<serde_json::Value>(a).ok())
            .and_then(|a| a["entries"].as_i64());
        assert_eq!(counted, Some(plan.entries.len() as i64), "trial {trial}");
    }
    eprintln!(
        "plan publish × add entry: {TRIALS} trials on {}; 0 invariant violations",
        w.store.engine().name()
    );
}

/// Evidence uploaded while the results are published: it is in before the
/// publication (its audit entry comes first), or it is refused; a published visit
/// never gains a file.
async fn attachment_races(store: &Store) {
    use liancha_domain::attachment::AttachmentPurpose;
    let w = world(store).await;
    let png = b"\x89PNG\r\n\x1a\n0000";
    for trial in 0..TRIALS {
        let id = task_at(&w, trial, Stage::Approved).await;
        let v = version(&w, id).await;
        let e = first_assigned(&w, id).await;
        let (s1, s2) = (w.clone(), w.clone());
        let (a, b) = fire(
            move || async move { publish(&s1, id, v).await },
            move || async move {
                s2.mouding
                    .add_attachment(
                        id,
                        Some(&e),
                        AttachmentPurpose::Result,
                        "现场照片.png",
                        png,
                        false,
                        &s2.amr,
                        after(),
                    )
                    .await
                    .map(|_| "attachment.add")
            },
        )
        .await;
        assert!(a.is_ok(), "{a:?}");
        if let Err(e) = &b {
            assert!(refused_cleanly(e), "{e:?}");
        }
        let log = w.mouding.audit_for_task(id).await.unwrap();
        let at = |action: &str| log.iter().find(|x| x.action == action).map(|x| x.id);
        if let (Some(published), Some(attached)) = (at("task.publish"), at("attachment.add")) {
            assert!(
                attached < published,
                "trial {trial}: a file added after the publication"
            );
        }
        assert_eq!(at("attachment.add").is_some(), b.is_ok());
    }
    eprintln!(
        "attachment × publish: {TRIALS} trials on {}; 0 invariant violations",
        w.store.engine().name()
    );
}

/// On SQLite a transaction that has read cannot wait for the write lock: SQLite
/// refuses it at once as busy. Writes made while another writer holds the lock (a
/// clerk saving, an import) wait for it instead: every write transaction asks for
/// the lock at its start, and the plan's first statement writes.
async fn writes_wait_for_the_write_lock(store: &Store) {
    let w = world(store).await;
    let liancha_store::Pool::Sqlite(pool) = store.pool() else {
        return;
    };
    // Yields the task that releases the lock: the caller awaits it after its write.
    #[allow(clippy::async_yields_async)]
    let hold = || async {
        let mut other = pool.begin().await.unwrap();
        sqlx::query("UPDATE townships SET name = name")
            .execute(&mut *other)
            .await
            .unwrap();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            other.rollback().await.unwrap();
        })
    };
    let release = hold().await;
    let created = w
        .mouding
        .create_annual_plan(2040, Domain::Market, "计划", "amr", &[], &w.amr, t0())
        .await;
    release.await.unwrap();
    assert!(created.is_ok(), "{created:?}");
    // A township: its transaction reads (the code and name are free) before it writes.
    let release = hold().await;
    let town = liancha_domain::Township {
        code: "532323999".into(),
        name: "新设镇".into(),
    };
    let added = w.mouding.add_township(&town, &w.coordinator, t0()).await;
    release.await.unwrap();
    assert!(added.is_ok(), "{added:?}");
}

/// Two clerks correct the same entity from the same page at the same instant:
/// exactly one change is kept, whole; the other is refused as stale, and the
/// county's trail has one entry for the one change.
async fn record_edit_races(store: &Store) {
    use liancha_domain::record_edit::{EntityDetails, Reason};
    use liancha_domain::{EntityStatus, RiskClass};
    use liancha_store::record_edit::RecordEdit;
    let w = world(store).await;
    let entities = w
        .mouding
        .entities(
            &liancha_store::directories::EntityFilter {
                status: Some(EntityStatus::Active),
                ..Default::default()
            },
            0,
            TRIALS as i64,
        )
        .await
        .unwrap()
        .rows;
    for e in entities {
        let (_, shown) = w.mouding.entity_details(&e.id).await.unwrap().unwrap();
        let before = w.mouding.audit_recent(100_000).await.unwrap().len();
        let change = |status: EntityStatus, risk: RiskClass| EntityDetails {
            status,
            risk_class: risk,
            ..shown.clone()
        };
        let (a_change, b_change) = (
            change(EntityStatus::Deregistered, shown.risk_class),
            change(
                shown.status,
                if shown.risk_class == RiskClass::D {
                    RiskClass::A
                } else {
                    RiskClass::D
                },
            ),
        );
        let (s1, s2) = (w.clone(), w.clone());
        let (id1, id2) = (e.id.clone(), e.id.clone());
        let (shown1, shown2) = (shown.clone(), shown.clone());
        let (a, b) = fire(
            move || async move {
                s1.mouding
                    .update_entity(
                        &id1,
                        RecordEdit {
                            expected: Some(&shown1),
                            change: &a_change,
                            reason: &Reason::parse("注销公告").unwrap(),
                        },
                        &s1.amr,
                        after(),
                    )
                    .await
                    .map(|_| "entity.update")
            },
            move || async move {
                s2.mouding
                    .update_entity(
                        &id2,
                        RecordEdit {
                            expected: Some(&shown2),
                            change: &b_change,
                            reason: &Reason::parse("风险分类调整").unwrap(),
                        },
                        &s2.coordinator,
                        after(),
                    )
                    .await
                    .map(|_| "entity.update")
            },
        )
        .await;
        let won: Vec<_> = [&a, &b].into_iter().filter(|o| o.is_ok()).collect();
        assert_eq!(won.len(), 1, "exactly one edit is kept: {a:?} {b:?}");
        for o in [&a, &b] {
            if let Err(e) = o {
                assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
            }
        }
        let (_, now) = w.mouding.entity_details(&e.id).await.unwrap().unwrap();
        let changed = [
            now.status != shown.status,
            now.risk_class != shown.risk_class,
        ];
        assert_eq!(
            changed.iter().filter(|c| **c).count(),
            1,
            "one change, whole: {now:?}"
        );
        let after_edit = w.mouding.audit_recent(100_000).await.unwrap().len();
        assert_eq!(after_edit, before + 1, "one audit entry for the one change");
    }
}

/// 扫码入企 at the same time: a double tap of 签到 is one check-in; two complaints
/// at the last free place make the cap, not one more; a check-in as the results
/// are submitted either comes first or is refused.
async fn check_in_races(store: &Store) {
    use liancha_domain::check_in::{Complaint, MAX_COMPLAINTS_PER_VISIT};
    let w = world(store).await;
    for trial in 0..TRIALS {
        let id = task_at(&w, trial, Stage::Drawn).await;
        let e = first_assigned(&w, id).await;
        let code = w.mouding.visit(id, &e).await.unwrap().unwrap().check_code;
        let tap = move |w: Arc<World>, e: String, code: String| async move {
            w.mouding
                .check_in(id, &e, &code, "甲、乙", None, &w.amr, after())
                .await
                .map(|_| "visit.check-in")
        };
        let (a, b) = fire(
            {
                let (w, e, code) = (w.clone(), e.clone(), code.clone());
                move || tap(w, e, code)
            },
            {
                let (w, e, code) = (w.clone(), e.clone(), code.clone());
                move || tap(w, e, code)
            },
        )
        .await;
        assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
        let by_amr = w
            .mouding
            .check_ins(id, &e)
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.user_id == w.amr.user_id)
            .count();
        assert_eq!(by_amr, 1, "trial {trial}: a double tap is one check-in");

        // Complaints: the last free place taken once.
        let complaint = Complaint {
            text: "竞态投诉".into(),
            contact: None,
        };
        for _ in 1..MAX_COMPLAINTS_PER_VISIT {
            w.mouding
                .complain(&code, &complaint, after())
                .await
                .unwrap();
        }
        let file = move |w: Arc<World>, code: String| async move {
            let c = Complaint {
                text: "竞态投诉".into(),
                contact: None,
            };
            w.mouding
                .complain(&code, &c, after())
                .await
                .map(|_| "visit.complaint")
        };
        let (a, b) = fire(
            {
                let (w, code) = (w.clone(), code.clone());
                move || file(w, code)
            },
            {
                let (w, code) = (w.clone(), code.clone());
                move || file(w, code)
            },
        )
        .await;
        assert!(a.is_ok() != b.is_ok(), "trial {trial}: {a:?} {b:?}");
        for r in [&a, &b] {
            if let Err(e) = r {
                assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
            }
        }

        // A second visit: checked in as its results are submitted.
        let second = assigned(&w.mouding, id).await[1].clone();
        let code = w
            .mouding
            .visit(id, &second)
            .await
            .unwrap()
            .unwrap()
            .check_code;
        let (a, b) = fire(
            {
                let (w, e, code) = (w.clone(), second.clone(), code.clone());
                move || async move {
                    w.mouding
                        .check_in(id, &e, &code, "丙、丁", None, &w.agri, after())
                        .await
                        .map(|_| "visit.check-in")
                }
            },
            {
                let (w, e) = (w.clone(), second.clone());
                move || async move {
                    w.mouding
                        .record_results(
                            id,
                            &e,
                            today(),
                            &[ok("SC-001"), ok("NY-001")],
                            &w.amr,
                            after(),
                        )
                        .await
                        .map(|_| "visit.submit")
                }
            },
        )
        .await;
        assert!(b.is_ok(), "{b:?}");
        let by_agri = w
            .mouding
            .check_ins(id, &second)
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.user_id == w.agri.user_id)
            .count();
        match &a {
            Ok(_) => assert_eq!(by_agri, 1),
            Err(e) => {
                assert!(matches!(e, StoreError::WrongState(_)), "{e:?}");
                assert_eq!(by_agri, 0, "a refused check-in leaves nothing");
            }
        }
    }
    eprintln!(
        "check-in × check-in, complaint × complaint, check-in × submit: {TRIALS} trials on {}; 0 invariant violations",
        w.store.engine().name()
    );
}

/// A correction after an objection and another task's publication at once: both
/// write the published results (taking `public_version`, migration 0031) and the
/// audit and log heads, in the same order, so neither waits on the other for ever
/// (PostgreSQL would abort one as a deadlock).
async fn correction_races(store: &Store) {
    let w = world(store).await;
    for trial in 0..TRIALS {
        let published = task_at(&w, trial, Stage::Published).await;
        let first = first_assigned(&w, published).await;
        let code = w
            .mouding
            .visit(published, &first)
            .await
            .unwrap()
            .unwrap()
            .check_code;
        let objection = liancha_domain::credit_repair::Objection::parse(
            "amr",
            "营业执照一项的结果与事实不符",
            "李会计 13800000000",
        )
        .unwrap();
        let o = w
            .mouding
            .object_to_result(&code, &objection, after())
            .await
            .unwrap();
        let other = task_at(&w, trial + 500, Stage::Approved).await;
        let v = version(&w, other).await;
        let before = w.mouding.store().public_results_version().await.unwrap();
        let (s1, s2) = (w.clone(), w.clone());
        let (a, b) = fire(
            move || async move {
                s1.mouding
                    .answer_objection(
                        o,
                        "amr",
                        "经复核，企业已于检查前办结变更登记",
                        Some(("SC-001", &[ResultCategory::NoProblem], "")),
                        &s1.amr,
                        after(),
                    )
                    .await
                    .map(|_| "result.correct")
            },
            move || async move { publish(&s2, other, v).await },
        )
        .await;
        assert!(a.is_ok() && b.is_ok(), "both done: {a:?} {b:?}");
        assert!(w.mouding.store().public_results_version().await.unwrap() >= before + 2);
    }
    check_log(&w).await;
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn writes_wait_for_the_write_lock() {
        let db = liancha_store::testing::TestDb::new(liancha_store::Engine::Sqlite).await;
        super::writes_wait_for_the_write_lock(&db.store).await;
        db.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn workflow_races() {
        let db = liancha_store::testing::TestDb::new(liancha_store::Engine::Sqlite).await;
        super::workflow_races(&db.store).await;
        db.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn follow_up_races() {
        let db = liancha_store::testing::TestDb::new(liancha_store::Engine::Sqlite).await;
        super::follow_up_races(&db.store).await;
        db.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn plan_races() {
        let db = liancha_store::testing::TestDb::new(liancha_store::Engine::Sqlite).await;
        super::plan_races(&db.store).await;
        db.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn record_edit_races() {
        let db = liancha_store::testing::TestDb::new(liancha_store::Engine::Sqlite).await;
        super::record_edit_races(&db.store).await;
        db.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn attachment_races() {
        let db = liancha_store::testing::TestDb::new(liancha_store::Engine::Sqlite).await;
        super::attachment_races(&db.store).await;
        db.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn check_in_races() {
        let db = liancha_store::testing::TestDb::new(liancha_store::Engine::Sqlite).await;
        super::check_in_races(&db.store).await;
        db.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn correction_races() {
        let db = liancha_store::testing::TestDb::new(liancha_store::Engine::Sqlite).await;
        super::correction_races(&db.store).await;
        db.finish().await;
    }
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn workflow_races() {
        let db = liancha_store::testing::TestDb::new(liancha_store::Engine::Postgres).await;
        super::workflow_races(&db.store).await;
        db.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn follow_up_races() {
        let db = liancha_store::testing::TestDb::new(liancha_store::Engine::Postgres).await;
        super::follow_up_races(&db.store).await;
        db.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn plan_races() {
        let db = liancha_store::testing::TestDb::new(liancha_store::Engine::Postgres).await;
        super::plan_races(&db.store).await;
        db.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn record_edit_races() {
        let db = liancha_store::testing::TestDb::new(liancha_store::Engine::Postgres).await;
        super::record_edit_races(&db.store).await;
        db.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn attachment_races() {
        let db = liancha_store::testing::TestDb::new(liancha_store::Engine::Postgres).await;
        super::attachment_races(&db.store).await;
        db.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn check_in_races() {
        let db = liancha_store::testing::TestDb::new(liancha_store::Engine::Postgres).await;
        super::check_in_races(&db.store).await;
        db.finish().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn correction_races() {
        let db = liancha_store::testing::TestDb::new(liancha_store::Engine::Postgres).await;
        super::correction_races(&db.store).await;
        db.finish().await;
    }
}
