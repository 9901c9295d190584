//! Persistence for liancha on two engines with one behaviour: SQLite (embedded, the
//! default) and PostgreSQL (a province; PostgreSQL-compatible distributed engines).
//!
//! Portable SQL is written once and run on whichever pool the URL chose, through
//! [`with_pool!`]: each arm is compiled against its own driver, so both are type-checked.
//! What is worth doing differently per engine (bulk load, search) lives in
//! [`sqlite`] and [`postgres`]. Each engine has its own migrations.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// Moves a task's version on, from the one its caller read before checking its
/// preconditions; the class of rule behind every change to a task or its visits,
/// reviews and teams: each such change runs this first in its transaction, so that
///
/// - two changes to one task are serialised (the row stays locked to the commit:
///   SQLite has one writer at a time, PostgreSQL blocks the second UPDATE and then
///   re-evaluates its `WHERE` against the committed row), and
/// - a change whose preconditions were read at version v commits only while the task
///   is still at v, so nothing it read can have changed under it.
///
/// A mismatch returns [`StoreError::Conflict`] from the enclosing function.
macro_rules! bump_version {
    ($county:expr, $tx:expr, $id:expr, $version:expr, $set:literal $(, $bind:expr)*) => {{
        let sql = concat!("UPDATE tasks SET version = version + 1, ", $set, " WHERE county = $C AND id = $1 AND version = $2");
        let done = $county.query(sql).bind($id).bind($version) $(.bind($bind))* .execute($tx).await?;
        if done.rows_affected() != 1 {
            return Err($crate::StoreError::stale());
        }
    }};
}

pub mod accounts;
pub mod audit;
pub mod audit_chain;
pub mod backup;
pub mod bulk;
pub mod campaigns;
pub mod check_points;
pub mod demo;
pub mod directories;
pub mod drafts;
pub mod draw;
mod error;
pub mod export;
pub mod import;
pub mod import_preview;
pub mod item_drafts;
pub mod items;
pub mod numbers;
pub mod org;
pub mod oversight;
pub mod plans;
pub mod postgres;
pub mod preview;
pub mod record_edit;
pub mod results;
pub mod review;
pub mod rule_books;
mod scope;
pub mod search;
pub mod settings;
pub mod sqlite;
pub mod tasks;
pub mod testing;
pub mod transparency;
pub mod upward;

pub use error::{RowError, StoreError};
pub use scope::{County, renumber};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Runs `$body` with `$pool` bound to the concrete pool of either engine.
#[macro_export]
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store.pool() {
            $crate::Pool::Sqlite($pool) => $body,
            $crate::Pool::Postgres($pool) => $body,
        }
    };
}

/// A transaction that writes. On SQLite it takes the write lock at its start
/// (`BEGIN IMMEDIATE`): a transaction that has read cannot wait for the lock later
/// (SQLite refuses it at once as busy, rather than deadlock), one that asks at the
/// start waits for the writer ahead of it (the busy timeout). On PostgreSQL an
/// ordinary transaction; rows are locked as they are written.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<
        Output = std::result::Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>,
    > + Send;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<
        Output = std::result::Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error>,
    > + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<
        Output = std::result::Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error>,
    > + Send {
        self.begin()
    }
}

#[derive(Debug, Clone)]
pub enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        }
    }
}

