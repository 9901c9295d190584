//! How much text, and which characters, a field may hold.
//!
//! Everything a clerk types or imports ends up on staff pages, in exports and,
//! for entities and results, on public pages. Without a limit one cell of
//! 100 MB is stored and served to every visitor; without a character check a
//! NUL truncates the value in some consumers, an escape sequence rewrites a
//! terminal showing a log, and a bidirectional override makes a name read
//! differently from what is stored. The limits are in characters (what the
//! clerk counts), generous for real data, and kept here only, so that
//! imports and web forms refuse the same things with the same words.

/// Whether a field may span several lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    Single,
    /// Line feeds (and CR LF, as Windows editors write them) are allowed.
    Multi,
}

/// The limit of one kind of field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRule {
    /// Maximum length in characters.
    pub max_chars: usize,
    pub lines: Lines,
}

impl TextRule {
    pub const fn single(max_chars: usize) -> Self {
        TextRule {
            max_chars,
            lines: Lines::Single,
        }
    }

    pub const fn multi(max_chars: usize) -> Self {
        TextRule {
            max_chars,
            lines: Lines::Multi,
        }
    }
}

/// Ids, codes and numbers: USCC (18), registration and certificate numbers,
/// inspector ids, item codes, phone numbers.
pub const CODE: TextRule = TextRule::single(64);
/// Short values read as a choice or a date: types, states, risk classes,
/// yes/no, townships, industry codes, dates.
pub const LABEL: TextRule = TextRule::single(64);
/// Names of entities, people, departments and items, the legal
/// representative, the enforcement authority.
pub const NAME: TextRule = TextRule::single(200);
/// Addresses.
pub const ADDRESS: TextRule = TextRule::single(500);
/// Lists of labels (licences and tags, specialties, methods, entity types);
/// one member per line is a way clerks write them.
pub const LIST: TextRule = TextRule::multi(1000);
/// Free text: legal basis, inspection content, descriptions.
pub const FREE_TEXT: TextRule = TextRule::multi(2000);

/// The rule of an import column, by its key in the column tables of
/// [`crate::rows`]. `None` for a key this table does not know; a unit test
/// keeps every column of every table covered.
pub fn import_rule(key: &str) -> Option<TextRule> {
    Some(match key {
        "uscc" | "reg_no" | "id" | "certificate_no" | "code" | "phone" | "item"
        | "national_code" => CODE,
        "domain" | "ratio_a" | "ratio_b" | "ratio_c" | "ratio_d" | "annual_cap"
        | "deadline_days" | "min_team_size" | "recuse" => LABEL,
        "entity_type"
        | "industry"
        | "township"
        | "registered_on"
        | "status"
        | "risk_class"
        | "abnormal"
        | "blacklisted"
        | "abnormal_since"
        | "blacklist_since"
        | "certificate_valid_until"
        | "specialty"
        | "method"
        | "fail_category"
        | "category"
        | "ratio"
        | "frequency"
        | "published" => LABEL,
        "name" | "legal_rep" | "department" | "authority" => NAME,
        "address" => ADDRESS,
        "tags" | "specialties" | "methods" | "entity_types" | "cooperating" => LIST,
        "legal_basis" | "content" | "pass_text" | "fail_text" => FREE_TEXT,
        "clause" => NAME,
        _ => return None,
    })
}

/// Why a value was refused. The message names no field: callers put it
/// after the field's name or cell position.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("内容过长：最多 {max} 个字，这里有 {len} 个字")]
    TooLong { max: usize, len: usize },
    #[error("含有不可见的控制字符（{code}），请删除后重新填写")]
    Control { code: String },
    #[error("不能换行，请写在一行内")]
    LineBreak,
}

/// `value` if it fits `rule`: at most `rule.max_chars` characters, no control
/// characters (C0, DEL, C1) and no bidirectional overrides; line breaks only
/// in multi-line fields.
pub fn bounded_text(value: &str, rule: TextRule) -> Result<&str, TextError> {
    let mut len = 0;
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        len += 1;
        let line_break = c == '\n' || (c == '\r' && chars.peek() == Some(&'\n'));
        if line_break {
            if rule.lines == Lines::Single {
                return Err(TextError::LineBreak);
            }
        } else if is_forbidden(c) {
            return Err(TextError::Control {
                code: format!("U+{:04X}", u32::from(c)),
            });
        }
    }
    if len > rule.max_chars {
        return Err(TextError::TooLong {
            max: rule.max_chars,
            len,
        });
    }
    Ok(value)
}

/// Characters no field may contain: they are invisible on the page and
/// change how the text is shown or processed.
fn is_forbidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters() {
        let rule = TextRule::single(3);
        assert_eq!(bounded_text("共和镇", rule), Ok("共和镇"));
        assert_eq!(
            bounded_text("共和镇甲", rule),
            Err(TextError::TooLong { max: 3, len: 4 })
        );
        assert_eq!(bounded_text("", rule), Ok(""));
    }

    #[test]
    fn control_characters_are_refused_everywhere() {
        for rule in [NAME, FREE_TEXT] {
            for bad in [
                "a\0b",
                "a\tb",
                "a\u{1b}[2Jb",
                "a\rb",
                "a\u{7f}",
                "a\u{85}",
                "\u{202e}abc",
            ] {
                assert!(
                    matches!(bounded_text(bad, rule), Err(TextError::Control { .. })),
                    "{bad:?} under {rule:?}"
                );
            }
        }
    }

    #[test]
    fn line_breaks_only_where_allowed() {
        assert_eq!(bounded_text("a\nb", NAME), Err(TextError::LineBreak));
        assert_eq!(bounded_text("a\r\nb", NAME), Err(TextError::LineBreak));
        assert_eq!(bounded_text("a\nb", FREE_TEXT), Ok("a\nb"));
        assert_eq!(bounded_text("a\r\nb", FREE_TEXT), Ok("a\r\nb"));
    }

    #[test]
    fn every_import_column_has_a_rule() {
        use crate::rows::{ENTITY_COLUMNS, INSPECTOR_COLUMNS, ITEM_COLUMNS};
        for column in ENTITY_COLUMNS
            .iter()
            .chain(INSPECTOR_COLUMNS)
            .chain(ITEM_COLUMNS)
            .chain(crate::check_points::COLUMNS)
        {
            assert!(import_rule(column.key).is_some(), "{}", column.key);
        }
    }
}
