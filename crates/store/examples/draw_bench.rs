//! Draw benchmark: a `liancha-draw/1` selection with four risk-class strata over N
//! entities (default 10,000,000), side by side in one run with what existing systems
//! do on the same rows, `ORDER BY random() LIMIT k` per stratum in PostgreSQL and in
//! SQLite (quick, but nobody can check it afterwards).
//!
//! cargo run --release -p liancha-store --example draw_bench -- [N]
//!
//! Needs PostgreSQL at `LIANCHA_TEST_PG` (default postgres://postgres@127.0.0.1:5432/postgres),
//! where it creates and drops a database. Filling is not timed. To keep filled
//! databases between runs, set `DRAW_BENCH_SQLITE=/path/file.db` and
//! `DRAW_BENCH_PG=postgres://…/dbname` (an existing, empty or already filled database).
//! `DRAW_BENCH_THREADS` (default: available cores) sets the draw's threads,
//! `DRAW_BENCH_REPS` (default 3) how often each step runs (the table shows the best
//! and the median), `DRAW_BENCH_ONLY=sqlite,pg,…` which steps run.
//!
//! Every timed step runs in a fresh child process of this program, so that its peak
//! memory is its own: peak RSS (`VmHWM`, which also counts pages of a memory-mapped
//! database file) and peak anonymous memory (`RssAnon`, sampled every 5 ms: heap
//! and stacks, what the draw itself holds). PostgreSQL's own processes are not counted.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use liancha_draw::{PlanEntity, Quota, QuotaRule, Seed, Selected, Selection};
use liancha_store::draw::DrawScope;
use liancha_store::testing::TestDb;
use liancha_store::{Engine, Pool, Store};
use sha2::{Digest, Sha256};

const CHECK_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// The id of synthetic entity `i`: USCC-shaped, 18 characters.
fn id_of(i: u64) -> String {
    let c = CHECK_CHARS.as_bytes()[(i % 31) as usize] as char;
    format!("91532323M{i:08}{c}")
}

/// A 20 / 60 / 15 / 5 % split, scattered over the ids.
fn class_of(i: u64) -> &'static str {
    match (i * 2_654_435_761) % 1_000_003 % 100 {
        0..=19 => "A",
        20..=79 => "B",
        80..=94 => "C",
        _ => "D",
    }
}

/// The same expressions in SQL (`i` is the row number).
const ID_SQL: &str = "'91532323M' || {pad} || substr('0123456789ABCDEFGHJKLMNPQRTUWXY', CAST(i % 31 + 1 AS INTEGER), 1)";
const CLASS_SQL: &str = "CASE WHEN (i * 2654435761) % 1000003 % 100 < 20 THEN 'A' \
     WHEN (i * 2654435761) % 1000003 % 100 < 80 THEN 'B' \
     WHEN (i * 2654435761) % 1000003 % 100 < 95 THEN 'C' ELSE 'D' END";

fn township_sql() -> String {
    let mut s = String::from("CASE i % 7");
    for (n, (_, name)) in liancha_store::demo::TOWNSHIPS.iter().enumerate() {
        s.push_str(&format!(" WHEN {n} THEN '{name}'"));
    }
    s.push_str(" END");
    s
}

fn fill_sql(engine: Engine) -> String {
    let (pad, source, now) = match engine {
        Engine::Sqlite => (
            "printf('%08d', i)",
            "FROM (WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $1) SELECT i FROM n)",
            "'2026-03-01 00:00:00'",
        ),
        Engine::Postgres => (
            "lpad(i::text, 8, '0')",
            "FROM generate_series(0::bigint, $1 - 1) AS g(i)",
            "now()",
        ),
    };
    format!(
        "INSERT INTO entities (county, id, name, entity_type, township, address, status, risk_class, updated_at) \
         SELECT '532323', {id}, '牟定县' || ({town}) || '第' || i || '号商贸有限公司', \
         CASE WHEN i % 7 = 0 THEN 'enterprise' ELSE 'individual' END, {town}, \
         ({town}) || '共和村' || (i % 200) || '号', 'active', {class}, {now} {source}",
        id = ID_SQL.replace("{pad}", pad),
        town = township_sql(),
        class = CLASS_SQL,
    )
}

async fn entity_count(store: &Store) -> i64 {
    liancha_store::testing::mouding_county(store)
        .await
        .counts()
        .await
        .expect("counts")
        .entities
}

