//! Every oversight figure, computed again here from the rows it counts (tasks,
//! visits, results, targeted inspections, follow-ups), on both engines: the dashboard
//! and the monthly report must agree with a clerk counting by hand.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use liancha_domain::calendar::china_date;
use liancha_domain::workflow::{ResultCategory, SourceDecl, TaskMode, TaskState, VisitState};
use liancha_domain::{Domain, InspectionMethod};
use liancha_store::Store;
use liancha_store::accounts::Actor;
use liancha_store::demo::{self, DemoSize};
use liancha_store::oversight::{Figures, task_departments};
use liancha_store::results::ItemResult;
use liancha_store::tasks::{NewTask, QuotaSpec, Task, TaskFilter, TaskScopeFilter};

liancha_store::on_both_engines!(figures_add_up);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

async fn actor(store: &Store, name: &str) -> Actor {
    let u = store.user_by_name(name).await.unwrap().unwrap();
    (&u.principal()).into()
}

fn result(code: &str, c: ResultCategory) -> ItemResult {
    ItemResult {
        item_code: code.into(),
        categories: vec![c],
        methods: vec![InspectionMethod::OnSite],
        findings: String::new(),
    }
}

/// A task of `domain` led by `lead` with `items`, taken to `state`; every assigned
/// visit gets results (the first with a problem) once drawn.
async fn task(
    store: &Store,
    n: u32,
    domain: Domain,
    lead: &str,
    items: &[&str],
    state: TaskState,
) -> i64 {
    let mouding = liancha_store::testing::mouding_county(store).await;
    let coordinator = actor(store, "bianban").await;
    let now = t0() + Duration::minutes(n as i64);
    let id = mouding
        .create_task(
            &NewTask {
                year: 2026,
                title: format!("督查试验 {n}"),
                domain,
                mode: TaskMode::Comprehensive,
                lead_department: lead.into(),
                items: items.iter().map(|c| c.to_string()).collect(),
                scope: TaskScopeFilter::default(),
                quotas: QuotaSpec::Count([1, 1, 1, 0]),
                team_count: 1,
                team_size: 2,
                avoid_same_township: false,
                inspection_start: today(),
                inspection_end: today() + Duration::days(30),
                plan_entry_id: None,
            },
            &coordinator,
            now,
        )
        .await
        .unwrap();
    if state == TaskState::Draft {
        return id;
    }
    let v = mouding.task_or_404(id).await.unwrap().version;
    liancha_store::testing::approve(&mouding, id, v, now).await;
    let dice = SourceDecl::other("掷骰", now + Duration::minutes(1)).unwrap();
    mouding
        .commit_task(id, v, &[dice], &coordinator, now)
        .await
        .unwrap();
    let v = mouding.task_or_404(id).await.unwrap().version;
    if state == TaskState::Cancelled {
        mouding
            .cancel_task(id, v, "合并到专项检查", &coordinator, now)
            .await
            .unwrap();
        return id;
    }
    let later = now + Duration::minutes(2);
    mouding
        .reveal_and_draw(id, v, &[format!("{n} 4 2")], &coordinator, later)
        .await
        .unwrap();
    let t = mouding.task_or_404(id).await.unwrap();
    liancha_store::testing::check_in_all(&mouding, id, later).await;
    for (i, visit) in mouding
        .visits(id)
        .await
        .unwrap()
        .iter()
        .filter(|v| v.team_no.is_some())
        .enumerate()
    {
        for dept in t.departments() {
            let who = actor(store, &format!("{dept}-admin")).await;
            let results: Vec<ItemResult> = t
                .items
                .iter()
                .filter(|it| it.department == dept)
                .map(|it| {
                    let c = if i == 0 {
                        ResultCategory::Corrected
                    } else {
                        ResultCategory::NoProblem
                    };
                    result(&it.code, c)
                })
                .collect();
            mouding
                .record_department_results(
                    id,
                    &visit.entity_id,
                    &dept,
                    None,
                    today(),
                    &results,
                    &who,
                    later,
                )
                .await
                .unwrap();
        }
    }
    if state == TaskState::Published {
        for dept in t.departments() {
            let who = actor(store, &format!("{dept}-admin")).await;
            mouding
                .approve_results(id, &dept, &who, later)
                .await
                .unwrap();
        }
        let v = mouding.task_or_404(id).await.unwrap().version;
        mouding
            .publish_task(id, v, &coordinator, later)
            .await
            .unwrap();
    }
    id
}

/// The figures of `tasks`, counted from the rows: whom each task and each result
/// belongs to, as the notice and the report's wording say.
struct Expected {
    by_dept: BTreeMap<String, Figures>,
    by_domain: BTreeMap<Domain, Figures>,
    total: Figures,
}

