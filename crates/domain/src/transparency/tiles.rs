//! The log as tiles (tlog-tiles): reading them, and proving inclusion and
//! consistency from them.

use super::*;

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
