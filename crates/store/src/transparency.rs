//! The transparency log's storage: an append inside the transaction of the event it
//! records (so an event is public in the log exactly when it happened), and the reads
//! its public URLs serve (checkpoint, hash tiles, entry bundles).
//!
//! The log is the installation's, not a county's: its tables are not county-owned
//! (every entry names its county), and every statement here is public data.

use chrono::{DateTime, Utc};
use liancha_domain::transparency::{
    Frontier, LogEntry, TILE_HEIGHT, TILE_WIDTH, generate_key, push_bundle, sign_checkpoint,
};

use liancha_domain::cosignature::{WitnessKey, cosignatures};
use liancha_domain::log_proof::{self, ProofBundle, ProvenEntry};
use liancha_domain::sm2_note::{Sm2Signer, Sm3Frontier, sm3_root_line};
use liancha_domain::transparency::{Proof, Tiles, sign_checkpoint_with};

use crate::accounts::{Actor, Audit};
use crate::{BeginWrite, Result, Store, StoreError, append_audit, with_pool};
use liancha_domain::org::DivisionCode;

/// The log's name when the installation has not chosen one (`LIANCHA_LOG_ORIGIN` at
/// the first start): a checkpoint's first line, and the key's name.
pub const DEFAULT_ORIGIN: &str = "liancha.local/log";

