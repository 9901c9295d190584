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
            | LogEvent::Cancelled { task, .. } => Some(*task),
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

/// A new key pair for a log named `origin`: (signer key, verifier key) in the
/// signed-note text encodings (`PRIVATE+KEY+origin+id+…`, `origin+id+…`).
pub fn generate_key(
    rng: &mut impl rand_core::CryptoRngCore,
    origin: &str,
) -> Result<(String, String), LogError> {
    if !signed_note::is_key_name_valid(origin) {
        return Err(LogError::Key(format!("日志名称 {origin} 不可用")));
    }
    Ok(signed_note::generate_key(rng, origin))
}

/// The signed checkpoint of a tree: the tlog-checkpoint body, signed as a note.
pub fn sign_checkpoint(
    signer: &str,
    origin: &str,
    size: u64,
    root: Hash,
) -> Result<String, LogError> {
    sign_checkpoint_with(signer, origin, size, root, "")
}

/// The same with extension lines (each ending in a newline) after the root.
pub fn sign_checkpoint_with(
    signer: &str,
    origin: &str,
    size: u64,
    root: Hash,
    extension: &str,
) -> Result<String, LogError> {
    let s = StandardSigner::new(signer).map_err(|e| LogError::Key(e.to_string()))?;
    let body = Checkpoint::new(origin, size, root, extension)
        .map_err(|_| LogError::Checkpoint)?
        .to_bytes();
    let mut note = Note::new(&body, &[]).map_err(|_| LogError::Checkpoint)?;
    note.add_sigs(&[&s])
        .map_err(|e| LogError::Key(e.to_string()))?;
    String::from_utf8(note.to_bytes()).map_err(|_| LogError::Checkpoint)
}

/// A checkpoint note checked against the log's verifier key: its signature, and
/// that its origin is the key's name.
pub fn verify_checkpoint(verifier: &str, note: &[u8]) -> Result<Checkpoint, LogError> {
    let v = StandardVerifier::new(verifier.trim()).map_err(|e| LogError::Key(e.to_string()))?;
    let origin = {
        use signed_note::Verifier as _;
        v.name().to_string()
    };
    let note = Note::from_bytes(note).map_err(|_| LogError::Checkpoint)?;
    note.verify(&VerifierList::new(vec![Box::new(v)]))
        .map_err(|_| LogError::Signature)?;
    let cp = Checkpoint::from_bytes(note.text()).map_err(|_| LogError::Checkpoint)?;
    if cp.origin() != origin {
        return Err(LogError::Signature);
    }
    Ok(cp)
}

/// The entries of an entry bundle (tlog-tiles: each entry after its length as a
/// big-endian u16).
pub fn split_bundle(bundle: &[u8]) -> Result<Vec<&[u8]>, LogError> {
    let mut out = Vec::new();
    let mut rest = bundle;
    while !rest.is_empty() {
        let (len, tail) = rest
            .split_first_chunk::<2>()
            .ok_or_else(|| LogError::Corrupt("truncated entry bundle".into()))?;
        let len = u16::from_be_bytes(*len) as usize;
        if tail.len() < len {
            return Err(LogError::Corrupt("truncated entry bundle".into()));
        }
        let (entry, tail) = tail.split_at(len);
        out.push(entry);
        rest = tail;
    }
    Ok(out)
}

/// Appends an entry to a bundle.
pub fn push_bundle(bundle: &mut Vec<u8>, entry: &[u8]) {
    let len = u16::try_from(entry.len()).expect("entries are at most MAX_ENTRY_BYTES");
    bundle.extend_from_slice(&len.to_be_bytes());
    bundle.extend_from_slice(entry);
}

/// What the log says of one draw record (by its plan digest and its own digest):
/// where its plan was sealed, whether that was before every source could be
/// known, whether the log committed to this very record, and what else its
/// county cancelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordInLog {
    /// The sealing entry's index and time, `None` if the log has none.
    pub sealed: Option<(u64, String)>,
    /// Each source: its text, the time before which it could not be known, and
    /// whether the sealing came before that time.
    pub sources: Vec<(String, String, bool)>,
    /// Sealings of the same task beyond the first.
    pub resealed: Vec<u64>,
    /// The digest the log's draw entry committed to, if there is one, and whether
    /// it is this record's.
    pub drawn: Option<(String, bool)>,
    /// The county's tasks cancelled before this plan was sealed.
    pub cancelled: Vec<Cancelled>,
}

