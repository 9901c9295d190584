//! The setup lists of a county as files: its townships, departments and rule books,
//! with the same column specs, template and cell-by-cell checks as the directories
//! (see [`crate::rows`]), so a county is set up from the sheets its clerks keep.

use crate::rows::{CellKind, Cells, Column, FieldError, Row, col};
use crate::{Department, Domain, RuleBook, Township};

fn domains() -> Vec<&'static str> {
    Domain::ALL.iter().map(|d| d.label()).collect()
}
fn any() -> Vec<&'static str> {
    Vec::new()
}
fn yes_no() -> Vec<&'static str> {
    vec!["是", "否"]
}

pub const TOWNSHIP_COLUMNS: &[Column] = &[
    col!(
        "code",
        "乡镇代码",
        ["代码", "区划代码"],
        true,
        Id,
        "GB/T 10114 的 9 位代码，以本县 6 位代码开头",
        "532324100"
    ),
    col!(
        "name",
        "乡镇名称",
        ["名称", "乡镇"],
        true,
        Text,
        "",
        "龙川镇"
    ),
];

pub const DEPARTMENT_COLUMNS: &[Column] = &[
    col!(
        "code",
        "部门代码",
        ["代码"],
        true,
        Id,
        "本县唯一，小写字母、数字或 -，如 amr",
        "amr"
    ),
    col!(
        "name",
        "部门名称",
        ["名称", "部门"],
        true,
        Text,
        "",
        "南华县市场监督管理局"
    ),
    col!(
        "domain",
        "领域",
        ["所属领域"],
        true,
        Text,
        "市场监管、生态环境保护、文化市场、交通运输、农业之一",
        "市场监管",
        domains
    ),
];

pub const RULE_BOOK_COLUMNS: &[Column] = &[
    col!(
        "domain",
        "领域",
        [],
        true,
        Text,
        "每个领域一行",
        "市场监管",
        domains
    ),
    col!(
        "ratio_a",
        "A类抽查比例",
        ["A类比例"],
        true,
        Text,
        "百分数，至多两位小数",
        "3"
    ),
    col!("ratio_b", "B类抽查比例", ["B类比例"], true, Text, "", "5"),
    col!("ratio_c", "C类抽查比例", ["C类比例"], true, Text, "", "10"),
    col!("ratio_d", "D类抽查比例", ["D类比例"], true, Text, "", "20"),
    col!(
        "annual_cap",
        "年度检查上限",
        ["检查上限"],
        true,
        Text,
        "同一主体一年内接受检查（随机与定向合计）的次数",
        "2"
    ),
    col!(
        "deadline_days",
        "公示期限",
        ["公示期限（工作日）"],
        true,
        Text,
        "检查结束后的工作日数",
        "20"
    ),
    col!(
        "min_team_size",
        "检查组最少人数",
        [],
        true,
        Text,
        "至少 2 人",
        "2"
    ),
    col!(
        "recuse",
        "回避本人所在乡镇",
        ["回避"],
        false,
        Bool,
        "是/否",
        "是",
        yes_no
    ),
];

pub fn parse_township<C: Cells + ?Sized>(cells: &C) -> Result<Township, Vec<FieldError>> {
    let mut r = Row::new(cells, TOWNSHIP_COLUMNS);
    let code = r.required("code").map(str::to_string);
    let name = r.required("name").map(str::to_string);
    if let Some(c) = &code
        && (c.len() != 9 || !c.bytes().all(|b| b.is_ascii_digit()))
    {
        r.fail("code", format!("「{c}」不是 9 位乡镇代码"));
    }
    let value = match (code, name) {
        (Some(code), Some(name)) => Some(Township { code, name }),
        _ => None,
    };
    finish_some(r, value)
}