/// Appends one entry in the transaction `$tx` (an ident bound to a
/// `sqlx::Transaction`) of the event it records, for the county handle `$county`;
/// evaluates to the entry's index. The head row it updates is the lock that orders
/// appends: the next index is taken by the transaction that commits next.
#[macro_export]
macro_rules! append_log {
    ($county:expr, $tx:ident, $now:expr, $event:expr) => {{
        let head: Option<(i64, Vec<u8>)> = $county
            .query_as("SELECT seq, hash FROM audit_heads WHERE county = $C")
            .fetch_optional(&mut *$tx)
            .await?;
        let entry = liancha_domain::transparency::LogEntry {
            county: $county.code().as_str().to_string(),
            at: liancha_draw::time::format_rfc3339_utc($now.timestamp()),
            audit: head.map(|(seq, hash)| liancha_domain::audit_chain::AuditHead {
                seq,
                hash: liancha_draw::hex::encode(&hash),
            }),
            event: $event,
        };
        let data = entry.to_bytes().map_err($crate::StoreError::corrupt)?;
        let (origin, signer): (String, String) =
            sqlx::query_as("SELECT origin, signer FROM log_key WHERE id = 1")
                .fetch_one(&mut *$tx)
                .await?;
        let (size, frontier): (i64, Vec<u8>) = sqlx::query_as(
            "UPDATE log_head SET size = size + 1 WHERE id = 1 RETURNING size, frontier",
        )
        .fetch_one(&mut *$tx)
        .await?;
        let sm2: Option<(String, Vec<u8>)> =
            sqlx::query_as("SELECT signer, frontier FROM log_sm2 WHERE id = 1")
                .fetch_optional(&mut *$tx)
                .await?;
        let sm2 = sm2.as_ref().map(|(s, f)| (s.as_str(), f.as_slice()));
        let next = $crate::transparency::extend(size, &frontier, &data, &origin, &signer, sm2)?;
        if let Some(f) = &next.sm3_frontier {
            sqlx::query("UPDATE log_sm2 SET frontier = $1 WHERE id = 1")
                .bind(f)
                .execute(&mut *$tx)
                .await?;
        }
        sqlx::query("INSERT INTO log_entries (idx, county, kind, task_id, at, data) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(next.index)
            .bind(&entry.county)
            .bind(entry.kind())
            .bind(entry.task())
            .bind($now)
            .bind(&data)
            .execute(&mut *$tx)
            .await?;
        for (level, idx, hash) in &next.nodes {
            sqlx::query("INSERT INTO log_nodes (level, idx, hash) VALUES ($1, $2, $3)")
                .bind(*level)
                .bind(*idx)
                .bind(hash)
                .execute(&mut *$tx)
                .await?;
        }
        sqlx::query("UPDATE log_head SET frontier = $1, checkpoint = $2 WHERE id = 1")
            .bind(&next.frontier)
            .bind(&next.checkpoint)
            .execute(&mut *$tx)
            .await?;
        sqlx::query("INSERT INTO log_checkpoints (size, note, at) VALUES ($1, $2, $3)")
            .bind(size)
            .bind(&next.checkpoint)
            .bind($now)
            .execute(&mut *$tx)
            .await?;
        next.index
    }};
}

/// What an append writes besides the entry.
#[doc(hidden)]
pub struct Extended {
    pub index: i64,
    /// The nodes that became complete at the levels tiles hold: (level, index, hash).
    pub nodes: Vec<(i32, i64, Vec<u8>)>,
    pub frontier: Vec<u8>,
    pub checkpoint: String,
    /// Where the log is also signed with SM2: the SM3 frontier after the append.
    pub sm3_frontier: Option<Vec<u8>>,
}

/// The tree after `data` is appended to the one whose head was read (`new_size` is
/// the size after the append).
#[doc(hidden)]
pub fn extend(
    new_size: i64,
    frontier: &[u8],
    data: &[u8],
    origin: &str,
    signer: &str,
    sm2: Option<(&str, &[u8])>,
) -> Result<Extended> {
    let size = u64::try_from(new_size - 1).map_err(StoreError::corrupt)?;
    let mut f = Frontier::from_bytes(size, frontier).map_err(StoreError::corrupt)?;
    let nodes = f
        .append(data)
        .into_iter()
        .filter(|((level, _), _)| level % TILE_HEIGHT == 0)
        .map(|((level, i), h)| (i32::from(level), i as i64, h.0.to_vec()))
        .collect();
    let Some((sm2_signer, sm3_frontier)) = sm2 else {
        let checkpoint =
            sign_checkpoint(signer, origin, f.size(), f.root()).map_err(StoreError::corrupt)?;
        return Ok(Extended {
            index: size as i64,
            nodes,
            frontier: f.to_bytes(),
            checkpoint,
            sm3_frontier: None,
        });
    };
    let mut sm3 = Sm3Frontier::from_bytes(size, sm3_frontier).map_err(StoreError::corrupt)?;
    sm3.append(data);
    let checkpoint = sign_checkpoint_with(
        signer,
        origin,
        f.size(),
        f.root(),
        &sm3_root_line(&sm3.root()),
    )
    .map_err(StoreError::corrupt)?;
    let checkpoint = with_sm2(&checkpoint, sm2_signer)?;
    Ok(Extended {
        index: size as i64,
        nodes,
        frontier: f.to_bytes(),
        checkpoint,
        sm3_frontier: Some(sm3.to_bytes()),
    })
}

/// A signed checkpoint note with the SM2 signature line of its text added.
fn with_sm2(note: &str, signer: &str) -> Result<String> {
    let signer = Sm2Signer::parse(signer).map_err(StoreError::corrupt)?;
    let (text, _) = note
        .split_once("\n\n")
        .ok_or_else(|| StoreError::corrupt("checkpoint note"))?;
    Ok(format!("{note}{}", signer.sign_line(&format!("{text}\n"))))
}

/// The log's public identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogKey {
    pub origin: String,
    /// The signed-note verifier key (`origin+id+base64`), as the portal shows it.
    pub verifier: String,
}

/// One entry as the portal lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedEntry {
    pub index: u64,
    pub at: DateTime<Utc>,
    pub entry: LogEntry,
}