/// Another task of the county, sealed and then cancelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancelled {
    pub task: i64,
    /// When it was cancelled.
    pub at: String,
    pub reason: String,
    /// Whether it was cancelled after its draw, when its outcome was known: the case
    /// the public should look at first.
    pub after_draw: bool,
}

impl RecordInLog {
    /// Whether the log vouches for the record: sealed before every source, sealed
    /// once, and the draw the log committed to is this record. A record exists only
    /// from the draw, whose entry is written in the draw's own transaction, so a
    /// missing draw entry (a bundle that left it out, say) does not hold.
    pub fn holds(&self) -> bool {
        self.sealed.is_some()
            && self.sources.iter().all(|s| s.2)
            && self.resealed.is_empty()
            && self.drawn.as_ref().is_some_and(|d| d.1)
    }

    /// What the whole log (`entries`, from index 0 on) says of the record.
    pub fn find(entries: &[LogEntry], plan_digest: &str, record_digest: &str) -> RecordInLog {
        let indexed: Vec<(u64, &LogEntry)> = (0..).zip(entries).collect();
        RecordInLog::find_in(&indexed, plan_digest, record_digest)
    }

    /// What some entries of the log (each with its index, in index order: a proof
    /// bundle's) say of the record: only what is among them.
    pub fn find_in(
        entries: &[(u64, &LogEntry)],
        plan_digest: &str,
        record_digest: &str,
    ) -> RecordInLog {
        let mut out = RecordInLog {
            sealed: None,
            sources: Vec::new(),
            resealed: Vec::new(),
            drawn: None,
            cancelled: Vec::new(),
        };
        let Some(pos) = entries.iter().position(|(_, e)| {
            matches!(&e.event, LogEvent::Sealed { plan_digest: d, .. } if d == plan_digest)
        }) else {
            return out;
        };
        let (index, sealed) = entries[pos];
        out.sealed = Some((index, sealed.at.clone()));
        let LogEvent::Sealed { task, sources, .. } = &sealed.event else {
            return out;
        };
        // RFC 3339 UTC to the second, as entries write it: text order is time order.
        out.sources = sources
            .iter()
            .map(|s| {
                (
                    s.text.clone(),
                    s.not_before.clone(),
                    sealed.at < s.not_before,
                )
            })
            .collect();
        for &(i, e) in &entries[pos + 1..] {
            if e.county != sealed.county {
                continue;
            }
            match &e.event {
                LogEvent::Sealed { task: t, .. } if t == task => out.resealed.push(i),
                LogEvent::Drawn {
                    plan_digest: d,
                    record_digest: r,
                    ..
                } if d == plan_digest && out.drawn.is_none() => {
                    out.drawn = Some((r.clone(), r == record_digest));
                }
                _ => {}
            }
        }
        // Cancellations before this sealing: a plan redone, perhaps after its outcome
        // was seen.
        let mut drawn: Vec<i64> = Vec::new();
        for (_, e) in entries[..pos]
            .iter()
            .filter(|(_, e)| e.county == sealed.county)
        {
            match &e.event {
                LogEvent::Drawn { task: t, .. } => drawn.push(*t),
                LogEvent::Cancelled {
                    task: t, reason, ..
                } if t != task => out.cancelled.push(Cancelled {
                    task: *t,
                    at: e.at.clone(),
                    reason: reason.clone(),
                    after_draw: drawn.contains(t),
                }),
                _ => {}
            }
        }
        out
    }
}

