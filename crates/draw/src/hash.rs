//! Digest, seed and tickets (spec §4).

use sha2::block_api::compress256;
use sha2::{Digest, Sha256};

use crate::json::{self, Value};
use crate::plan::Plan;

/// A 32-byte ticket; `Ord` on the array is the spec's big-endian unsigned order.
pub type Ticket = [u8; 32];

/// The draw's seed.
pub type Seed = [u8; 32];

/// The `p` of `ticket(p, s)`: keeps the four uses of the seed independent, so an
/// inspector id that happens to equal an entity id gets an unrelated ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Purpose {
    /// Entity selection, `s` = entity id.
    Entity,
    /// Largest-remainder tie break, `s` = stratum name.
    Stratum,
    /// Inspector order for team formation, `s` = inspector id.
    Inspector,
    /// Team tie break in matching, `s` = team number in decimal.
    Team,
}

impl Purpose {
    /// The ASCII purpose string hashed into the ticket.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Entity => "entity",
            Purpose::Stratum => "stratum",
            Purpose::Inspector => "inspector",
            Purpose::Team => "team",
        }
    }
}

/// `H(canonical(value))` — the digest of a plan exactly as published.
///
/// Use this, not [`plan_digest`], on a plan read from JSON: a published plan may
/// omit defaults (`"inspectors": []`), and the digest binds the bytes as given.
pub fn digest_value(value: &Value) -> [u8; 32] {
    let mut sink = HashSink::new();
    json::write_canonical(value, &mut sink);
    sink.finish()
}

/// `H(canonical(plan))` for a plan built in Rust: the digest of [`Plan::to_value`],
/// computed by streaming canonical bytes straight into the hash.
pub fn plan_digest(plan: &Plan) -> [u8; 32] {
    let mut sink = HashSink::new();
    plan.write_canonical(&mut sink);
    sink.finish()
}

/// Batches the canonical writer's many small pieces into 8 KiB hash updates.
struct HashSink {
    hasher: Sha256,
    buf: Vec<u8>,
}

impl HashSink {
    fn new() -> Self {
        HashSink {
            hasher: Sha256::new(),
            buf: Vec::with_capacity(8192),
        }
    }

    fn finish(mut self) -> [u8; 32] {
        self.hasher.update(&self.buf);
        self.hasher.finalize().into()
    }
}

impl json::Sink for HashSink {
    fn put(&mut self, bytes: &[u8]) {
        if self.buf.len() + bytes.len() > self.buf.capacity() {
            self.hasher.update(&self.buf);
            self.buf.clear();
        }
        if bytes.len() >= self.buf.capacity() {
            self.hasher.update(bytes);
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }
}

/// `seed = H("liancha-draw/1" ‖ 0x00 ‖ plan_digest ‖ u32be(len(r1)) ‖ r1 ‖ …)`.
///
/// Length prefixes make the reveal list unambiguous (`["ab","c"]` ≠ `["a","bc"]`).
///
/// # Panics
/// If a reveal is 4 GiB or longer; [`crate::check_reveal`] refuses those first.
pub fn seed<S: AsRef<str>>(plan_digest: &[u8; 32], reveal: &[S]) -> Seed {
    let mut h = Sha256::new();
    h.update(b"liancha-draw/1\0");
    h.update(plan_digest);
    for r in reveal {
        let r = r.as_ref().as_bytes();
        let len = u32::try_from(r.len()).expect("reveal shorter than 4 GiB");
        h.update(len.to_be_bytes());
        h.update(r);
    }
    h.finalize().into()
}

/// `ticket(p, s) = H(seed ‖ p ‖ 0x00 ‖ s)`.
pub fn ticket(seed: &Seed, purpose: Purpose, s: &str) -> Ticket {
    Ticketer::new(seed, purpose).ticket(s)
}

/// Computes many tickets of one purpose without allocating.
///
/// `seed ‖ p ‖ 0x00` is 39–42 bytes, so no whole block can be precomputed (the id
/// always shares the first block). Instead the message, padding included, is laid
/// out on the stack and fed to the raw compression function: ids up to 77 bytes
/// take at most two blocks, and skipping the streaming hasher's buffering measured
/// about 25 % faster than cloning a prefix-fed `Sha256` (which remains the path for
/// longer ids). Tests pin both paths to plain `SHA-256(seed ‖ p ‖ 0x00 ‖ s)`.
#[derive(Clone)]
pub struct Ticketer {
    prefix: [u8; 64],
    prefix_len: usize,
    hasher: Sha256,
}

/// SHA-256 initial hash value (FIPS 180-4 §5.3.3).
const SHA256_IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

impl Ticketer {
    /// A ticketer for `purpose` under `seed`.
    pub fn new(seed: &Seed, purpose: Purpose) -> Self {
        let p = purpose.as_str().as_bytes();
        let prefix_len = 32 + p.len() + 1;
        let mut prefix = [0u8; 64];
        prefix[..32].copy_from_slice(seed);
        prefix[32..32 + p.len()].copy_from_slice(p);
        let mut hasher = Sha256::new();
        hasher.update(&prefix[..prefix_len]);
        Ticketer {
            prefix,
            prefix_len,
            hasher,
        }
    }

