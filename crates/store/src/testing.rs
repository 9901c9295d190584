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
