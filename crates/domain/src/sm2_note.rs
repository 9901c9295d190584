//! 国密 signatures on the log's checkpoints, for installations whose 密评
//! (commercial-cryptography assessment) requires SM2/SM3: an SM2 signature
//! (GB/T 32918.2, SM2DSA with SM3 as GB/T 32905, the default identifier
//! `1234567812345678` of GB/T 35276) of the same checkpoint text, as one more
//! signature line of the signed note.
//!
//! C2SP signed-note leaves signature type `0xff` to types it has not assigned, "followed
//! by a longer identifier": ours is `0xff ‖ "liancha-sm2-sm3"`, and the key ID is the
//! one the spec recommends over it, so standard tools ignore the line as an unknown
//! key and read the Ed25519 signature; a 国密 verifier checks this one. The tree
//! stays SHA-256 (tlog-tiles fixes it); the checkpoint also carries the SM3 root of
//! the same leaves (see [`Sm3Frontier`]), which this signature covers.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest as _, Sha256};
use sm2::dsa::signature::{Signer as _, Verifier as _};

use crate::transparency::LogError;

/// The signature type of our lines: `0xff`, then this identifier.
const TYPE_ID: &[u8] = b"liancha-sm2-sm3";
/// GB/T 35276's default signer identifier.
const DIST_ID: &str = "1234567812345678";

fn type_prefix() -> Vec<u8> {
    let mut v = vec![0xff];
    v.extend_from_slice(TYPE_ID);
    v
}

fn key_id(name: &str, public: &[u8]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update(type_prefix());
    h.update(public);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

fn bad(why: &str) -> LogError {
    LogError::Key(format!("国密密钥：{why}"))
}

/// An SM2 signing key with its note name.
pub struct Sm2Signer {
    name: String,
    key: sm2::dsa::SigningKey,
}

/// An SM2 verifier key with its note name.
#[derive(Debug, Clone)]
pub struct Sm2Verifier {
    name: String,
    key: sm2::dsa::VerifyingKey,
    id: [u8; 4],
}

impl Sm2Signer {
    /// A new key named `name`: (signer, verifier) in signed-note-like text
    /// (`PRIVATE+KEY+name+id+base64(type ‖ secret)`, `name+id+base64(type ‖ public)`).
    pub fn generate(
        rng: &mut impl rand_core::CryptoRngCore,
        name: &str,
    ) -> Result<(String, String), LogError> {
        if !signed_note::is_key_name_valid(name) {
            return Err(bad("名称不可用"));
        }
        loop {
            let mut secret = [0u8; 32];
            rng.fill_bytes(&mut secret);
            // A scalar of zero or beyond the order is refused: draw again.
            if let Ok(key) = sm2::dsa::SigningKey::from_slice(DIST_ID, &secret) {
                let public = key.verifying_key().to_sec1_bytes();
                let id = hex(&key_id(name, &public));
                let encode =
                    |bytes: &[u8]| BASE64.encode([type_prefix().as_slice(), bytes].concat());
                return Ok((
                    format!("PRIVATE+KEY+{name}+{id}+{}", encode(&secret)),
                    format!("{name}+{id}+{}", encode(&public)),
                ));
            }
        }
    }

    pub fn parse(text: &str) -> Result<Self, LogError> {
        let rest = text
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| bad("不是私钥"))?;
        let (name, bytes) = split_key(rest)?;
        let key = sm2::dsa::SigningKey::from_slice(DIST_ID, &bytes).map_err(|_| bad("私钥无效"))?;
        Ok(Sm2Signer { name, key })
    }

    /// The signature line of note text `text` (which ends in a newline).
    pub fn sign_line(&self, text: &str) -> String {
        let sig: sm2::dsa::Signature = self.key.sign(text.as_bytes());
        let public = self.key.verifying_key().to_sec1_bytes();
        let mut bytes = key_id(&self.name, &public).to_vec();
        bytes.extend_from_slice(&sig.to_bytes());
        format!("— {} {}\n", self.name, BASE64.encode(bytes))
    }
}

