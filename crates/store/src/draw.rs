//! Drawing entities straight from the directory (`liancha-draw/1`, spec §5), without
//! building a plan in memory first.
//!
//! The stratum of an entity is its `risk_class`. Two ways, one result, which is
//! exactly what `liancha_draw::select` gives on a plan listing the same entities:
//!
//! * [`Store::select_from_directory`], both engines: one read-only snapshot; pass 1
//!   counts `N_s` (one `COUNT(*) FILTER (…)` per class rather than `GROUP BY`, which
//!   SQLite would do by sorting the whole scope), [`liancha_draw::quotas`] gives `k_s`;
//!   pass 2 streams `(id, risk_class)` once and keeps, per stratum, the `k_s` smallest
//!   tickets in a bounded buffer ([`StratumSelector`]). Memory is bounded by the
//!   number selected, never by the directory. The reading thread hands batches of
//!   rows to worker threads (each with its own selector, merged at the end) and
//!   selects a batch itself whenever every worker is busy. "k smallest by a keyed
//!   hash" depends neither on row order nor on how rows were split, so the result is
//!   identical for any thread count and any scan order.
//!   SQLite rows are read through rusqlite over the connection sqlx lends out (as in
//!   [`crate::sqlite`]), with the file memory-mapped for the draw; PostgreSQL rows
//!   arrive as `COPY … TO STDOUT (FORMAT binary)`, far cheaper than decoding the same
//!   rows as query results.
//! * [`Store::select_in_database`], PostgreSQL only: the server computes the tickets
//!   with its built-in `sha256()` (PostgreSQL 11 and later, no pgcrypto), as the spec
//!   writes it: `sha256(seed || 'entity'::bytea || '\x00'::bytea || convert_to(id, 'UTF8'))`,
//!   ranks them per stratum by ticket then id bytes, and sends back only the selected
//!   rows: a provincial draw runs where the data is. See [`select_in_postgres`].
//!
//! Both passes read one snapshot (a read transaction on SQLite's WAL, `REPEATABLE
//! READ` on PostgreSQL), so edits made during a draw cannot make the counts disagree
//! with the rows; pass 2 checks the row count per stratum anyway.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;

use futures::StreamExt;
use liancha_domain::{EntityStatus, EntityType, RiskClass};
use liancha_draw::{Seed, Selected, Selection, StratumSelector, Ticket};
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;

use crate::{County, Pool, Result, StoreError};
use liancha_domain::org::DivisionCode;

/// Which entities of the directory a draw is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawScope {
    /// Only entities of this township (by name, as stored in `entities.township`).
    pub township: Option<String>,
    /// Only entities of this type.
    pub entity_type: Option<EntityType>,
    /// Only entities of this status; [`Default`] is [`EntityStatus::Active`], the
    /// only status that can be inspected. `None` takes every status.
    pub status: Option<EntityStatus>,
}

impl Default for DrawScope {
    fn default() -> Self {
        DrawScope {
            township: None,
            entity_type: None,
            status: Some(EntityStatus::Active),
        }
    }
}

/// How a scope value appears in SQL.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Binding {
    /// `$n` placeholders, values bound (queries).
    Placeholders,
    /// For PostgreSQL `COPY`, which takes no parameters: enum codes (compile-time
    /// constants) as literals, the township through a transaction-local setting that
    /// was bound with `set_config` beforehand.
    Copy,
}

/// The transaction-local setting that carries the township into a `COPY`.
const TOWNSHIP_SETTING: &str = "liancha.draw_township";

impl DrawScope {
    /// ` WHERE county = … AND …` and the values to bind, in order. `strata`, when
    /// given, further restricts `risk_class` to those classes.
    ///
    /// The county is written as a literal: these scans run as COPY and through
    /// rusqlite, outside the statements a [`County`] binds, and take the code from the
    /// handle whose method called them; a [`DivisionCode`] is six digits, nothing else.
    fn where_sql(
        &self,
        county: &DivisionCode,
        binding: Binding,
        strata: Option<&[RiskClass]>,
    ) -> (String, Vec<String>) {
        debug_assert!(county.as_str().bytes().all(|b| b.is_ascii_digit()));
        let mut clauses: Vec<String> = vec![format!("county = '{county}'")];
        let mut params: Vec<String> = Vec::new();
        let constant = |column: &str, code: &'static str, params: &mut Vec<String>| {
            if binding == Binding::Copy {
                debug_assert!(code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
                format!("{column} = '{code}'")
            } else {
                params.push(code.to_string());
                format!("{column} = ${}", params.len())
            }
        };
        if let Some(t) = &self.township {
            if binding == Binding::Copy {
                clauses.push(format!(
                    "township = (SELECT current_setting('{TOWNSHIP_SETTING}'))"
                ));
            } else {
                params.push(t.clone());
                clauses.push(format!("township = ${}", params.len()));
            }
        }
        if let Some(t) = self.entity_type {
            clauses.push(constant("entity_type", t.code(), &mut params));
        }
        if let Some(s) = self.status {
            clauses.push(constant("status", s.code(), &mut params));
        }
        if let Some(strata) = strata {
            // Risk class codes are the constants 'A'..'D'.
            let list: Vec<String> = strata.iter().map(|r| format!("'{}'", r.code())).collect();
            clauses.push(format!("risk_class IN ({})", list.join(", ")));
        }
        (format!(" WHERE {}", clauses.join(" AND ")), params)
    }
}

