//! Writing many entities in one transaction on either engine.

use liancha_domain::Entity;

use crate::postgres::PgEntityWriter;
use crate::sqlite::SqliteEntityWriter;
use crate::{County, Pool, Result};

/// Entities on their way from the reader to a writer. Dropped, they go back to the
/// thread that made them, to be freed there: the writer is the busier side of an
/// import, and freeing a million rows' strings is a good part of its time.
pub struct Batch {
    rows: Vec<Entity>,
    home: std::sync::mpsc::Sender<Vec<Entity>>,
}

impl Batch {
    /// A batch that is sent back to `home` when dropped.
    pub fn returning(rows: Vec<Entity>, home: std::sync::mpsc::Sender<Vec<Entity>>) -> Self {
        Batch { rows, home }
    }
}

impl std::ops::Deref for Batch {
    type Target = [Entity];
    fn deref(&self) -> &[Entity] {
        &self.rows
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        // When the reader is gone already (it failed), this thread frees them.
        let _ = self.home.send(std::mem::take(&mut self.rows));
    }
}

/// Nothing written is visible until [`EntityWriter::commit`]; dropping the writer
/// rolls everything back, which is how a refused import leaves the database unchanged.
pub enum EntityWriter {
    Sqlite(SqliteEntityWriter),
    Postgres(PgEntityWriter),
}

impl EntityWriter {
    /// A writer of `county`'s directory.
    pub async fn begin(county: &County<'_>) -> Result<Self> {
        Ok(match county.pool() {
            Pool::Sqlite(p) => EntityWriter::Sqlite(SqliteEntityWriter::begin(p, county).await?),
            Pool::Postgres(p) => EntityWriter::Postgres(PgEntityWriter::begin(p, county).await?),
        })
    }

    pub async fn write(&mut self, batch: &[Entity]) -> Result<()> {
        match self {
            EntityWriter::Sqlite(w) => w.write(batch).await,
            EntityWriter::Postgres(w) => w.write(batch).await,
        }
    }

    /// Writes every batch `rx` yields until it closes, in one statement (SQLite: one
    /// `INSERT … SELECT` over the stream; PostgreSQL: one COPY). Dropping `rx` on
    /// failure tells the sender to stop.
    pub async fn write_stream(&mut self, rx: tokio::sync::mpsc::Receiver<Batch>) -> Result<()> {
        match self {
            EntityWriter::Sqlite(w) => w.write_stream(rx).await,
            EntityWriter::Postgres(w) => w.write_stream(rx).await,
        }
    }

    pub async fn commit(self) -> Result<()> {
        match self {
            EntityWriter::Sqlite(w) => w.commit().await,
            EntityWriter::Postgres(w) => w.commit().await,
        }
    }
}

impl County<'_> {
    /// Writes (inserting or updating) the county's entities in one transaction.
    pub async fn put_entities(&self, entities: &[Entity]) -> Result<()> {
        let mut w = EntityWriter::begin(self).await?;
        w.write(entities).await?;
        w.commit().await
    }
}
