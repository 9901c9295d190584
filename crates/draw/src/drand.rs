//! drand quicknet sources: `drand quicknet round R`, revealed as the round's BLS
//! signature in hex.
//!
//! Quicknet uses the `bls-unchained-g1-rfc9380` scheme (signatures on G1, public
//! key on G2, RFC 9380 hash-to-curve with the G1 domain), which drand-verify calls
//! `G2PubkeyRfc`. Checking the signature turns "the operator typed some hex" into
//! "the League of Entropy signed this round", and the round's fixed emission time
//! lets a verifier see that the plan was committed before the randomness existed.

use drand_verify::{G2PubkeyRfc, Pubkey};
use sha2::{Digest, Sha256};

use crate::DrawError;
use crate::hex;

/// Quicknet's group public key (G2, compressed), from its `/info`.
pub const QUICKNET_PUBLIC_KEY_HEX: &str = "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a";

/// Quicknet genesis time, Unix seconds (round 1 is emitted then).
pub const QUICKNET_GENESIS: i64 = 1_692_803_367;

/// Seconds between quicknet rounds.
pub const QUICKNET_PERIOD: i64 = 3;

/// The round number of a source `drand quicknet round R`, or `None` if the source
/// is something else. Exact spelling only (single spaces, decimal without leading
/// zeros, R ≥ 1), so that one round has one source string.
pub fn parse_source(source: &str) -> Option<u64> {
    let digits = source.strip_prefix("drand quicknet round ")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.starts_with('0') {
        return None;
    }
    let round: u64 = digits.parse().ok()?;
    // Rounds beyond this would overflow the emission time; none will exist.
    (round <= (i64::MAX as u64) / 4).then_some(round)
}

/// Emission time of `round`, Unix seconds: `genesis + (round − 1) × 3`.
pub fn round_time(round: u64) -> i64 {
    QUICKNET_GENESIS + (round.saturating_sub(1) as i64).saturating_mul(QUICKNET_PERIOD)
}

/// Verifies a quicknet signature (lower-case hex, 48 bytes) for `round` and returns
/// the round's randomness, `sha256(signature)`.
pub fn verify_quicknet(round: u64, signature_hex: &str) -> Result<[u8; 32], DrawError> {
    let fail = |reason: String| DrawError::BeaconInvalid { round, reason };
    let sig = hex::decode(signature_hex)
        .ok_or_else(|| fail("the reveal is not lower-case hex".into()))?;
    if sig.len() != 48 {
        return Err(fail(format!(
            "a quicknet signature is 48 bytes (96 hex digits), the reveal has {} bytes",
            sig.len()
        )));
    }
    let pk_bytes: [u8; 96] = hex::decode(QUICKNET_PUBLIC_KEY_HEX)
        .and_then(|v| v.try_into().ok())
        .expect("valid constant");
    let pk = G2PubkeyRfc::from_fixed(pk_bytes).map_err(|e| fail(format!("public key: {e}")))?;
    match pk.verify(round, b"", &sig) {
        Ok(true) => Ok(Sha256::digest(&sig).into()),
        Ok(false) => Err(fail(
            "the signature does not verify for this round under the quicknet key".into(),
        )),
        Err(e) => Err(fail(format!("malformed signature: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG_657413: &str = "b713718a38ae728dfd477991af2822e08d2f305e47718cef9f7848ce4050e7be41076862b98fad56e91a6b85b89cd97b";

    #[test]
    fn sources_parse_exactly() {
        assert_eq!(
            parse_source("drand quicknet round 27946612"),
            Some(27_946_612)
        );
        for bad in [
            "drand quicknet round ",
            "drand quicknet round 0",
            "drand quicknet round 012",
            "drand quicknet round 1 ",
            "drand quicknet round -1",
            "drand  quicknet round 1",
            "drand mainnet round 5",
            "体彩排列5 第26321期开奖号码",
            "drand quicknet round 99999999999999999999",
        ] {
            assert_eq!(parse_source(bad), None, "{bad}");
        }
    }

    #[test]
    fn round_times() {
        assert_eq!(round_time(1), QUICKNET_GENESIS);
        assert_eq!(round_time(27_946_612), 1_776_643_200);
        assert_eq!(
            crate::time::format_rfc3339_utc(round_time(27_946_612)),
            "2026-04-20T00:00:00Z"
        );
    }

    #[test]
    fn known_round_verifies_and_wrong_round_fails() {
        let r = verify_quicknet(657_413, SIG_657413).unwrap();
        assert!(hex::encode(&r).starts_with("fc1873a13f3545ae"));
        assert_eq!(
            verify_quicknet(657_412, SIG_657413).unwrap_err().code(),
            "beacon-invalid"
        );
        assert_eq!(
            verify_quicknet(657_413, &SIG_657413.to_uppercase())
                .unwrap_err()
                .code(),
            "beacon-invalid"
        );
        assert_eq!(
            verify_quicknet(657_413, &SIG_657413[..94])
                .unwrap_err()
                .code(),
            "beacon-invalid"
        );
        // Not a curve point at all.
        assert_eq!(
            verify_quicknet(657_413, &"ab".repeat(48))
                .unwrap_err()
                .code(),
            "beacon-invalid"
        );
    }
}