/// The strata that select anything, in name order, with `N_s` and `k_s`.
struct Strata {
    names: Arc<[String]>,
    classes: Vec<RiskClass>,
    populations: Vec<u64>,
    quotas: BTreeMap<String, u64>,
}

impl Strata {
    fn new(
        populations: &BTreeMap<String, u64>,
        selection: &Selection,
        seed: &Seed,
    ) -> Result<Self> {
        let quotas = liancha_draw::quotas(selection, populations, seed)
            .map_err(|e| StoreError::invalid(format!("抽取方案无效：{e}")))?;
        let mut names = Vec::new();
        let mut classes = Vec::new();
        let mut sizes = Vec::new();
        for (s, &k) in &quotas {
            if k == 0 {
                continue;
            }
            let class = RiskClass::from_code(s)
                .ok_or_else(|| StoreError::corrupt(format!("risk_class {s}")))?;
            names.push(s.clone());
            classes.push(class);
            sizes.push(populations[s]);
        }
        Ok(Strata {
            names: names.into(),
            classes,
            populations: sizes,
            quotas,
        })
    }

    fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The classes to read in pass 2: `None` (no filter, which SQLite would check
    /// per row through a temporary index) when every class in scope selects something.
    fn filter(&self) -> Option<&[RiskClass]> {
        if self.names.len() == self.quotas.len() {
            None
        } else {
            Some(&self.classes)
        }
    }
}

fn changed() -> StoreError {
    StoreError::invalid("抽取期间检查对象名录发生变化，请重新抽取")
}

impl County<'_> {
    /// Stratum (risk class) → number of entities in `scope`: the `N_s` of spec §5.
    pub async fn draw_populations(&self, scope: &DrawScope) -> Result<BTreeMap<String, u64>> {
        let (where_sql, params) = scope.where_sql(self.code(), Binding::Placeholders, None);
        let sql = count_sql(&where_sql);
        let row: CountRow = crate::with_pool!(self, p => {
            let mut q = sqlx::query_as(crate::dynamic(&sql));
            for v in &params {
                q = q.bind(v);
            }
            q.fetch_one(p).await?
        });
        populations(&row.into())
    }

    /// Selects from the entity directory as `liancha_draw::select` would from a plan
    /// listing every entity of `scope` with its risk class as stratum: same entities,
    /// same tickets, same draw order. Counts the strata, then streams the directory
    /// once on up to `threads` threads, counting the one that reads (`0` is taken as
    /// 1); the result does not depend on `threads`. Memory: about `2 Σ k_s` candidates
    /// per thread, whatever the size of the directory. With PostgreSQL on the same
    /// machine, leave it a core: it produces the rows.
    pub async fn select_from_directory(
        &self,
        scope: &DrawScope,
        selection: &Selection,
        seed: &Seed,
        threads: usize,
    ) -> Result<Vec<Selected>> {
        match self.pool() {
            Pool::Sqlite(p) => select_sqlite(p, self.code(), scope, selection, seed, threads).await,
            Pool::Postgres(p) => {
                select_postgres(p, self.code(), scope, selection, seed, threads).await
            }
        }
    }

    /// The same selection as [`select_from_directory`](Self::select_from_directory),
    /// computed inside PostgreSQL: tickets by the server's `sha256()`, ranked per
    /// stratum by ticket then id bytes; only the selected rows are sent back. SQLite
    /// has no SHA-256 and gets a clear error ([`StoreError::Invalid`]).
    pub async fn select_in_database(
        &self,
        scope: &DrawScope,
        selection: &Selection,
        seed: &Seed,
    ) -> Result<Vec<Selected>> {
        match self.pool() {
            Pool::Postgres(p) => {
                select_in_postgres(p, self.code(), scope, selection, seed, false).await
            }
            Pool::Sqlite(_) => Err(StoreError::invalid(
                "在数据库内计算抽取签号需要 PostgreSQL（内置 sha256）；SQLite 请使用 select_from_directory",
            )),
        }
    }
}

