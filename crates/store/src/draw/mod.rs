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

mod pipeline;
mod postgres;
mod sqlite;

use pipeline::*;
use postgres::*;
use sqlite::*;

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
