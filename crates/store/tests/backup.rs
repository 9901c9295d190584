//! The restore drill, on both engines: back up while staff keep drawing tasks, restore
//! the copy into a database of its own, and check that everything in it holds: every
//! draw record verifies and matches its committed plan digest, and the audit log is
//! an exact prefix of the live one.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use liancha_domain::Domain;
use liancha_domain::workflow::{SourceDecl, TaskMode, TaskState};
use liancha_store::accounts::Actor;
use liancha_store::demo::{self, DemoSize};
use liancha_store::tasks::{NewTask, QuotaSpec, TaskFilter, TaskScopeFilter};
use liancha_store::testing::TestDb;
use liancha_store::{Engine, Store, StoreError};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

/// A task drawn from the small county, of its own year (the annual cap never binds).
async fn drawn_task(store: &Store, who: &Actor, n: i32) -> i64 {
    let mouding = liancha_store::testing::mouding_county(store).await;
    let id = mouding
        .create_task(
            &NewTask {
                year: 2000 + n % 100,
                title: format!("备份演练任务 {n}"),
                domain: Domain::Market,
                mode: TaskMode::Comprehensive,
                lead_department: "amr".into(),
                items: vec!["SC-001".into(), "NY-001".into()],
                scope: TaskScopeFilter::default(),
                quotas: QuotaSpec::Count([1, 1, 1, 1]),
                team_count: 2,
                team_size: 2,
                avoid_same_township: false,
                inspection_start: today(),
                inspection_end: today() + Duration::days(30),
                plan_entry_id: None,
            },
            who,
            t0(),
        )
        .await
        .unwrap();
    let v = mouding.task_or_404(id).await.unwrap().version;
    liancha_store::testing::approve(&mouding, id, v, t0()).await;
    let dice = SourceDecl::other("公证员现场掷骰", t0() + Duration::minutes(5)).unwrap();
    mouding
        .commit_task(id, v, &[dice], who, t0())
        .await
        .unwrap();
    let v = mouding.task_or_404(id).await.unwrap().version;
    mouding
        .reveal_and_draw(
            id,
            v,
            &[format!("{n} 6 2 8")],
            who,
            t0() + Duration::minutes(10),
        )
        .await
        .unwrap();
    // Cancelled, so that its entities are free for the next task.
    let v = mouding.task_or_404(id).await.unwrap().version;
    mouding
        .cancel_task(id, v, "演练", who, t0() + Duration::minutes(10))
        .await
        .unwrap();
    id
}

/// Restores `file` into a database of its own and opens it.
async fn restore(engine: Engine, file: &std::path::Path) -> (Store, Option<TestDb>) {
    match engine {
        Engine::Sqlite => {
            let dir = tempfile::tempdir().unwrap().keep();
            let path = dir.join("restored.db");
            std::fs::copy(file, &path).unwrap();
            let store = Store::open(&format!("sqlite://{}", path.display()))
                .await
                .unwrap();
            (store, None)
        }
        Engine::Postgres => {
            // An empty database with nothing but what pg_restore brings.
            let target = TestDb::new(Engine::Postgres).await;
            liancha_store::with_pool!(target.store, p => {
                sqlx::query("DROP SCHEMA public CASCADE").execute(p).await.unwrap();
                sqlx::query("CREATE SCHEMA public").execute(p).await.unwrap();
            });
            let out = std::process::Command::new("pg_restore")
                .arg("--no-owner")
                .arg(format!("--dbname={}", target.url))
                .arg(file)
                .output()
                .expect("pg_restore is installed with the PostgreSQL client");
            assert!(
                out.status.success(),
                "pg_restore: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let store = Store::open(&target.url).await.unwrap();
            (store, Some(target))
        }
    }
}

async fn drill(engine: Engine) {
    let db = TestDb::new(engine).await;
    let store = db.store.clone();
    demo::load(
        &store,
        DemoSize {
            legal_persons: 120,
            individuals: 380,
        },
        &|_, _| {},
    )
    .await
    .unwrap();
    demo::accounts(&store, t0()).await.unwrap();
    let who: Actor = (&store
        .user_by_name("bianban")
        .await
        .unwrap()
        .unwrap()
        .principal())
        .into();
    for n in 0..3 {
        drawn_task(&store, &who, n).await;
    }

    // Staff keep drawing while the backup runs.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (store, who, stop) = (store.clone(), who.clone(), stop.clone());
        tokio::spawn(async move {
            let mut n = 3;
            while !stop.load(Ordering::Relaxed) || n < 6 {
                drawn_task(&store, &who, n).await;
                n += 1;
            }
            n
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("liancha.backup");
    let out = store.backup(&file).await.unwrap();
    assert!(out.bytes > 0);
    // A second backup never overwrites the first.
    assert!(matches!(
        store.backup(&file).await,
        Err(StoreError::Invalid { .. })
    ));
    stop.store(true, Ordering::Relaxed);
    let written = writer.await.unwrap();
    assert!(written >= 6);

    let (restored, target) = restore(engine, &file).await;
    let restored_store = restored;
    let restored = liancha_store::testing::mouding_county(&restored_store).await;
    let tasks = restored.tasks(&TaskFilter::default()).await.unwrap();
    assert!(tasks.len() >= 3, "the tasks from before the backup");
    for t in &tasks {
        let plan = restored.plan_json(t.id).await.unwrap();
        let record = restored.draw_record(t.id).await.unwrap();
        // A copy taken between two steps of a task holds the first step whole.
        if matches!(t.state, TaskState::Drawn | TaskState::Published) {
            assert!(record.is_some(), "task {}: drawn without its record", t.id);
        }
        if t.state != TaskState::Draft {
            let plan = plan.expect("a committed task has its plan");
            let digest = liancha_draw::hex::encode(&liancha_draw::plan_digest(
                &liancha_draw::Plan::parse(plan.as_bytes()).unwrap(),
            ));
            assert_eq!(Some(digest), t.plan_digest, "task {}", t.id);
        }
        // Every draw record in the copy verifies and belongs to its committed plan.
        if let Some(record) = record {
            let summary = liancha_draw::verify_record(record.as_bytes()).unwrap();
            assert!(summary.selected > 0);
            assert_eq!(
                liancha_draw::Record::parse(record.as_bytes())
                    .unwrap()
                    .plan_digest_hex(),
                t.plan_digest.clone().unwrap(),
                "task {}",
                t.id
            );
        }
    }
    // The audit log of the copy is the live log up to some point, entry for entry.
    let live = liancha_store::testing::mouding_county(&store)
        .await
        .audit_recent(1_000_000)
        .await
        .unwrap();
    let copy = restored.audit_recent(1_000_000).await.unwrap();
    assert!(!copy.is_empty());
    assert!(copy.len() <= live.len());
    let oldest_first = |v: &[liancha_store::accounts::AuditEntry]| {
        let mut v = v.to_vec();
        v.sort_by_key(|e| e.id);
        v
    };
    let (live, copy) = (oldest_first(&live), oldest_first(&copy));
    assert_eq!(&live[..copy.len()], &copy[..], "the copy's log is a prefix");
    // And it goes on working: the copy takes new work.
    drawn_task(&restored_store, &who, 99).await;
    restored_store.close().await;
    if let Some(t) = target {
        t.finish().await;
    }
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_drill_sqlite() {
    drill(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_drill_postgres() {
    drill(Engine::Postgres).await;
}