/// The database, whichever engine holds it. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
    /// How many published rows hold each name bigram, as last read: it only orders a
    /// search's index lookups, so a count a little out of date costs speed, never a result.
    bigrams: std::sync::Arc<std::sync::Mutex<search::BigramCache>>,
    /// Pages of public name searches, for the version of the results they show.
    pages: std::sync::Arc<std::sync::Mutex<search::PageCache>>,
    /// PostgreSQL: the public name search's own connections, see [`Store::open`].
    public: Option<PgPool>,
    /// The URL it was opened with, for tools that connect on their own (`pg_dump`).
    url: std::sync::Arc<str>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Opens (creating if needed) the database named by `url` and brings its schema up
    /// to date. `sqlite://PATH`, `sqlite:PATH` or a bare path choose SQLite;
    /// `postgres://…` or `postgresql://…` choose PostgreSQL.
    pub async fn open(url: &str) -> Result<Self> {
        let mut store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url).map_err(|e| StoreError::open(url, e))?;
            // One direct connection first: a pool would retry a refused connection
            // until its timeout and then report only that it timed out.
            {
                use sqlx::Connection;
                let first = tokio::time::timeout(
                    Duration::from_secs(10),
                    sqlx::PgConnection::connect_with(&opts),
                )
                .await
                .map_err(|_| StoreError::open(url, sqlx::Error::PoolTimedOut))?;
                first
                    .map_err(|e| StoreError::open(url, e))?
                    .close()
                    .await
                    .map_err(|e| StoreError::open(url, e))?;
            }
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts.clone())
                .await
                .map_err(|e| StoreError::open(url, e))?;
            POSTGRES_MIGRATIONS.run(&pool).await?;
            // The public name search gets connections of its own: anonymous traffic
            // cannot take every connection from the staff, and its statements, shaped
            // for one plan whatever the parameters, keep that plan instead of being
            // planned again at every execution (PostgreSQL re-plans a statement whose
            // generic plan looks dearer than the custom ones, as an array parameter's does).
            let public = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect_lazy_with(opts.options([("plan_cache_mode", "force_generic_plan")]));
            let mut store = Store::new(Pool::Postgres(pool));
            store.public = Some(public);
            store
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or(url);
            let opts = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("cache_size", "-65536")
                // Statement journals of large upserts stay in memory instead of a temp file.
                .pragma("temp_store", "memory");
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(opts)
                .await
                .map_err(|e| StoreError::open(url, e))?;
            SQLITE_MIGRATIONS.run(&pool).await?;
            Store::new(Pool::Sqlite(pool))
        };
        store.url = url.into();
        store.ensure_log_key().await?;
        store.link_unchained_audit().await?;
        store.project_missing_published().await?;
        Ok(store)
    }

    /// Opens a PostgreSQL standby (a streaming replica) for reading: no migrations
    /// (the primary's schema arrives by replication) and every session read-only, so
    /// nothing can be written by mistake. What the public reads can come from here
    /// while staff writes go to the primary.
    pub async fn open_replica(url: &str) -> Result<Self> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(StoreError::invalid(
                "只读副本须为 PostgreSQL（postgres://…）",
            ));
        }
        let opts = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::open(url, e))?
            .options([("default_transaction_read_only", "on")]);
        {
            use sqlx::Connection;
            let first = tokio::time::timeout(
                Duration::from_secs(10),
                sqlx::PgConnection::connect_with(&opts),
            )
            .await
            .map_err(|_| StoreError::open(url, sqlx::Error::PoolTimedOut))?;
            first
                .map_err(|e| StoreError::open(url, e))?
                .close()
                .await
                .map_err(|e| StoreError::open(url, e))?;
        }
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_lazy_with(opts.clone());
        let public = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_lazy_with(opts.options([("plan_cache_mode", "force_generic_plan")]));
        let mut store = Store::new(Pool::Postgres(pool));
        store.public = Some(public);
        store.url = url.into();
        Ok(store)
    }

    fn new(pool: Pool) -> Self {
        Store {
            pool,
            bigrams: Default::default(),
            pages: Default::default(),
            public: None,
            url: "".into(),
        }
    }

    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    pub fn engine(&self) -> Engine {
        match self.pool {
            Pool::Sqlite(_) => Engine::Sqlite,
            Pool::Postgres(_) => Engine::Postgres,
        }
    }

    pub async fn close(&self) {
        if let Some(p) = &self.public {
            p.close().await;
        }
        with_pool!(self, p => p.close().await)
    }
}

/// Runs a task action whose version is not the user's (a result submitted, a visit
/// returned, an approval) again when another change to the same task came first:
/// each attempt reads the task and its preconditions afresh, so the retry is decided
/// on the new state, and a refusal then says why. A user's stale form, by contrast,
/// carries its own version and is refused, not retried.
pub(crate) async fn retrying<T, F, Fut>(mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    const ATTEMPTS: u64 = 20;
    for n in 1..ATTEMPTS {
        match attempt().await {
            Err(StoreError::Conflict(_)) => {
                // Spread the retries of writers that collided so they do not meet again.
                let jitter = u64::from(rand_core::RngCore::next_u32(&mut rand_core::OsRng) % 4);
                tokio::time::sleep(Duration::from_millis(n + jitter)).await;
            }
            r => return r,
        }
    }
    attempt().await
}

/// Refuses a form that was rendered at another version of the task than the one the
/// action has just read: its preconditions were checked against what the user saw.
pub(crate) fn expect_version(task: &tasks::Task, version: i32) -> Result<()> {
    if task.version == version {
        Ok(())
    } else {
        Err(StoreError::stale())
    }
}

/// A text field as a user posted it, held to the same bounds as an imported one
/// (length, control characters, line breaks: [`liancha_domain::text`]); the refusal
/// names the field.
pub(crate) fn posted<'a>(
    field: &str,
    value: &'a str,
    rule: liancha_domain::text::TextRule,
) -> Result<&'a str> {
    liancha_domain::text::bounded_text(value, rule)
        .map_err(|e| StoreError::invalid(format!("{field}：{e}")))
}

/// Marks SQL that was assembled at run time. Only constants and `$n` placeholders are
/// ever concatenated; every value is bound, so nothing a user typed becomes SQL.
pub(crate) fn dynamic(sql: &str) -> sqlx::AssertSqlSafe<&str> {
    sqlx::AssertSqlSafe(sql)
}