/// `N_s` per risk class in one pass. Conditional counts instead of `GROUP BY`: SQLite
/// has no hash aggregation and would sort the whole scope to group it (3× slower on
/// 10^7 rows); the total guards against a class outside the four.
fn count_sql(where_sql: &str) -> String {
    let per_class: Vec<String> = RiskClass::ALL
        .iter()
        .map(|r| format!("COUNT(*) FILTER (WHERE risk_class = '{}')", r.code()))
        .collect();
    format!(
        "SELECT COUNT(*), {} FROM entities{where_sql}",
        per_class.join(", ")
    )
}

/// The total, then one count per risk class in [`RiskClass::ALL`] order.
type CountRow = (i64, i64, i64, i64, i64);

/// Decodes [`count_sql`]'s row: stratum → `N_s`, classes with no entity left out.
fn populations(row: &[i64; 5]) -> Result<BTreeMap<String, u64>> {
    let mut out = BTreeMap::new();
    let mut sum = 0u64;
    for (r, &n) in RiskClass::ALL.iter().zip(&row[1..]) {
        let n = u64::try_from(n).map_err(|_| StoreError::corrupt(format!("count {n}")))?;
        if n > 0 {
            out.insert(r.code().to_string(), n);
        }
        sum += n;
    }
    if i64::try_from(sum).ok() != Some(row[0]) {
        return Err(StoreError::corrupt("risk_class outside A–D"));
    }
    Ok(out)
}

/// Runs blocking work without stalling other tasks of a multi-threaded runtime.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

// ---------------------------------------------------------------- SQLite

fn sqlite_error(e: rusqlite::Error) -> StoreError {
    StoreError::invalid(format!("数据库读取失败：{e}"))
}

async fn select_sqlite(
    pool: &SqlitePool,
    county: &DivisionCode,
    scope: &DrawScope,
    selection: &Selection,
    seed: &Seed,
    threads: usize,
) -> Result<Vec<Selected>> {
    let started = std::time::Instant::now();
    let mut conn = pool.acquire().await?;
    // Both passes read the whole table: mapping the file saves a system call and a
    // copy per page (a third of the time on 10^7 rows). The mapped pages are the OS
    // page cache and count in RSS, not in the heap. Restored for the pooled connection
    // afterwards; SQLite caps the size (2 GiB by default).
    let mmap: i64 = sqlx::query_scalar("PRAGMA mmap_size")
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query("PRAGMA mmap_size = 1099511627776")
        .execute(&mut *conn)
        .await?;
    let result =
        select_sqlite_on(&mut conn, county, scope, selection, seed, threads, started).await;
    sqlx::query(crate::dynamic(&format!("PRAGMA mmap_size = {mmap}")))
        .execute(&mut *conn)
        .await?;
    result
}

async fn select_sqlite_on(
    conn: &mut sqlx::SqliteConnection,
    county: &DivisionCode,
    scope: &DrawScope,
    selection: &Selection,
    seed: &Seed,
    threads: usize,
    started: std::time::Instant,
) -> Result<Vec<Selected>> {
    // One read transaction: in WAL mode both passes see the same snapshot.
    let mut tx = sqlx::Connection::begin(conn).await?;
    let (where_sql, params) = scope.where_sql(county, Binding::Placeholders, None);
    let counts: CountRow = {
        let sql = count_sql(&where_sql);
        let mut q = sqlx::query_as(crate::dynamic(&sql));
        for v in &params {
            q = q.bind(v);
        }
        q.fetch_one(&mut *tx).await?
    };
    let strata = Strata::new(&populations(&counts.into())?, selection, seed)?;
    tracing::debug!(elapsed = ?started.elapsed(), "draw: SQLite counting pass");
    if strata.is_empty() {
        return Ok(Vec::new());
    }
    let (where_sql, params) = scope.where_sql(county, Binding::Placeholders, strata.filter());
    let sql = format!("SELECT id, risk_class FROM entities{where_sql}");

    let mut handle = tx.lock_handle().await?;
    let raw = handle.as_raw_handle();
    let run = || -> Result<Vec<Selected>> {
        // SAFETY: while `handle` is held, sqlx's worker makes no call on this
        // connection; the borrowed wrapper never closes it, and the statement is
        // finalized before this closure returns.
        let conn =
            unsafe { rusqlite::Connection::from_handle(raw.as_ptr()) }.map_err(sqlite_error)?;
        let mut stmt = conn.prepare(&sql).map_err(sqlite_error)?;
        for (i, v) in params.iter().enumerate() {
            stmt.raw_bind_parameter(i + 1, v).map_err(sqlite_error)?;
        }
        let mut pipe = Pipeline::new(&strata, seed, threads);
        let mut rows = stmt.raw_query();
        while let Some(row) = rows.next().map_err(sqlite_error)? {
            let id = row
                .get_ref(0)
                .map_err(sqlite_error)?
                .as_str()
                .map_err(|e| StoreError::corrupt(format!("entity id: {e}")))?;
            let stratum = row
                .get_ref(1)
                .map_err(sqlite_error)?
                .as_bytes()
                .map_err(|e| StoreError::corrupt(format!("risk_class: {e}")))?;
            pipe.push(id, stratum)?;
        }
        drop(rows);
        tracing::debug!(elapsed = ?started.elapsed(), "draw: SQLite rows read");
        let out = pipe.finish();
        tracing::debug!(elapsed = ?started.elapsed(), "draw: SQLite selection merged");
        out
    };
    let result = blocking(run);
    drop(handle);
    tx.rollback().await?;
    result
}

