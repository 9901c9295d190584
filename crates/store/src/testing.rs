//! Fresh databases for tests, on either engine. Used by this crate's conformance suite
//! and by the web crate's integration tests.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::{Engine, Store};

/// Where PostgreSQL tests create their databases: `LIANCHA_TEST_PG`, else the local
/// server with trust authentication that CI starts.
pub fn postgres_admin_url() -> String {
    std::env::var("LIANCHA_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Declares each story (`async fn(&Store)`) as a test on SQLite and on PostgreSQL:
/// one suite, two engines, one behaviour.
#[macro_export]
macro_rules! on_both_engines {
    ($($story:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $story() {
                    let db = $crate::testing::TestDb::new($crate::Engine::Sqlite).await;
                    super::$story(&db.store).await;
                    db.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $story() {
                    let db = $crate::testing::TestDb::new($crate::Engine::Postgres).await;
                    super::$story(&db.store).await;
                    db.finish().await;
                }
            )*
        }
    };
}

/// A database that exists for one test.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin: String, name: String },
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    pub async fn new(engine: Engine) -> TestDb {
        match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                let store = Store::open(&url).await.expect("open sqlite");
                TestDb {
                    store,
                    url,
                    cleanup: Cleanup::Sqlite(dir),
                }
            }
            Engine::Postgres => {
                let admin = postgres_admin_url();
                let name = format!(
                    "liancha_t_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed),
                    chrono::Utc::now().timestamp_micros() % 1_000_000
                );
                let pool = sqlx::PgPool::connect(&admin).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL at {admin} is needed for the tests: {e}")
                });
                sqlx::query(crate::dynamic(&format!("CREATE DATABASE {name}")))
                    .execute(&pool)
                    .await
                    .expect("create db");
                pool.close().await;
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                let url = format!("{base}/{name}");
                let store = Store::open(&url).await.expect("open postgres");
                TestDb {
                    store,
                    url,
                    cleanup: Cleanup::Postgres { admin, name },
                }
            }
        }
    }

    /// Drops a PostgreSQL test database; SQLite's directory goes with `self`.
    pub async fn finish(self) {
        self.store.close().await;
        if let Cleanup::Postgres { admin, name } = &self.cleanup
            && let Ok(pool) = sqlx::PgPool::connect(admin).await
        {
            let _ = sqlx::query(crate::dynamic(&format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&pool)
            .await;
            pool.close().await;
        }
    }
}

/// The tree of the demo county (云南省 / 楚雄彝族自治州 / 牟定县), added if missing,
/// and the county's code: what a test's county-owned rows need before the first row.
pub async fn mouding(store: &Store) -> liancha_domain::org::DivisionCode {
    let tree: Vec<liancha_domain::org::Division> = crate::demo::DIVISIONS
        .iter()
        .map(|(code, name)| liancha_domain::org::Division {
            code: liancha_domain::org::DivisionCode::parse(code).expect("demo code"),
            name: (*name).into(),
        })
        .collect();
    let known = store.divisions().await.expect("divisions");
    let missing: Vec<_> = tree
        .iter()
        .filter(|d| !known.iter().any(|k| k.code == d.code))
        .cloned()
        .collect();
    if !missing.is_empty() {
        store
            .add_divisions(
                &missing,
                &crate::accounts::Actor::system("test"),
                chrono::Utc::now(),
            )
            .await
            .expect("add the demo tree");
    }
    tree[2].code.clone()
}

/// The demo county's handle, its tree added if missing (see [`mouding`]).
pub async fn mouding_county(store: &Store) -> crate::County<'_> {
    let code = mouding(store).await;
    store.county(&code)
}

