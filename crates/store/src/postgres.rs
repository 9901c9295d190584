//! PostgreSQL-specific work: bulk writing of the entity directory through COPY.

use liancha_domain::Entity;
use sqlx::{Postgres, Transaction};

use liancha_domain::org::DivisionCode;

use crate::directories::{ENTITY_COLUMNS_SQL, now};
use crate::scope::query_in;
use crate::{County, Result};

/// Rows are streamed with COPY into a temporary table (no WAL, no indexes), then
/// merged into `entities` with one set-based upsert: re-imports update in place.
///
/// The first load into an empty directory goes straight into `entities` instead, as
/// `pg_restore` loads a table: the table is locked, its primary key dropped, the rows
/// copied in, and the key built once at the end by sorting (a million ids inserted
/// one by one into the key's B-tree cost more than the copy itself). Validation has
/// already refused duplicate ids; DDL is transactional, so a refused or failed import
/// rolls back to the table and key as they were.
pub struct PgEntityWriter {
    tx: Transaction<'static, Postgres>,
    /// The county whose directory this writes.
    county: DivisionCode,
    buf: Vec<u8>,
    /// The directory was empty: rows go straight into `entities`.
    initial: bool,
}

/// COPY's binary format (PostgreSQL manual, "Binary Format"): the server stores the
/// values as they come, instead of parsing dates, timestamps and booleans out of text
/// on every row, which took as long as the rest of the load.
const COPY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
const COPY_TRAILER: &[u8] = &(-1i16).to_be_bytes();

/// Midnight 2000-01-01, PostgreSQL's epoch for dates and timestamps.
const PG_EPOCH_DAYS_FROM_CE: i32 = 730_120;
const PG_EPOCH_UNIX_MICROS: i64 = 946_684_800_000_000;

/// One field: its length, then its bytes as `write` puts them.
fn field(buf: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>)) {
    let at = buf.len();
    buf.extend_from_slice(&[0; 4]);
    write(buf);
    let len = (buf.len() - at - 4) as i32;
    buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
}

fn text(buf: &mut Vec<u8>, value: &str) {
    field(buf, |b| b.extend_from_slice(value.as_bytes()));
}

fn null(buf: &mut Vec<u8>) {
    buf.extend_from_slice(&(-1i32).to_be_bytes());
}

fn boolean(buf: &mut Vec<u8>, value: bool) {
    field(buf, |b| b.push(u8::from(value)));
}

/// Appends `batch` to `buf` as binary COPY tuples: the county, then the columns of
/// ENTITY_COLUMNS_SQL; `at` is `updated_at` in microseconds since PostgreSQL's epoch.
fn encode(buf: &mut Vec<u8>, county: &str, batch: &[Entity], at: i64) {
    use chrono::Datelike as _;
    use std::io::Write as _;
    for e in batch {
        buf.extend_from_slice(&16i16.to_be_bytes());
        text(buf, county);
        text(buf, &e.id);
        text(buf, &e.reg_no);
        text(buf, &e.name);
        text(buf, e.entity_type.code());
        match &e.industry {
            Some(i) => field(buf, |b| {
                let _ = write!(b, "{i}");
            }),
            None => null(buf),
        }
        text(buf, &e.township);
        text(buf, &e.address);
        text(buf, &e.legal_rep);
        match e.registered_on {
            Some(d) => field(buf, |b| {
                let days = d.num_days_from_ce() - PG_EPOCH_DAYS_FROM_CE;
                b.extend_from_slice(&days.to_be_bytes());
            }),
            None => null(buf),
        }
        text(buf, e.status.code());
        text(buf, e.risk_class.code());
        boolean(buf, e.abnormal);
        boolean(buf, e.blacklisted);
        field(buf, |b| {
            for (i, tag) in e.tags.iter().enumerate() {
                if i > 0 {
                    b.extend_from_slice("、".as_bytes());
                }
                b.extend_from_slice(tag.as_bytes());
            }
        });
        field(buf, |b| b.extend_from_slice(&at.to_be_bytes()));
    }
}

/// `updated_at` for a load: now, in microseconds since PostgreSQL's epoch.
fn copy_now() -> i64 {
    now().timestamp_micros() - PG_EPOCH_UNIX_MICROS
}

