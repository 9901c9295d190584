//! Small string helpers shared by the reader and the writers.

/// Characters removed around every cell.
///
/// `char::is_whitespace` already covers the full-width space U+3000 that
/// Chinese input methods produce and the no-break space U+00A0 that comes
/// with text copied from web pages. The BOM and the zero-width space are not
/// whitespace to Unicode but are just as invisible to a clerk, and they break
/// exact matching of ids and headers, so they go too.
pub(crate) fn is_trim_char(c: char) -> bool {
    c.is_whitespace() || c == '\u{feff}' || c == '\u{200b}'
}

/// Trims a cell the way every value coming out of this crate is trimmed.
pub(crate) fn trim_cell(s: &str) -> &str {
    s.trim_matches(is_trim_char)
}

/// Excel's column name for a 0-based column index: 0 → `A`, 25 → `Z`,
/// 26 → `AA`.
///
/// Error messages name columns this way because that is what the clerk sees
/// above the grid; “第 3 列” would make them count.
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::with_capacity(3);
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

/// The key under which a header cell is compared with column aliases.
///
/// Clerks retype headers by hand, so the comparison forgives what they cannot
/// see or do not think of as a difference: any whitespace (also inside the
/// text), full-width Latin letters and brackets from a Chinese input method,
/// ASCII case, and the markers a template invites them to copy (`*`,
/// `(必填)`, `(选填)`).
pub(crate) fn header_key(header: &str) -> String {
    let mut key = String::with_capacity(header.len());
    for c in header.chars() {
        let c = fold_full_width(c);
        if is_trim_char(c) {
            continue;
        }
        key.push(c.to_ascii_lowercase());
    }
    let mut key = key.as_str();
    loop {
        let before = key.len();
        key = key.trim_matches('*');
        for marker in ["(必填)", "(选填)", "(可选)"] {
            key = key.strip_suffix(marker).unwrap_or(key);
        }
        if key.len() == before {
            break;
        }
    }
    key.to_owned()
}

/// Maps full-width ASCII variants (U+FF01..U+FF5E) and the ideographic space
/// to their ASCII counterparts.
fn fold_full_width(c: char) -> char {
    match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// Approximate width of a string in Excel column units, counting CJK and
/// full-width characters as two, so exported columns are neither cut off nor
/// absurdly wide.
pub(crate) fn display_width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) >= 0x2e80 { 2 } else { 1 })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(51), "AZ");
        assert_eq!(column_letter(52), "BA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
        assert_eq!(column_letter(16383), "XFD");
    }

    #[test]
    fn trims_invisible_characters() {
        assert_eq!(trim_cell("\u{3000} 张三\t\u{feff}"), "张三");
        assert_eq!(trim_cell("\u{a0}A B\u{200b}"), "A B");
        assert_eq!(trim_cell("\r"), "");
    }

    #[test]
    fn header_keys_forgive_typing_differences() {
        assert_eq!(
            header_key("统一社会 信用代码"),
            header_key("统一社会信用代码")
        );
        assert_eq!(header_key("ＵＳＣＣ"), "uscc");
        assert_eq!(header_key("*企业名称（必填）"), header_key("企业名称"));
        assert_eq!(header_key("企业名称*"), "企业名称");
        assert_ne!(header_key("企业名称"), header_key("企业名"));
    }
}