// ---------------------------------------------------------------- PostgreSQL

async fn begin_snapshot(pool: &PgPool) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

async fn pg_strata(
    tx: &mut sqlx::PgConnection,
    county: &DivisionCode,
    scope: &DrawScope,
    selection: &Selection,
    seed: &Seed,
) -> Result<Strata> {
    let (where_sql, params) = scope.where_sql(county, Binding::Placeholders, None);
    let sql = count_sql(&where_sql);
    let mut q = sqlx::query_as(crate::dynamic(&sql));
    for v in &params {
        q = q.bind(v);
    }
    let counts: CountRow = q.fetch_one(&mut *tx).await?;
    Strata::new(&populations(&counts.into())?, selection, seed)
}

async fn select_postgres(
    pool: &PgPool,
    county: &DivisionCode,
    scope: &DrawScope,
    selection: &Selection,
    seed: &Seed,
    threads: usize,
) -> Result<Vec<Selected>> {
    let started = std::time::Instant::now();
    let mut tx = begin_snapshot(pool).await?;
    let strata = pg_strata(&mut tx, county, scope, selection, seed).await?;
    tracing::debug!(elapsed = ?started.elapsed(), "draw: PostgreSQL counting pass");
    if strata.is_empty() {
        return Ok(Vec::new());
    }
    if let Some(t) = &scope.township {
        sqlx::query("SELECT set_config($1, $2, true)")
            .bind(TOWNSHIP_SETTING)
            .bind(t)
            .execute(&mut *tx)
            .await?;
    }
    let (where_sql, params) = scope.where_sql(county, Binding::Copy, strata.filter());
    debug_assert!(params.is_empty());
    let sql =
        format!("COPY (SELECT id, risk_class FROM entities{where_sql}) TO STDOUT (FORMAT binary)");
    let mut pipe = Pipeline::new(&strata, seed, threads);
    let mut parser = CopyBinary::default();
    // After a bad row the stream is still drained, so the connection is left idle.
    let mut failed: Option<StoreError> = None;
    {
        let mut stream = tx.copy_out_raw(&sql).await?;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            if failed.is_none()
                && let Err(e) = parser.feed(&chunk, |id, s| pipe.push(id, s))
            {
                failed = Some(e);
            }
        }
    }
    tx.rollback().await?;
    if let Some(e) = failed {
        return Err(e);
    }
    parser.finish()?;
    tracing::debug!(elapsed = ?started.elapsed(), "draw: PostgreSQL rows read");
    let out = blocking(|| pipe.finish());
    tracing::debug!(elapsed = ?started.elapsed(), "draw: PostgreSQL selection merged");
    out
}

/// Incremental parser of `COPY … (FORMAT binary)` output with two text columns.
///
/// The server sends one CopyData message per row, so a chunk normally holds whole
/// rows and is parsed in place; a row split across chunks is reassembled in `carry`.
#[derive(Default)]
struct CopyBinary {
    header_done: bool,
    trailer_seen: bool,
    carry: Vec<u8>,
}

const COPY_SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

impl CopyBinary {
    fn feed(&mut self, chunk: &[u8], mut row: impl FnMut(&str, &[u8]) -> Result<()>) -> Result<()> {
        if self.carry.is_empty() {
            let used = self.parse(chunk, &mut row)?;
            self.carry.extend_from_slice(&chunk[used..]);
        } else {
            let mut buf = std::mem::take(&mut self.carry);
            buf.extend_from_slice(chunk);
            let used = self.parse(&buf, &mut row)?;
            buf.drain(..used);
            self.carry = buf;
        }
        Ok(())
    }

