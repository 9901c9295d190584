//! Witnesses of the transparency log (C2SP tlog-cosignature): another body (the
//! prefecture, a 公证处, a university) checks that each checkpoint it is shown is
//! consistent with the last one it saw and signs it, with the time it signed. A
//! checkpoint cosigned at time T existed at T, whatever the installation's clock
//! says; a log that showed two different trees to the same witness is caught.
//!
//! A cosignature is a signed-note signature with a key of algorithm 0x04: key ID
//! `SHA-256(name ‖ "\n" ‖ 0x04 ‖ public key)[..4]`, signature `time (8 bytes, big
//! endian) ‖ Ed25519(cosignature/v1\ntime <time>\n ‖ checkpoint)`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};
use signed_note::{Note, Signature, StandardVerifier, VerifierList};

use crate::transparency::{Checkpoint, LogError};

const ALG_COSIGNATURE_V1: u8 = 0x04;

fn key_id(name: &str, public: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ALG_COSIGNATURE_V1]);
    h.update(public);
    u32::from_be_bytes(h.finalize()[..4].try_into().expect("4 bytes"))
}

fn message(time: u64, checkpoint: &[u8]) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {time}\n").into_bytes();
    m.extend_from_slice(checkpoint);
    m
}

fn bad_key(why: &str) -> LogError {
    LogError::Key(why.to_string())
}

/// A witness's public key (`name+id+base64(0x04 ‖ key)`).
#[derive(Clone)]
pub struct WitnessKey {
    name: String,
    id: u32,
    key: VerifyingKey,
}

impl std::fmt::Debug for WitnessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.encode())
    }
}

