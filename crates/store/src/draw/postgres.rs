//! The PostgreSQL paths: rows streamed with binary COPY, or tickets computed in the
//! database with a bound that lets only a few more than the quota through.

use super::*;

pub(super) async fn begin_snapshot(
    pool: &PgPool,
) -> Result<sqlx::Transaction<'static, sqlx::Postgres>> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

pub(super) async fn pg_strata(
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

pub(super) async fn select_postgres(
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
pub(super) struct CopyBinary {
    pub(super) header_done: bool,
    pub(super) trailer_seen: bool,
    pub(super) carry: Vec<u8>,
}

pub(super) const COPY_SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

impl CopyBinary {
    pub(super) fn feed(
        &mut self,
        chunk: &[u8],
        mut row: impl FnMut(&str, &[u8]) -> Result<()>,
    ) -> Result<()> {
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
    pub(super) fn parse(
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

    pub(super) fn finish(&self) -> Result<()> {
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
pub(super) fn ticket_bound(m: u64, n: u64) -> Vec<u8> {
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
pub(super) fn candidate_target(k: u64) -> u64 {
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
pub(super) async fn select_in_postgres(
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

pub(super) fn selected(id: String, stratum: String, ticket: &[u8]) -> Result<Selected> {
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
