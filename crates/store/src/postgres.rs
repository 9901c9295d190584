//! PostgreSQL-specific work: bulk writing of the entity directory through COPY.

use std::fmt::Write as _;

use liancha_domain::Entity;
use sqlx::{Postgres, Transaction};

use crate::Result;
use crate::directories::{ENTITY_COLUMNS_SQL, now};

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
    buf: String,
    /// The directory was empty: rows go straight into `entities`.
    initial: bool,
}

/// COPY text format: backslash, tab, newline and carriage return are escaped; `\N` is NULL.
fn push_field(buf: &mut String, value: Option<&str>) {
    match value {
        None => buf.push_str("\\N"),
        Some(v) => {
            for c in v.chars() {
                match c {
                    '\\' => buf.push_str("\\\\"),
                    '\t' => buf.push_str("\\t"),
                    '\n' => buf.push_str("\\n"),
                    '\r' => buf.push_str("\\r"),
                    c => buf.push(c),
                }
            }
        }
    }
}

/// Appends `batch` to `buf` as COPY text rows.
fn encode(buf: &mut String, batch: &[Entity], at: &str) {
    for e in batch {
        let b = &mut *buf;
        push_field(b, Some(&e.id));
        b.push('\t');
        push_field(b, Some(&e.reg_no));
        b.push('\t');
        push_field(b, Some(&e.name));
        b.push('\t');
        b.push_str(e.entity_type.code());
        b.push('\t');
        match &e.industry {
            Some(i) => {
                let _ = write!(b, "{i}");
            }
            None => b.push_str("\\N"),
        }
        b.push('\t');
        push_field(b, Some(&e.township));
        b.push('\t');
        push_field(b, Some(&e.address));
        b.push('\t');
        push_field(b, Some(&e.legal_rep));
        b.push('\t');
        match e.registered_on {
            Some(d) => {
                let _ = write!(b, "{d}");
            }
            None => b.push_str("\\N"),
        }
        b.push('\t');
        b.push_str(e.status.code());
        b.push('\t');
        b.push_str(e.risk_class.code());
        b.push('\t');
        b.push(if e.abnormal { 't' } else { 'f' });
        b.push('\t');
        b.push(if e.blacklisted { 't' } else { 'f' });
        b.push('\t');
        push_field(b, Some(&e.tags.join("、")));
        b.push('\t');
        b.push_str(at);
        b.push('\n');
    }
}

impl PgEntityWriter {
    pub(crate) async fn begin(pool: &sqlx::PgPool) -> Result<Self> {
        let mut tx = pool.begin().await?;
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
        } else {
            sqlx::query(
                "CREATE TEMPORARY TABLE entities_load (LIKE entities INCLUDING DEFAULTS) ON COMMIT DROP",
            )
            .execute(&mut *tx)
            .await?;
        }
        Ok(PgEntityWriter {
            tx,
            buf: String::with_capacity(1 << 20),
            initial,
        })
    }

    fn copy_statement(&self) -> String {
        let table = if self.initial {
            "entities"
        } else {
            "entities_load"
        };
        format!("COPY {table} ({ENTITY_COLUMNS_SQL}) FROM STDIN")
    }

    pub(crate) async fn write(&mut self, batch: &[Entity]) -> Result<()> {
        let at = now().to_rfc3339();
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        encode(&mut buf, batch, &at);
        let stmt = self.copy_statement();
        let mut copy = self.tx.copy_in_raw(&stmt).await?;
        copy.send(buf.as_bytes()).await?;
        copy.finish().await?;
        self.buf = buf;
        Ok(())
    }

    /// Writes every batch `rx` yields, until it closes, in one COPY: PostgreSQL takes
    /// in one batch while the next is encoded, instead of answering each in turn.
    pub(crate) async fn write_stream(
        &mut self,
        mut rx: tokio::sync::mpsc::Receiver<Vec<Entity>>,
    ) -> Result<()> {
        let at = now().to_rfc3339();
        let mut buf = std::mem::take(&mut self.buf);
        let stmt = self.copy_statement();
        let mut copy = self.tx.copy_in_raw(&stmt).await?;
        while let Some(batch) = rx.recv().await {
            buf.clear();
            encode(&mut buf, &batch, &at);
            copy.send(buf.as_bytes()).await?;
        }
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
            sqlx::query("ALTER TABLE entities ADD CONSTRAINT entities_pkey PRIMARY KEY (id)")
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
        // planner would join the load row by row.
        sqlx::query("ANALYZE entities_load")
            .execute(&mut *self.tx)
            .await?;
        // Room to sort and hash the load in memory rather than in temporary files.
        sqlx::query("SET LOCAL work_mem = '256MB'")
            .execute(&mut *self.tx)
            .await?;
        let update = format!(
            "UPDATE entities e SET {} FROM entities_load l WHERE e.id = l.id",
            set.join(", ")
        );
        sqlx::query(crate::dynamic(&update))
            .execute(&mut *self.tx)
            .await?;
        let insert = format!(
            "INSERT INTO entities ({ENTITY_COLUMNS_SQL}) SELECT {ENTITY_COLUMNS_SQL} FROM entities_load l \
             WHERE NOT EXISTS (SELECT 1 FROM entities e WHERE e.id = l.id) ORDER BY l.id"
        );
        sqlx::query(crate::dynamic(&insert))
            .execute(&mut *self.tx)
            .await?;
        self.tx.commit().await?;
        Ok(())
    }
}