impl Store {
    /// Makes the log's signing key at the first start (named `LIANCHA_LOG_ORIGIN`, or
    /// [`DEFAULT_ORIGIN`]); an existing key is kept.
    pub(crate) async fn ensure_log_key(&self) -> Result<()> {
        let origin =
            std::env::var("LIANCHA_LOG_ORIGIN").unwrap_or_else(|_| DEFAULT_ORIGIN.to_string());
        let (signer, verifier) = generate_key(&mut rand_core::OsRng, &origin)
            .map_err(|e| StoreError::invalid(e.to_string()))?;
        with_pool!(self, p => sqlx::query(
            "INSERT INTO log_key (id, origin, signer, verifier, created_at) VALUES (1, $1, $2, $3, $4) \
             ON CONFLICT (id) DO NOTHING")
            .bind(&origin).bind(&signer).bind(&verifier).bind(Utc::now())
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Starts signing the log with SM2 too (国密): makes the SM2 key (named as the
    /// log) and the SM3 frontier of every entry so far, in one transaction that holds
    /// the head, so no append slips between. From the next entry on, each checkpoint
    /// states the SM3 root and carries the SM2 signature. Returns the verifier key;
    /// a second call is refused.
    pub async fn enable_log_sm2(&self, now: DateTime<Utc>) -> Result<String> {
        let origin = self.log_key().await?.origin;
        let (signer, verifier) = Sm2Signer::generate(&mut rand_core::OsRng, &origin)
            .map_err(|e| StoreError::invalid(e.to_string()))?;
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let size: i64 = sqlx::query_scalar("UPDATE log_head SET size = size WHERE id = 1 RETURNING size")
                .fetch_one(&mut *tx).await?;
            let exists: Option<i64> = sqlx::query_scalar("SELECT since FROM log_sm2 WHERE id = 1")
                .fetch_optional(&mut *tx).await?;
            if let Some(since) = exists {
                return Err(StoreError::Conflict(format!("透明日志已于第 {since} 条起使用国密签名")));
            }
            // In slices, so memory stays bounded however long the log.
            let mut sm3 = Sm3Frontier::default();
            let mut from = 0i64;
            while from < size {
                let rows: Vec<Vec<u8>> = sqlx::query_scalar(
                    "SELECT data FROM log_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx")
                    .bind(from).bind((from + 10_000).min(size)).fetch_all(&mut *tx).await?;
                for data in &rows {
                    sm3.append(data);
                }
                from += 10_000;
            }
            if sm3.size() != size as u64 {
                return Err(StoreError::corrupt("log entries missing"));
            }
            sqlx::query("INSERT INTO log_sm2 (id, signer, verifier, since, frontier, created_at) VALUES (1, $1, $2, $3, $4, $5)")
                .bind(&signer).bind(&verifier).bind(size).bind(sm3.to_bytes()).bind(now)
                .execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(verifier)
    }

    /// The SM2 verifier key and the size from which checkpoints carry it, where
    /// the log is signed with SM2 too.
    pub async fn log_sm2_key(&self) -> Result<Option<(String, u64)>> {
        let row: Option<(String, i64)> = with_pool!(self, p =>
            sqlx::query_as("SELECT verifier, since FROM log_sm2 WHERE id = 1").fetch_optional(p).await)?;
        Ok(row.map(|(k, since)| (k, since as u64)))
    }

    pub async fn log_key(&self) -> Result<LogKey> {
        let (origin, verifier): (String, String) = with_pool!(self, p =>
            sqlx::query_as("SELECT origin, verifier FROM log_key WHERE id = 1").fetch_one(p).await)?;
        Ok(LogKey { origin, verifier })
    }

    /// The latest signed checkpoint, `None` while the log is empty.
    pub async fn log_checkpoint(&self) -> Result<Option<String>> {
        let note: String = with_pool!(self, p =>
            sqlx::query_scalar("SELECT checkpoint FROM log_head WHERE id = 1").fetch_one(p).await)?;
        Ok((!note.is_empty()).then_some(note))
    }

    /// The checkpoint signed when the log had `size` entries.
    pub async fn log_checkpoint_at(&self, size: u64) -> Result<Option<String>> {
        Ok(with_pool!(self, p =>
            sqlx::query_scalar("SELECT note FROM log_checkpoints WHERE size = $1")
                .bind(size as i64).fetch_optional(p).await)?)
    }

    pub async fn log_size(&self) -> Result<u64> {
        let size: i64 = with_pool!(self, p =>
            sqlx::query_scalar("SELECT size FROM log_head WHERE id = 1").fetch_one(p).await)?;
        Ok(size as u64)
    }

    /// A hash tile (tlog-tiles `tile/L/N[.p/W]`): the `width` hashes at tree level
    /// `8·level` from `index·256` on, or `None` if the tree does not have them yet.
    pub async fn log_hash_tile(
        &self,
        level: u8,
        index: u64,
        width: u32,
    ) -> Result<Option<Vec<u8>>> {
        let Some((first, last)) = tile_range(index, width) else {
            return Ok(None);
        };
        let tree_level = i32::from(level) * i32::from(TILE_HEIGHT);
        let hashes: Vec<Vec<u8>> = with_pool!(self, p =>
            sqlx::query_scalar("SELECT hash FROM log_nodes WHERE level = $1 AND idx BETWEEN $2 AND $3 ORDER BY idx")
                .bind(tree_level).bind(first).bind(last).fetch_all(p).await)?;
        if hashes.len() != width as usize {
            return Ok(None);
        }
        Ok(Some(hashes.concat()))
    }

    /// An entry bundle (tlog-tiles `tile/entries/N[.p/W]`), or `None` if the log
    /// does not have those entries yet.
    pub async fn log_entry_bundle(&self, index: u64, width: u32) -> Result<Option<Vec<u8>>> {
        let Some((first, last)) = tile_range(index, width) else {
            return Ok(None);
        };
        let entries: Vec<Vec<u8>> = with_pool!(self, p =>
            sqlx::query_scalar("SELECT data FROM log_entries WHERE idx BETWEEN $1 AND $2 ORDER BY idx")
                .bind(first).bind(last).fetch_all(p).await)?;
        if entries.len() != width as usize {
            return Ok(None);
        }
        let mut bundle = Vec::with_capacity(entries.iter().map(|e| e.len() + 2).sum());
        for e in &entries {
            push_bundle(&mut bundle, e);
        }
        Ok(Some(bundle))
    }

    /// Entries newest first, `limit` of them, before index `before` if given.
    pub async fn log_entries(&self, before: Option<u64>, limit: u32) -> Result<Vec<LoggedEntry>> {
        let before = before.map_or(i64::MAX, |b| b as i64);
        let rows: Vec<(i64, DateTime<Utc>, Vec<u8>)> = with_pool!(self, p =>
            sqlx::query_as("SELECT idx, at, data FROM log_entries WHERE idx < $1 ORDER BY idx DESC LIMIT $2")
                .bind(before).bind(i64::from(limit)).fetch_all(p).await)?;
        rows.into_iter().map(logged).collect()
    }

    /// One task's entries, oldest first.
    pub async fn task_log_entries(&self, county: &str, task: i64) -> Result<Vec<LoggedEntry>> {
        let rows: Vec<(i64, DateTime<Utc>, Vec<u8>)> = with_pool!(self, p =>
            sqlx::query_as("SELECT idx, at, data FROM log_entries WHERE county = $1 AND task_id = $2 ORDER BY idx")
                .bind(county).bind(task).fetch_all(p).await)?;
        rows.into_iter().map(logged).collect()
    }
}

impl Store {
    /// A proof bundle for task `task` of `county`: its entries and its county's
    /// cancellations (with the draws of the tasks cancelled), each with its inclusion
    /// proof in the tree of the latest checkpoint, which comes with its witnesses'
    /// cosignatures. `None` if the log has none of the task's entries.
    pub async fn log_proof_bundle(&self, county: &str, task: i64) -> Result<Option<ProofBundle>> {
        type Row = (i64, Option<i64>, Vec<u8>);
        // The task's own entries, all of them (a draw's substitutions are bounded by
        // its visits); then the county's cancellations, as many as a bundle holds.
        let own: Vec<Row> = with_pool!(self, p => sqlx::query_as(
            "SELECT idx, task_id, data FROM log_entries WHERE county = $1 AND task_id = $2 ORDER BY idx")
            .bind(county).bind(task).fetch_all(p).await)?;
        let Some(last) = own.last().map(|r| r.0) else {
            return Ok(None);
        };
        let Some(note) = self.bundle_checkpoint(last as u64 + 1).await? else {
            return Ok(None);
        };
        let key = self.log_key().await?;
        let cp = liancha_domain::transparency::verify_checkpoint(&key.verifier, note.as_bytes())
            .map_err(StoreError::corrupt)?;
        let size = i64::try_from(cp.size()).map_err(StoreError::corrupt)?;
        let room = log_proof::MAX_ENTRIES.saturating_sub(own.len()) as i64;
        let cancelled: Vec<Row> = with_pool!(self, p => sqlx::query_as(
            "SELECT idx, task_id, data FROM log_entries WHERE county = $1 AND idx < $2 AND task_id <> $3 \
             AND kind IN ('task.cancelled', 'task.drawn') AND task_id IN \
                 (SELECT task_id FROM log_entries WHERE county = $1 AND kind = 'task.cancelled') \
             ORDER BY idx DESC LIMIT $4")
            .bind(county).bind(size).bind(task).bind(room)
            .fetch_all(p).await)?;
        let mut rows: Vec<Row> = own.into_iter().filter(|r| r.0 < size).collect();
        rows.extend(cancelled);
        rows.sort_by_key(|r| r.0);
        let tiles = Tiles::default();
        let mut entries = Vec::with_capacity(rows.len());
        for (idx, _, data) in rows {
            let proof = loop {
                match tiles.inclusion_proof(&cp, idx as u64) {
                    Err(Proof::Need(paths)) => {
                        for path in paths {
                            let t = Tiles::parse_path(&path)
                                .ok_or_else(|| StoreError::corrupt(format!("tile {path}")))?;
                            let data = self
                                .log_hash_tile(t.level(), t.level_index(), t.width())
                                .await?
                                .ok_or_else(|| StoreError::corrupt(format!("missing {path}")))?;
                            tiles.add(&path, data).map_err(StoreError::corrupt)?;
                        }
                    }
                    r => break r.map_err(StoreError::corrupt)?,
                }
            };
            entries.push(ProvenEntry {
                index: idx as u64,
                entry: String::from_utf8(data).map_err(StoreError::corrupt)?,
                proof: log_proof::encode_proof(&proof),
            });
        }
        // The witnesses' cosignatures of this checkpoint travel with it.
        let cosigned = note + &self.log_cosignature_lines(cp.size()).await?.concat();
        Ok(Some(ProofBundle {
            format: log_proof::FORMAT.to_string(),
            checkpoint: cosigned,
            entries,
        }))
    }
}

impl Store {
    /// The checkpoint a bundle proves against, with its size: the newest one a
    /// witness has cosigned, if it covers the first `needed` entries (a reader who
    /// trusts the witness then knows the log showed everyone this tree), else the
    /// latest one. `None` while the log is empty.
    async fn bundle_checkpoint(&self, needed: u64) -> Result<Option<String>> {
        let cosigned = self
            .log_witnesses()
            .await?
            .into_iter()
            .filter_map(|w| w.latest.map(|(size, _)| size))
            .filter(|size| *size >= needed)
            .max();
        if let Some(size) = cosigned
            && let Some(note) = self.log_checkpoint_at(size).await?
        {
            return Ok(Some(note));
        }
        self.log_checkpoint().await
    }
}

fn logged((idx, at, data): (i64, DateTime<Utc>, Vec<u8>)) -> Result<LoggedEntry> {
    Ok(LoggedEntry {
        index: idx as u64,
        at,
        entry: LogEntry::parse(&data).map_err(StoreError::corrupt)?,
    })
}

/// The first and last index a tile of `width` at `index` covers, if it is a tile.
fn tile_range(index: u64, width: u32) -> Option<(i64, i64)> {
    if width == 0 || u64::from(width) > TILE_WIDTH {
        return None;
    }
    let first = index.checked_mul(TILE_WIDTH)?;
    let last = first.checked_add(u64::from(width) - 1)?;
    Some((i64::try_from(first).ok()?, i64::try_from(last).ok()?))
}

/// A witness as the portal shows it: its key, and the newest checkpoint it has
/// cosigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    pub name: String,
    pub verifier: String,
    pub added_at: DateTime<Utc>,
    /// (checkpoint size, the time the witness says it signed).
    pub latest: Option<(u64, DateTime<Utc>)>,
}

impl Store {
    /// Registers a witness by its cosignature key; the same key again changes
    /// nothing, another key under a registered name is refused.
    /// Registers a witness by its public key, on behalf of `actor` of the office
    /// `office` (whose audit trail records it). The same key again changes nothing;
    /// another key under a registered name is refused.
    pub async fn add_log_witness(
        &self,
        verifier: &str,
        office: &DivisionCode,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let key = WitnessKey::parse(verifier)
            .map_err(|e| StoreError::invalid_field("key", e.to_string()))?;
        let encoded = key.encode();
        let audited = self.county(office);
        let existing: Option<String> = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            // Two registrations of one name at once: one inserts, the other finds it.
            let added = sqlx::query("INSERT INTO log_witnesses (name, verifier, added_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO NOTHING")
                .bind(key.name()).bind(&encoded).bind(now).execute(&mut *tx).await?;
            let existing = if added.rows_affected() == 1 {
                append_audit!(audited, &mut *tx, actor, now, Audit::new("log.add-witness", "log-witness", key.name())
                    .after(serde_json::json!({ "key": encoded })))?;
                None
            } else {
                sqlx::query_scalar("SELECT verifier FROM log_witnesses WHERE name = $1")
                    .bind(key.name()).fetch_optional(&mut *tx).await?
            };
            tx.commit().await?;
            existing
        });
        match existing {
            Some(k) if k != encoded => Err(StoreError::invalid_field(
                "key",
                format!("已有名为 {} 的证人，公钥不同", key.name()),
            )),
            _ => Ok(key.name().to_string()),
        }
    }

