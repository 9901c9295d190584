//! SQLite-specific work: bulk writing of the entity directory.
//!
//! Two costs dominate a naive million-row upsert, and both are avoided here:
//! - sqlx carries every bound value across a channel to its worker thread; so rows
//!   are bound straight into a prepared statement on the same connection and in the
//!   same transaction, through rusqlite over the handle sqlx lends out;
//! - every statement that writes many rows into a constrained, indexed table keeps a
//!   statement journal, copying each page it touches; so rows go first into a bare
//!   temporary table and reach `entities` in one `INSERT … SELECT` at commit.
//!
//! An import streams instead: one `INSERT … SELECT` reads the batches from a virtual
//! table as the reader thread validates them, so the rows are written once, by one
//! statement, while the file is still being read.
//!
//! The first load into an empty directory writes straight into `entities` without its
//! key index and builds the index once at commit (see migration 0006).

use std::ffi::c_int;
use std::sync::{Arc, Mutex};

use liancha_domain::Entity;
use rusqlite::vtab::{
    Context, Filters, IndexInfo, VTab, VTabConnection, VTabCursor, eponymous_only_module,
    sqlite3_vtab, sqlite3_vtab_cursor,
};
use sqlx::{Sqlite, Transaction};

use crate::directories::{ENTITY_COLUMNS_SQL, now};
use crate::scope::query_in;
use crate::{County, Result, StoreError};
use liancha_domain::org::DivisionCode;

/// Updates an entity only when a column it keeps differs: a directory imported again
/// as it was rewrites no row, no index entry, and keeps each row's `updated_at`.
fn upsert() -> String {
    let columns: Vec<&str> = ENTITY_COLUMNS_SQL
        .split(", ")
        .filter(|c| *c != "id")
        .collect();
    let set: Vec<String> = columns
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    let changed: Vec<String> = columns
        .iter()
        .filter(|c| **c != "updated_at")
        .map(|c| format!("entities.{c} IS NOT excluded.{c}"))
        .collect();
    format!(
        " ON CONFLICT (county, id) DO UPDATE SET {} WHERE {}",
        set.join(", "),
        changed.join(" OR ")
    )
}

/// What [`GUARD_TRIGGER`] raises.
const GUARDED: &str = "liancha: import changes credit flags";

const GUARD_TRIGGER: &str = "CREATE TEMP TRIGGER import_guard BEFORE UPDATE OF abnormal, blacklisted ON main.entities \
     WHEN NEW.abnormal IS NOT OLD.abnormal OR NEW.blacklisted IS NOT OLD.blacklisted \
     BEGIN SELECT RAISE(ABORT, 'liancha: import changes credit flags'); END";

/// An import refused by [`GUARD_TRIGGER`], said as the preview says it.
fn guarded(e: StoreError) -> StoreError {
    match &e {
        StoreError::Db(sqlx::Error::Database(d)) if d.message().contains(GUARDED) => {
            crate::import::guarded_refusal(None, &[])
        }
        _ => e,
    }
}

pub struct SqliteEntityWriter {
    tx: Transaction<'static, Sqlite>,
    /// The county whose directory this writes.
    county: DivisionCode,
    /// The directory was empty: rows go straight into `entities`, without its key
    /// index, which [`SqliteEntityWriter::commit`] builds once at the end.
    initial: bool,
}

fn ffi_error(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        use rusqlite::ErrorCode::*;
        match f.code {
            DiskFull => return StoreError::DiskFull,
            ReadOnly => return StoreError::ReadOnly,
            DatabaseBusy | DatabaseLocked => return StoreError::Busy { retry_after: 30 },
            _ => {}
        }
    }
    StoreError::invalid(format!("数据库写入失败：{e}"))
}

/// Rows per statement: per-statement work (cursors, statement journal) is paid once
/// for many rows, as in `INSERT … SELECT`; 16 × 256 parameters stay under SQLite's limit.
const ROWS_PER_STATEMENT: usize = 256;
/// The county and the entity's own columns.
const COLUMNS: usize = 16;

fn insert_sql(table: &str, rows: usize) -> String {
    let one = format!("({})", vec!["?"; COLUMNS].join(","));
    format!(
        "INSERT INTO {table} (county, {ENTITY_COLUMNS_SQL}) VALUES {}",
        vec![one; rows].join(",")
    )
}