    /// Parses whole items from `data`; returns how many bytes were consumed.
    fn parse(
        &mut self,
        data: &[u8],
        row: &mut impl FnMut(&str, &[u8]) -> Result<()>,
    ) -> Result<usize> {
        let bad = |what: &str| StoreError::corrupt(format!("COPY binary: {what}"));
        let mut at = 0;
        if !self.header_done {
            // Signature, flags, header extension length, extension.
            if data.len() < 19 {
                return Ok(0);
            }
            if &data[..11] != COPY_SIGNATURE {
                return Err(bad("signature"));
            }
            let ext = u32::from_be_bytes(data[15..19].try_into().expect("4 bytes")) as usize;
            if data.len() < 19 + ext {
                return Ok(0);
            }
            at = 19 + ext;
            self.header_done = true;
        }
        loop {
            let rest = &data[at..];
            if rest.len() < 2 {
                return Ok(at);
            }
            let fields = i16::from_be_bytes([rest[0], rest[1]]);
            if fields == -1 {
                self.trailer_seen = true;
                return Ok(data.len());
            }
            if fields != 2 {
                return Err(bad("expected two columns"));
            }
            let field = |from: usize| -> Result<Option<(usize, usize)>> {
                if rest.len() < from + 4 {
                    return Ok(None);
                }
                let len = i32::from_be_bytes(rest[from..from + 4].try_into().expect("4 bytes"));
                let len = usize::try_from(len).map_err(|_| bad("NULL value"))?;
                if rest.len() < from + 4 + len {
                    return Ok(None);
                }
                Ok(Some((from + 4, from + 4 + len)))
            };
            let Some((a0, a1)) = field(2)? else {
                return Ok(at);
            };
            let Some((b0, b1)) = field(a1)? else {
                return Ok(at);
            };
            let id = std::str::from_utf8(&rest[a0..a1]).map_err(|_| bad("id is not UTF-8"))?;
            row(id, &rest[b0..b1])?;
            at += b1;
        }
    }

    fn finish(&self) -> Result<()> {
        if self.trailer_seen && self.carry.is_empty() {
            Ok(())
        } else {
            Err(StoreError::corrupt("COPY binary: output ended early"))
        }
    }
}

/// A ticket bound that about `m` of `n` uniformly spread tickets fall below:
/// `2^256 × m / n`, rounded to the top 64 bits. 33 bytes of `ff` (above every
/// 32-byte ticket, as `bytea` compares bytes then length) when `m ≥ n`.
fn ticket_bound(m: u64, n: u64) -> Vec<u8> {
    if m >= n {
        return vec![0xff; 33];
    }
    // m < n, so the quotient is below 2^64.
    let top = ((u128::from(m) << 64) / u128::from(n)) as u64;
    let mut bound = top.to_be_bytes().to_vec();
    bound.extend_from_slice(&[0xff; 24]);
    bound
}

/// How many candidates to let through for a quota of `k`: eight standard deviations
/// of a binomial count above `k`, so that fewer than `k` pass about once in 10^15 draws.
fn candidate_target(k: u64) -> u64 {
    k.saturating_add(k.isqrt().saturating_mul(8))
        .saturating_add(72)
}

