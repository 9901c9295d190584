//! The transparency log: every public event of every county, in one append-only
//! Merkle tree that anyone can audit (issue 17).
//!
//! The formats are the C2SP ones, so that standard tooling reads the log: the tree is
//! RFC 6962's (leaf `SHA-256(0x00 ‖ entry)`, node `SHA-256(0x01 ‖ left ‖ right)`),
//! served as tlog-tiles (height 8, entry bundles with a 16-bit length before each
//! entry), and its head as a tlog-checkpoint note signed with the installation's
//! Ed25519 key (signed-note). The hashing, tiles, proofs and notes are the
//! `tlog_tiles` and `signed_note` crates (ports of Go's sumdb code); what is ours is
//! what an entry says and the frontier that lets an append touch no earlier node.

use serde::{Deserialize, Serialize};
use signed_note::{Note, StandardSigner, StandardVerifier, VerifierList};

mod note;
mod record;
mod tiles;

pub use note::*;
pub use record::*;
pub use tiles::*;
pub use tlog_tiles::{Checkpoint, Hash, Tile};

/// The tiles' height (tlog-tiles fixes it at 8: 256 hashes or entries a tile).
pub const TILE_HEIGHT: u8 = 8;
/// Entries a full tile holds.
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;
/// An entry bundle writes each entry's length in 16 bits; ours are far smaller.
pub const MAX_ENTRY_BYTES: usize = 8 * 1024;

/// One entry of the log: where and when (as the installation's clock says; the
/// witnesses' cosignatures are the independent time), and what happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// The county's administrative division code (GB/T 2260).
    pub county: String,
    /// RFC 3339, UTC, to the second.
    pub at: String,
    /// The county's audit chain head after the event's own audit entry: the log
    /// anchors the audit trail (see `audit_chain`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<crate::audit_chain::AuditHead>,
    #[serde(flatten)]
    pub event: LogEvent,
}

/// What an entry records. Only what is public at that moment: a draw and a
/// substitution are committed to by digest, not by the entities they chose (a county
/// may keep those until the results).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event")]
pub enum LogEvent {
    /// A plan was sealed: its digest, and the sources whose values will be revealed.
    #[serde(rename = "task.sealed")]
    Sealed {
        task: i64,
        plan_digest: String,
        sources: Vec<LoggedSource>,
    },
    /// The sources were revealed and the draw made: the record's digest.
    #[serde(rename = "task.drawn")]
    Drawn {
        task: i64,
        plan_digest: String,
        record_digest: String,
    },
    /// A drawn entity or inspector was replaced by the rule: a digest of what
    /// replaced what and why.
    #[serde(rename = "task.substituted")]
    Substituted {
        task: i64,
        /// `entity` or `inspector`.
        kind: String,
        digest: String,
    },
    /// The results were published.
    #[serde(rename = "task.published")]
    Published { task: i64, plan_digest: String },
    /// A sealed task was cancelled, with the reason its announcement shows.
    #[serde(rename = "task.cancelled")]
    Cancelled {
        task: i64,
        plan_digest: String,
        reason: String,
    },
    /// A published result was corrected (an objection upheld): a digest of the
    /// entity, the item and the result before and after.
    #[serde(rename = "task.corrected")]
    Corrected { task: i64, digest: String },
    /// An entity was put on a credit list (`abnormal` or `blacklist`).
    #[serde(rename = "credit.listed")]
    CreditListed { entity: String, list: String },
    /// An entity was taken off a credit list (移出名单).
    #[serde(rename = "credit.removed")]
    CreditRemoved { entity: String, list: String },
}

/// A source as its plan declared it: its text and the time before which its value
/// cannot be known (a drand round's time, or the declared time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedSource {
    pub text: String,
    /// RFC 3339, UTC.
    pub not_before: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LogError {
    #[error("日志条目过长（{0} 字节）")]
    EntryTooLong(usize),
    #[error("日志条目不是有效的 JSON：{0}")]
    Entry(String),
    #[error("签名密钥无效：{0}")]
    Key(String),
    #[error("检查点格式不正确")]
    Checkpoint,
    #[error("检查点签名无效或不是该日志的签名")]
    Signature,
    #[error("日志状态已损坏：{0}")]
    Corrupt(String),
}