/// Binds the batch into multi-row upserts with anonymous parameters (SQLite looks
/// named ones up by walking a list, which is quadratic in their number).
fn write_rows(
    conn: &rusqlite::Connection,
    table: &str,
    county: &str,
    batch: &[Entity],
    at: &str,
) -> rusqlite::Result<()> {
    let mut full = conn.prepare(&insert_sql(table, ROWS_PER_STATEMENT))?;
    for chunk in batch.chunks(ROWS_PER_STATEMENT) {
        let mut partial;
        let stmt = if chunk.len() == ROWS_PER_STATEMENT {
            &mut full
        } else {
            partial = conn.prepare(&insert_sql(table, chunk.len()))?;
            &mut partial
        };
        let mut n = 0;
        for e in chunk {
            let industry = e.industry.as_ref().map(|i| i.to_string());
            let registered_on = e.registered_on.map(|d| d.to_string());
            let tags = e.tags.join("、");
            let row: [&dyn rusqlite::ToSql; COLUMNS] = [
                &county,
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
    pub(crate) async fn begin(pool: &sqlx::SqlitePool, county: &County<'_>) -> Result<Self> {
        // IMMEDIATE: the write lock from the start, so the directory stays empty
        // between looking and dropping its key index.
        let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
        // Empty in every county: only then can the keys go while the rows come in.
        let initial: bool = sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM entities)")
            .fetch_one(&mut *tx)
            .await?;
        if initial {
            // DDL is transactional here too: a rollback brings the indexes back.
            sqlx::query("DROP INDEX entities_id")
                .execute(&mut *tx)
                .await?;
            sqlx::query("DROP INDEX entities_home")
                .execute(&mut *tx)
                .await?;
            sqlx::query("DROP INDEX entities_status")
                .execute(&mut *tx)
                .await?;
        } else {
            // Created inside the transaction, so a rollback removes it too.
            let sql = format!(
                "CREATE TEMP TABLE entities_load AS SELECT county, {ENTITY_COLUMNS_SQL} FROM entities WHERE 0"
            );
            sqlx::query(crate::dynamic(&sql)).execute(&mut *tx).await?;
            // A streamed re-import updates `entities` row by row: a row that would
            // change an entity's credit flags stops it (on this connection only, for
            // this transaction only).
            sqlx::query(GUARD_TRIGGER).execute(&mut *tx).await?;
        }
        Ok(SqliteEntityWriter {
            tx,
            county: county.code().clone(),
            initial,
        })
    }

    fn target(&self) -> &'static str {
        if self.initial {
            "main.entities"
        } else {
            "temp.entities_load"
        }
    }

    pub(crate) async fn write(&mut self, batch: &[Entity]) -> Result<()> {
        // The same text sqlx writes for a DateTime<Utc>, so reads decode it alike.
        let at = now().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false);
        let table = self.target();
        let county = self.county.as_str().to_string();
        let mut handle = self.tx.lock_handle().await?;
        let raw = handle.as_raw_handle();
        let run = || {
            // SAFETY: while `handle` is held, sqlx's worker makes no call on this
            // connection; the borrowed wrapper never closes it.
            let conn =
                unsafe { rusqlite::Connection::from_handle(raw.as_ptr()) }.map_err(ffi_error)?;
            write_rows(&conn, table, &county, batch, &at).map_err(ffi_error)
        };
        // Keep other tasks running while this thread is busy in SQLite.
        let result = match tokio::runtime::Handle::current().runtime_flavor() {
            tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(run),
            _ => run(),
        };
        drop(handle);
        result
    }

    /// Writes every batch `rx` yields, until it closes, with one statement reading them
    /// from the `entity_stream` virtual table. sqlx runs the statement on this
    /// connection's own worker thread, which waits there for the batches; so this task
    /// stays free to report progress, and a cancelled import cannot touch the
    /// connection while the statement runs (sqlx queues the rollback behind it).
    pub(crate) async fn write_stream(
        &mut self,
        rx: tokio::sync::mpsc::Receiver<crate::bulk::Batch>,
    ) -> Result<()> {
        let stream = Arc::new(Stream {
            batches: Mutex::new(Some(rx)),
            at: now().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false),
        });
        {
            let mut handle = self.tx.lock_handle().await?;
            let raw = handle.as_raw_handle();
            // SAFETY: while `handle` is held, sqlx's worker makes no call on this
            // connection; the borrowed wrapper never closes it. Registering the module
            // again replaces the stream of an earlier import on this connection.
            let conn =
                unsafe { rusqlite::Connection::from_handle(raw.as_ptr()) }.map_err(ffi_error)?;
            conn.create_module(
                c"entity_stream",
                eponymous_only_module::<StreamTab>(),
                Some(stream.clone()),
            )
            .map_err(ffi_error)?;
        }
        // `WHERE true` tells SQLite's parser the ON CONFLICT belongs to the INSERT. Not
        // kept prepared: the next import registers a new stream. The first load has no
        // key index to conflict on: its ids are distinct (the importer refuses
        // duplicates), and building the index at commit checks that again.
        let upsert = if self.initial {
            String::new()
        } else {
            upsert()
        };
        let sql = format!(
            "INSERT INTO entities (county, {ENTITY_COLUMNS_SQL}) SELECT $C, {ENTITY_COLUMNS_SQL} \
             FROM entity_stream WHERE true{upsert}"
        );
        let done = query_in(&self.county, &sql)
            .persistent(false)
            .execute(&mut *self.tx)
            .await
            .map_err(crate::import::active_elsewhere);
        // The module stays registered on the connection, holding the stream: close the
        // batches here, read or not, so that a sender still waiting (the statement
        // failed before its cursor took them: a read-only or full disk) is told to stop.
        stream
            .batches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        done.map_err(guarded)?;
        Ok(())
    }

    pub(crate) async fn commit(mut self) -> Result<()> {
        if self.initial {
            // One sort of every id instead of a B-tree descent per row; a duplicate id
            // fails here, and the whole load with it.
            sqlx::query("CREATE UNIQUE INDEX entities_id ON entities (county, id)")
                .execute(&mut *self.tx)
                .await?;
            sqlx::query(
                "CREATE UNIQUE INDEX entities_home ON entities (id) WHERE status <> 'moved-out'",
            )
            .execute(&mut *self.tx)
            .await?;
            sqlx::query("CREATE INDEX entities_status ON entities (county, status)")
                .execute(&mut *self.tx)
                .await?;
            self.tx.commit().await?;
            return Ok(());
        }
        crate::import::refuse_guarded_load!(self.county, self.tx, "temp.entities_load");
        // `WHERE true` tells SQLite's parser the ON CONFLICT belongs to the INSERT.
        let sql = format!(
            "INSERT INTO entities (county, {ENTITY_COLUMNS_SQL}) SELECT county, {ENTITY_COLUMNS_SQL} \
             FROM temp.entities_load WHERE county = $C{}",
            upsert()
        );
        query_in(&self.county, &sql)
            .execute(&mut *self.tx)
            .await
            .map_err(crate::import::active_elsewhere)?;
        sqlx::query("DROP TABLE temp.entities_load")
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("DROP TRIGGER temp.import_guard")
            .execute(&mut *self.tx)
            .await?;
        self.tx.commit().await?;
        Ok(())
    }
}

