//! The log's signed head (a tlog-checkpoint signed note) and its entry bundles.

use super::*;

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
