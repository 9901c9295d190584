//! The clerk-facing columns of the three importable kinds, and the rules that turn a
//! row of text cells into a validated record. Import, export and templates all use
//! these tables, so a file exported can be edited and imported back unchanged.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::industry::{Industry, SECTIONS};
use crate::labels::{
    EntityStatus, EntityType, InspectionMethod, InspectorStatus, ItemCategory, RiskClass,
};
use crate::model::{Entity, Inspector, Item};
use crate::text;
use crate::uscc::Uscc;

mod cells;
mod columns;
mod parse;

pub use cells::*;
pub use columns::*;
pub use parse::*;

/// What a column holds, so writers can keep ids as text and dates as dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    Text,
    /// Identifiers: always text, never a number (Excel would turn an 18-digit USCC into 9.1E+17).
    Id,
    Date,
    Bool,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub key: &'static str,
    pub header: &'static str,
    /// Other headers clerks use for the same column.
    pub aliases: &'static [&'static str],
    pub required: bool,
    pub kind: CellKind,
    pub description: &'static str,
    pub example: &'static str,
    pub allowed: fn() -> Vec<&'static str>,
}

/// One error in one cell, by index into the kind's column table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub column: usize,
    pub reason: String,
}

/// Cells of one row, addressed by the kind's column index; an absent column reads "".
pub trait Cells {
    fn cell(&self, column: usize) -> &str;
}

impl<S: AsRef<str>> Cells for [S] {
    fn cell(&self, column: usize) -> &str {
        self.get(column).map(|s| s.as_ref().trim()).unwrap_or("")
    }
}

impl<S: AsRef<str>> Cells for Vec<S> {
    fn cell(&self, column: usize) -> &str {
        self.as_slice().cell(column)
    }
}

/// What a row is checked against: the county's townships and departments.
#[derive(Debug, Clone, Default)]
pub struct Lookup {
    pub townships: BTreeSet<String>,
    /// Department name (and code) → code.
    pub departments: BTreeMap<String, String>,
    /// Item code → its department's code (for check points, which name their item).
    pub items: BTreeMap<String, String>,
    /// Department code → the annual cap of its domain's rule book in force, which
    /// an item's frequency may not exceed.
    pub caps: BTreeMap<String, u32>,
}

pub(crate) struct Row<'a, C: Cells + ?Sized> {
    cells: &'a C,
    columns: &'static [Column],
    errors: Vec<FieldError>,
    /// Columns whose value broke its [`text::import_rule`]. They read as
    /// empty from then on, so a 100 MB value is neither stored nor echoed
    /// into further messages, and are not reported a second time.
    refused: Vec<bool>,
}

impl<'a, C: Cells + ?Sized> Row<'a, C> {
    pub(crate) fn new(cells: &'a C, columns: &'static [Column]) -> Self {
        let mut errors = Vec::new();
        let refused = columns
            .iter()
            .enumerate()
            .map(|(column, spec)| {
                let rule = text::import_rule(spec.key).unwrap_or(text::NAME);
                match text::bounded_text(cells.cell(column), rule) {
                    Ok(_) => false,
                    Err(e) => {
                        errors.push(FieldError {
                            column,
                            reason: e.to_string(),
                        });
                        true
                    }
                }
            })
            .collect();
        Row {
            cells,
            columns,
            errors,
            refused,
        }
    }

    fn idx(&self, key: &str) -> usize {
        self.columns
            .iter()
            .position(|c| c.key == key)
            .expect("known column key")
    }

    pub(crate) fn fail(&mut self, key: &str, reason: impl Into<String>) {
        let column = self.idx(key);
        self.errors.push(FieldError {
            column,
            reason: reason.into(),
        });
    }