impl LogEntry {
    /// The entry's bytes as the log holds them: JSON, fields in declaration order.
    pub fn to_bytes(&self) -> Result<Vec<u8>, LogError> {
        let bytes = serde_json::to_vec(self).map_err(|e| LogError::Entry(e.to_string()))?;
        if bytes.len() > MAX_ENTRY_BYTES {
            return Err(LogError::EntryTooLong(bytes.len()));
        }
        Ok(bytes)
    }

    pub fn parse(bytes: &[u8]) -> Result<Self, LogError> {
        serde_json::from_slice(bytes).map_err(|e| LogError::Entry(e.to_string()))
    }

    /// The task the entry is about, if any.
    pub fn task(&self) -> Option<i64> {
        match &self.event {
            LogEvent::Sealed { task, .. }
            | LogEvent::Drawn { task, .. }
            | LogEvent::Substituted { task, .. }
            | LogEvent::Published { task, .. }
            | LogEvent::Cancelled { task, .. }
            | LogEvent::Corrected { task, .. } => Some(*task),
            LogEvent::CreditListed { .. } | LogEvent::CreditRemoved { .. } => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match &self.event {
            LogEvent::Sealed { .. } => "task.sealed",
            LogEvent::Drawn { .. } => "task.drawn",
            LogEvent::Substituted { .. } => "task.substituted",
            LogEvent::Published { .. } => "task.published",
            LogEvent::Cancelled { .. } => "task.cancelled",
            LogEvent::Corrected { .. } => "task.corrected",
            LogEvent::CreditListed { .. } => "credit.listed",
            LogEvent::CreditRemoved { .. } => "credit.removed",
        }
    }
}

/// The event in Chinese, for the portal's list of entries.
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "task.sealed" => "封存抽取方案",
        "task.drawn" => "揭示随机源并抽取",
        "task.substituted" => "替补",
        "task.published" => "公示检查结果",
        "task.cancelled" => "取消任务",
        "task.corrected" => "更正检查结果",
        "credit.listed" => "列入信用名单",
        "credit.removed" => "移出信用名单",
        _ => "其他",
    }
}

/// A node of the tree: its level (0 for a leaf) and its index at that level.
pub type NodeId = (u8, u64);

/// The roots of the complete subtrees that make up a tree, largest first (one per
/// set bit of its size). An append needs nothing else: the new leaf merges with the
/// last roots exactly as far as the new size carries, so no earlier node is read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frontier {
    size: u64,
    roots: Vec<Hash>,
}

impl Frontier {
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Adds a leaf; returns the nodes that became complete, the leaf first, each with
    /// its place in the tree.
    pub fn append(&mut self, entry: &[u8]) -> Vec<(NodeId, Hash)> {
        let n = self.size;
        let mut h = tlog_tiles::record_hash(entry);
        let mut made = vec![((0, n), h)];
        // Leaf n closes one subtree per trailing one bit of n.
        for level in 0..n.trailing_ones() {
            let left = self
                .roots
                .pop()
                .expect("a frontier holds one root per set bit");
            h = tlog_tiles::node_hash(left, h);
            made.push(((level as u8 + 1, n >> (level + 1)), h));
        }
        self.roots.push(h);
        self.size += 1;
        made
    }

    /// The tree's root hash (RFC 6962's MTH): the roots folded from the right.
    pub fn root(&self) -> Hash {
        let mut roots = self.roots.iter().rev();
        let Some(last) = roots.next() else {
            return tlog_tiles::EMPTY_HASH;
        };
        roots.fold(*last, |right, left| tlog_tiles::node_hash(*left, right))
    }

