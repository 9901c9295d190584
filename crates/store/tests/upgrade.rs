//! An installation made by an earlier liancha upgrades in place: its database, kept
//! as a fixture (`tests/fixtures/`, see the README there), is opened by today's code,
//! which migrates it. Every row is still there, every draw record still verifies and
//! is byte for byte what it was, and the county's work goes on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use liancha_domain::org::DivisionCode;
use liancha_domain::workflow::TaskState;
use liancha_store::tasks::TaskFilter;
use liancha_store::testing::TestDb;
use liancha_store::{Engine, Pool, Store};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// What the old database holds, read without today's code: rows per table and each
/// task's draw record.
#[derive(Debug, PartialEq)]
struct Before {
    rows: BTreeMap<String, i64>,
    records: BTreeMap<i64, Option<String>>,
}

macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            Pool::Sqlite($p) => $body,
            Pool::Postgres($p) => $body,
        }
    };
}

fn engine_of(pool: &Pool) -> Engine {
    match pool {
        Pool::Sqlite(_) => Engine::Sqlite,
        Pool::Postgres(_) => Engine::Postgres,
    }
}

async fn before(pool: &Pool) -> Before {
    let tables: Vec<String> = on_pool!(pool, p => match engine_of(pool) {
        Engine::Sqlite => sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name NOT LIKE '\\_sqlx%' ESCAPE '\\' AND name NOT LIKE 'public_results_fts%'")
            .fetch_all(p).await.unwrap(),
        Engine::Postgres => sqlx::query_scalar(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' \
             AND tablename NOT LIKE '\\_sqlx%'")
            .fetch_all(p).await.unwrap(),
    });
    let mut rows = BTreeMap::new();
    for t in tables {
        let sql = format!("SELECT COUNT(*) FROM {t}");
        let n: i64 = on_pool!(pool, p =>
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str())).fetch_one(p).await.unwrap());
        rows.insert(t, n);
    }
    let records: Vec<(i64, Option<String>)> = on_pool!(pool, p =>
        sqlx::query_as("SELECT id, record_json FROM tasks ORDER BY id").fetch_all(p).await.unwrap());
    Before {
        rows,
        records: records.into_iter().collect(),
    }
}