async fn count(store: &Store, tasks: &[Task]) -> Expected {
    let mouding = liancha_store::testing::mouding_county(store).await;
    let state = |s: TaskState| TaskState::ALL.iter().position(|x| *x == s).unwrap();
    let mut by_dept: BTreeMap<String, Figures> = BTreeMap::new();
    let mut by_domain: BTreeMap<Domain, Figures> = BTreeMap::new();
    let mut total = Figures::default();
    let mut dept_sets: BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    let mut domain_sets: BTreeMap<Domain, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    let mut all: (BTreeSet<String>, BTreeSet<String>) = Default::default();
    for t in tasks {
        total.tasks_by_state[state(t.state)] += 1;
        by_domain.entry(t.domain).or_default().tasks_by_state[state(t.state)] += 1;
        for d in task_departments(t) {
            by_dept.entry(d).or_default().tasks_by_state[state(t.state)] += 1;
        }
        if t.state != TaskState::Cancelled {
            by_dept.entry(t.lead_department.clone()).or_default().led += 1;
        }
        for v in mouding.visits(t.id).await.unwrap() {
            if !matches!(v.state, VisitState::Submitted | VisitState::Published) {
                continue;
            }
            for (code, r) in mouding.visit_results(t.id, &v.entity_id).await.unwrap() {
                let dept = &t.items.iter().find(|i| i.code == code).unwrap().department;
                let problem = r.categories.iter().any(|c| c.is_problem());
                for (ins, pro) in [
                    dept_sets.entry(dept.clone()).or_default(),
                    domain_sets.entry(t.domain).or_default(),
                    &mut all,
                ] {
                    ins.insert(v.entity_id.clone());
                    if problem {
                        pro.insert(v.entity_id.clone());
                    }
                }
            }
        }
    }
    for (d, (ins, pro)) in dept_sets {
        let f = by_dept.entry(d).or_default();
        f.inspected = ins.len() as i64;
        f.with_problems = pro.len() as i64;
    }
    for (d, (ins, pro)) in domain_sets {
        let f = by_domain.entry(d).or_default();
        f.inspected = ins.len() as i64;
        f.with_problems = pro.len() as i64;
    }
    total.inspected = all.0.len() as i64;
    total.with_problems = all.1.len() as i64;
    Expected {
        by_dept,
        by_domain,
        total,
    }
}

/// The figures this test counts: task states, leads, inspected and problem entities.
fn counted(f: &Figures) -> ([i64; 5], i64, i64, i64) {
    (f.tasks_by_state, f.led, f.inspected, f.with_problems)
}

async fn figures_add_up(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    demo::load(
        store,
        DemoSize {
            legal_persons: 60,
            individuals: 140,
        },
        &|_, _| {},
    )
    .await
    .unwrap();
    demo::accounts(store, t0()).await.unwrap();
    // A joint market task with an agriculture item; a cancelled market task; an
    // agriculture task in review; a draft.
    task(
        store,
        1,
        Domain::Market,
        "amr",
        &["SC-001", "NY-001"],
        TaskState::Published,
    )
    .await;
    task(
        store,
        2,
        Domain::Market,
        "amr",
        &["SC-001"],
        TaskState::Cancelled,
    )
    .await;
    task(
        store,
        3,
        Domain::Agriculture,
        "agri",
        &["NY-001"],
        TaskState::Drawn,
    )
    .await;
    task(
        store,
        4,
        Domain::Market,
        "amr",
        &["SC-002"],
        TaskState::Draft,
    )
    .await;

    let now = t0() + Duration::days(1);
    let o = mouding.oversight(2026, None, now).await.unwrap();
    let tasks = mouding
        .tasks(&TaskFilter {
            year: Some(2026),
            ..TaskFilter::default()
        })
        .await
        .unwrap();
    let want = count(store, &tasks).await;

    // The county: three tasks, the cancelled one apart.
    assert_eq!(o.total.tasks(), 3);
    assert_eq!(o.total.cancelled(), 1);
    assert_eq!(
        (
            o.total.tasks_by_state,
            o.total.inspected,
            o.total.with_problems
        ),
        (
            want.total.tasks_by_state,
            want.total.inspected,
            want.total.with_problems
        )
    );
    // Each task in exactly one domain: the domains' rows add up to the county's.
    let mut sum = [0i64; 5];
    for (domain, f) in &o.domains {
        let expected = want.by_domain.get(domain).cloned().unwrap_or_default();
        assert_eq!(
            (f.tasks_by_state, f.inspected, f.with_problems),
            (
                expected.tasks_by_state,
                expected.inspected,
                expected.with_problems
            ),
            "{domain:?}"
        );
        for (s, n) in sum.iter_mut().zip(f.tasks_by_state) {
            *s += n;
        }
    }
    assert_eq!(sum, o.total.tasks_by_state);
    let market = &o
        .domains
        .iter()
        .find(|(d, _)| *d == Domain::Market)
        .unwrap()
        .1;
    let agriculture = &o
        .domains
        .iter()
        .find(|(d, _)| *d == Domain::Agriculture)
        .unwrap()
        .1;
    assert_eq!((market.tasks(), agriculture.tasks()), (2, 1));
    // Departments: what each leads, takes part in and inspected.
    for (d, f) in &o.departments {
        let expected = want.by_dept.get(&d.code).cloned().unwrap_or_default();
        assert_eq!(counted(f), counted(&expected), "{}", d.code);
    }
    let amr = &o
        .departments
        .iter()
        .find(|(d, _)| d.code == "amr")
        .unwrap()
        .1;
    let agri = &o
        .departments
        .iter()
        .find(|(d, _)| d.code == "agri")
        .unwrap()
        .1;
    assert_eq!(
        (amr.led, agri.led),
        (2, 1),
        "amr leads the joint task and the draft"
    );
    assert_eq!((amr.tasks(), agri.tasks()), (2, 2));
    assert!(agri.inspected > 0 && agri.with_problems > 0);

    // The month: the same figures, for tasks created and results submitted in it.
    let m = china_date(t0()).month();
    let month = mouding.oversight(2026, Some(m), now).await.unwrap();
    assert_eq!(counted(&month.total), counted(&o.total));
    let other = mouding
        .oversight(2026, Some(m % 12 + 1), now)
        .await
        .unwrap();
    assert_eq!(other.total.tasks(), 0);
    assert_eq!(other.total.inspected, 0);
}
