//! Import benchmark: a generated entity CSV of N rows (default 1,000,000) imported with
//! full validation into SQLite and PostgreSQL, side by side in one run with each
//! engine's own bulk loader taking the same file without validation
//! (`sqlite3 .import`, PostgreSQL `\copy`).
//!
//! cargo run --release -p liancha-store --example import_bench -- [ROWS]
//!
//! Needs the `sqlite3` and `psql` command-line tools and PostgreSQL at
//! `LIANCHA_TEST_PG` (default postgres://postgres@127.0.0.1:5432/postgres).

/// Many small allocations freed on another thread than the one that made them (import
/// batches) are where glibc's allocator is slowest.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use liancha_domain::rows::{ENTITY_COLUMNS, entity_cells};
use liancha_sheet::{TableWriter, WriteColumn};
use liancha_store::demo::{self, DemoSize};
use liancha_store::import::Kind;
use liancha_store::testing::{TestDb, postgres_admin_url};
use liancha_store::{Engine, Store};

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

/// Lets the writing of the previous step finish before the next is timed: the kernel
/// flushes dirty pages, PostgreSQL checkpoints. Otherwise one step's write-back lands
/// in the next one's time on a 2-core machine (and in which one depends on the order).
fn settle() {
    let _ = Command::new("sync").status();
    let _ = Command::new("psql")
        .args([&postgres_admin_url(), "-qc", "CHECKPOINT"])
        .output();
}

fn run(cmd: &mut Command) -> Duration {
    let start = Instant::now();
    let out = cmd.output().expect("run command");
    let elapsed = start.elapsed();
    assert!(
        out.status.success(),
        "{:?} failed: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
    elapsed
}

async fn liancha_import(engine: Engine, csv: &Path) -> (Duration, u64) {
    let db = TestDb::new(engine).await;
    // Townships and departments the rows are checked against.
    demo::load(
        &db.store,
        DemoSize {
            legal_persons: 0,
            individuals: 0,
        },
        &|_, _| {},
    )
    .await
    .expect("reference data");
    settle();
    let start = Instant::now();
    let county = liancha_store::testing::mouding_county(&db.store).await;
    let out = county
        .import_file(Kind::Entities, csv, &|_| {})
        .await
        .expect("import");
    let elapsed = start.elapsed();
    assert_eq!(
        county.counts().await.expect("counts").entities as u64,
        out.rows
    );
    db.finish().await;
    (elapsed, out.rows)
}

fn raw_columns() -> String {
    (0..ENTITY_COLUMNS.len())
        .map(|i| format!("c{i} text"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[tokio::main]
async fn main() {
    if std::env::var("BENCH_LOG").is_ok() {
        tracing_subscriber::fmt()
            .with_env_filter("liancha_store=debug")
            .init();
    }
    let rows: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("ROWS is a number"))
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = match std::env::var("BENCH_CSV") {
        Ok(p) => std::path::PathBuf::from(p),
        Err(_) => dir.path().join("entities.csv"),
    };
    let t = Instant::now();
    if !csv.exists() {
        generate(&csv, rows);
    }
    let size = std::fs::metadata(&csv).expect("csv").len();
    println!(
        "generated {rows} rows, {:.1} MB, in {:.2?}",
        size as f64 / 1e6,
        t.elapsed()
    );

    // BENCH_ONLY=sqlite or postgres: one engine, one line.
    let only = std::env::var("BENCH_ONLY");
    // SQLite: the CLI's .import into a plain table, no validation, no indexes.
    let raw_db = dir.path().join("raw.db");
    let (sqlite_raw, sqlite_ours) = if only.as_deref() == Ok("postgres") {
        (Duration::ZERO, Duration::ZERO)
    } else {
        settle();
        let raw = run(Command::new("sqlite3").arg(&raw_db).args([
            &format!("CREATE TABLE entities_raw ({})", raw_columns()),
            ".mode csv",
            &format!(".import --skip 1 {} entities_raw", csv.display()),
        ]));
        (raw, liancha_import(Engine::Sqlite, &csv).await.0)
    };
    if only.as_deref() == Ok("sqlite") {
        println!(
            "sqlite3 .import {:.2?}, liancha {:.2?}",
            sqlite_raw, sqlite_ours
        );
        return;
    }

    // PostgreSQL: \copy (COPY FROM STDIN through psql) into a plain table.
    let admin = postgres_admin_url();
    let pg_raw = {
        let db = TestDb::new(Engine::Postgres).await;
        let store: &Store = &db.store;
        let _ = store;
        let create = format!("CREATE TABLE entities_raw ({})", raw_columns());
        run(Command::new("psql").args([&db.url, "-q", "-v", "ON_ERROR_STOP=1", "-c", &create]));
        settle();
        let t = run(Command::new("psql").args([
            &db.url,
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            &format!(
                "\\copy entities_raw FROM '{}' WITH (FORMAT csv, HEADER true)",
                csv.display()
            ),
        ]));
        db.finish().await;
        t
    };
    let _ = admin;
    let (pg_ours, n) = liancha_import(Engine::Postgres, &csv).await;
    if only.as_deref() == Ok("postgres") {
        println!("psql \\copy {pg_raw:.2?}, liancha {pg_ours:.2?}");
        return;
    }

    println!();
    println!(
        "{:<44} {:>10} {:>12} {:>8}",
        "import of the same file", "seconds", "rows/s", "ratio"
    );
    let line = |name: &str, d: Duration, base: Duration| {
        println!(
            "{:<44} {:>10.2} {:>12.0} {:>7.2}x",
            name,
            d.as_secs_f64(),
            n as f64 / d.as_secs_f64(),
            d.as_secs_f64() / base.as_secs_f64()
        );
    };
    line("sqlite3 .import (no validation)", sqlite_raw, sqlite_raw);
    line(
        "liancha import, SQLite (full validation)",
        sqlite_ours,
        sqlite_raw,
    );
    line("psql \\copy (no validation)", pg_raw, pg_raw);
    line(
        "liancha import, PostgreSQL (full validation)",
        pg_ours,
        pg_raw,
    );
}