pub fn parse_department<C: Cells + ?Sized>(cells: &C) -> Result<Department, Vec<FieldError>> {
    let mut r = Row::new(cells, DEPARTMENT_COLUMNS);
    let code = r.required("code").map(str::to_string);
    let name = r.required("name").map(str::to_string);
    let domain = r
        .required("domain")
        .is_some()
        .then(|| r.parsed("domain", Domain::Market, Domain::parse, "领域"));
    if let Some(c) = &code
        && !(c.len() <= 32
            && c.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
    {
        r.fail("code", format!("「{c}」不是部门代码（小写字母、数字或 -）"));
    }
    let value = match (code, name, domain) {
        (Some(code), Some(name), Some(domain)) => Some(Department { code, name, domain }),
        _ => None,
    };
    finish_some(r, value)
}

/// `12.5` or `12.5%` → 1250 basis points: 0 to 100, at most two decimals.
pub fn percent_bp(v: &str) -> Option<u32> {
    let v = v.trim().trim_end_matches('%');
    let (whole, frac) = v.split_once('.').unwrap_or((v, ""));
    if whole.is_empty()
        || whole.len() > 3
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let bp = whole.parse::<u32>().ok()? * 100 + format!("{frac:0<2}").parse::<u32>().ok()?;
    (bp <= 10_000).then_some(bp)
}

/// Basis points as the percent a clerk writes: `12.5`, `3`.
pub fn bp_percent(bp: u32) -> String {
    if bp.is_multiple_of(100) {
        (bp / 100).to_string()
    } else if bp.is_multiple_of(10) {
        format!("{}.{}", bp / 100, (bp % 100) / 10)
    } else {
        format!("{}.{:02}", bp / 100, bp % 100)
    }
}

pub fn parse_rule_book<C: Cells + ?Sized>(cells: &C) -> Result<RuleBook, Vec<FieldError>> {
    let mut r = Row::new(cells, RULE_BOOK_COLUMNS);
    let domain = r
        .required("domain")
        .is_some()
        .then(|| r.parsed("domain", Domain::Market, Domain::parse, "领域"));
    let ratio = |key: &str, r: &mut Row<'_, C>| {
        r.required(key)?;
        Some(r.parsed(key, 0, percent_bp, "百分数（0 至 100，至多两位小数）"))
    };
    let ratios = [
        ratio("ratio_a", &mut r),
        ratio("ratio_b", &mut r),
        ratio("ratio_c", &mut r),
        ratio("ratio_d", &mut r),
    ];
    let count = |key: &str, r: &mut Row<'_, C>| {
        r.required(key)?;
        Some(r.parsed(
            key,
            0,
            |v| v.parse::<u32>().ok().filter(|n| *n <= 1000),
            "整数",
        ))
    };
    let cap = count("annual_cap", &mut r);
    let days = count("deadline_days", &mut r);
    let size = count("min_team_size", &mut r);
    let recuse = r.bool("recuse");
    let value = match (domain, ratios, cap, days, size) {
        (Some(domain), [Some(a), Some(b), Some(c), Some(d)], Some(cap), Some(days), Some(size)) => {
            let book = RuleBook {
                domain,
                ratio_bp: [a, b, c, d],
                annual_cap: cap,
                publication_deadline_days: days,
                min_team_size: size,
                recuse_same_township: recuse,
            };
            if let Err(e) = book.validate() {
                r.fail("domain", e.to_string());
            }
            Some(book)
        }
        _ => None,
    };
    finish_some(r, value)
}

/// The row's value when every cell was good; its errors otherwise.
fn finish_some<C: Cells + ?Sized, T>(
    r: Row<'_, C>,
    value: Option<T>,
) -> Result<T, Vec<FieldError>> {
    match value {
        Some(v) => r.finish(v),
        None => Err(r.finish(()).err().unwrap_or_default()),
    }
}

pub fn township_cells(t: &Township) -> Vec<String> {
    vec![t.code.clone(), t.name.clone()]
}

pub fn department_cells(d: &Department) -> Vec<String> {
    vec![d.code.clone(), d.name.clone(), d.domain.label().into()]
}

pub fn rule_book_cells(r: &RuleBook) -> Vec<String> {
    vec![
        r.domain.label().into(),
        bp_percent(r.ratio_bp[0]),
        bp_percent(r.ratio_bp[1]),
        bp_percent(r.ratio_bp[2]),
        bp_percent(r.ratio_bp[3]),
        r.annual_cap.to_string(),
        r.publication_deadline_days.to_string(),
        r.min_team_size.to_string(),
        if r.recuse_same_township { "是" } else { "否" }.into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Cols(Vec<&'static str>);
    impl Cells for Cols {
        fn cell(&self, column: usize) -> &str {
            self.0.get(column).copied().unwrap_or("")
        }
    }

    #[test]
    fn setup_rows_parse_and_explain() {
        let t = parse_township(&Cols(vec!["532324100", "龙川镇"])).unwrap();
        assert_eq!(t.name, "龙川镇");
        let e = parse_township(&Cols(vec!["5323241", "龙川镇"])).unwrap_err();
        assert_eq!(e[0].column, 0);
        let d = parse_department(&Cols(vec!["amr", "南华县市场监督管理局", "市场监管"])).unwrap();
        assert_eq!(d.domain, Domain::Market);
        let e = parse_department(&Cols(vec!["AMR", "x", "天文"])).unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        let r = parse_rule_book(&Cols(vec![
            "生态环境保护",
            "5",
            "10",
            "20",
            "50",
            "2",
            "20",
            "2",
            "是",
        ]))
        .unwrap();
        assert_eq!(r.ratio_bp, [500, 1000, 2000, 5000]);
        assert!(r.recuse_same_township);
        assert_eq!(rule_book_cells(&r)[0], "生态环境保护");
        let e = parse_rule_book(&Cols(vec![
            "市场监管",
            "101",
            "5",
            "5",
            "5",
            "2",
            "20",
            "1",
        ]))
        .unwrap_err();
        assert!(e.iter().any(|f| f.column == 1), "{e:?}");
        assert_eq!(percent_bp("12.5"), Some(1250));
        assert_eq!(bp_percent(1250), "12.5");
        assert_eq!(bp_percent(5), "0.05");
        for bad in ["", "100.01", "1.234", "-1", "abc"] {
            assert_eq!(percent_bp(bad), None, "{bad}");
        }
    }
}