impl Sm2Verifier {
    pub fn parse(text: &str) -> Result<Self, LogError> {
        let (name, bytes) = split_key(text.trim())?;
        let key = sm2::dsa::VerifyingKey::from_sec1_bytes(DIST_ID, &bytes)
            .map_err(|_| bad("公钥无效"))?;
        let id = key_id(&name, &bytes);
        let given = text.trim().split('+').nth(1).unwrap_or_default();
        if given != hex(&id) {
            return Err(bad("密钥编号与公钥不符"));
        }
        Ok(Sm2Verifier { name, key, id })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the signed note `note` carries a valid SM2 signature of this key.
    /// A line of this key that does not verify is an error, as C2SP asks of a
    /// known key; no line of it at all is [`LogError::Signature`] too.
    pub fn verify(&self, note: &[u8]) -> Result<(), LogError> {
        let note = std::str::from_utf8(note).map_err(|_| LogError::Checkpoint)?;
        // The signatures follow the last blank line (signed-note).
        let (text, sigs) = note.rsplit_once("\n\n").ok_or(LogError::Checkpoint)?;
        let text = format!("{text}\n");
        let prefix = format!("— {} ", self.name);
        let mut found = false;
        for line in sigs.lines() {
            let Some(b64) = line.strip_prefix(&prefix) else {
                continue;
            };
            let Ok(bytes) = BASE64.decode(b64) else {
                continue;
            };
            if bytes.len() < 4 || bytes[..4] != self.id {
                continue;
            }
            // This key's line must verify (C2SP: a known key's signature is checked).
            if bytes.len() != 4 + 64 {
                return Err(LogError::Signature);
            }
            let sig =
                sm2::dsa::Signature::from_slice(&bytes[4..]).map_err(|_| LogError::Signature)?;
            self.key
                .verify(text.as_bytes(), &sig)
                .map_err(|_| LogError::Signature)?;
            found = true;
        }
        if found {
            Ok(())
        } else {
            Err(LogError::Signature)
        }
    }
}

/// `name+id+base64(type ‖ bytes)`: the name and the bytes, the type checked.
fn split_key(text: &str) -> Result<(String, Vec<u8>), LogError> {
    let mut parts = text.splitn(3, '+');
    let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("格式应为 名称+编号+base64"));
    };
    if id.len() != 8 || !signed_note::is_key_name_valid(name) {
        return Err(bad("格式应为 名称+编号+base64"));
    }
    let raw = BASE64.decode(b64).map_err(|_| bad("不是有效的 base64"))?;
    let bytes = raw
        .strip_prefix(type_prefix().as_slice())
        .ok_or_else(|| bad("不是 SM2 密钥"))?;
    Ok((name.to_string(), bytes.to_vec()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The SM3 root of the log's leaves, kept beside the SHA-256 tree the same way (a
/// frontier: one root per complete subtree), with RFC 6962's structure and SM3 as
/// its hash: leaf `SM3(0x00 ‖ entry)`, node `SM3(0x01 ‖ left ‖ right)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sm3Frontier {
    size: u64,
    roots: Vec<[u8; 32]>,
}

fn sm3(parts: &[&[u8]]) -> [u8; 32] {
    use sm3::Digest as _;
    let mut h = sm3::Sm3::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

impl Sm3Frontier {
    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn append(&mut self, entry: &[u8]) {
        let n = self.size;
        let mut h = sm3(&[&[0], entry]);
        for _ in 0..n.trailing_ones() {
            let left = self.roots.pop().expect("one root per set bit");
            h = sm3(&[&[1], &left, &h]);
        }
        self.roots.push(h);
        self.size += 1;
    }

    /// The root of the tree of the leaves so far (RFC 6962's MTH with SM3).
    pub fn root(&self) -> [u8; 32] {
        let mut roots = self.roots.iter().rev();
        let Some(last) = roots.next() else {
            return sm3(&[]);
        };
        roots.fold(*last, |right, left| sm3(&[&[1], left, &right]))
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.roots.concat()
    }

    pub fn from_bytes(size: u64, bytes: &[u8]) -> Result<Self, LogError> {
        if !bytes.len().is_multiple_of(32) || bytes.len() / 32 != size.count_ones() as usize {
            return Err(LogError::Corrupt("SM3 frontier".into()));
        }
        Ok(Sm3Frontier {
            size,
            roots: bytes
                .chunks(32)
                .map(|c| c.try_into().expect("chunks of 32"))
                .collect(),
        })
    }
}

/// The checkpoint extension line that carries the SM3 root.
pub fn sm3_root_line(root: &[u8; 32]) -> String {
    format!("sm3 {}\n", BASE64.encode(root))
}

/// The SM3 root a checkpoint's extension lines (`Checkpoint::extension`) state, if
/// they state one.
pub fn sm3_root_of(extension: &str) -> Option<[u8; 32]> {
    extension
        .lines()
        .find_map(|l| l.strip_prefix("sm3 "))
        .and_then(|b| BASE64.decode(b).ok())
        .and_then(|v| v.try_into().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_signed_with_sm2_verifies_and_a_change_does_not() {
        let mut rng = rand_core::OsRng;
        let (signer, verifier) = Sm2Signer::generate(&mut rng, "liancha.local/log").unwrap();
        let signer = Sm2Signer::parse(&signer).unwrap();
        let verifier = Sm2Verifier::parse(&verifier).unwrap();
        let (ed, ed_key) =
            crate::transparency::generate_key(&mut rng, "liancha.local/log").unwrap();
        let signed = crate::transparency::sign_checkpoint(
            &ed,
            "liancha.local/log",
            3,
            tlog_tiles::Hash([7; 32]),
        )
        .unwrap();
        let text = signed.split_once("\n\n").unwrap().0.to_string() + "\n";
        let note = format!("{signed}{}", signer.sign_line(&text));
        verifier.verify(note.as_bytes()).unwrap();
        // A standard signed-note reader ignores the line (an unknown key).
        crate::transparency::verify_checkpoint(&ed_key, note.as_bytes()).unwrap();
        // Another text under the same line, another key, no line at all: refused.
        let changed = note.replacen("\n3\n", "\n4\n", 1);
        assert_eq!(
            verifier.verify(changed.as_bytes()),
            Err(LogError::Signature)
        );
        let (_, other) = Sm2Signer::generate(&mut rng, "liancha.local/log").unwrap();
        let other = Sm2Verifier::parse(&other).unwrap();
        assert_eq!(other.verify(note.as_bytes()), Err(LogError::Signature));
        assert_eq!(verifier.verify(signed.as_bytes()), Err(LogError::Signature));
    }

    #[test]
    fn keys_are_checked() {
        let mut rng = rand_core::OsRng;
        let (signer, verifier) = Sm2Signer::generate(&mut rng, "a.example/log").unwrap();
        assert!(Sm2Verifier::parse(&signer).is_err());
        assert!(Sm2Signer::parse(&verifier).is_err());
        let wrong_id = {
            let mut p: Vec<&str> = verifier.splitn(3, '+').collect();
            p[1] = "00000000";
            p.join("+")
        };
        assert!(Sm2Verifier::parse(&wrong_id).is_err());
        assert!(Sm2Verifier::parse("a+b").is_err());
        assert!(Sm2Verifier::parse("a.example/log+00000000+AAAA").is_err());
        assert!(Sm2Signer::generate(&mut rng, "bad name").is_err());
    }

    /// The SM3 tree has RFC 6962's shape: its frontier's root is the recursive
    /// MTH at every size, and its test vector is SM3's (GB/T 32905 "abc").
    #[test]
    fn the_sm3_root_is_rfc6962_with_sm3() {
        assert_eq!(
            hex(&sm3(&[b"abc"])),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        fn mth(leaves: &[Vec<u8>]) -> [u8; 32] {
            match leaves.len() {
                0 => sm3(&[]),
                1 => sm3(&[&[0], &leaves[0]]),
                n => {
                    // The largest power of two below n.
                    let k = 1 << (usize::BITS - 1 - (n - 1).leading_zeros());
                    sm3(&[&[1], &mth(&leaves[..k]), &mth(&leaves[k..])])
                }
            }
        }
        let leaves: Vec<Vec<u8>> = (0..40u8).map(|i| vec![i; i as usize]).collect();
        let mut f = Sm3Frontier::default();
        assert_eq!(f.root(), mth(&[]));
        for n in 1..=leaves.len() {
            f.append(&leaves[n - 1]);
            assert_eq!(f.root(), mth(&leaves[..n]), "size {n}");
            let back = Sm3Frontier::from_bytes(f.size(), &f.to_bytes()).unwrap();
            assert_eq!(back, f);
        }
        assert_eq!(sm3_root_of(&sm3_root_line(&f.root())), Some(f.root()));
        assert_eq!(sm3_root_of(""), None);
    }
}