    pub async fn log_witnesses(&self) -> Result<Vec<Witness>> {
        type WitnessRow = (
            String,
            String,
            DateTime<Utc>,
            Option<i64>,
            Option<DateTime<Utc>>,
        );
        let rows: Vec<WitnessRow> = with_pool!(self, p =>
            sqlx::query_as(
                "SELECT w.name, w.verifier, w.added_at, c.size, c.cosigned_at FROM log_witnesses w \
                 LEFT JOIN log_cosignatures c ON c.witness = w.name \
                   AND c.size = (SELECT MAX(size) FROM log_cosignatures WHERE witness = w.name) \
                 ORDER BY w.name")
                .fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(|(name, verifier, added_at, size, at)| Witness {
                name,
                verifier,
                added_at,
                latest: size.zip(at).map(|(s, a)| (s as u64, a)),
            })
            .collect())
    }

    /// Keeps the cosignatures of registered witnesses found on `note`, a
    /// checkpoint this log signed; returns the witnesses' names. A note whose body
    /// is not the checkpoint this log signed at that size is refused: a witness was
    /// shown another tree.
    pub async fn add_log_cosignatures(
        &self,
        note: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        let key = self.log_key().await?;
        let witnesses: Vec<WitnessKey> = self
            .log_witnesses()
            .await?
            .iter()
            .filter_map(|w| WitnessKey::parse(&w.verifier).ok())
            .collect();
        let (cp, found) = cosignatures(&key.verifier, note, &witnesses)
            .map_err(|e| StoreError::invalid(format!("联署无效：{e}")))?;
        if found.is_empty() {
            return Err(StoreError::invalid("没有已登记证人的有效联署"));
        }
        let text =
            std::str::from_utf8(note).map_err(|_| StoreError::invalid("联署不是 UTF-8 文本"))?;
        let body = |n: &str| n.split("\n\n").next().map(str::to_string);
        let ours = self.log_checkpoint_at(cp.size()).await?.ok_or_else(|| {
            StoreError::invalid(format!("本日志没有大小为 {} 的检查点", cp.size()))
        })?;
        if body(&ours) != body(text) {
            return Err(StoreError::invalid("联署的检查点与本日志签发的不同"));
        }
        let mut names = Vec::new();
        for (name, time) in found {
            let prefix = format!("— {name} ");
            let Some(line) = text.lines().find(|l| l.starts_with(&prefix)) else {
                continue;
            };
            let at = DateTime::from_timestamp(time.min(i64::MAX as u64) as i64, 0)
                .ok_or_else(|| StoreError::invalid("联署时间不正确"))?;
            with_pool!(self, p => sqlx::query(
                "INSERT INTO log_cosignatures (size, witness, line, cosigned_at, received_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (size, witness) DO NOTHING")
                .bind(cp.size() as i64).bind(&name).bind(format!("{line}\n")).bind(at).bind(now)
                .execute(p).await.map(|_| ()))?;
            names.push(name);
        }
        Ok(names)
    }

    /// The cosignature lines kept for the checkpoint of `size`.
    pub async fn log_cosignature_lines(&self, size: u64) -> Result<Vec<String>> {
        Ok(with_pool!(self, p =>
            sqlx::query_scalar("SELECT line FROM log_cosignatures WHERE size = $1 ORDER BY witness")
                .bind(size as i64).fetch_all(p).await)?)
    }
}

impl crate::County<'_> {
    /// Appends one entry in a transaction of its own. The application appends in
    /// the transaction of the event instead; this is for the benchmark
    /// (`examples/log_bench.rs`) and tools.
    #[doc(hidden)]
    pub async fn append_log_entry(
        &self,
        event: liancha_domain::transparency::LogEvent,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let index = crate::append_log!(self, tx, now, event);
            tx.commit().await?;
            Ok(index as u64)
        })
    }
}