    /// The ticket of `s`.
    #[inline]
    pub fn ticket(&self, s: &str) -> Ticket {
        let id = s.as_bytes();
        let total = self.prefix_len + id.len();
        // Message, 0x80, zeros, 64-bit length must fit in two blocks.
        if total + 9 > 128 {
            let mut h = self.hasher.clone();
            h.update(id);
            return h.finalize().into();
        }
        let n_blocks = if total + 9 <= 64 { 1 } else { 2 };
        let mut blocks = [[0u8; 64]; 2];
        let flat = blocks.as_flattened_mut();
        flat[..self.prefix_len].copy_from_slice(&self.prefix[..self.prefix_len]);
        flat[self.prefix_len..total].copy_from_slice(id);
        flat[total] = 0x80;
        let end = n_blocks * 64;
        flat[end - 8..end].copy_from_slice(&(total as u64 * 8).to_be_bytes());
        let mut state = SHA256_IV;
        compress256(&mut state, &blocks[..n_blocks]);
        let mut out = [0u8; 32];
        for (o, w) in out.chunks_exact_mut(4).zip(state) {
            o.copy_from_slice(&w.to_be_bytes());
        }
        out
    }
}

/// Tickets for `ids`, in input order, computed on up to `threads` threads.
///
/// Each thread fills its own contiguous slice of the output, so the result is
/// identical for every thread count; threads only change the wall time.
pub fn tickets_parallel<S: AsRef<str> + Sync>(
    seed: &Seed,
    purpose: Purpose,
    ids: &[S],
    threads: usize,
) -> Vec<Ticket> {
    let t = Ticketer::new(seed, purpose);
    let mut out = vec![[0u8; 32]; ids.len()];
    let threads = threads.clamp(1, ids.len().max(1));
    if threads == 1 {
        for (o, id) in out.iter_mut().zip(ids) {
            *o = t.ticket(id.as_ref());
        }
        return out;
    }
    let chunk = ids.len().div_ceil(threads);
    std::thread::scope(|scope| {
        for (outs, ins) in out.chunks_mut(chunk).zip(ids.chunks(chunk)) {
            let t = &t;
            scope.spawn(move || {
                for (o, id) in outs.iter_mut().zip(ins) {
                    *o = t.ticket(id.as_ref());
                }
            });
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex;

    #[test]
    fn ticket_matches_plain_sha256_of_concatenation() {
        let seed = [7u8; 32];
        let mut m = seed.to_vec();
        m.extend_from_slice(b"inspector\0");
        m.extend_from_slice("5323230012".as_bytes());
        let want: [u8; 32] = Sha256::digest(&m).into();
        assert_eq!(ticket(&seed, Purpose::Inspector, "5323230012"), want);
    }

    #[test]
    fn every_padding_case_matches_plain_sha256() {
        // Lengths around the one-block (55) and two-block (119) limits, for the
        // shortest and longest purposes, and multi-byte ids.
        for purpose in [
            Purpose::Team,
            Purpose::Inspector,
            Purpose::Entity,
            Purpose::Stratum,
        ] {
            let seed: [u8; 32] = std::array::from_fn(|i| i as u8 * 7);
            for len in 0..140 {
                let id: String = "x中".chars().cycle().take(len).collect();
                let mut m = seed.to_vec();
                m.extend_from_slice(purpose.as_str().as_bytes());
                m.push(0);
                m.extend_from_slice(id.as_bytes());
                let want: [u8; 32] = Sha256::digest(&m).into();
                assert_eq!(ticket(&seed, purpose, &id), want, "{purpose:?} len {len}");
            }
        }
    }

    #[test]
    fn seed_frames_reveals_with_lengths() {
        let d = [1u8; 32];
        assert_ne!(seed(&d, &["ab", "c"]), seed(&d, &["a", "bc"]));
        let mut m = b"liancha-draw/1\0".to_vec();
        m.extend_from_slice(&d);
        m.extend_from_slice(&[0, 0, 0, 3]);
        m.extend_from_slice("中".as_bytes());
        let want: [u8; 32] = Sha256::digest(&m).into();
        assert_eq!(seed(&d, &["中"]), want);
    }

    #[test]
    fn parallel_tickets_equal_serial() {
        let seed = [3u8; 32];
        let ids: Vec<String> = (0..1001).map(|i| format!("id{i}")).collect();
        let one = tickets_parallel(&seed, Purpose::Entity, &ids, 1);
        for n in [2, 3, 7, 5000] {
            assert_eq!(tickets_parallel(&seed, Purpose::Entity, &ids, n), one);
        }
        assert_eq!(
            hex::encode(&one[5]),
            hex::encode(&ticket(&seed, Purpose::Entity, "id5"))
        );
        assert!(tickets_parallel::<&str>(&seed, Purpose::Entity, &[], 4).is_empty());
    }
}