    /// The roots as stored: 32 bytes each, largest first.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.roots.iter().flat_map(|h| h.0).collect()
    }

    pub fn from_bytes(size: u64, bytes: &[u8]) -> Result<Self, LogError> {
        if !bytes.len().is_multiple_of(32) || bytes.len() / 32 != size.count_ones() as usize {
            return Err(LogError::Corrupt(format!(
                "frontier of {} bytes for size {size}",
                bytes.len()
            )));
        }
        let roots = bytes
            .chunks_exact(32)
            .map(|c| Hash(c.try_into().expect("chunks of 32")))
            .collect();
        Ok(Frontier { size, roots })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6962's MTH, computed the way the RFC defines it.
    fn mth(leaves: &[Vec<u8>]) -> Hash {
        match leaves.len() {
            0 => tlog_tiles::EMPTY_HASH,
            1 => tlog_tiles::record_hash(&leaves[0]),
            n => {
                // The largest power of two smaller than n.
                let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
                tlog_tiles::node_hash(mth(&leaves[..k]), mth(&leaves[k..]))
            }
        }
    }

    #[test]
    fn frontier_root_is_rfc6962_at_every_size() {
        let mut f = Frontier::default();
        let mut leaves = Vec::new();
        assert_eq!(f.root(), mth(&leaves));
        for i in 0..300u32 {
            let e = format!("entry {i}").into_bytes();
            f.append(&e);
            leaves.push(e);
            assert_eq!(f.root(), mth(&leaves), "size {}", i + 1);
            let again = Frontier::from_bytes(f.size(), &f.to_bytes()).unwrap();
            assert_eq!(again, f);
        }
    }

    #[test]
    fn appended_nodes_are_the_stored_hashes_tlog_computes() {
        // tlog_tiles' own storage of a tree: the hashes it would store for each
        // record, by stored-hash index. Ours must be the same nodes.
        struct Mem(std::cell::RefCell<Vec<Hash>>);
        impl tlog_tiles::HashReader for Mem {
            fn read_hashes(&self, idx: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
                Ok(idx.iter().map(|i| self.0.borrow()[*i as usize]).collect())
            }
        }
        let mem = Mem(Default::default());
        let mut f = Frontier::default();
        for n in 0..100u64 {
            let e = n.to_string().into_bytes();
            let theirs = tlog_tiles::stored_hashes(n, &e, &mem).unwrap();
            let ours = f.append(&e);
            assert_eq!(theirs.len(), ours.len());
            for ((level, i), h) in ours.iter() {
                let idx = tlog_tiles::stored_hash_index(*level, *i) as usize;
                let pos = idx - mem.0.borrow().len();
                assert_eq!(theirs[pos], *h);
            }
            mem.0.borrow_mut().extend(theirs);
            assert_eq!(tlog_tiles::tree_hash(n + 1, &mem).unwrap(), f.root());
        }
    }

    #[test]
    fn a_corrupt_frontier_is_refused() {
        assert!(Frontier::from_bytes(3, &[0; 32]).is_err());
        assert!(Frontier::from_bytes(1, &[0; 31]).is_err());
    }

    #[test]
    fn checkpoints_sign_and_verify() {
        let mut rng = rand_core::OsRng;
        let (skey, vkey) = generate_key(&mut rng, "liancha.test/log").unwrap();
        let mut f = Frontier::default();
        f.append(b"a");
        let note = sign_checkpoint(&skey, "liancha.test/log", 1, f.root()).unwrap();
        assert!(note.starts_with("liancha.test/log\n1\n"));
        let cp = verify_checkpoint(&vkey, note.as_bytes()).unwrap();
        assert_eq!((cp.size(), *cp.hash()), (1, f.root()));
        // Another key, or one changed byte, and it is refused.
        let (_, other) = generate_key(&mut rng, "liancha.test/log").unwrap();
        assert_eq!(
            verify_checkpoint(&other, note.as_bytes()),
            Err(LogError::Signature)
        );
        let forged = note.replacen("\n1\n", "\n2\n", 1);
        assert!(verify_checkpoint(&vkey, forged.as_bytes()).is_err());
        assert!(generate_key(&mut rng, "has space").is_err());
    }

    #[test]
    fn entries_are_deterministic_json_and_bundles_round_trip() {
        let e = LogEntry {
            county: "532323".into(),
            at: "2026-12-06T08:00:00Z".into(),
            audit: None,
            event: LogEvent::Sealed {
                task: 7,
                plan_digest: "ab".into(),
                sources: vec![LoggedSource {
                    text: "drand:quicknet:1".into(),
                    not_before: "2026-12-06T09:00:00Z".into(),
                }],
            },
        };
        let bytes = e.to_bytes().unwrap();
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            r#"{"county":"532323","at":"2026-12-06T08:00:00Z","event":"task.sealed","task":7,"plan_digest":"ab","sources":[{"text":"drand:quicknet:1","not_before":"2026-12-06T09:00:00Z"}]}"#
        );
        assert_eq!(LogEntry::parse(&bytes).unwrap(), e);
        assert_eq!(e.task(), Some(7));
        let mut bundle = Vec::new();
        push_bundle(&mut bundle, &bytes);
        push_bundle(&mut bundle, b"x");
        assert_eq!(split_bundle(&bundle).unwrap(), vec![&bytes[..], b"x"]);
        assert!(split_bundle(&bundle[..bundle.len() - 1]).is_err());
        assert!(split_bundle(&[0]).is_err());
    }

    /// A client holding only tiles proves inclusion of every entry and consistency
    /// of every earlier size, with tiles made from the nodes an append returns.
    #[test]
    fn proofs_from_tiles() {
        let mut f = Frontier::default();
        let mut levels: std::collections::BTreeMap<(u8, u64), Hash> = Default::default();
        let mut checkpoints = Vec::new();
        let entries: Vec<Vec<u8>> = (0..600).map(|i| format!("e{i}").into_bytes()).collect();
        for e in &entries {
            for ((level, i), h) in f.append(e) {
                if level % TILE_HEIGHT == 0 {
                    levels.insert((level, i), h);
                }
            }
            checkpoints.push(Checkpoint::new("o", f.size(), f.root(), "").unwrap());
        }
        let tile_data = |t: &tlog_tiles::Tile| -> Vec<u8> {
            let level = t.level() * TILE_HEIGHT;
            let first = t.level_index() * TILE_WIDTH;
            (first..first + u64::from(t.width()))
                .flat_map(|i| levels[&(level, i)].0)
                .collect()
        };
        let tiles = Tiles::default();
        let fetch = |need: Vec<String>| {
            for p in need {
                let t = Tiles::parse_path(&p).unwrap();
                tiles.add(&p, tile_data(&t)).unwrap();
            }
        };
        let last = checkpoints.last().unwrap();
        for (i, e) in entries.iter().enumerate().step_by(37) {
            loop {
                match tiles.inclusion(last, i as u64, e) {
                    Ok(()) => break,
                    Err(Proof::Need(p)) => fetch(p),
                    Err(e) => panic!("{e}"),
                }
            }
            assert!(matches!(
                tiles.inclusion(last, i as u64, b"forged"),
                Err(Proof::Failed(_))
            ));
        }
        for old in checkpoints.iter().step_by(41) {
            loop {
                match tiles.consistency(old, last) {
                    Ok(()) => break,
                    Err(Proof::Need(p)) => fetch(p),
                    Err(e) => panic!("{e}"),
                }
            }
        }
        // A checkpoint whose root is not the tree's: a fork.
        let forked = Checkpoint::new("o", 300, tlog_tiles::record_hash(b"x"), "").unwrap();
        let r = loop {
            match tiles.consistency(&forked, last) {
                Err(Proof::Need(p)) => fetch(p),
                r => break r,
            }
        };
        assert!(matches!(r, Err(Proof::Failed(_))), "{r:?}");
        let same_size = Checkpoint::new("o", 600, tlog_tiles::record_hash(b"x"), "").unwrap();
        assert!(tiles.consistency(&same_size, last).is_err());
        // Wrong lengths and paths are refused before a proof sees them.
        assert!(tiles.add("tile/0/000", vec![0; 31]).is_err());
        assert!(tiles.add("tile/entries/000", vec![]).is_err());
        for bad in [
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/64/000",
            "tile/255/000",
            "tile/01/000",
            "tile/0/00",
            "tile/0/x1/000",
            "tile/1/x000/234.p/5",
            "tile/0/001/000",
            "tile/0/x999/x999/x999/x999/x999/x999/x999/000",
            "tile/0/x",
            "tile/",
            "tile/entries/000",
        ] {
            assert!(Tiles::parse_path(bad).is_none(), "{bad}");
        }
        assert_eq!(
            Tiles::parse_entries_path("tile/entries/x001/002.p/3")
                .map(|t| (t.level_index(), t.width())),
            Some((1002, 3))
        );
        assert!(Tiles::parse_entries_path("tile/entries/000.p/0").is_none());
        assert!(Tiles::parse_entries_path("tile/entries/x000/001").is_none());
        assert_eq!(
            Tiles::parse_path("tile/0/x001/234.p/5")
                .unwrap()
                .level_index(),
            1234
        );
        assert_eq!(
            Tiles::path(&Tiles::parse_path("tile/1/000.p/2").unwrap()),
            "tile/1/000.p/2"
        );
    }

    #[test]
    fn a_record_is_found_sealed_before_its_sources() {
        let entry = |at: &str, event: LogEvent| LogEntry {
            county: "532323".into(),
            at: at.into(),
            audit: None,
            event,
        };
        let sealed = |task, digest: &str, not_before: &str| LogEvent::Sealed {
            task,
            plan_digest: digest.into(),
            sources: vec![LoggedSource {
                text: "dice".into(),
                not_before: not_before.into(),
            }],
        };
        let log = vec![
            entry(
                "2026-01-01T00:00:00Z",
                sealed(1, "p1", "2026-01-01T01:00:00Z"),
            ),
            entry(
                "2026-01-01T00:30:00Z",
                LogEvent::Cancelled {
                    task: 1,
                    plan_digest: "p1".into(),
                    reason: "redo".into(),
                },
            ),
            entry(
                "2026-01-02T00:00:00Z",
                sealed(2, "p2", "2026-01-02T01:00:00Z"),
            ),
            entry(
                "2026-01-02T02:00:00Z",
                LogEvent::Drawn {
                    task: 2,
                    plan_digest: "p2".into(),
                    record_digest: "r2".into(),
                },
            ),
            entry(
                "2026-01-03T00:00:00Z",
                sealed(3, "p3", "2026-01-02T23:00:00Z"),
            ),
        ];
        let found = RecordInLog::find(&log, "p2", "r2");
        assert!(found.holds(), "{found:?}");
        assert_eq!(found.sealed, Some((2, "2026-01-02T00:00:00Z".into())));
        assert_eq!(
            found.cancelled,
            vec![Cancelled {
                task: 1,
                at: "2026-01-01T00:30:00Z".into(),
                reason: "redo".into(),
                after_draw: false
            }]
        );
        // Another record under the same plan: not what the log committed to.
        assert!(!RecordInLog::find(&log, "p2", "r-other").holds());
        // Sealed after its source's time: refused.
        let late = RecordInLog::find(&log, "p3", "x");
        assert!(!late.holds() && !late.sources[0].2);
        // Not in the log at all.
        assert!(!RecordInLog::find(&log, "p9", "x").holds());
        // Sealed in time but no draw entry (a bundle that left it out): refused.
        let undrawn: Vec<LogEntry> = log
            .iter()
            .filter(|e| e.kind() != "task.drawn")
            .cloned()
            .collect();
        let found = RecordInLog::find(&undrawn, "p2", "r2");
        assert!(found.sealed.is_some() && found.drawn.is_none() && !found.holds());
        // A task drawn and then cancelled is marked so.
        let mut redrawn = log.clone();
        redrawn.insert(
            1,
            entry(
                "2026-01-01T00:10:00Z",
                LogEvent::Drawn {
                    task: 1,
                    plan_digest: "p1".into(),
                    record_digest: "r1".into(),
                },
            ),
        );
        assert!(RecordInLog::find(&redrawn, "p2", "r2").cancelled[0].after_draw);
        // The same task sealed again.
        let mut twice = log.clone();
        twice.push(entry(
            "2026-01-04T00:00:00Z",
            sealed(2, "p2b", "2026-01-05T00:00:00Z"),
        ));
        assert_eq!(RecordInLog::find(&twice, "p2", "r2").resealed, vec![5]);
    }
}