/// A county-wide market task of three items over two departments, taken through
/// commit and draw by `coordinator`, with results entered by `department_admin` for
/// every other assigned visit: the task whose pages the staff-page timings load.
/// Returns the task and the entity of an assigned visit.
pub async fn county_wide_task(
    store: &Store,
    county: &crate::County<'_>,
    coordinator: &str,
    department_admin: &str,
) -> (i64, String) {
    use chrono::{Duration, Utc};
    use liancha_domain::workflow::{ResultCategory, SourceDecl, TaskMode};
    use liancha_domain::{Domain, InspectionMethod};

    use crate::results::ItemResult;
    use crate::tasks::{NewTask, QuotaSpec, TaskScopeFilter};

    let actor = async |name: &str| -> crate::accounts::Actor {
        (&store
            .user_by_name(name)
            .await
            .expect("user")
            .expect("demo account")
            .principal())
            .into()
    };
    let coordinator = actor(coordinator).await;
    let today = liancha_domain::calendar::today_in_china();
    let now = Utc::now();
    let id = county
        .create_task(
            &NewTask {
                year: chrono::Datelike::year(&today),
                title: "全县市场监管领域部门联合抽查".into(),
                domain: Domain::Market,
                mode: TaskMode::Comprehensive,
                lead_department: "amr".into(),
                items: vec!["SC-001".into(), "SC-002".into(), "NY-001".into()],
                scope: TaskScopeFilter::default(),
                quotas: QuotaSpec::RuleBook,
                team_count: 5,
                team_size: 2,
                avoid_same_township: true,
                inspection_start: today,
                inspection_end: today + Duration::days(30),
                plan_entry_id: None,
            },
            &coordinator,
            now,
        )
        .await
        .expect("create");
    let v = county.task_or_404(id).await.expect("task").version;
    approve(county, id, v, now).await;
    let dice = SourceDecl::other("掷骰", now + Duration::seconds(1)).expect("source");
    county
        .commit_task(id, v, &[dice], &coordinator, now)
        .await
        .expect("commit");
    let v = county.task_or_404(id).await.expect("task").version;
    county
        .reveal_and_draw(
            id,
            v,
            &["6 2 3".into()],
            &coordinator,
            now + Duration::seconds(2),
        )
        .await
        .expect("draw");
    check_in_all(county, id, now).await;
    let visits = county.visits(id).await.expect("visits");
    let admin = actor(department_admin).await;
    let ok = |code: &str| ItemResult {
        item_code: code.into(),
        categories: vec![ResultCategory::NoProblem],
        methods: vec![InspectionMethod::OnSite],
        findings: String::new(),
    };
    for v in visits.iter().filter(|v| v.team_no.is_some()).step_by(2) {
        county
            .record_results(
                id,
                &v.entity_id,
                today,
                &[ok("SC-001"), ok("SC-002"), ok("NY-001")],
                &admin,
                now,
            )
            .await
            .expect("results");
    }
    let visit = visits
        .iter()
        .find(|v| v.team_no.is_some())
        .expect("an assigned visit")
        .entity_id
        .clone();
    (id, visit)
}

/// 检查审批 for a test that is about something after it: the task at `version` is
/// asked for and approved (by two system actors), so that it can be sealed.
pub async fn approve(
    county: &crate::County<'_>,
    id: i64,
    version: i32,
    now: chrono::DateTime<chrono::Utc>,
) {
    county
        .request_approval(id, version, &crate::accounts::Actor::system("承办人"), now)
        .await
        .expect("request approval");
    county
        .decide_approval(
            id,
            version,
            &county.task_or_404(id).await.expect("task").lead_department,
            true,
            "",
            &crate::accounts::Actor::system("负责人"),
            now,
        )
        .await
        .expect("approve");
}

/// 扫码入企 for a test about what comes after it: every visit of the task still to
/// be inspected is checked in with its code, by a system actor for its team.
pub async fn check_in_all(county: &crate::County<'_>, id: i64, now: chrono::DateTime<chrono::Utc>) {
    use liancha_domain::workflow::VisitState;
    for v in county.visits(id).await.expect("visits") {
        if v.team_no.is_some() && matches!(v.state, VisitState::Pending | VisitState::Returned) {
            county
                .check_in(
                    id,
                    &v.entity_id,
                    &v.check_code,
                    "检查组",
                    None,
                    &crate::accounts::Actor::system("检查组"),
                    now,
                )
                .await
                .expect("check in");
        }
    }
}
