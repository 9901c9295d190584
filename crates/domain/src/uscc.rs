//! Unified social credit code (统一社会信用代码), GB 32100-2015.

use std::fmt;

/// The 31 characters GB 32100-2015 allows; I, O, Z, S and V are left out so that
/// handwritten codes are not misread.
pub const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights of positions 1..17: 3^i mod 31.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A USCC whose 18th character matches its GB 32100-2015 check. Construct with
/// [`Uscc::parse`]; holding one is proof it passed.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Uscc(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("长度应为 18 位，实为 {0} 位")]
    Length(usize),
    #[error("第 {position} 位字符「{ch}」不是统一社会信用代码允许的字符")]
    Character { position: usize, ch: char },
    #[error("校验码错误：第 18 位应为「{expected}」，实为「{found}」")]
    CheckCharacter { expected: char, found: char },
}

fn value_of(c: u8) -> Option<u32> {
    CHARSET.iter().position(|&x| x == c).map(|p| p as u32)
}

/// The check character for the first 17 characters (which must be from [`CHARSET`]).
pub fn check_character(first17: &[u8]) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (i, &c) in first17.iter().enumerate() {
        sum += value_of(c)? * WEIGHTS[i];
    }
    let check = (31 - sum % 31) % 31;
    Some(CHARSET[check as usize] as char)
}

impl Uscc {
    /// Parses a code as a clerk types it: surrounding spaces are ignored and lower-case
    /// letters accepted, since spreadsheets are full of both.
    pub fn parse(raw: &str) -> Result<Self, UsccError> {
        let s = raw.trim().to_ascii_uppercase();
        let n = s.chars().count();
        if n != 18 {
            return Err(UsccError::Length(n));
        }
        for (i, ch) in s.chars().enumerate() {
            if !ch.is_ascii() || value_of(ch as u8).is_none() {
                return Err(UsccError::Character {
                    position: i + 1,
                    ch,
                });
            }
        }
        let bytes = s.as_bytes();
        let expected = check_character(&bytes[..17]).expect("validated above");
        let found = bytes[17] as char;
        if expected != found {
            return Err(UsccError::CheckCharacter { expected, found });
        }
        Ok(Uscc(s))
    }

    /// Completes 17 characters with their check character.
    pub fn complete(first17: &str) -> Option<Self> {
        let c = check_character(first17.as_bytes())?;
        Some(Uscc(format!("{first17}{c}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Positions 3..8: the administrative division code of the registering authority.
    pub fn division(&self) -> &str {
        &self.0[2..8]
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uscc({})", self.0)
    }
}

/// GB 11714 organisation-code check character for the 8 body characters
/// (positions 9..16 of a USCC); the demo uses it so its codes are valid end to end.
pub fn org_code_check(body8: &[u8]) -> Option<char> {
    const W: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    if body8.len() != 8 {
        return None;
    }
    let mut sum = 0;
    for (i, &c) in body8.iter().enumerate() {
        let v = match c {
            b'0'..=b'9' => (c - b'0') as u32,
            b'A'..=b'Z' => (c - b'A') as u32 + 10,
            _ => return None,
        };
        sum += v * W[i];
    }
    Some(match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10).unwrap(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_real_codes() {
        // The example printed in GB 32100-2015.
        let c = "91350100M000100Y43";
        Uscc::parse(c).unwrap_or_else(|e| panic!("{c}: {e}"));
    }

    #[test]
    fn rejects_bad_check_character() {
        let err = Uscc::parse("91350100M000100Y44").unwrap_err();
        assert_eq!(
            err,
            UsccError::CheckCharacter {
                expected: '3',
                found: '4'
            }
        );
    }

    #[test]
    fn rejects_length_and_charset() {
        assert_eq!(Uscc::parse("9135").unwrap_err(), UsccError::Length(4));
        assert!(matches!(
            Uscc::parse("91350100I000100Y43").unwrap_err(),
            UsccError::Character {
                position: 9,
                ch: 'I'
            }
        ));
    }

    #[test]
    fn normalises_case_and_space() {
        assert_eq!(
            Uscc::parse(" 91350100m000100y43 ").unwrap().as_str(),
            "91350100M000100Y43"
        );
    }

    #[test]
    fn complete_round_trips() {
        let u = Uscc::complete("91532323MA6N0XXXX").unwrap();
        assert!(Uscc::parse(u.as_str()).is_ok());
        assert_eq!(u.division(), "532323");
    }

    #[test]
    fn org_code_check_matches_known() {
        // The organisation code inside GB 32100-2015's example, M000100Y-4.
        assert_eq!(org_code_check(b"M000100Y"), Some('4'));
    }
}