/// The in-database path: tickets computed by PostgreSQL.
///
/// One scan hashes every row of the scope once. Per stratum, only rows whose ticket
/// lies below [`ticket_bound`] (set a few standard deviations above where the
/// `k_s`-th smallest ticket is expected) are kept, ranked, and the first `k_s`
/// returned; so the server sorts a few more than `Σ k_s` rows instead of running a
/// top-k sort over every stratum. The rows below a bound are a prefix of the draw
/// order, so this is exact whenever at least `k_s` of them pass; a stratum where
/// fewer pass (about once in 10^15 draws) is drawn again with a plain
/// `ORDER BY ticket LIMIT k_s`. `tight` forces that fallback, for tests.
async fn select_in_postgres(
    pool: &PgPool,
    county: &DivisionCode,
    scope: &DrawScope,
    selection: &Selection,
    seed: &Seed,
    tight: bool,
) -> Result<Vec<Selected>> {
    let mut tx = begin_snapshot(pool).await?;
    let strata = pg_strata(&mut tx, county, scope, selection, seed).await?;
    if strata.is_empty() {
        return Ok(Vec::new());
    }
    let mut names: Vec<String> = Vec::new();
    let mut ks: Vec<i64> = Vec::new();
    let mut bounds: Vec<Vec<u8>> = Vec::new();
    let mut candidates: u64 = 0;
    for (name, &n) in strata.names.iter().zip(&strata.populations) {
        let k = strata.quotas[name];
        let m = if tight { k / 2 } else { candidate_target(k) };
        names.push(name.clone());
        ks.push(i64::try_from(k).map_err(|_| StoreError::invalid(format!("quota {k}")))?);
        bounds.push(ticket_bound(m, n));
        candidates = candidates.saturating_add(m.min(n));
    }
    // The candidates are sorted once to rank them: enough work_mem to do that in
    // memory (about 200 bytes a row). JIT compilation takes longer than it saves
    // here, the time being in sha256() itself.
    let work_mem_kb = (candidates.saturating_mul(200) / 1024).clamp(4 * 1024, 2 * 1024 * 1024);
    sqlx::query("SELECT set_config('work_mem', $1, true), set_config('jit', 'off', true)")
        .bind(format!("{work_mem_kb}kB"))
        .execute(&mut *tx)
        .await?;

    // seed ‖ "entity" ‖ 0x00, the fixed head of every entity ticket's message.
    let mut prefix = seed.to_vec();
    prefix.extend_from_slice(b"entity\0");
    let (where_sql, params) = scope.where_sql(county, Binding::Placeholders, strata.filter());
    let n = params.len();
    // Ties in ticket (never seen) go by id bytes, whatever the server encoding.
    let sql = format!(
        "SELECT id, stratum, ticket FROM (\
           SELECT c.id, q.stratum, c.ticket, q.k, row_number() OVER (\
             PARTITION BY q.stratum ORDER BY c.ticket, convert_to(c.id, 'UTF8')) AS rn \
           FROM (SELECT id, risk_class, sha256(${p} || convert_to(id, 'UTF8')) AS ticket \
                 FROM entities{where_sql}) AS c \
           JOIN unnest(${a}::text[], ${b}::int8[], ${c}::bytea[]) AS q(stratum, k, bound) \
             ON q.stratum = c.risk_class \
           WHERE c.ticket < q.bound) AS r \
         WHERE rn <= k",
        p = n + 1,
        a = n + 2,
        b = n + 3,
        c = n + 4,
    );
    let mut q = sqlx::query_as(crate::dynamic(&sql));
    for v in &params {
        q = q.bind(v);
    }
    let rows: Vec<(String, String, Vec<u8>)> = q
        .bind(&prefix)
        .bind(&names)
        .bind(&ks)
        .bind(&bounds)
        .fetch_all(&mut *tx)
        .await?;
    let mut per_stratum: BTreeMap<String, Vec<Selected>> = BTreeMap::new();
    for (id, stratum, t) in rows {
        per_stratum
            .entry(stratum.clone())
            .or_default()
            .push(selected(id, stratum, &t)?);
    }

    let fallback_sql = format!(
        "SELECT id, sha256(${p} || convert_to(id, 'UTF8')) AS ticket FROM entities{where_sql} \
         AND risk_class = ${s} ORDER BY ticket, convert_to(id, 'UTF8') LIMIT ${k}",
        p = n + 1,
        s = n + 2,
        k = n + 3
    );
    let mut out: Vec<Selected> = Vec::new();
    for (name, &k) in names.iter().zip(&ks) {
        let got = per_stratum.remove(name).unwrap_or_default();
        if got.len() as u64 == k as u64 {
            out.extend(got);
            continue;
        }
        tracing::debug!(stratum = %name, k, candidates = got.len(), "draw: ticket bound too low, exact query");
        let mut q = sqlx::query_as(crate::dynamic(&fallback_sql));
        for v in &params {
            q = q.bind(v);
        }
        let rows: Vec<(String, Vec<u8>)> = q
            .bind(&prefix)
            .bind(name)
            .bind(k)
            .fetch_all(&mut *tx)
            .await?;
        for (id, t) in rows {
            out.push(selected(id, name.clone(), &t)?);
        }
    }
    tx.rollback().await?;
    out.sort_unstable_by(|a, b| {
        a.ticket
            .cmp(&b.ticket)
            .then_with(|| a.id.as_bytes().cmp(b.id.as_bytes()))
    });
    Ok(out)
}

fn selected(id: String, stratum: String, ticket: &[u8]) -> Result<Selected> {
    let ticket: Ticket = ticket
        .try_into()
        .map_err(|_| StoreError::corrupt("sha256 is not 32 bytes"))?;
    Ok(Selected {
        id,
        stratum,
        ticket,
    })
}

// ---------------------------------------------------------------- the pipeline

/// Rows per batch handed to a worker: large enough that channel traffic is
/// negligible, small enough that a batch is a few hundred KiB.
const BATCH_ROWS: usize = 4096;

/// Rows packed into one string, with their strata as indices into [`Strata::names`].
#[derive(Default)]
struct Batch {
    text: String,
    ends: Vec<u32>,
    strata: Vec<u8>,
}

impl Batch {
    fn new() -> Self {
        Batch {
            text: String::with_capacity(BATCH_ROWS * 24),
            ends: Vec::with_capacity(BATCH_ROWS),
            strata: Vec::with_capacity(BATCH_ROWS),
        }
    }