async fn upgraded(engine: Engine) {
    let (url, _keep, target) = match engine {
        Engine::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("old.db");
            std::fs::copy(fixture("v6.sqlite"), &path).unwrap();
            (format!("sqlite://{}", path.display()), Some(dir), None)
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
                .arg(fixture("v6.pgdump"))
                .output()
                .expect("pg_restore is installed with the PostgreSQL client");
            assert!(
                out.status.success(),
                "pg_restore: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            (target.url.clone(), None, Some(target))
        }
    };
    let old = match engine {
        Engine::Sqlite => Pool::Sqlite(sqlx::SqlitePool::connect(&url).await.unwrap()),
        Engine::Postgres => Pool::Postgres(sqlx::PgPool::connect(&url).await.unwrap()),
    };
    let was = before(&old).await;
    on_pool!(&old, p => p.close().await);
    assert!(
        was.rows["tasks"] >= 6 && was.rows["entities"] >= 200,
        "{was:?}"
    );
    assert!(
        !was.rows.contains_key("divisions"),
        "the fixture predates the tree"
    );

    let store = Store::open(&url).await.expect("the old database upgrades");
    let now = before(store.pool()).await;
    // Nothing lost: every old table has every row it had.
    for (table, n) in &was.rows {
        assert_eq!(now.rows.get(table), Some(n), "rows of {table}");
    }
    assert_eq!(now.records, was.records, "draw records are unchanged");
    // Every old row is the one county's the installation ran (migration 9).
    let county = DivisionCode::parse("532323").unwrap();
    let mouding = store.county(&county);
    let counties: Vec<(String, String)> = on_pool!(store.pool(), p => sqlx::query_as(
        "SELECT 'tasks', county FROM tasks UNION SELECT 'visits', county FROM visits \
         UNION SELECT 'entities', county FROM entities UNION SELECT 'results', county FROM results \
         UNION SELECT 'audit_log', county FROM audit_log UNION SELECT 'users', division FROM users")
        .fetch_all(p).await.unwrap());
    assert!(counties.len() >= 6, "{counties:?}");
    assert!(counties.iter().all(|(_, c)| c == "532323"), "{counties:?}");
    // Follow-ups and credit proposals of before migration 8 name their one item.
    let follow_ups = mouding.follow_ups(None, true).await.unwrap();
    let proposals = mouding.credit_proposals(None).await.unwrap();
    assert!(!follow_ups.is_empty() && !proposals.is_empty());
    for f in &follow_ups {
        assert_eq!(
            Some(f.items.clone()),
            f.item_code.clone().map(|i| vec![i]),
            "{f:?}"
        );
    }
    for p in &proposals {
        assert_eq!(
            Some(p.items.clone()),
            p.item_code.clone().map(|i| vec![i]),
            "{p:?}"
        );
    }
    // The installation's one county is in the tree, with the levels above it.
    let tree: Vec<(String, String)> = store
        .divisions()
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.code.to_string(), d.name))
        .collect();
    assert_eq!(
        tree,
        [
            ("530000".to_string(), "云南省".to_string()),
            ("532300".into(), "楚雄彝族自治州".into()),
            ("532323".into(), "牟定县".into()),
        ]
    );
    // Every draw record still verifies and belongs to its task's sealed plan.
    let tasks = mouding.tasks(&TaskFilter::default()).await.unwrap();
    assert_eq!(tasks.len() as i64, was.rows["tasks"]);
    let mut verified = 0;
    for t in &tasks {
        if let Some(record) = mouding.draw_record(t.id).await.unwrap() {
            liancha_draw::verify_record(record.as_bytes())
                .unwrap_or_else(|e| panic!("task {}: {e:?}", t.id));
            assert_eq!(
                liancha_draw::Record::parse(record.as_bytes())
                    .unwrap()
                    .plan_digest_hex(),
                t.plan_digest.clone().unwrap()
            );
            verified += 1;
        }
    }
    assert_eq!(verified, 3, "two published tasks and one drawn");
    assert_eq!(
        tasks
            .iter()
            .filter(|t| t.state == TaskState::Published)
            .count(),
        2
    );
    // Joint item lists public before the 编办's approval existed stay public, their
    // items as the approved ones.
    let lists = mouding.joint_item_lists(true).await.unwrap();
    assert!(
        !lists.is_empty(),
        "the old installation's lists are still public"
    );
    let approvals = mouding.joint_list_approvals().await.unwrap();
    for l in &lists {
        let a = approvals.iter().find(|a| a.code == l.code).unwrap();
        assert!(a.approved(), "{}", l.code);
        assert_eq!(a.approved_items, l.items, "{}", l.code);
    }
    // Results entered before 扫码入企 count as checked in (上线前录入): none of the
    // old visits is flagged, and a published one is checked in that way.
    let published = tasks
        .iter()
        .find(|t| t.state == TaskState::Published)
        .unwrap();
    let modes = mouding.check_in_modes(published.id).await.unwrap();
    assert!(!modes.is_empty());
    assert!(
        modes
            .values()
            .all(|m| *m == liancha_domain::check_in::CheckInMode::Legacy)
    );
    // Before any period ends: only visits with results are looked at.
    let today = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    for t in &tasks {
        let (n, _) = mouding.unchecked_visits(t.year, today, 10).await.unwrap();
        assert_eq!(n, 0, "no old visit is flagged (year {})", t.year);
    }
    // The county's work goes on: its accounts sign in, and the public still finds
    // the published results.
    let t = chrono::Utc::now();
    let session = store
        .login("bianban", liancha_store::demo::DEMO_PASSWORD, t)
        .await
        .unwrap();
    assert!(session.is_ok(), "an old account signs in: {session:?}");
    assert!(store.published_result_count().await.unwrap() > 0);
    store.close().await;
    if let Some(t) = target {
        t.finish().await;
    }
}

#[tokio::test]
async fn an_installation_of_migration_6_upgrades_on_sqlite() {
    upgraded(Engine::Sqlite).await;
}

#[tokio::test]
async fn an_installation_of_migration_6_upgrades_on_postgres() {
    upgraded(Engine::Postgres).await;
}