    fn raw(&self, key: &str) -> &'a str {
        let column = self.idx(key);
        if self.refused[column] {
            return "";
        }
        self.cells.cell(column)
    }

    /// A required cell: empty is an error, reported once.
    pub(crate) fn required(&mut self, key: &str) -> Option<&'a str> {
        let v = self.raw(key);
        if self.refused[self.idx(key)] {
            return None;
        }
        if v.is_empty() {
            self.fail(key, "必填项为空");
            None
        } else {
            Some(v)
        }
    }

    /// Free text; its length and characters were checked in [`Row::new`].
    pub(crate) fn text(&mut self, key: &str) -> String {
        self.raw(key).to_string()
    }

    pub(crate) fn parsed<T>(
        &mut self,
        key: &str,
        default: T,
        parse: impl Fn(&str) -> Option<T>,
        what: &str,
    ) -> T {
        let v = self.raw(key);
        if v.is_empty() {
            return default;
        }
        match parse(v) {
            Some(t) => t,
            None => {
                self.fail(key, format!("「{v}」不是有效的{what}"));
                default
            }
        }
    }

    pub(crate) fn date(&mut self, key: &str) -> Option<NaiveDate> {
        let v = self.raw(key);
        if v.is_empty() {
            return None;
        }
        let d = parse_date(v);
        if d.is_none() {
            self.fail(key, format!("「{v}」不是有效日期，应写作 2019-05-08"));
        }
        d
    }

    pub(crate) fn bool(&mut self, key: &str) -> bool {
        self.parsed(key, false, parse_bool, "是/否")
    }

    fn township(&mut self, key: &str, lookup: &Lookup, required: bool) -> Option<String> {
        let v = if required {
            self.required(key)?
        } else {
            self.raw(key)
        };
        if v.is_empty() {
            return None;
        }
        if lookup.townships.contains(v) {
            Some(v.to_string())
        } else {
            self.fail(key, format!("乡镇「{v}」不是本县的乡镇"));
            None
        }
    }

    pub(crate) fn department(&mut self, key: &str, lookup: &Lookup) -> Option<String> {
        let v = self.required(key)?;
        match lookup.departments.get(v) {
            Some(code) => Some(code.clone()),
            None => {
                self.fail(key, format!("部门「{v}」不是本县已登记的部门"));
                None
            }
        }
    }

    fn list<T>(&mut self, key: &str, parse: impl Fn(&str) -> Option<T>, what: &str) -> Vec<T> {
        let mut out = Vec::new();
        for part in split_list(self.raw(key)) {
            match parse(part) {
                Some(t) => out.push(t),
                None => {
                    self.fail(key, format!("「{part}」不是有效的{what}"));
                }
            }
        }
        out
    }

    pub(crate) fn finish<T>(self, value: T) -> Result<T, Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(self.into_errors())
        }
    }

    /// The errors in column order, however they were found.
    fn into_errors(mut self) -> Vec<FieldError> {
        self.errors.sort_by_key(|e| e.column);
        self.errors
    }
}

/// Splits on the separators clerks use between list members.
pub fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split(['、', '，', ',', '；', ';', '|', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
}

/// Dates as spreadsheets hold them: 2019-05-08, 2019/5/8, 2019.05.08, 2019年5月8日, 20190508.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(s, "%Y%m%d").ok();
    }
    let parts: Vec<&str> = s
        .trim_end_matches('日')
        .split(['-', '/', '.', '年', '月'])
        .collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        // A datetime from a spreadsheet: keep its date part.
        if let Some((d, _)) = s.split_once([' ', 'T']) {
            return parse_date(d);
        }
        return None;
    }
    let y: i32 = parts[0].parse().ok()?;
    if !(1900..=2200).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(y, parts[1].parse().ok()?, parts[2].parse().ok()?)
}

pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim() {
        "是" | "Y" | "y" | "yes" | "true" | "TRUE" | "1" | "√" | "已列入" => Some(true),
        "否" | "N" | "n" | "no" | "false" | "FALSE" | "0" | "" | "未列入" => Some(false),
        _ => None,
    }
}