    fn len(&self) -> usize {
        self.ends.len()
    }

    fn push(&mut self, id: &str, stratum: u8) {
        self.text.push_str(id);
        self.ends.push(self.text.len() as u32);
        self.strata.push(stratum);
    }

    fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.strata.clear();
    }

    fn feed(&self, selector: &mut StratumSelector, names: &[String]) {
        let mut start = 0;
        for (&end, &s) in self.ends.iter().zip(&self.strata) {
            let end = end as usize;
            selector.push(&self.text[start..end], &names[s as usize]);
            start = end;
        }
    }
}

/// The selecting pass: the reading thread [`push`](Self::push)es rows; full batches
/// go to the first idle worker, or are selected on the reading thread when every
/// worker is busy. Memory: the selectors (bounded by `Σ k_s` each) plus at most
/// three batches per worker.
struct Pipeline {
    names: Arc<[String]>,
    expected: Vec<u64>,
    seen: Vec<u64>,
    /// The reading thread's own selector, made the first time every worker is busy
    /// (with one worker that is never, and no selector means no merge).
    local: Option<StratumSelector>,
    seed: Seed,
    quotas: BTreeMap<String, u64>,
    batch: Batch,
    queues: Vec<SyncSender<Batch>>,
    next: usize,
    spare: Receiver<Batch>,
    workers: Vec<JoinHandle<StratumSelector>>,
}

impl Pipeline {
    /// `threads` counts the reading thread: 1 selects everything on it.
    fn new(strata: &Strata, seed: &Seed, threads: usize) -> Self {
        let (spare_tx, spare) = mpsc::channel::<Batch>();
        let mut queues = Vec::new();
        let mut workers = Vec::new();
        for _ in 1..threads.max(1) {
            let (tx, rx) = mpsc::sync_channel::<Batch>(2);
            let names = strata.names.clone();
            let seed = *seed;
            let quotas = strata.quotas.clone();
            let spare_tx = spare_tx.clone();
            workers.push(std::thread::spawn(move || {
                let mut selector = StratumSelector::new(&seed, &quotas);
                while let Ok(mut b) = rx.recv() {
                    b.feed(&mut selector, &names);
                    b.clear();
                    let _ = spare_tx.send(b);
                }
                selector
            }));
            queues.push(tx);
        }
        Pipeline {
            names: strata.names.clone(),
            expected: strata.populations.clone(),
            seen: vec![0; strata.names.len()],
            local: None,
            seed: *seed,
            quotas: strata.quotas.clone(),
            batch: Batch::new(),
            queues,
            next: 0,
            spare,
            workers,
        }
    }

    #[inline]
    fn push(&mut self, id: &str, stratum: &[u8]) -> Result<()> {
        // Rows of strata that select nothing were filtered out in SQL; any other
        // stratum means the rows are not what was counted.
        let s = match self.names.iter().position(|n| n.as_bytes() == stratum) {
            Some(s) => s,
            None => return Err(changed()),
        };
        self.seen[s] += 1;
        self.batch.push(id, s as u8);
        if self.batch.len() == BATCH_ROWS {
            self.dispatch();
        }
        Ok(())
    }

    fn dispatch(&mut self) {
        if !self.queues.is_empty() {
            let mut item = std::mem::take(&mut self.batch);
            for i in 0..self.queues.len() {
                let q = (self.next + i) % self.queues.len();
                match self.queues[q].try_send(item) {
                    Ok(()) => {
                        self.next = q + 1;
                        self.batch = self.spare.try_recv().unwrap_or_else(|_| Batch::new());
                        return;
                    }
                    Err(TrySendError::Full(b) | TrySendError::Disconnected(b)) => item = b,
                }
            }
            self.batch = item;
        }
        let local = self
            .local
            .get_or_insert_with(|| StratumSelector::new(&self.seed, &self.quotas));
        self.batch.feed(local, &self.names);
        self.batch.clear();
    }