type Batches = tokio::sync::mpsc::Receiver<crate::bulk::Batch>;

/// What an `entity_stream` table reads: the batches, taken by its one cursor.
struct Stream {
    batches: Mutex<Option<Batches>>,
    at: String,
}

/// An eponymous virtual table yielding the entities of a stream of batches, with
/// the columns of `entities`.
#[repr(C)]
struct StreamTab {
    base: sqlite3_vtab,
    stream: Arc<Stream>,
}

unsafe impl<'vtab> VTab<'vtab> for StreamTab {
    type Aux = Arc<Stream>;
    type Cursor = StreamCursor<'vtab>;

    fn connect(
        _db: &mut VTabConnection,
        aux: Option<&Arc<Stream>>,
        _args: &[&[u8]],
    ) -> rusqlite::Result<(String, Self)> {
        let stream = aux
            .cloned()
            .ok_or_else(|| rusqlite::Error::ModuleError("no entity stream".into()))?;
        Ok((
            format!("CREATE TABLE x({ENTITY_COLUMNS_SQL})"),
            StreamTab {
                base: sqlite3_vtab::default(),
                stream,
            },
        ))
    }

    fn best_index(&self, info: &mut IndexInfo) -> rusqlite::Result<()> {
        info.set_estimated_rows(1_000_000);
        Ok(())
    }

