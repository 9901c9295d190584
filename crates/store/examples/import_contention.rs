//! Staff writes during a large re-import: how long each waited and how it ended.
//!
//! cargo run --release -p liancha-store --example import_contention -- [ROWS] [sqlite|postgres|both]
//!
//! Loads ROWS (default 1,000,000) generated entities, then imports the same file again
//! (every row an update) while a clerk saves a draft task every 250 ms. Each save is
//! timed from the request to its answer: saved, or refused as busy (the web answers
//! that with a 503 page and Retry-After; anything else would be a defect).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use liancha_domain::Domain;
use liancha_domain::rows::{ENTITY_COLUMNS, entity_cells};
use liancha_domain::workflow::TaskMode;
use liancha_sheet::{TableWriter, WriteColumn};
use liancha_store::accounts::Actor;
use liancha_store::demo::{self, DemoSize};
use liancha_store::import::Kind;
use liancha_store::tasks::{NewTask, QuotaSpec, TaskScopeFilter};
use liancha_store::testing::TestDb;
use liancha_store::{Engine, StoreError};

fn generate(path: &Path, rows: usize) {
    let legal = rows * 14 / 100;
    let all = demo::entities(DemoSize {
        legal_persons: legal,
        individuals: rows - legal,
    });
    let columns: Vec<WriteColumn> = ENTITY_COLUMNS
        .iter()
        .map(|c| WriteColumn::text(c.header))
        .collect();
    let mut w = TableWriter::create(path, &columns).expect("create csv");
    for e in &all {
        w.write_row(entity_cells(e)).expect("write row");
    }
    w.finish().expect("finish csv");
}

fn draft(n: usize) -> NewTask {
    let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    NewTask {
        year: 2026,
        title: format!("导入期间保存的草稿 {n}"),
        domain: Domain::Market,
        mode: TaskMode::Comprehensive,
        lead_department: "amr".into(),
        items: vec!["SC-001".into()],
        scope: TaskScopeFilter::default(),
        quotas: QuotaSpec::RuleBook,
        team_count: 1,
        team_size: 2,
        avoid_same_township: false,
        inspection_start: day,
        inspection_end: day,
        plan_entry_id: None,
    }
}

async fn run(engine: Engine, csv: &Path) {
    let db = TestDb::new(engine).await;
    let store = db.store.clone();
    demo::load(
        &store,
        DemoSize {
            legal_persons: 0,
            individuals: 0,
        },
        &|_, _| {},
    )
    .await
    .expect("reference data");
    demo::accounts(&store, Utc::now()).await.expect("accounts");
    let who: Actor = (&store
        .user_by_name("bianban")
        .await
        .unwrap()
        .unwrap()
        .principal())
        .into();
    let first = liancha_store::testing::mouding_county(&store)
        .await
        .import_file(Kind::Entities, csv, &|_| {})
        .await
        .expect("first import");

    let import = {
        let (store, csv) = (store.clone(), csv.to_path_buf());
        tokio::spawn(async move {
            let start = Instant::now();
            let county = liancha_store::testing::mouding_county(&store).await;
            let out = county.import_file(Kind::Entities, &csv, &|_| {}).await;
            (start.elapsed(), out)
        })
    };
    let mut saves: Vec<(Duration, Result<(), String>)> = Vec::new();
    let mut pending = Vec::new();
    let mut n = 0;
    while !import.is_finished() {
        let (store, who) = (store.clone(), who.clone());
        pending.push(tokio::spawn(async move {
            let start = Instant::now();
            let county = liancha_store::testing::mouding_county(&store).await;
            let r = county.create_task(&draft(n), &who, Utc::now()).await;
            (
                start.elapsed(),
                r.map(|_| ()).map_err(|e| match e {
                    StoreError::Busy { .. } => "busy".to_string(),
                    e => format!("OTHER: {e}"),
                }),
            )
        }));
        n += 1;
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (took, out) = import.await.unwrap();
    let out = out.expect("re-import");
    for p in pending {
        saves.push(p.await.unwrap());
    }
    let ok: Vec<Duration> = saves.iter().filter(|s| s.1.is_ok()).map(|s| s.0).collect();
    let busy: Vec<Duration> = saves
        .iter()
        .filter(|s| s.1.as_ref().is_err_and(|e| e == "busy"))
        .map(|s| s.0)
        .collect();
    let other: Vec<&String> = saves
        .iter()
        .filter_map(|s| s.1.as_ref().err())
        .filter(|e| *e != "busy")
        .collect();
    let max = |v: &[Duration]| v.iter().max().copied().unwrap_or_default();
    let median = |v: &[Duration]| {
        let mut v = v.to_vec();
        v.sort();
        v.get(v.len() / 2).copied().unwrap_or_default()
    };
    println!(
        "{}: re-import of {} rows ({} updated) took {:.1} s; {} saves during it: {} saved (median wait {:.2} s, max {:.2} s), \
         {} refused as busy / 503 (max wait {:.2} s), {} other failures",
        engine.name(),
        first.rows,
        out.updated,
        took.as_secs_f64(),
        saves.len(),
        ok.len(),
        median(&ok).as_secs_f64(),
        max(&ok).as_secs_f64(),
        busy.len(),
        max(&busy).as_secs_f64(),
        other.len()
    );
    for o in other.iter().take(3) {
        println!("  {o}");
    }
    db.finish().await;
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let rows: usize = args
        .next()
        .map(|a| a.parse().expect("ROWS"))
        .unwrap_or(1_000_000);
    let which = args.next().unwrap_or_else(|| "both".into());
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("entities.csv");
    generate(&csv, rows);
    if which != "postgres" {
        run(Engine::Sqlite, &csv).await;
    }
    if which != "sqlite" {
        run(Engine::Postgres, &csv).await;
    }
}