impl PgEntityWriter {
    pub(crate) async fn begin(pool: &sqlx::PgPool, county: &County<'_>) -> Result<Self> {
        let mut tx = pool.begin().await?;
        // Empty in every county: only then can the key go while the rows come in.
        let empty = "SELECT NOT EXISTS (SELECT 1 FROM entities)";
        let mut initial: bool = sqlx::query_scalar(empty).fetch_one(&mut *tx).await?;
        if initial {
            // Empty for sure only once nobody else can write; dropping the key needs
            // this lock anyway. Nobody has anything to read yet.
            sqlx::query("LOCK TABLE entities IN ACCESS EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
            initial = sqlx::query_scalar(empty).fetch_one(&mut *tx).await?;
        }
        if initial {
            sqlx::query("ALTER TABLE entities DROP CONSTRAINT entities_pkey")
                .execute(&mut *tx)
                .await?;
            sqlx::query("DROP INDEX entities_home")
                .execute(&mut *tx)
                .await?;
            sqlx::query("DROP INDEX entities_status")
                .execute(&mut *tx)
                .await?;
        } else {
            sqlx::query(
                "CREATE TEMPORARY TABLE entities_load (LIKE entities INCLUDING DEFAULTS) ON COMMIT DROP",
            )
            .execute(&mut *tx)
            .await?;
        }
        Ok(PgEntityWriter {
            tx,
            county: county.code().clone(),
            buf: Vec::with_capacity(1 << 20),
            initial,
        })
    }

    fn copy_statement(&self) -> String {
        let table = if self.initial {
            "entities"
        } else {
            "entities_load"
        };
        format!("COPY {table} (county, {ENTITY_COLUMNS_SQL}) FROM STDIN (FORMAT binary)")
    }

    pub(crate) async fn write(&mut self, batch: &[Entity]) -> Result<()> {
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        buf.extend_from_slice(COPY_HEADER);
        encode(&mut buf, self.county.as_str(), batch, copy_now());
        buf.extend_from_slice(COPY_TRAILER);
        let stmt = self.copy_statement();
        let mut copy = self.tx.copy_in_raw(&stmt).await?;
        copy.send(buf.as_slice()).await?;
        copy.finish().await?;
        self.buf = buf;
        Ok(())
    }

    /// Writes every batch `rx` yields, until it closes, in one COPY: PostgreSQL takes
    /// in one batch while the next is encoded, instead of answering each in turn.
    pub(crate) async fn write_stream(
        &mut self,
        mut rx: tokio::sync::mpsc::Receiver<crate::bulk::Batch>,
    ) -> Result<()> {
        let at = copy_now();
        let mut buf = std::mem::take(&mut self.buf);
        let stmt = self.copy_statement();
        let mut copy = self.tx.copy_in_raw(&stmt).await?;
        copy.send(COPY_HEADER).await?;
        while let Some(batch) = rx.recv().await {
            buf.clear();
            encode(&mut buf, self.county.as_str(), &batch, at);
            copy.send(buf.as_slice()).await?;
        }
        copy.send(COPY_TRAILER).await?;
        copy.finish().await?;
        self.buf = buf;
        Ok(())
    }

    pub(crate) async fn commit(mut self) -> Result<()> {
        if self.initial {
            // Room to sort the ids in memory rather than in temporary files.
            sqlx::query("SET LOCAL maintenance_work_mem = '256MB'")
                .execute(&mut *self.tx)
                .await?;
            sqlx::query(
                "ALTER TABLE entities ADD CONSTRAINT entities_pkey PRIMARY KEY (county, id)",
            )
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
        // Update the ids that exist, then insert the rest in key order: on a large load
        // this is faster than INSERT … ON CONFLICT (speculative insertion per row), and
        // ordered keys fill the primary-key index from left to right.
        let set: Vec<String> = ENTITY_COLUMNS_SQL
            .split(", ")
            .filter(|c| *c != "id")
            .map(|c| format!("{c} = l.{c}"))
            .collect();
        // Temporary tables are never analysed automatically; without statistics the
        // planner would join the load row by row. The key is all the joins read: the
        // other columns' statistics would cost four times as long (120 ms of a
        // 40,000-row county's 0.35 s re-import).
        sqlx::query("ANALYZE entities_load (county, id)")
            .execute(&mut *self.tx)
            .await?;
        // Room to sort and hash the load in memory rather than in temporary files.
        sqlx::query("SET LOCAL work_mem = '256MB'")
            .execute(&mut *self.tx)
            .await?;
        crate::import::refuse_guarded_load!(self.county, self.tx, "entities_load");
        // Only rows that differ: a directory imported again as it was rewrites no row,
        // no index entry, and keeps each row's `updated_at`.
        let kept: Vec<&str> = ENTITY_COLUMNS_SQL
            .split(", ")
            .filter(|c| *c != "id" && *c != "updated_at")
            .collect();
        let update = format!(
            "UPDATE entities e SET {} FROM entities_load l WHERE e.county = $C AND l.county = $C AND e.id = l.id \
             AND ({}) IS DISTINCT FROM ({})",
            set.join(", "),
            kept.iter()
                .map(|c| format!("e.{c}"))
                .collect::<Vec<_>>()
                .join(", "),
            kept.iter()
                .map(|c| format!("l.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        query_in(&self.county, &update)
            .execute(&mut *self.tx)
            .await
            .map_err(crate::import::active_elsewhere)?;
        let insert = format!(
            "INSERT INTO entities (county, {ENTITY_COLUMNS_SQL}) SELECT county, {ENTITY_COLUMNS_SQL} FROM entities_load l \
             WHERE l.county = $C AND NOT EXISTS (SELECT 1 FROM entities e WHERE e.county = l.county AND e.id = l.id) \
             ORDER BY l.id"
        );
        query_in(&self.county, &insert)
            .execute(&mut *self.tx)
            .await
            .map_err(crate::import::active_elsewhere)?;
        self.tx.commit().await?;
        Ok(())
    }
}
