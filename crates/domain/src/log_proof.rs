//! A proof bundle: some entries of the transparency log with their RFC 6962
//! inclusion proofs and the signed checkpoint they are proven against, in one file.
//! It lets someone check a task's entries offline, or where the log's tiles cannot
//! be fetched, the way a Certificate Transparency client checks an SCT with an
//! inclusion proof instead of the whole log.
//!
//! What a bundle cannot prove is absence: it holds what its maker chose, so "no
//! other sealing of this task" needs the whole log (`liancha verify --log`).

use serde::{Deserialize, Serialize};

use crate::transparency::{Checkpoint, Hash, LogEntry, LogError, verify_checkpoint};

/// A proof bundle's audit path, as it is written (base64 hashes).
pub fn encode_proof(proof: &[Hash]) -> Vec<String> {
    proof.iter().map(Hash::to_string).collect()
}

/// The `format` of a bundle this version writes and reads.
pub const FORMAT: &str = "liancha-log-proof/1";
/// A tree of 2^64 entries has proofs of at most 64 hashes.
const MAX_PROOF: usize = 64;
/// Entries a bundle may hold: a task's own and its county's cancellations.
pub const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofBundle {
    pub format: String,
    /// The signed checkpoint note (tlog-checkpoint) the proofs lead to.
    pub checkpoint: String,
    /// In index order.
    pub entries: Vec<ProvenEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvenEntry {
    pub index: u64,
    /// The entry's bytes (JSON text) exactly as the log holds them.
    pub entry: String,
    /// The audit path from the entry's leaf to the checkpoint's root, each hash in
    /// base64.
    pub proof: Vec<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BundleError {
    #[error("证明包格式不是 {FORMAT}")]
    Format,
    #[error("证明包的条目过多（{0} 条）")]
    TooMany(usize),
    #[error("证明包的条目须按序号排列且不重复（第 {0} 条）")]
    Order(u64),
    #[error(transparent)]
    Log(#[from] LogError),
    #[error("第 {index} 条不在检查点的日志中：{why}")]
    NotIncluded { index: u64, why: String },
}

impl ProofBundle {
    /// Reads a bundle from its file.
    pub fn parse(bytes: &[u8]) -> Result<ProofBundle, BundleError> {
        let b: ProofBundle =
            serde_json::from_slice(bytes).map_err(|e| LogError::Entry(e.to_string()))?;
        if b.format != FORMAT {
            return Err(BundleError::Format);
        }
        Ok(b)
    }

    /// Checks the checkpoint's signature against the log's `verifier` key and every
    /// entry's inclusion in its tree; the entries, each with its index.
    pub fn check(&self, verifier: &str) -> Result<(Checkpoint, Vec<(u64, LogEntry)>), BundleError> {
        if self.format != FORMAT {
            return Err(BundleError::Format);
        }
        if self.entries.len() > MAX_ENTRIES {
            return Err(BundleError::TooMany(self.entries.len()));
        }
        let cp = verify_checkpoint(verifier, self.checkpoint.as_bytes())?;
        let (size, root) = (cp.size(), *cp.hash());
        let mut out = Vec::with_capacity(self.entries.len());
        for e in &self.entries {
            if out.last().is_some_and(|(i, _)| *i >= e.index) {
                return Err(BundleError::Order(e.index));
            }
            let not_included = |why: String| BundleError::NotIncluded {
                index: e.index,
                why,
            };
            if e.index >= size {
                return Err(not_included(format!("检查点只有 {size} 条")));
            }
            if e.proof.len() > MAX_PROOF {
                return Err(not_included("证明过长".into()));
            }
            let proof = e
                .proof
                .iter()
                .map(|h| Hash::parse_hash(h))
                .collect::<Result<Vec<Hash>, _>>()
                .map_err(|_| not_included("证明中的哈希无效".into()))?;
            let leaf = tlog_tiles::record_hash(e.entry.as_bytes());
            tlog_tiles::check_record(&proof, size, root, e.index, leaf)
                .map_err(|x| not_included(x.to_string()))?;
            out.push((e.index, LogEntry::parse(e.entry.as_bytes())?));
        }
        Ok((cp, out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transparency::{Frontier, LogEvent, Proof, Tiles, generate_key, sign_checkpoint};

    fn entry(n: u64) -> Vec<u8> {
        LogEntry {
            county: "532323".into(),
            at: format!("2026-12-06T00:00:{:02}Z", n % 60),
            audit: None,
            event: LogEvent::Published {
                task: n as i64,
                plan_digest: format!("p{n}"),
            },
        }
        .to_bytes()
        .unwrap()
    }

    /// A log of `n` entries, its verifier key and a bundle of entries `pick`,
    /// proofs made from the tiles as the server makes them.
    fn bundle(n: u64, pick: &[u64]) -> (String, ProofBundle) {
        let mut rng = rand_core::OsRng;
        let (signer, verifier) = generate_key(&mut rng, "test.example/log").unwrap();
        let mut tree = Frontier::default();
        let mut nodes = std::collections::BTreeMap::new();
        let entries: Vec<Vec<u8>> = (0..n).map(entry).collect();
        for e in &entries {
            nodes.extend(tree.append(e));
        }
        let note = sign_checkpoint(&signer, "test.example/log", n, tree.root()).unwrap();
        let cp = verify_checkpoint(&verifier, note.as_bytes()).unwrap();
        let tiles = Tiles::default();
        let mut proven = Vec::new();
        for &i in pick {
            let proof = loop {
                match tiles.inclusion_proof(&cp, i) {
                    Err(Proof::Need(paths)) => {
                        for p in paths {
                            let t = Tiles::parse_path(&p).unwrap();
                            let level = t.level() * 8;
                            let data: Vec<u8> = (0..u64::from(t.width()))
                                .flat_map(|k| nodes[&(level, t.level_index() * 256 + k)].0)
                                .collect();
                            tiles.add(&p, data).unwrap();
                        }
                    }
                    r => break r.unwrap(),
                }
            };
            proven.push(ProvenEntry {
                index: i,
                entry: String::from_utf8(entries[i as usize].clone()).unwrap(),
                proof: encode_proof(&proof),
            });
        }
        let b = ProofBundle {
            format: FORMAT.into(),
            checkpoint: note,
            entries: proven,
        };
        (verifier, b)
    }

    #[test]
    fn a_bundle_proves_its_entries() {
        for (n, pick) in [
            (1, vec![0]),
            (700, vec![0, 255, 256, 699]),
            (70_000, vec![3, 65_600]),
        ] {
            let (key, b) = bundle(n, &pick);
            let text = serde_json::to_vec(&b).unwrap();
            let (cp, entries) = ProofBundle::parse(&text).unwrap().check(&key).unwrap();
            assert_eq!(cp.size(), n);
            assert_eq!(entries.iter().map(|e| e.0).collect::<Vec<_>>(), pick);
        }
    }

    #[test]
    fn a_changed_bundle_is_refused() {
        let (key, b) = bundle(700, &[5, 300]);
        let (other_key, _) = bundle(1, &[0]);
        assert!(matches!(b.check(&other_key), Err(BundleError::Log(_))));

        let mut changed = b.clone();
        changed.entries[0].entry = changed.entries[0].entry.replace("p5", "p6");
        assert!(matches!(
            changed.check(&key),
            Err(BundleError::NotIncluded { index: 5, .. })
        ));
        let mut moved = b.clone();
        moved.entries[1].index = 301;
        assert!(matches!(
            moved.check(&key),
            Err(BundleError::NotIncluded { .. })
        ));
        let mut short = b.clone();
        short.entries[0].proof.pop();
        assert!(short.check(&key).is_err());
        let mut long = b.clone();
        long.entries[0].proof = vec![Hash([0; 32]).to_string(); 100_000];
        assert!(long.check(&key).is_err());
        let mut beyond = b.clone();
        beyond.entries[1].index = u64::MAX;
        assert!(beyond.check(&key).is_err());
        let mut twice = b.clone();
        twice.entries[1] = twice.entries[0].clone();
        assert_eq!(twice.check(&key).unwrap_err(), BundleError::Order(5));
        let mut other = b.clone();
        other.format = "x".into();
        assert_eq!(other.check(&key).unwrap_err(), BundleError::Format);
        assert!(ProofBundle::parse(b"{}").is_err());
    }
}