async fn fill(store: &Store, n: u64) {
    let have = entity_count(store).await;
    if have == n as i64 {
        println!("{}: reusing {n} entities", store.engine().name());
        return;
    }
    assert_eq!(
        have,
        0,
        "{}: database holds {have} entities, not {n}",
        store.engine().name()
    );
    let t = Instant::now();
    let sql = fill_sql(store.engine());
    match store.pool() {
        Pool::Sqlite(p) => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(n as i64)
                .execute(p)
                .await
                .expect("fill");
        }
        Pool::Postgres(p) => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(n as i64)
                .execute(p)
                .await
                .expect("fill");
            sqlx::query("VACUUM (FREEZE, ANALYZE) entities")
                .execute(p)
                .await
                .expect("vacuum");
        }
    }
    println!(
        "{}: filled {n} entities in {:.1?} (not timed below)",
        store.engine().name(),
        t.elapsed()
    );
}

/// A scan to bring the table into the page cache before anything is timed.
async fn warm(store: &Store) {
    let sql = "SELECT COUNT(*) FROM entities WHERE length(id) > 0 AND risk_class <> ''";
    let _: i64 = liancha_store::with_pool!(store, p => sqlx::query_scalar(sql).fetch_one(p).await)
        .expect("warm-up scan");
}