/// Tiles a client has fetched, for the proofs below. A proof that needs a tile not
/// here fails with [`Proof::Need`], naming the tiles to fetch; the caller fetches them
/// (from a URL or a directory), adds them and asks again. Every tile is checked
/// against the checkpoint's root hash before a proof uses it (`TileHashReader`).
#[derive(Debug, Default)]
pub struct Tiles {
    have: std::cell::RefCell<std::collections::BTreeMap<String, Vec<u8>>>,
    missing: std::cell::RefCell<Vec<tlog_tiles::Tile>>,
}

/// Why a proof did not hold, or what it still needs.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Proof {
    #[error("需要更多日志分片")]
    Need(Vec<String>),
    #[error("日志分片与检查点不符：{0}")]
    BadTiles(String),
    #[error("证明不成立：{0}")]
    Failed(String),
}

impl Tiles {
    /// The C2SP path (`tile/L/N[.p/W]`, no height) of a hash tile.
    pub fn path(t: &tlog_tiles::Tile) -> String {
        // tlog_tiles writes Go's sumdb paths (`tile/H/L/…`); tlog-tiles has no height.
        let go = t.path();
        let rest = go.splitn(3, '/').nth(2).unwrap_or_default();
        format!("tile/{rest}")
    }

    /// The tile a C2SP hash-tile path names (`tile/L/N[.p/W]`).
    pub fn parse_path(path: &str) -> Option<tlog_tiles::Tile> {
        let rest = path.strip_prefix("tile/")?;
        let (level, rest) = rest.split_once('/')?;
        if level == "entries" {
            return None;
        }
        let level: u8 = canonical_number(level)?.try_into().ok()?;
        let (n, w) = parse_index(rest)?;
        // tlog_tiles asserts these; a path from the network must not reach it unchecked.
        let t = (level < 64).then(|| tlog_tiles::Tile::new(TILE_HEIGHT, level, n, w, false))?;
        // One name per tile (no `x000/` in front, say): caches and mirrors agree.
        (Tiles::path(&t) == path).then_some(t)
    }

    /// The entry bundle a C2SP path names (`tile/entries/N[.p/W]`).
    pub fn parse_entries_path(path: &str) -> Option<tlog_tiles::Tile> {
        let rest = path.strip_prefix("tile/entries/")?;
        let (n, w) = parse_index(rest)?;
        let t = tlog_tiles::Tile::new(TILE_HEIGHT, 0, n, w, false);
        let canonical = Tiles::path(&t).replacen("tile/0/", "tile/entries/", 1) == path;
        canonical.then(|| tlog_tiles::Tile::new(TILE_HEIGHT, 0, n, w, true))
    }

    /// Adds a fetched tile; one of the wrong length is refused (the proof code
    /// trusts lengths).
    pub fn add(&self, path: &str, data: Vec<u8>) -> Result<(), Proof> {
        let t = Tiles::parse_path(path).ok_or_else(|| Proof::BadTiles(path.to_string()))?;
        if data.len() != t.width() as usize * tlog_tiles::HASH_SIZE {
            return Err(Proof::BadTiles(format!("{path}: {} 字节", data.len())));
        }
        self.have.borrow_mut().insert(path.to_string(), data);
        Ok(())
    }