pub fn bool_label(b: bool) -> &'static str {
    if b { "是" } else { "否" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup() -> Lookup {
        let mut l = Lookup::default();
        l.townships.insert("共和镇".into());
        l.departments
            .insert("牟定县市场监督管理局".into(), "amr".into());
        l
    }

    fn entity_row() -> Vec<String> {
        let mut v = vec![String::new(); ENTITY_COLUMNS.len()];
        v[0] = Uscc::complete("92532323MA6N0XXX1").unwrap().to_string();
        v[2] = "牟定县共和镇示例农资经营部".into();
        v[3] = "个体工商户".into();
        v[4] = "F5166".into();
        v[5] = "共和镇".into();
        v[8] = "2019/5/8".into();
        v
    }

    #[test]
    fn good_entity_row() {
        let e = parse_entity(&entity_row(), &lookup()).unwrap();
        assert_eq!(e.entity_type, EntityType::IndividualBusiness);
        assert_eq!(e.registered_on, NaiveDate::from_ymd_opt(2019, 5, 8));
        assert_eq!(e.risk_class, RiskClass::B);
        assert_eq!(e.status, EntityStatus::Active);
        // Export then re-parse gives the same record.
        assert_eq!(parse_entity(&entity_cells(&e), &lookup()).unwrap(), e);
    }

    #[test]
    fn every_bad_cell_is_reported() {
        let mut row = entity_row();
        row[0] = "91350100M000100Y44".into();
        row[5] = "外县镇".into();
        row[8] = "2019-13-01".into();
        let errs = parse_entity(&row, &lookup()).unwrap_err();
        let cols: Vec<usize> = errs.iter().map(|e| e.column).collect();
        assert_eq!(cols, vec![0, 5, 8]);
        assert!(errs[0].reason.contains("校验码"), "{}", errs[0].reason);
    }

    #[test]
    fn entity_without_uscc_gets_stable_id() {
        let mut row = entity_row();
        row[0].clear();
        let a = parse_entity(&row, &lookup()).unwrap();
        let b = parse_entity(&row, &lookup()).unwrap();
        assert_eq!(a.id, b.id);
        assert!(a.id.starts_with('X') && a.id.len() == 18);
        row[1] = "532323600012345".into();
        assert_ne!(parse_entity(&row, &lookup()).unwrap().id, a.id);
    }

    #[test]
    fn inspector_requires_certificate() {
        let row = vec![
            "5323230012",
            "王芳",
            "牟定县市场监督管理局",
            "",
            "",
            "",
            "",
            "",
            "",
        ];
        let errs = parse_inspector(row.as_slice(), &lookup()).unwrap_err();
        assert_eq!(
            errs.iter().map(|e| e.column).collect::<Vec<_>>(),
            vec![3, 4]
        );
    }

    #[test]
    fn item_lists_parse() {
        let row = vec![
            "SC-001",
            "检查",
            "《条例》",
            "牟定县市场监督管理局",
            "",
            "实地检查、书面检查",
            "",
            "企业",
            "特种设备",
            "重点检查事项",
            "不低于5.5%",
            "每年2次",
            "牟定县卫生健康局、牟定县市场监督管理局局",
            "11530000-01",
            "已发布",
        ];
        let mut l = lookup();
        for (name, code) in [
            ("牟定县卫生健康局", "health"),
            ("health", "health"),
            ("牟定县市场监督管理局局", "amr"),
        ] {
            l.departments.insert(name.into(), code.into());
        }
        l.caps.insert("amr".into(), 2);
        // The responsible department is not also a cooperating one.
        let errs = parse_item(row.as_slice(), &l).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].column, 12);
        assert!(errs[0].reason.contains("抽查主体"), "{}", errs[0].reason);
        let mut row = row.clone();
        row[12] = "牟定县卫生健康局、health";
        let item = parse_item(row.as_slice(), &l).unwrap();
        assert_eq!(item.category, ItemCategory::Key);
        assert_eq!(item.ratio_bp, Some(550));
        assert_eq!(item.frequency, Some(2));
        assert_eq!(item.cooperating, vec!["health".to_string()]);
        assert_eq!(item.national_code.as_deref(), Some("11530000-01"));
        let names = |c: &str| {
            match c {
                "amr" => "牟定县市场监督管理局",
                _ => "牟定县卫生健康局",
            }
            .to_string()
        };
        assert_eq!(parse_item(&item_cells(&item, &names), &l).unwrap(), item);
        // The rule book's cap bounds the frequency; the ratio is above 0.
        let mut over = row.clone();
        over[11] = "3";
        over[10] = "0%";
        over[13] = "国家/01";
        let errs = parse_item(over.as_slice(), &l).unwrap_err();
        let reasons: Vec<(usize, &str)> =
            errs.iter().map(|e| (e.column, e.reason.as_str())).collect();
        assert_eq!(reasons.len(), 3, "{reasons:?}");
        assert!(reasons[0].1.contains("抽查比例"), "{reasons:?}");
        assert!(reasons[1].1.contains("年度抽查上限 2 次"), "{reasons:?}");
        assert!(reasons[2].1.contains("字母、数字"), "{reasons:?}");
        let mut row = row.clone();
        for cell in &mut row[9..=13] {
            *cell = "";
        }
        let item = parse_item(row.as_slice(), &lookup()).unwrap();
        assert_eq!(
            (
                item.category,
                item.ratio_bp,
                item.frequency,
                item.national_code.clone()
            ),
            (ItemCategory::General, None, None, None)
        );
        assert!(item.cooperating.is_empty());
        assert_eq!(
            item.methods,
            vec![InspectionMethod::OnSite, InspectionMethod::Documentary]
        );
        assert!(item.published);
        assert_eq!(item.specialty.as_deref(), Some("特种设备"));
        assert_eq!(
            parse_item(
                &item_cells(&item, &|_| "牟定县市场监督管理局".to_string()),
                &lookup()
            )
            .unwrap(),
            item
        );
        // One specialty per item; none is fine.
        let mut two = row.clone();
        two[8] = "特种设备、食品安全";
        let errs = parse_item(two.as_slice(), &lookup()).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].column, 8);
        assert!(
            errs[0].reason.contains("只能填写一个专业领域"),
            "{}",
            errs[0].reason
        );
        let mut none = row.clone();
        none[8] = "";
        assert_eq!(
            parse_item(none.as_slice(), &lookup()).unwrap().specialty,
            None
        );
    }

    #[test]
    fn a_published_item_says_how_it_is_checked() {
        let mut row = valid_row(ITEM_COLUMNS);
        let methods = ITEM_COLUMNS
            .iter()
            .position(|c| c.key == "methods")
            .unwrap();
        let published = ITEM_COLUMNS
            .iter()
            .position(|c| c.key == "published")
            .unwrap();
        // A draft may leave it for later.
        assert!(parse_item(&row, &lookup()).is_ok());
        row[published] = "已发布".into();
        let errs = parse_item(&row, &lookup()).unwrap_err();
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].column, methods);
        assert!(errs[0].reason.contains("须填写抽查方式"), "{errs:?}");
        row[methods] = "书面检查".into();
        assert!(parse_item(&row, &lookup()).unwrap().published);
    }

    /// A row of `columns` in which every cell is valid, so that a single
    /// changed cell is the only possible error.
    fn valid_row(columns: &[Column]) -> Vec<String> {
        if std::ptr::eq(columns, ENTITY_COLUMNS) {
            entity_row()
        } else if std::ptr::eq(columns, INSPECTOR_COLUMNS) {
            [
                "5323230012",
                "王芳",
                "牟定县市场监督管理局",
                "53232300012",
                "2028-12-31",
                "",
                "",
                "",
                "",
            ]
            .map(String::from)
            .to_vec()
        } else {
            [
                "SC-001",
                "检查",
                "《条例》",
                "牟定县市场监督管理局",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
            ]
            .map(String::from)
            .to_vec()
        }
    }

    fn parse_any(columns: &'static [Column], row: &[String]) -> Result<(), Vec<FieldError>> {
        let l = lookup();
        if std::ptr::eq(columns, ENTITY_COLUMNS) {
            parse_entity(row, &l).map(drop)
        } else if std::ptr::eq(columns, INSPECTOR_COLUMNS) {
            parse_inspector(row, &l).map(drop)
        } else {
            parse_item(row, &l).map(drop)
        }
    }

    #[test]
    fn every_imported_field_is_bounded_and_free_of_control_characters() {
        for columns in [ENTITY_COLUMNS, INSPECTOR_COLUMNS, ITEM_COLUMNS] {
            assert!(parse_any(columns, &valid_row(columns)).is_ok());
            for (i, column) in columns.iter().enumerate() {
                let rule = text::import_rule(column.key).unwrap();
                let bad = |value: String, words: &str| {
                    let mut row = valid_row(columns);
                    row[i] = value;
                    let errs = parse_any(columns, &row).unwrap_err();
                    assert_eq!(errs.len(), 1, "{}: {errs:?}", column.key);
                    assert_eq!(errs[0].column, i, "{}", column.key);
                    assert!(
                        errs[0].reason.contains(words),
                        "{}: {}",
                        column.key,
                        errs[0].reason
                    );
                };
                bad(
                    "甲".repeat(rule.max_chars + 1),
                    &format!("最多 {} 个字", rule.max_chars),
                );
                bad("甲\u{0}乙".into(), "U+0000");
                bad("甲\u{1b}[2J乙".into(), "U+001B");
                bad("甲\t乙".into(), "U+0009");
                bad("\u{202e}甲乙".into(), "U+202E");
                if rule.lines == text::Lines::Single {
                    bad("甲\n乙".into(), "不能换行");
                }
            }
        }
    }

    #[test]
    fn fields_at_their_limit_are_accepted() {
        let mut row = entity_row();
        let name = text::import_rule("name").unwrap().max_chars;
        let address = text::import_rule("address").unwrap().max_chars;
        row[2] = "名".repeat(name);
        row[6] = "址".repeat(address);
        let e = parse_entity(&row, &lookup()).unwrap();
        assert_eq!(e.name.chars().count(), name);

        let mut item = valid_row(ITEM_COLUMNS);
        item[4] = format!("第一条\n第二条\r\n{}", "文".repeat(1000));
        assert!(parse_item(&item, &lookup()).is_ok());
    }

    #[test]
    fn a_huge_value_is_refused_without_being_echoed() {
        let mut row = entity_row();
        row[2] = "大".repeat(10_000_000);
        let errs = parse_entity(&row, &lookup()).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].column, 2);
        assert!(errs[0].reason.len() < 200, "{}", errs[0].reason);
        assert!(
            errs[0].reason.contains("10000000 个字"),
            "{}",
            errs[0].reason
        );
    }

    #[test]
    fn dates() {
        let d = NaiveDate::from_ymd_opt(2019, 5, 8);
        for s in [
            "2019-05-08",
            "2019/5/8",
            "2019.05.08",
            "2019年5月8日",
            "20190508",
            "2019-05-08 00:00:00",
        ] {
            assert_eq!(parse_date(s), d, "{s}");
        }
        assert_eq!(parse_date("2019-02-30"), None);
        assert_eq!(parse_date("明天"), None);
    }
}
