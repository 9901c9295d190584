//! The audit trail's hash chain: linking the entries of a county that has no chain
//! yet (a database from before it), and checking a chain against its entries and
//! against the heads the transparency log holds. Each new entry is linked as it is
//! written (`append_audit!`).

use chrono::{DateTime, Utc};
use liancha_domain::audit_chain::{Break, GENESIS, Linked, link};
use liancha_domain::org::DivisionCode;
use liancha_domain::transparency::LogEntry;

use crate::{BeginWrite, County, Result, Store, StoreError, with_pool};

/// An audit entry's columns as the chain covers them.
type Row = (
    i64,
    DateTime<Utc>,
    Option<i64>,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
);

fn linked<'a>(county: &'a str, r: &'a Row) -> Linked<'a> {
    Linked {
        county,
        at: r.1,
        user_id: r.2,
        username: &r.3,
        action: &r.4,
        object_type: &r.5,
        object_id: &r.6,
        task_id: r.7,
        before: r.8.as_deref(),
        after: r.9.as_deref(),
    }
}

/// A link: its number, its entry's id, its hash, and the entry's id if the entry
/// is still there.
type Link = (i64, i64, Vec<u8>, Option<i64>);

/// What a check reads in one transaction: links, their entries, entries outside
/// the chain, the head, and the county's log entries (index, bytes).
type Snapshot = (
    Vec<Link>,
    Vec<Row>,
    Vec<i64>,
    Option<(i64, Vec<u8>)>,
    Vec<(i64, Vec<u8>)>,
);

/// What a check of one county's chain found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub links: u64,
    /// Heads in the transparency log compared with the chain.
    pub anchors: u64,
    pub breaks: Vec<Break>,
}

impl Store {
    /// At start-up: chains the audit trail of every county that has entries but no
    /// chain yet (a database from before the chain). A county with a chain is left
    /// as it is: an entry outside it was written around the application, and the
    /// check must find it, not link it.
    pub(crate) async fn link_unchained_audit(&self) -> Result<()> {
        let counties: Vec<String> = with_pool!(self, p => sqlx::query_scalar(
            "SELECT DISTINCT county FROM audit_log WHERE county NOT IN (SELECT county FROM audit_heads)")
            .fetch_all(p).await)?;
        for code in counties {
            let code = DivisionCode::parse(&code).map_err(StoreError::corrupt)?;
            self.county(&code).link_all_audit().await?;
        }
        Ok(())
    }
}

impl County<'_> {
    async fn link_all_audit(&self) -> Result<()> {
        let code = self.code().as_str().to_string();
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let started: Option<i64> = self.query_scalar("SELECT seq FROM audit_heads WHERE county = $C")
                .fetch_optional(&mut *tx).await?;
            if started.is_none() {
                let rows: Vec<Row> = self.query_as(
                    "SELECT id, at, user_id, username, action, object_type, object_id, task_id, before_value, after_value \
                     FROM audit_log WHERE county = $C ORDER BY id")
                    .fetch_all(&mut *tx).await?;
                let mut prev = GENESIS;
                for (seq, r) in rows.iter().enumerate() {
                    prev = link(&prev, &linked(&code, r));
                    self.query("INSERT INTO audit_chain (county, seq, audit_id, hash) VALUES ($C, $1, $2, $3)")
                        .bind(seq as i64).bind(r.0).bind(prev.to_vec()).execute(&mut *tx).await?;
                }
                if !rows.is_empty() {
                    self.query("INSERT INTO audit_heads (county, seq, hash) VALUES ($C, $1, $2)")
                        .bind(rows.len() as i64 - 1).bind(prev.to_vec()).execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Checks the county's audit chain link by link against its entries, finds
    /// entries outside it, and compares it with every head the transparency log
    /// holds for the county. Each problem names the entry.
    pub async fn verify_audit_chain(&self) -> Result<ChainReport> {
        let code = self.code().as_str().to_string();
        let (chain, rows, unlinked, head, anchors): Snapshot = with_pool!(self, p => {
            // One read transaction: the chain, its entries and the log as of one moment.
            let mut tx = p.begin().await?;
            let chain = self.query_as(
                "SELECT c.seq, c.audit_id, c.hash, a.id FROM audit_chain c \
                 LEFT JOIN audit_log a ON a.county = c.county AND a.id = c.audit_id \
                 WHERE c.county = $C ORDER BY c.seq")
                .fetch_all(&mut *tx).await?;
            let rows = self.query_as(
                "SELECT a.id, a.at, a.user_id, a.username, a.action, a.object_type, a.object_id, a.task_id, a.before_value, a.after_value \
                 FROM audit_chain c JOIN audit_log a ON a.county = c.county AND a.id = c.audit_id \
                 WHERE c.county = $C ORDER BY c.seq")
                .fetch_all(&mut *tx).await?;
            let unlinked = self.query_scalar(
                "SELECT a.id FROM audit_log a WHERE a.county = $C \
                 AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.county = a.county AND c.audit_id = a.id) ORDER BY a.id")
                .fetch_all(&mut *tx).await?;
            let head = self.query_as("SELECT seq, hash FROM audit_heads WHERE county = $C")
                .fetch_optional(&mut *tx).await?;
            let anchors = sqlx::query_as("SELECT idx, data FROM log_entries WHERE county = $1 ORDER BY idx")
                .bind(&code).fetch_all(&mut *tx).await?;
            tx.commit().await?;
            (chain, rows, unlinked, head, anchors)
        });
        let mut breaks = Vec::new();
        let mut rows = rows.iter();
        let mut prev = GENESIS.to_vec();
        let mut hashes = Vec::with_capacity(chain.len());
        for (expected, (seq, audit_id, hash, present)) in chain.iter().enumerate() {
            if *seq != expected as i64 && breaks.iter().all(|b| !matches!(b, Break::Gap { .. })) {
                breaks.push(Break::Gap {
                    seq: expected as i64,
                });
            }
            if present.is_none() {
                breaks.push(Break::Deleted {
                    seq: *seq,
                    audit_id: *audit_id,
                });
            } else if let Some(r) = rows.next()
                && link(&prev, &linked(&code, r)).as_slice() != hash.as_slice()
            {
                breaks.push(Break::Changed {
                    seq: *seq,
                    audit_id: *audit_id,
                });
            }
            prev = hash.clone();
            hashes.push((*seq, hash.as_slice()));
        }
        if let Some((seq, hash)) = &head
            && (chain.last().map(|l| l.0) != Some(*seq) || *hash != prev)
        {
            breaks.push(Break::Gap { seq: *seq });
        }
        breaks.extend(
            unlinked
                .into_iter()
                .map(|audit_id| Break::Unlinked { audit_id }),
        );
        let mut checked = 0;
        for (idx, data) in &anchors {
            let entry = LogEntry::parse(data).map_err(StoreError::corrupt)?;
            let Some(anchor) = entry.audit else { continue };
            checked += 1;
            let ours = hashes
                .binary_search_by_key(&anchor.seq, |(s, _)| *s)
                .ok()
                .map(|i| liancha_draw::hex::encode(hashes[i].1));
            if ours.as_deref() != Some(anchor.hash.as_str()) {
                breaks.push(Break::Anchor {
                    index: *idx as u64,
                    seq: anchor.seq,
                });
            }
        }
        Ok(ChainReport {
            links: chain.len() as u64,
            anchors: checked,
            breaks,
        })
    }
}