    fn run<T>(
        &self,
        size: u64,
        root: Hash,
        f: impl FnOnce(&tlog_tiles::TileHashReader<'_>) -> Result<T, tlog_tiles::Error>,
    ) -> Result<T, Proof> {
        self.missing.borrow_mut().clear();
        let reader = tlog_tiles::TileHashReader::new(size, root, self);
        let out = f(&reader);
        let missing = std::mem::take(&mut *self.missing.borrow_mut());
        if !missing.is_empty() {
            return Err(Proof::Need(missing.iter().map(Tiles::path).collect()));
        }
        out.map_err(|e| match e {
            tlog_tiles::Error::InconsistentTile | tlog_tiles::Error::InvalidTile => {
                Proof::BadTiles(e.to_string())
            }
            e => Proof::Failed(e.to_string()),
        })
    }

    /// That `entry` is the log's entry `index` in the tree of `checkpoint`.
    pub fn inclusion(
        &self,
        checkpoint: &Checkpoint,
        index: u64,
        entry: &[u8],
    ) -> Result<(), Proof> {
        let (size, root) = (checkpoint.size(), *checkpoint.hash());
        if index >= size {
            return Err(Proof::Failed(format!(
                "第 {index} 条不在大小为 {size} 的日志中"
            )));
        }
        let proof = self.run(size, root, |r| tlog_tiles::prove_record(size, index, r))?;
        tlog_tiles::check_record(&proof, size, root, index, tlog_tiles::record_hash(entry))
            .map_err(|e| Proof::Failed(e.to_string()))
    }

    /// The audit path of entry `index` in the tree of `checkpoint`, for a proof
    /// bundle ([`crate::log_proof`]).
    pub fn inclusion_proof(&self, checkpoint: &Checkpoint, index: u64) -> Result<Vec<Hash>, Proof> {
        let (size, root) = (checkpoint.size(), *checkpoint.hash());
        if index >= size {
            return Err(Proof::Failed(format!(
                "第 {index} 条不在大小为 {size} 的日志中"
            )));
        }
        self.run(size, root, |r| tlog_tiles::prove_record(size, index, r))
    }

    /// That the tree of `old` is a prefix of the tree of `new` (the log only grew).
    pub fn consistency(&self, old: &Checkpoint, new: &Checkpoint) -> Result<(), Proof> {
        let (n, t) = (old.size(), new.size());
        if n > t {
            return Err(Proof::Failed(format!(
                "旧检查点（{n} 条）比新检查点（{t} 条）大"
            )));
        }
        if n == t {
            return if old.hash() == new.hash() {
                Ok(())
            } else {
                Err(Proof::Failed(format!(
                    "同为 {n} 条的两个检查点根哈希不同：日志已分叉"
                )))
            };
        }
        if n == 0 {
            return Ok(());
        }
        let root = *new.hash();
        let proof = self.run(t, root, |r| tlog_tiles::prove_tree(t, n, r))?;
        tlog_tiles::check_tree(&proof, t, root, n, *old.hash())
            .map_err(|e| Proof::Failed(format!("新旧检查点不一致：{e}")))
    }
}

/// A decimal number written without leading zeros (C2SP paths are canonical).
fn canonical_number(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 20 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.len() > 1 && s.starts_with('0') {
        return None;
    }
    s.parse().ok()
}

/// `N[.p/W]` of a tile path: N in three-digit elements, all but the last after an
/// `x`; W from 1 to 255 for a partial tile, else the full width.
fn parse_index(s: &str) -> Option<(u64, u32)> {
    let (n_part, width) = match s.split_once(".p/") {
        Some((n, w)) => {
            let w = canonical_number(w)?;
            if !(1..TILE_WIDTH).contains(&w) {
                return None;
            }
            (n, w as u32)
        }
        None => (s, TILE_WIDTH as u32),
    };
    let parts: Vec<&str> = n_part.split('/').collect();
    if parts.len() > 7 {
        return None;
    }
    let mut n: u64 = 0;
    for (i, p) in parts.iter().enumerate() {
        let digits = if i + 1 < parts.len() {
            p.strip_prefix('x')?
        } else {
            p
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        n = n.checked_mul(1000)?.checked_add(digits.parse().ok()?)?;
    }
    Some((n, width))
}

impl tlog_tiles::TileReader for Tiles {
    fn height(&self) -> u8 {
        TILE_HEIGHT
    }

    fn read_tiles(&self, tiles: &[tlog_tiles::Tile]) -> Result<Vec<Vec<u8>>, tlog_tiles::Error> {
        let have = self.have.borrow();
        let mut out = Vec::with_capacity(tiles.len());
        for t in tiles {
            match have.get(&Tiles::path(t)) {
                Some(d) => out.push(d.clone()),
                None => self.missing.borrow_mut().push(*t),
            }
        }
        if self.missing.borrow().is_empty() {
            Ok(out)
        } else {
            Err(tlog_tiles::Error::IndexesNotInTree)
        }
    }

    fn save_tiles(&self, _: &[tlog_tiles::Tile], _: &[Vec<u8>]) {}
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
