//! Official numbers (发文字号) of plans, tasks and notices, and the national task
//! code. A number is the department's 机关代字, the year in 六角括号 and the
//! sequence without leading zeros, then 号 (GB/T 9704-2012 §7.2.3), e.g.
//! 牟市监抽〔2026〕3号. Sequences run per department, kind and year, gapless: a
//! number is taken in the transaction that publishes or seals the record and is
//! never given again, even when that record is later cancelled.

use chrono::NaiveDate;

crate::labelled_enum! {
    /// What a number is given to.
    pub enum NumberKind {
        Plan = ("plan", "年度抽查计划"),
        Task = ("task", "抽查任务"),
        Notice = ("notice", "检查通知书"),
    }
}

/// A department's 机关代字 for one kind of document: 1 to 12 Chinese characters
/// or ASCII letters, nothing else (the brackets, year and 号 are the format's).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct IssuerWord(String);

impl IssuerWord {
    pub const MAX_CHARS: usize = 12;

    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("请填写机关代字，如 牟市监抽".into());
        }
        if s.chars().count() > Self::MAX_CHARS {
            return Err(format!("机关代字至多 {} 个字", Self::MAX_CHARS));
        }
        if s.ends_with('号') {
            return Err("机关代字不含“号”字：系统按公文格式在序号后加上".into());
        }
        if let Some(c) = s.chars().find(|c| !is_word_char(*c)) {
            return Err(format!(
                "机关代字只能由汉字或字母组成（不能含「{c}」）；年份、括号和“号”由系统按公文格式加上"
            ));
        }
        Ok(IssuerWord(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `n`th number of `year`: 牟市监抽〔2026〕3号.
    pub fn number(&self, year: i32, n: u32) -> String {
        format!("{}〔{year}〕{n}号", self.0)
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphabetic()
        || matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{20000}'..='\u{2ebef}')
}

/// The national task code (抽查任务编码): the issuing agency's code, the day the
/// task was sealed (Beijing) and that agency's sequence of the day, three digits:
/// `11532323MB1234567X20261207001`.
pub fn national_task_code(agency: &str, day: NaiveDate, n: u32) -> String {
    format!("{agency}{}{n:03}", day.format("%Y%m%d"))
}

/// An agency code as the national code form takes it: the department's 统一社会信用
/// 代码 (18) or 组织机构代码 (9), upper-case letters and digits.
pub fn agency_code_ok(s: &str) -> bool {
    matches!(s.len(), 9 | 18)
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_in_the_official_form() {
        let w = IssuerWord::parse(" 牟市监抽 ").unwrap();
        assert_eq!(w.number(2026, 3), "牟市监抽〔2026〕3号");
        assert_eq!(w.number(2027, 12), "牟市监抽〔2027〕12号");
    }

    #[test]
    fn a_word_is_only_the_word() {
        for bad in [
            "",
            "  ",
            "牟市监抽〔",
            "牟市监2026",
            "牟市 监抽",
            "牟市监抽号号号号号号号号号",
        ] {
            assert!(IssuerWord::parse(bad).is_err(), "{bad}");
        }
        assert!(IssuerWord::parse("牟农抽").is_ok());
        assert!(
            IssuerWord::parse("牟市监检通号")
                .unwrap_err()
                .contains("号")
        );
        assert!(IssuerWord::parse("MDSJ").is_ok());
        assert!(
            IssuerWord::parse("牟市监抽〔2026〕")
                .unwrap_err()
                .contains("〔")
        );
    }

    #[test]
    fn the_national_code_joins_agency_day_and_sequence() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert_eq!(
            national_task_code("11532323MB1234567X", day, 7),
            "11532323MB1234567X20261207007"
        );
        assert!(agency_code_ok("11532323MB1234567X"));
        assert!(agency_code_ok("MB1234567"));
        assert!(!agency_code_ok("11532323mb1234567x"));
        assert!(!agency_code_ok("1153"));
    }
}
