//! Searching published results: by an entity's id (USCC) or by a substring of its
//! Chinese name.
//!
//! Neither engine's word tokenizer understands Chinese, and a trigram index over the
//! bare name cannot serve a two-character query such as 「农资」 (it has no trigram).
//! So a name is indexed as its sequence of character bigrams, `" b1 b2 … bk "`, and a
//! query of n ≥ 2 characters becomes its own bigram sequence. A name contains the
//! query exactly when its sequence contains the query's (each bigram is exactly two
//! characters, so the spaces cannot be misaligned). Both engines index the bigrams
//! as tokens (SQLite's FTS5, a GIN index over an array on PostgreSQL): a search
//! looks up the query's rarest bigrams, then confirms the whole sequence.

use crate::Uscc;

/// Fewer characters than this would match most of a county; the page asks for more.
pub const MIN_NAME_CHARS: usize = 2;
/// Longer than any entity name worth typing; keeps the index query small.
pub const MAX_NAME_CHARS: usize = 40;

/// Folds what a clerk or a citizen may type differently for the same name: full-width
/// letters and digits, ASCII case, and every space and punctuation mark (「（」 vs
/// 「(」), which are dropped.
pub fn normalize(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            // Full-width ASCII forms (Ａ, １, （ …) fold to their ASCII counterparts.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn bigrams(chars: &[char]) -> String {
    let mut out = String::with_capacity(chars.len() * 7 + 1);
    out.push(' ');
    for pair in chars.windows(2) {
        out.push(pair[0]);
        out.push(pair[1]);
        out.push(' ');
    }
    out
}

/// The indexed form of an entity's name.
pub fn name_grams(name: &str) -> String {
    let chars: Vec<char> = normalize(name).chars().collect();
    match chars.len() {
        0 => " ".into(),
        // Never found by a query (queries have two characters or more), but kept
        // distinct from an empty name.
        1 => format!(" {} ", chars[0]),
        _ => bigrams(&chars),
    }
}

/// What a visitor asked for, once understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResultQuery {
    /// An entity id: a valid USCC, or the stable id of an entity without one.
    EntityId(String),
    /// A substring of the name: `grams` is the bigram sequence to look for.
    Name { grams: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("请输入检查对象名称中的文字，或 18 位统一社会信用代码")]
    Empty,
    #[error("请至少输入 {MIN_NAME_CHARS} 个字（标点和空格不计）")]
    TooShort,
    #[error("输入过长，请不超过 {MAX_NAME_CHARS} 个字")]
    TooLong,
    #[error("「{0}」不是有效的统一社会信用代码：{1}")]
    BadUscc(String, String),
}

fn is_stable_id(s: &str) -> bool {
    s.len() == 18 && s.starts_with('X') && s[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

impl ResultQuery {
    pub fn parse(raw: &str) -> Result<Self, QueryError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(QueryError::Empty);
        }
        let compact: String = trimmed
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        // Eighteen letters and digits are an id, never a name: a citizen who
        // mistypes one check character should be told so, not shown nothing.
        if compact.len() == 18 && compact.bytes().all(|b| b.is_ascii_alphanumeric()) {
            if is_stable_id(&compact) {
                return Ok(ResultQuery::EntityId(compact));
            }
            return match Uscc::parse(&compact) {
                Ok(u) => Ok(ResultQuery::EntityId(u.to_string())),
                Err(e) => Err(QueryError::BadUscc(compact, e.to_string())),
            };
        }
        let chars: Vec<char> = normalize(trimmed).chars().collect();
        if chars.len() < MIN_NAME_CHARS {
            return Err(if chars.is_empty() {
                QueryError::Empty
            } else {
                QueryError::TooShort
            });
        }
        if chars.len() > MAX_NAME_CHARS {
            return Err(QueryError::TooLong);
        }
        Ok(ResultQuery::Name {
            grams: bigrams(&chars),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The property the index relies on: grams(name) contains grams(query) exactly
    /// when normalize(name) contains normalize(query).
    fn contains(name: &str, query: &str) -> bool {
        match ResultQuery::parse(query).unwrap() {
            ResultQuery::Name { grams } => name_grams(name).contains(&grams),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn substring_of_chinese_names() {
        let name = "牟定县共和镇兴旺农资经营部";
        assert_eq!(name_grams("牟定县"), " 牟定 定县 ");
        for q in ["牟定县", "农资", "共和镇兴旺", "经营部", "牟定"] {
            assert!(contains(name, q), "{q}");
        }
        for q in ["农药", "定共", "县镇", "兴旺百货"] {
            assert!(!contains(name, q), "{q}");
        }
    }

    #[test]
    fn punctuation_width_and_case_fold() {
        assert!(contains("牟定县鑫源（ABC）有限公司", "鑫源(abc)"));
        assert!(contains("牟定县Ａ１超市", "a1超市"));
        assert!(contains("牟定县 龙川 便利店", "龙川便利"));
    }

    #[test]
    fn matches_only_at_bigram_boundaries_that_exist() {
        // "ab" must not match across a removed gap in a way the plain text would not:
        // normalization removes the space, so "定县共" is in "牟定县 共和镇".
        assert!(contains("牟定县 共和镇", "县共"));
        // Overlapping repeats.
        assert!(contains("哈哈哈哈", "哈哈哈"));
        assert!(!contains("哈哈", "哈哈哈"));
    }

    #[test]
    fn ids_and_refusals() {
        let uscc = Uscc::complete("91532323MA6K3W8X1").unwrap().to_string();
        assert_eq!(
            ResultQuery::parse(&format!(" {} ", uscc.to_lowercase())),
            Ok(ResultQuery::EntityId(uscc.clone()))
        );
        let last = uscc.chars().last().unwrap();
        let wrong = format!("{}{}", &uscc[..17], if last == '0' { '1' } else { '0' });
        assert!(matches!(
            ResultQuery::parse(&wrong),
            Err(QueryError::BadUscc(..))
        ));
        assert!(matches!(
            ResultQuery::parse("X0123456789ABCDEF0"),
            Ok(ResultQuery::EntityId(_))
        ));
        assert_eq!(ResultQuery::parse("  "), Err(QueryError::Empty));
        assert_eq!(ResultQuery::parse("，。"), Err(QueryError::Empty));
        assert_eq!(ResultQuery::parse("店"), Err(QueryError::TooShort));
        assert_eq!(
            ResultQuery::parse(&"店".repeat(41)),
            Err(QueryError::TooLong)
        );
    }
}
