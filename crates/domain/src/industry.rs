//! Industry classification, GB/T 4754-2017: a section letter (门类) and a code of
//! 2–4 digits (大类/中类/小类).

use std::fmt;

/// A section letter and an optional division-or-finer code consistent with it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct Industry {
    pub section: char,
    pub code: Option<String>,
}

/// Section names of GB/T 4754-2017, used on pages and in templates.
pub const SECTIONS: [(char, &str); 20] = [
    ('A', "农、林、牧、渔业"),
    ('B', "采矿业"),
    ('C', "制造业"),
    ('D', "电力、热力、燃气及水生产和供应业"),
    ('E', "建筑业"),
    ('F', "批发和零售业"),
    ('G', "交通运输、仓储和邮政业"),
    ('H', "住宿和餐饮业"),
    ('I', "信息传输、软件和信息技术服务业"),
    ('J', "金融业"),
    ('K', "房地产业"),
    ('L', "租赁和商务服务业"),
    ('M', "科学研究和技术服务业"),
    ('N', "水利、环境和公共设施管理业"),
    ('O', "居民服务、修理和其他服务业"),
    ('P', "教育"),
    ('Q', "卫生和社会工作"),
    ('R', "文化、体育和娱乐业"),
    ('S', "公共管理、社会保障和社会组织"),
    ('T', "国际组织"),
];

/// The section a two-digit division belongs to (GB/T 4754-2017 table).
pub fn section_of_division(division: u32) -> Option<char> {
    Some(match division {
        1..=5 => 'A',
        6..=12 => 'B',
        13..=43 => 'C',
        44..=46 => 'D',
        47..=50 => 'E',
        51..=52 => 'F',
        53..=60 => 'G',
        61..=62 => 'H',
        63..=65 => 'I',
        66..=69 => 'J',
        70 => 'K',
        71..=72 => 'L',
        73..=75 => 'M',
        76..=79 => 'N',
        80..=82 => 'O',
        83 => 'P',
        84..=85 => 'Q',
        86..=90 => 'R',
        91..=96 => 'S',
        97 => 'T',
        _ => return None,
    })
}

/// A section letter as a reader wants it: `F 批发和零售业`; anything else as given.
pub fn section_with_name(code: &str) -> String {
    let mut chars = code.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => section_name(c).map_or_else(|| code.to_string(), |n| format!("{c} {n}")),
        _ => code.to_string(),
    }
}

pub fn section_name(section: char) -> Option<&'static str> {
    SECTIONS
        .iter()
        .find(|(c, _)| *c == section)
        .map(|(_, n)| *n)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndustryError {
    #[error("行业应写作门类字母加代码，如「F5211」「F」或「5211」")]
    Shape,
    #[error("门类「{0}」不在 GB/T 4754 的 A–T 之中")]
    Section(char),
    #[error("行业代码「{0}」的大类不存在")]
    Division(String),
    #[error("行业代码「{code}」属于门类 {expected}，不属于门类 {found}")]
    Mismatch {
        code: String,
        expected: char,
        found: char,
    },
}

impl Industry {
    /// The section's name (农、林、牧、渔业 for `A0141`), for a reader who does not
    /// know the codes.
    pub fn section_label(&self) -> &'static str {
        section_name(self.section).unwrap_or("")
    }

    /// Accepts `F5211`, `F 5211`, `F`, `5211`, and a trailing section name
    /// (`F5211 百货零售`), the shapes seen in registration exports.
    pub fn parse(raw: &str) -> Result<Self, IndustryError> {
        let s: String = raw
            .trim()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == ' ')
            .filter(|c| *c != ' ')
            .collect();
        if s.is_empty() {
            return Err(IndustryError::Shape);
        }
        let (letter, digits) = match s.chars().next() {
            Some(c) if c.is_ascii_alphabetic() => (Some(c.to_ascii_uppercase()), &s[1..]),
            _ => (None, &s[..]),
        };
        if !digits.chars().all(|c| c.is_ascii_digit()) || digits.len() == 1 || digits.len() > 4 {
            return Err(IndustryError::Shape);
        }
        if let Some(l) = letter
            && section_name(l).is_none()
        {
            return Err(IndustryError::Section(l));
        }
        if digits.is_empty() {
            return Ok(Industry {
                section: letter.ok_or(IndustryError::Shape)?,
                code: None,
            });
        }
        let division: u32 = digits[..2].parse().map_err(|_| IndustryError::Shape)?;
        let expected =
            section_of_division(division).ok_or_else(|| IndustryError::Division(digits.into()))?;
        if let Some(l) = letter
            && l != expected
        {
            return Err(IndustryError::Mismatch {
                code: digits.into(),
                expected,
                found: l,
            });
        }
        Ok(Industry {
            section: expected,
            code: Some(digits.to_string()),
        })
    }

    /// Rebuilds from stored columns without re-validating (they were validated on entry).
    pub fn from_stored(section: &str, code: Option<String>) -> Option<Self> {
        let section = section.chars().next()?;
        Some(Industry { section, code })
    }
}

impl fmt::Display for Industry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.section, self.code.as_deref().unwrap_or(""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_read_with_their_names() {
        assert_eq!(section_with_name("F"), "F 批发和零售业");
        assert_eq!(section_with_name("Z"), "Z");
        assert_eq!(section_with_name("F5211"), "F5211");
        assert_eq!(section_with_name(""), "");
        let i = Industry::parse("A0141").unwrap();
        assert_eq!(i.to_string(), "A0141");
        assert!(!i.section_label().is_empty());
    }

    #[test]
    fn parses_common_shapes() {
        let f = Industry {
            section: 'F',
            code: Some("5211".into()),
        };
        assert_eq!(Industry::parse("F5211").unwrap(), f);
        assert_eq!(Industry::parse("f 5211").unwrap(), f);
        assert_eq!(Industry::parse("5211").unwrap(), f);
        assert_eq!(Industry::parse("F5211 百货零售").unwrap(), f);
        assert_eq!(
            Industry::parse("H").unwrap(),
            Industry {
                section: 'H',
                code: None
            }
        );
    }

    #[test]
    fn rejects_inconsistent() {
        assert!(matches!(
            Industry::parse("A5211"),
            Err(IndustryError::Mismatch { .. })
        ));
        assert!(matches!(
            Industry::parse("Z"),
            Err(IndustryError::Section('Z'))
        ));
        assert!(matches!(
            Industry::parse("9911"),
            Err(IndustryError::Division(_))
        ));
        assert!(matches!(Industry::parse("批发"), Err(IndustryError::Shape)));
    }
}