    fn finish(mut self) -> Result<Vec<Selected>> {
        if self.batch.len() > 0 || (self.local.is_none() && self.workers.is_empty()) {
            let local = self
                .local
                .get_or_insert_with(|| StratumSelector::new(&self.seed, &self.quotas));
            self.batch.feed(local, &self.names);
        }
        self.queues.clear();
        let mut selectors: Vec<StratumSelector> = self.local.take().into_iter().collect();
        for w in self.workers.drain(..) {
            selectors.push(w.join().expect("selection worker panicked"));
        }
        if self.seen != self.expected {
            return Err(changed());
        }
        // The fullest absorbs the others: fewest candidates moved.
        selectors.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let mut selectors = selectors.into_iter();
        let mut all = selectors.next().expect("at least one selector");
        for s in selectors {
            all.merge(s);
        }
        Ok(all.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_binary_rows_split_anywhere() {
        let mut data = COPY_SIGNATURE.to_vec();
        data.extend_from_slice(&0u32.to_be_bytes());
        data.extend_from_slice(&0u32.to_be_bytes());
        let rows = [("91532323MA6N0XXXX1", "A"), ("X中文", "B"), ("e", "D")];
        for (id, s) in rows {
            data.extend_from_slice(&2i16.to_be_bytes());
            data.extend_from_slice(&(id.len() as i32).to_be_bytes());
            data.extend_from_slice(id.as_bytes());
            data.extend_from_slice(&(s.len() as i32).to_be_bytes());
            data.extend_from_slice(s.as_bytes());
        }
        data.extend_from_slice(&(-1i16).to_be_bytes());
        for size in 1..data.len() {
            let mut p = CopyBinary::default();
            let mut got = Vec::new();
            for chunk in data.chunks(size) {
                p.feed(chunk, |id, s| {
                    got.push((id.to_string(), String::from_utf8(s.to_vec()).unwrap()));
                    Ok(())
                })
                .unwrap();
            }
            p.finish().unwrap();
            let want: Vec<(String, String)> = rows
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect();
            assert_eq!(got, want, "chunk size {size}");
        }
        let mut p = CopyBinary::default();
        p.feed(&data[..data.len() - 2], |_, _| Ok(())).unwrap();
        assert!(p.finish().is_err());
    }

    #[test]
    fn ticket_bounds() {
        assert_eq!(ticket_bound(5, 5), vec![0xff; 33]);
        assert_eq!(ticket_bound(9, 5), vec![0xff; 33]);
        let half = ticket_bound(1, 2);
        assert_eq!(half[..8], [0x80, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(half[8..], [0xff; 24]);
        assert_eq!(ticket_bound(0, 7)[..8], [0; 8]);
        // A bound is a byte string compared as PostgreSQL compares bytea.
        let t: Ticket = [0x7f; 32];
        assert!(t.as_slice() < half.as_slice());
        assert!([0xff; 32].as_slice() < ticket_bound(3, 3).as_slice());
        assert_eq!(candidate_target(0), 72);
        assert_eq!(candidate_target(10_000), 10_000 + 800 + 72);
    }

    /// The exact per-stratum query taken when too few rows pass the ticket bound.
    #[tokio::test]
    async fn in_database_fallback_is_exact() {
        let db = crate::testing::TestDb::new(crate::Engine::Postgres).await;
        let size = crate::demo::DemoSize {
            legal_persons: 200,
            individuals: 800,
        };
        crate::demo::load(&db.store, size, &|_, _| {})
            .await
            .unwrap();
        let Pool::Postgres(pool) = db.store.pool() else {
            unreachable!()
        };
        let scope = DrawScope::default();
        let selection = Selection::Quotas(
            ["A", "B", "C", "D"]
                .into_iter()
                .map(|s| liancha_draw::Quota {
                    stratum: s.into(),
                    rule: liancha_draw::QuotaRule::RatioBp(1500),
                })
                .collect(),
        );
        let seed = [9u8; 32];
        let county = crate::testing::mouding_county(&db.store).await;
        let want = county
            .select_from_directory(&scope, &selection, &seed, 1)
            .await
            .unwrap();
        assert!(want.len() > 100);
        for tight in [false, true] {
            let got = select_in_postgres(pool, county.code(), &scope, &selection, &seed, tight)
                .await
                .unwrap();
            assert_eq!(got, want, "tight = {tight}");
        }
        db.finish().await;
    }

    #[test]
    fn scope_sql() {
        let scope = DrawScope {
            township: Some("共和镇".into()),
            entity_type: Some(EntityType::Enterprise),
            status: Some(EntityStatus::Active),
        };
        let county = DivisionCode::parse("532323").unwrap();
        let (sql, params) = scope.where_sql(&county, Binding::Placeholders, Some(&[RiskClass::A]));
        assert_eq!(
            sql,
            " WHERE county = '532323' AND township = $1 AND entity_type = $2 AND status = $3 AND risk_class IN ('A')"
        );
        assert_eq!(params, ["共和镇", "enterprise", "active"]);
        let (sql, params) = scope.where_sql(&county, Binding::Copy, None);
        assert_eq!(
            sql,
            " WHERE county = '532323' AND township = (SELECT current_setting('liancha.draw_township')) \
             AND entity_type = 'enterprise' AND status = 'active'"
        );
        assert!(params.is_empty());
        let all = DrawScope {
            status: None,
            ..DrawScope::default()
        };
        assert_eq!(
            all.where_sql(&county, Binding::Copy, None).0,
            " WHERE county = '532323'"
        );
    }
}