/// A field of `/proc/self/status`, in MiB.
fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Samples `RssAnon` every 5 ms until dropped; the kernel keeps no peak of it.
struct AnonPeak {
    peak_kib: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl AnonPeak {
    fn start() -> Self {
        let peak_kib = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (peak_kib.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                let kib = (status_mib("RssAnon:") * 1024.0) as u64;
                p.fetch_max(kib, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        AnonPeak {
            peak_kib,
            stop,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> f64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let last = (status_mib("RssAnon:") * 1024.0) as u64;
        self.peak_kib.fetch_max(last, Ordering::Relaxed) as f64 / 1024.0
    }
}

/// Baseline: `ORDER BY random() LIMIT k_s` for every stratum, as existing systems draw.
async fn order_by_random(store: &Store, k: &BTreeMap<String, u64>) -> Vec<String> {
    let sql = "SELECT id FROM entities WHERE county = '532323' AND risk_class = $1 ORDER BY random() LIMIT $2";
    let mut all = Vec::new();
    for (s, &k) in k {
        let ids: Vec<String> = liancha_store::with_pool!(store, p =>
            sqlx::query_scalar(sql).bind(s).bind(k as i64).fetch_all(p).await)
        .expect("ORDER BY random()");
        assert_eq!(ids.len() as u64, k);
        all.extend(ids);
    }
    all
}

fn selection() -> Selection {
    Selection::Quotas(
        [("A", 300), ("B", 500), ("C", 1000), ("D", 2000)]
            .into_iter()
            .map(|(s, bp)| Quota {
                stratum: s.into(),
                rule: QuotaRule::RatioBp(bp),
            })
            .collect(),
    )
}

fn bench_seed() -> Seed {
    liancha_draw::seed(&[0x5a; 32], &["draw_bench: drand quicknet round 27946612"])
}

/// A short fingerprint of a selection, to check that every verifiable step agrees.
fn fingerprint(selected: &[Selected]) -> String {
    let mut h = Sha256::new();
    for s in selected {
        h.update(s.id.as_bytes());
        h.update([0]);
        h.update(s.stratum.as_bytes());
        h.update(s.ticket);
    }
    liancha_draw::hex::encode(&h.finalize()[..8])
}

struct Step {
    key: &'static str,
    name: String,
    verifiable: bool,
}

fn steps(threads: usize) -> Vec<Step> {
    let step = |key, name: String, verifiable| Step {
        key,
        name,
        verifiable,
    };
    vec![
        step(
            "sqlite",
            format!("liancha streaming draw, SQLite, {threads} threads"),
            true,
        ),
        step(
            "sqlite1",
            "liancha streaming draw, SQLite, 1 thread".into(),
            true,
        ),
        step(
            "pg",
            format!("liancha streaming draw, PostgreSQL, {threads} threads"),
            true,
        ),
        step(
            "pg1",
            "liancha streaming draw, PostgreSQL, 1 thread".into(),
            true,
        ),
        step(
            "pgsql",
            "liancha in-database draw, PostgreSQL sha256()".into(),
            true,
        ),
        step(
            "pgrandom",
            "PostgreSQL ORDER BY random() LIMIT k, per stratum".into(),
            false,
        ),
        step(
            "sqliterandom",
            "SQLite ORDER BY random() LIMIT k, per stratum".into(),
            false,
        ),
        step(
            "memory",
            format!("liancha_draw::select on ids in memory, {threads} threads"),
            true,
        ),
        step(
            "sha",
            format!("SHA-256 alone: tickets_parallel, {threads} threads"),
            true,
        ),
    ]
}

/// One timed step, in a child process: prints `RESULT seconds hwm_mib anon_mib fingerprint`.
async fn child(key: &str, n: u64, threads: usize) {
    let sqlite_url = std::env::var("DRAW_BENCH_SQLITE_URL").expect("sqlite url");
    let pg_url = std::env::var("DRAW_BENCH_PG_URL").expect("pg url");
    let store = match key {
        "sqlite" | "sqlite1" | "sqliterandom" => {
            Some(Store::open(&sqlite_url).await.expect("open"))
        }
        "pg" | "pg1" | "pgsql" | "pgrandom" => Some(Store::open(&pg_url).await.expect("open")),
        _ => None,
    };
    let county = match &store {
        Some(s) => Some(liancha_store::testing::mouding_county(s).await),
        None => None,
    };
    let (selection, seed, scope) = (selection(), bench_seed(), DrawScope::default());
    // Untimed preparation.
    let k = match &county {
        Some(s) => {
            let populations = s.draw_populations(&scope).await.expect("populations");
            liancha_draw::quotas(&selection, &populations, &seed).expect("quotas")
        }
        None => BTreeMap::new(),
    };
    let entities: Vec<PlanEntity> = if key == "memory" || key == "sha" {
        (0..n)
            .map(|i| PlanEntity {
                id: id_of(i),
                stratum: class_of(i).into(),
                township: None,
            })
            .collect()
    } else {
        Vec::new()
    };
    let ids: Vec<&str> = if key == "sha" {
        entities.iter().map(|e| e.id.as_str()).collect()
    } else {
        Vec::new()
    };

    let _ = std::fs::write("/proc/self/clear_refs", "5"); // VmHWM := current RSS
    let anon = AnonPeak::start();
    let t = Instant::now();
    let fp = match key {
        "sqlite" | "pg" => fingerprint(
            &county
                .as_ref()
                .expect("county")
                .select_from_directory(&scope, &selection, &seed, threads)
                .await
                .expect("draw"),
        ),
        "sqlite1" | "pg1" => fingerprint(
            &county
                .as_ref()
                .expect("county")
                .select_from_directory(&scope, &selection, &seed, 1)
                .await
                .expect("draw"),
        ),
        "pgsql" => fingerprint(
            &county
                .as_ref()
                .expect("county")
                .select_in_database(&scope, &selection, &seed)
                .await
                .expect("draw"),
        ),
        "pgrandom" | "sqliterandom" => {
            let ids = order_by_random(store.as_ref().expect("store"), &k).await;
            format!("{}-rows", ids.len())
        }
        "memory" => fingerprint(
            &liancha_draw::select(&entities, &selection, &seed, threads).expect("select"),
        ),
        "sha" => {
            let t =
                liancha_draw::tickets_parallel(&seed, liancha_draw::Purpose::Entity, &ids, threads);
            format!("{}-tickets", t.len())
        }
        other => panic!("unknown step {other}"),
    };
    let secs = t.elapsed().as_secs_f64();
    let anon_mib = anon.finish();
    let hwm_mib = status_mib("VmHWM:");
    println!("RESULT {secs:.4} {hwm_mib:.1} {anon_mib:.1} {fp}");
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("N is a number"))
        .unwrap_or(10_000_000);
    let threads: usize = std::env::var("DRAW_BENCH_THREADS")
        .ok()
        .map(|t| t.parse().expect("DRAW_BENCH_THREADS is a number"))
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    if let Ok(key) = std::env::var("DRAW_BENCH_CHILD") {
        if std::env::var("BENCH_LOG").is_ok() {
            tracing_subscriber::fmt()
                .with_env_filter("liancha_store=debug")
                .with_writer(std::io::stderr)
                .init();
        }
        rt.block_on(child(&key, n, threads));
        return;
    }
    rt.block_on(parent(n, threads));
}

async fn parent(n: u64, threads: usize) {
    let reps: usize = std::env::var("DRAW_BENCH_REPS")
        .ok()
        .map(|t| t.parse().expect("DRAW_BENCH_REPS is a number"))
        .unwrap_or(3);
    let only: Option<Vec<String>> = std::env::var("DRAW_BENCH_ONLY")
        .ok()
        .map(|v| v.split(',').map(str::to_string).collect());

    // Databases: fresh ones (dropped at the end) unless named.
    let mut fresh = Vec::new();
    let (sqlite, sqlite_url) = match std::env::var("DRAW_BENCH_SQLITE") {
        Ok(path) => (Store::open(&path).await.expect("open SQLite"), path),
        Err(_) => {
            let db = TestDb::new(Engine::Sqlite).await;
            let s = (db.store.clone(), db.url.clone());
            fresh.push(db);
            s
        }
    };
    let (pg, pg_url) = match std::env::var("DRAW_BENCH_PG") {
        Ok(url) => (Store::open(&url).await.expect("open PostgreSQL"), url),
        Err(_) => {
            let db = TestDb::new(Engine::Postgres).await;
            let s = (db.store.clone(), db.url.clone());
            fresh.push(db);
            s
        }
    };
    fill(&sqlite, n).await;
    fill(&pg, n).await;
    warm(&sqlite).await;
    warm(&pg).await;

    let (selection, seed, scope) = (selection(), bench_seed(), DrawScope::default());
    let populations = liancha_store::testing::mouding_county(&pg)
        .await
        .draw_populations(&scope)
        .await
        .expect("populations");
    assert_eq!(
        populations,
        liancha_store::testing::mouding_county(&sqlite)
            .await
            .draw_populations(&scope)
            .await
            .expect("populations")
    );
    let k = liancha_draw::quotas(&selection, &populations, &seed).expect("quotas");
    let total_k: u64 = k.values().sum();
    println!("N = {n}, strata {populations:?}");
    println!(
        "k {k:?} (Σ {total_k}); {threads} threads; {reps} runs per step, each in its own process"
    );
    // The database stores stay open (idle) while children run.

    let exe = std::env::current_exe().expect("own path");
    let steps: Vec<Step> = steps(threads)
        .into_iter()
        .filter(|s| only.as_ref().is_none_or(|o| o.iter().any(|k| k == s.key)))
        .collect();
    // key → (seconds per run, peak RSS, peak anonymous, fingerprint)
    let mut results: BTreeMap<&str, Vec<(f64, f64, f64, String)>> = BTreeMap::new();
    for rep in 0..reps {
        for step in &steps {
            let out = Command::new(&exe)
                .arg(n.to_string())
                .env("DRAW_BENCH_CHILD", step.key)
                .env("DRAW_BENCH_THREADS", threads.to_string())
                .env("DRAW_BENCH_SQLITE_URL", &sqlite_url)
                .env("DRAW_BENCH_PG_URL", &pg_url)
                .output()
                .expect("run step");
            let stdout = String::from_utf8_lossy(&out.stdout);
            let line = stdout
                .lines()
                .find_map(|l| l.strip_prefix("RESULT "))
                .unwrap_or_else(|| {
                    panic!(
                        "step {} failed: {}",
                        step.key,
                        String::from_utf8_lossy(&out.stderr)
                    )
                });
            let f: Vec<&str> = line.split(' ').collect();
            let r = (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].to_string(),
            );
            println!(
                "  run {} {:<13} {:>7.2} s   peak RSS {:>6.0} MiB   peak anon {:>6.0} MiB   {}",
                rep + 1,
                step.key,
                r.0,
                r.1,
                r.2,
                r.3
            );
            results.entry(step.key).or_default().push(r);
        }
    }

    // Every verifiable draw must have selected exactly the same entities and tickets.
    let fps: Vec<&String> = steps
        .iter()
        .filter(|s| s.verifiable && !matches!(s.key, "sha"))
        .flat_map(|s| results[s.key].iter().map(|r| &r.3))
        .collect();
    assert!(
        fps.windows(2).all(|w| w[0] == w[1]),
        "verifiable draws differ: {fps:?}"
    );

    println!();
    println!(
        "{:<56} {:>8} {:>8} {:>9} {:>9} {:>10}",
        format!("{total_k} of {n} entities, 4 strata"),
        "best s",
        "median s",
        "peak RSS",
        "peak anon",
        "verifiable"
    );
    for step in &steps {
        let r = &results[step.key];
        let mut secs: Vec<f64> = r.iter().map(|r| r.0).collect();
        secs.sort_by(f64::total_cmp);
        let max = |i: usize| {
            r.iter()
                .map(|r| if i == 1 { r.1 } else { r.2 })
                .fold(0.0, f64::max)
        };
        println!(
            "{:<56} {:>8.2} {:>8.2} {:>5.0} MiB {:>5.0} MiB {:>10}",
            step.name,
            secs[0],
            secs[secs.len() / 2],
            max(1),
            max(2),
            if step.verifiable { "yes" } else { "no" }
        );
    }
    if let Some(fp) = fps.first() {
        println!("all verifiable draws selected the same {total_k} entities (fingerprint {fp})");
    }
    for db in fresh {
        db.finish().await;
    }
}
