//! SQLite-specific work: bulk writing of the entity directory.

use liancha_domain::Entity;
use sqlx::{Sqlite, Transaction};

use crate::Result;
use crate::directories::{ENTITY_COLUMNS_SQL, now};

/// Rows per INSERT: 15 columns × 500 rows stays well under SQLite's 32,766 parameters,
/// and large statements amortise the per-statement cost that dominates small ones.
const ROWS_PER_STATEMENT: usize = 500;
const COLUMNS: usize = 15;

fn insert_sql(rows: usize) -> String {
    let mut sql = format!("INSERT INTO entities ({ENTITY_COLUMNS_SQL}) VALUES ");
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        // Anonymous `?` parameters: SQLite looks a named one (`$n`) up by walking a list,
        // which makes binding thousands of them quadratic.
        for c in 0..COLUMNS {
            if c > 0 {
                sql.push(',');
            }
            sql.push('?');
        }
        sql.push(')');
    }
    sql.push_str(UPSERT);
    sql
}

pub(crate) const UPSERT: &str = " ON CONFLICT (id) DO UPDATE SET reg_no = excluded.reg_no, name = excluded.name, \
     entity_type = excluded.entity_type, industry = excluded.industry, township = excluded.township, \
     address = excluded.address, legal_rep = excluded.legal_rep, registered_on = excluded.registered_on, \
     status = excluded.status, risk_class = excluded.risk_class, abnormal = excluded.abnormal, \
     blacklisted = excluded.blacklisted, tags = excluded.tags, updated_at = excluded.updated_at";

pub struct SqliteEntityWriter {
    tx: Transaction<'static, Sqlite>,
    full_sql: String,
}

impl SqliteEntityWriter {
    pub(crate) async fn begin(pool: &sqlx::SqlitePool) -> Result<Self> {
        Ok(SqliteEntityWriter { tx: pool.begin().await?, full_sql: insert_sql(ROWS_PER_STATEMENT) })
    }

    pub(crate) async fn write(&mut self, batch: &[Entity]) -> Result<()> {
        let at = now();
        for chunk in batch.chunks(ROWS_PER_STATEMENT) {
            let partial;
            let sql = if chunk.len() == ROWS_PER_STATEMENT {
                &self.full_sql
            } else {
                partial = insert_sql(chunk.len());
                &partial
            };
            let mut q = sqlx::query(crate::dynamic(sql));
            for e in chunk {
                q = q
                    .bind(e.id.as_str())
                    .bind(e.reg_no.as_str())
                    .bind(e.name.as_str())
                    .bind(e.entity_type.code())
                    .bind(e.industry.as_ref().map(|i| i.to_string()))
                    .bind(e.township.as_str())
                    .bind(e.address.as_str())
                    .bind(e.legal_rep.as_str())
                    .bind(e.registered_on)
                    .bind(e.status.code())
                    .bind(e.risk_class.code())
                    .bind(e.abnormal)
                    .bind(e.blacklisted)
                    .bind(e.tags.join("、"))
                    .bind(at);
            }
            q.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    pub(crate) async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}
