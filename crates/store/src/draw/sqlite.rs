//! The SQLite path: rows read on a blocking thread and selected in the pipeline.

use super::*;

pub(super) fn sqlite_error(e: rusqlite::Error) -> StoreError {
    StoreError::invalid(format!("数据库读取失败：{e}"))
}

pub(super) async fn select_sqlite(
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

pub(super) async fn select_sqlite_on(
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