    fn open(&'vtab mut self) -> rusqlite::Result<StreamCursor<'vtab>> {
        Ok(StreamCursor {
            base: sqlite3_vtab_cursor::default(),
            stream: &self.stream,
            batches: None,
            batch: None,
            pos: 0,
            rowid: 0,
        })
    }
}

#[repr(C)]
struct StreamCursor<'vtab> {
    base: sqlite3_vtab_cursor,
    stream: &'vtab Stream,
    batches: Option<Batches>,
    /// The batch being read; `None` before the first and after the last.
    batch: Option<crate::bulk::Batch>,
    pos: usize,
    rowid: i64,
}

impl StreamCursor<'_> {
    fn rows(&self) -> &[Entity] {
        self.batch.as_deref().unwrap_or(&[])
    }

    /// Waits for the next non-empty batch; none left is the end of the table.
    fn refill(&mut self) {
        self.pos = 0;
        // The batch read goes back to the reader now, not when the next one arrives.
        self.batch = None;
        while let Some(rx) = &mut self.batches {
            match rx.blocking_recv() {
                Some(b) if !b.is_empty() => {
                    self.batch = Some(b);
                    return;
                }
                Some(_) => {}
                None => self.batches = None,
            }
        }
    }
}

unsafe impl VTabCursor for StreamCursor<'_> {
    fn filter(&mut self, _: c_int, _: Option<&str>, _: &Filters<'_>) -> rusqlite::Result<()> {
        self.batches = self
            .stream
            .batches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        self.refill();
        Ok(())
    }

    fn next(&mut self) -> rusqlite::Result<()> {
        self.pos += 1;
        self.rowid += 1;
        if self.pos >= self.rows().len() {
            self.refill();
        }
        Ok(())
    }

    fn eof(&self) -> bool {
        self.pos >= self.rows().len()
    }

    /// The columns of ENTITY_COLUMNS_SQL, written as `write_rows` binds them.
    fn column(&self, ctx: &mut Context, i: c_int) -> rusqlite::Result<()> {
        let Some(e) = self.rows().get(self.pos) else {
            return ctx.set_result(&rusqlite::types::Null);
        };
        match i {
            0 => ctx.set_result(&e.id),
            1 => ctx.set_result(&e.reg_no),
            2 => ctx.set_result(&e.name),
            3 => ctx.set_result(&e.entity_type.code()),
            4 => ctx.set_result(&e.industry.as_ref().map(|i| i.to_string())),
            5 => ctx.set_result(&e.township),
            6 => ctx.set_result(&e.address),
            7 => ctx.set_result(&e.legal_rep),
            8 => ctx.set_result(&e.registered_on.map(|d| d.to_string())),
            9 => ctx.set_result(&e.status.code()),
            10 => ctx.set_result(&e.risk_class.code()),
            11 => ctx.set_result(&e.abnormal),
            12 => ctx.set_result(&e.blacklisted),
            13 => ctx.set_result(&e.tags.join("、")),
            _ => ctx.set_result(&self.stream.at),
        }
    }

    fn rowid(&self) -> rusqlite::Result<i64> {
        Ok(self.rowid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The statement fails before its cursor takes the batches (the database turned
    /// read-only after the transaction began): a sender waiting for room in the
    /// channel must be told to stop, not wait forever.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_stream_releases_its_sender() {
        let db = crate::testing::TestDb::new(crate::Engine::Sqlite).await;
        let crate::Pool::Sqlite(pool) = db.store.pool() else {
            unreachable!()
        };
        let county = crate::testing::mouding_county(&db.store).await;
        let mut w = SqliteEntityWriter::begin(pool, &county).await.unwrap();
        sqlx::query("PRAGMA query_only = ON")
            .execute(&mut *w.tx)
            .await
            .unwrap();
        let (tx, rx) = tokio::sync::mpsc::channel::<crate::bulk::Batch>(2);
        let (home, _returned) = std::sync::mpsc::channel();
        let sender = std::thread::spawn(move || {
            for _ in 0..10 {
                let b = crate::bulk::Batch::returning(vec![], home.clone());
                if tx.blocking_send(b).is_err() {
                    return true;
                }
            }
            false
        });
        let r = w.write_stream(rx).await;
        assert!(matches!(r, Err(StoreError::ReadOnly)), "{r:?}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !sender.is_finished() {
            assert!(
                std::time::Instant::now() < deadline,
                "the sender still waits"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(sender.join().unwrap(), "the sender was told to stop");
        drop(w);
        db.finish().await;
    }
}