impl WitnessKey {
    pub fn parse(text: &str) -> Result<Self, LogError> {
        let mut parts = text.trim().splitn(3, '+');
        let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad_key("证人公钥应为 名称+编号+密钥"));
        };
        if !signed_note::is_key_name_valid(name) || id.len() != 8 {
            return Err(bad_key("证人公钥的名称或编号不正确"));
        }
        let id = u32::from_str_radix(id, 16).map_err(|_| bad_key("证人公钥的编号不正确"))?;
        let raw = BASE64
            .decode(b64)
            .map_err(|_| bad_key("证人公钥不是有效的 base64"))?;
        let Some((&ALG_COSIGNATURE_V1, public)) = raw.split_first() else {
            return Err(bad_key("不是联署（cosignature/v1）公钥"));
        };
        let public: [u8; 32] = public
            .try_into()
            .map_err(|_| bad_key("证人公钥长度不正确"))?;
        let key = VerifyingKey::from_bytes(&public).map_err(|_| bad_key("证人公钥无效"))?;
        if key_id(name, &public) != id {
            return Err(bad_key("证人公钥的编号与密钥不符"));
        }
        Ok(WitnessKey {
            name: name.to_string(),
            id,
            key,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn encode(&self) -> String {
        let mut raw = vec![ALG_COSIGNATURE_V1];
        raw.extend_from_slice(self.key.as_bytes());
        format!("{}+{:08x}+{}", self.name, self.id, BASE64.encode(raw))
    }
}

impl signed_note::Verifier for WitnessKey {
    fn name(&self) -> &str {
        &self.name
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Some((time, sig)) = sig.split_first_chunk::<8>() else {
            return false;
        };
        let Ok(sig) = ed25519_dalek::Signature::from_slice(sig) else {
            return false;
        };
        self.key
            .verify_strict(&message(u64::from_be_bytes(*time), msg), &sig)
            .is_ok()
    }
}

/// A witness's signing key, as its own file keeps it
/// (`PRIVATE+KEY+name+id+base64(0x04 ‖ seed)`).
pub struct WitnessSigner {
    name: String,
    id: u32,
    key: SigningKey,
}

impl WitnessSigner {
    pub fn generate(rng: &mut impl rand_core::CryptoRngCore, name: &str) -> Result<Self, LogError> {
        if !signed_note::is_key_name_valid(name) {
            return Err(bad_key("证人名称不能含空格或加号"));
        }
        let key = SigningKey::generate(rng);
        Ok(WitnessSigner {
            name: name.to_string(),
            id: key_id(name, key.verifying_key().as_bytes()),
            key,
        })
    }

    pub fn parse(text: &str) -> Result<Self, LogError> {
        let rest = text
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| bad_key("不是证人私钥"))?;
        let mut parts = rest.splitn(3, '+');
        let (Some(name), Some(id), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad_key("证人私钥应为 PRIVATE+KEY+名称+编号+密钥"));
        };
        let raw = BASE64
            .decode(b64)
            .map_err(|_| bad_key("证人私钥不是有效的 base64"))?;
        let Some((&ALG_COSIGNATURE_V1, seed)) = raw.split_first() else {
            return Err(bad_key("不是联署（cosignature/v1）私钥"));
        };
        let seed: [u8; 32] = seed.try_into().map_err(|_| bad_key("证人私钥长度不正确"))?;
        let key = SigningKey::from_bytes(&seed);
        if !signed_note::is_key_name_valid(name)
            || format!("{:08x}", key_id(name, key.verifying_key().as_bytes())) != id
        {
            return Err(bad_key("证人私钥的名称或编号与密钥不符"));
        }
        Ok(WitnessSigner {
            name: name.to_string(),
            id: key_id(name, key.verifying_key().as_bytes()),
            key,
        })
    }

    pub fn encode(&self) -> String {
        let mut raw = vec![ALG_COSIGNATURE_V1];
        raw.extend_from_slice(&self.key.to_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id,
            BASE64.encode(raw)
        )
    }

    pub fn public(&self) -> WitnessKey {
        WitnessKey {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// The cosignature line (`— name base64…\n`) over a checkpoint's body, signed
    /// at `time` (Unix seconds).
    pub fn cosign(&self, checkpoint_body: &[u8], time: u64) -> String {
        let sig = self.key.sign(&message(time, checkpoint_body));
        let mut bytes = time.to_be_bytes().to_vec();
        bytes.extend_from_slice(&sig.to_bytes());
        let line = Signature::new(self.name.clone(), self.id, bytes)
            .expect("a valid name")
            .to_bytes();
        String::from_utf8(line).expect("ASCII and the em dash")
    }
}

/// A checkpoint note as a witness receives or the log serves it: the log's own
/// signature verified, and the cosignatures of `witnesses` found on it, each with
/// the time it was made. Signatures of keys not given are ignored.
pub fn cosignatures(
    log_key: &str,
    note: &[u8],
    witnesses: &[WitnessKey],
) -> Result<(Checkpoint, Vec<(String, u64)>), LogError> {
    let log = StandardVerifier::new(log_key.trim()).map_err(|e| LogError::Key(e.to_string()))?;
    let mut list: Vec<Box<dyn signed_note::Verifier>> = vec![Box::new(log)];
    list.extend(
        witnesses
            .iter()
            .cloned()
            .map(|w| Box::new(w) as Box<dyn signed_note::Verifier>),
    );
    let parsed = Note::from_bytes(note).map_err(|_| LogError::Checkpoint)?;
    let (verified, _) = parsed
        .verify(&VerifierList::new(list))
        .map_err(|_| LogError::Signature)?;
    let cp = crate::transparency::verify_checkpoint(log_key, note)?;
    let mut out = Vec::new();
    for sig in verified {
        if let Some(w) = witnesses
            .iter()
            .find(|w| w.name == sig.name() && w.id == sig.id())
            && let Some(time) = sig.signature().first_chunk::<8>()
        {
            out.push((w.name.clone(), u64::from_be_bytes(*time)));
        }
    }
    Ok((cp, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transparency::{Frontier, generate_key, sign_checkpoint};

    #[test]
    fn a_witness_cosigns_and_the_cosignature_verifies() {
        let mut rng = rand_core::OsRng;
        let (skey, vkey) = generate_key(&mut rng, "liancha.test/log").unwrap();
        let mut f = Frontier::default();
        f.append(b"a");
        let note = sign_checkpoint(&skey, "liancha.test/log", 1, f.root()).unwrap();
        let body = note.split("\n\n").next().unwrap().to_string() + "\n";

        let w = WitnessSigner::generate(&mut rng, "chuxiong-notary").unwrap();
        let again = WitnessSigner::parse(&w.encode()).unwrap();
        assert_eq!(again.public().encode(), w.public().encode());
        let public = WitnessKey::parse(&w.public().encode()).unwrap();
        let line = w.cosign(body.as_bytes(), 1_780_000_000);
        assert!(line.starts_with("— chuxiong-notary "), "{line}");
        let cosigned = format!("{note}{line}");
        let (cp, found) =
            cosignatures(&vkey, cosigned.as_bytes(), std::slice::from_ref(&public)).unwrap();
        assert_eq!(cp.size(), 1);
        assert_eq!(found, vec![("chuxiong-notary".to_string(), 1_780_000_000)]);
        // Unknown witnesses are ignored; a cosignature over another body is refused.
        let (_, none) = cosignatures(&vkey, cosigned.as_bytes(), &[]).unwrap();
        assert!(none.is_empty());
        let other = w.cosign(b"liancha.test/log\n2\nAAAA\n", 1_780_000_000);
        let forged = format!("{note}{other}");
        assert!(cosignatures(&vkey, forged.as_bytes(), &[public]).is_err());
        // Keys: the log's key is not a witness key, and malformed ones are refused.
        assert!(WitnessKey::parse(&vkey).is_err());
        assert!(WitnessKey::parse("a+b+c").is_err());
        assert!(WitnessSigner::parse(&skey).is_err());
        assert!(WitnessSigner::generate(&mut rng, "has space").is_err());
    }
}
