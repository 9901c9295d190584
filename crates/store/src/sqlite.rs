//! SQLite-specific work: bulk writing of the entity directory.
//!
//! Two costs dominate a naive million-row upsert, and both are avoided here:
//! - sqlx carries every bound value across a channel to its worker thread; so rows
//!   are bound straight into a prepared statement on the same connection and in the
//!   same transaction, through rusqlite over the handle sqlx lends out;
//! - every statement that writes many rows into a constrained, indexed table keeps a
//!   statement journal, copying each page it touches; so rows go first into a bare
//!   temporary table and reach `entities` in one `INSERT … SELECT` at commit.

use liancha_domain::Entity;
use sqlx::{Sqlite, Transaction};

use crate::directories::{ENTITY_COLUMNS_SQL, now};
use crate::{Result, StoreError};

const UPSERT: &str = " ON CONFLICT (id) DO UPDATE SET reg_no = excluded.reg_no, name = excluded.name, \
     entity_type = excluded.entity_type, industry = excluded.industry, township = excluded.township, \
     address = excluded.address, legal_rep = excluded.legal_rep, registered_on = excluded.registered_on, \
     status = excluded.status, risk_class = excluded.risk_class, abnormal = excluded.abnormal, \
     blacklisted = excluded.blacklisted, tags = excluded.tags, updated_at = excluded.updated_at";

pub struct SqliteEntityWriter {
    tx: Transaction<'static, Sqlite>,
}

fn ffi_error(e: rusqlite::Error) -> StoreError {
    StoreError::Invalid(format!("数据库写入失败：{e}"))
}

/// Rows per statement: per-statement work (cursors, statement journal) is paid once
/// for many rows, as in `INSERT … SELECT`; 15 × 256 parameters stay under SQLite's limit.
const ROWS_PER_STATEMENT: usize = 256;
const COLUMNS: usize = 15;

fn insert_sql(rows: usize) -> String {
    let one = format!("({})", vec!["?"; COLUMNS].join(","));
    format!(
        "INSERT INTO temp.entities_load ({ENTITY_COLUMNS_SQL}) VALUES {}",
        vec![one; rows].join(",")
    )
}

/// Binds the batch into multi-row upserts with anonymous parameters (SQLite looks
/// named ones up by walking a list, which is quadratic in their number).
fn write_rows(conn: &rusqlite::Connection, batch: &[Entity], at: &str) -> rusqlite::Result<()> {
    let mut full = conn.prepare(&insert_sql(ROWS_PER_STATEMENT))?;
    for chunk in batch.chunks(ROWS_PER_STATEMENT) {
        let mut partial;
        let stmt = if chunk.len() == ROWS_PER_STATEMENT {
            &mut full
        } else {
            partial = conn.prepare(&insert_sql(chunk.len()))?;
            &mut partial
        };
        let mut n = 0;
        for e in chunk {
            let industry = e.industry.as_ref().map(|i| i.to_string());
            let registered_on = e.registered_on.map(|d| d.to_string());
            let tags = e.tags.join("、");
            let row: [&dyn rusqlite::ToSql; COLUMNS] = [
                &e.id,
                &e.reg_no,
                &e.name,
                &e.entity_type.code(),
                &industry,
                &e.township,
                &e.address,
                &e.legal_rep,
                &registered_on,
                &e.status.code(),
                &e.risk_class.code(),
                &e.abnormal,
                &e.blacklisted,
                &tags,
                &at,
            ];
            for v in row {
                n += 1;
                stmt.raw_bind_parameter(n, v)?;
            }
        }
        stmt.raw_execute()?;
    }
    Ok(())
}

impl SqliteEntityWriter {
    pub(crate) async fn begin(pool: &sqlx::SqlitePool) -> Result<Self> {
        let mut tx = pool.begin().await?;
        // Created inside the transaction, so a rollback removes it too.
        let sql = format!(
            "CREATE TEMP TABLE entities_load AS SELECT {ENTITY_COLUMNS_SQL} FROM entities WHERE 0"
        );
        sqlx::query(crate::dynamic(&sql)).execute(&mut *tx).await?;
        Ok(SqliteEntityWriter { tx })
    }

    pub(crate) async fn write(&mut self, batch: &[Entity]) -> Result<()> {
        // The same text sqlx writes for a DateTime<Utc>, so reads decode it alike.
        let at = now().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false);
        let mut handle = self.tx.lock_handle().await?;
        let raw = handle.as_raw_handle();
        let run = || {
            // SAFETY: while `handle` is held, sqlx's worker makes no call on this
            // connection; the borrowed wrapper never closes it.
            let conn =
                unsafe { rusqlite::Connection::from_handle(raw.as_ptr()) }.map_err(ffi_error)?;
            write_rows(&conn, batch, &at).map_err(ffi_error)
        };
        // Keep other tasks running while this thread is busy in SQLite.
        let result = match tokio::runtime::Handle::current().runtime_flavor() {
            tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(run),
            _ => run(),
        };
        drop(handle);
        result
    }

    pub(crate) async fn commit(mut self) -> Result<()> {
        // `WHERE true` tells SQLite's parser the ON CONFLICT belongs to the INSERT.
        let sql = format!(
            "INSERT INTO entities ({ENTITY_COLUMNS_SQL}) SELECT {ENTITY_COLUMNS_SQL} FROM temp.entities_load WHERE true{UPSERT}"
        );
        sqlx::query(crate::dynamic(&sql))
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("DROP TABLE temp.entities_load")
            .execute(&mut *self.tx)
            .await?;
        self.tx.commit().await?;
        Ok(())
    }
}
