//! Lower-case hex, the only hex the record uses (spec §2). A dozen lines do not
//! justify a dependency.

/// Lower-case hex of `bytes`.
pub fn encode(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    s
}

/// Decodes lower-case hex; `None` on odd length, upper case or any other character,
/// because a record's hex has exactly one spelling.
pub fn decode(s: &str) -> Option<Vec<u8>> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    b.chunks_exact(2)
        .map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?))
        .collect()
}

/// Decodes exactly 32 bytes of lower-case hex.
pub fn decode32(s: &str) -> Option<[u8; 32]> {
    decode(s)?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_strictness() {
        assert_eq!(encode(&[0, 0xab, 0xff]), "00abff");
        assert_eq!(decode("00abff"), Some(vec![0, 0xab, 0xff]));
        assert_eq!(decode("00ABff"), None);
        assert_eq!(decode("0"), None);
        assert_eq!(decode("zz"), None);
        assert!(decode32(&"11".repeat(32)).is_some());
        assert!(decode32(&"11".repeat(31)).is_none());
    }
}
