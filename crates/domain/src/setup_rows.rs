//! The setup lists of a county as files: its townships, departments and rule books,
//! with the same column specs, template and cell-by-cell checks as the directories
//! (see [`crate::rows`]), so a county is set up from the sheets its clerks keep.

use std::collections::BTreeMap;

use crate::rows::{CellKind, Cells, Column, FieldError, Lookup, Row, col};
use crate::{Department, Domain, JointItemList, RuleBook, Township};

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
    col!(
        "effective_from",
        "施行日期",
        ["生效日期"],
        false,
        Date,
        "与现行不同的领域自该日起施行新版本：今天或以后、两年以内，如 2027-01-01；不填为导入当日起施行",
        "2027-01-01"
    ),
];

/// A row of [`RULE_BOOK_COLUMNS`]: a domain's rule book and, when given, the day a
/// new version of it takes effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleBookRow {
    pub book: RuleBook,
    pub effective_from: Option<chrono::NaiveDate>,
}

/// One member of a joint item list a row: the layout `liancha export joint-lists`
/// writes, so a province's lists go out of one county and into the next.
pub const JOINT_LIST_COLUMNS: &[Column] = &[
    col!(
        "code",
        "清单编码",
        ["编码"],
        true,
        Id,
        "本县唯一，字母、数字或 -；同一清单的各行相同",
        "LC-SC-01"
    ),
    col!(
        "name",
        "清单名称",
        [],
        true,
        Text,
        "同一清单的各行相同",
        "市场监管领域部门联合抽查事项清单"
    ),
    col!(
        "domain",
        "领域",
        [],
        true,
        Text,
        "市场监管、生态环境保护、文化市场、交通运输、农业之一",
        "市场监管",
        domains
    ),
    col!(
        "lead_department",
        "牵头部门",
        [],
        true,
        Text,
        "部门名称或部门代码",
        "牟定县市场监督管理局"
    ),
    col!(
        "position",
        "序号",
        [],
        false,
        Text,
        "事项在清单中的次序；不填按文件中的次序",
        "1"
    ),
    col!(
        "item",
        "事项编码",
        ["抽查事项编码"],
        true,
        Id,
        "抽查事项清单中已有的事项编码",
        "SC-003"
    ),
    col!(
        "item_name",
        "抽查事项",
        [],
        false,
        Text,
        "仅供阅读，导入时不读",
        "食品经营者经营条件及经营行为的检查"
    ),
    col!(
        "item_department",
        "抽查主体",
        [],
        false,
        Text,
        "仅供阅读，导入时不读",
        "牟定县市场监督管理局"
    ),
    col!(
        "published",
        "发布状态",
        [],
        false,
        Text,
        "已发布或草稿；不填为已发布",
        "已发布"
    ),
];

/// A row of [`JOINT_LIST_COLUMNS`]: one item of one list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JointListRow {
    /// The list and the item: one row each in a file.
    pub key: String,
    pub code: String,
    pub name: String,
    pub domain: Domain,
    pub lead_department: String,
    pub position: Option<u32>,
    pub item: String,
    pub published: bool,
}

pub fn parse_joint_list_row<C: Cells + ?Sized>(
    cells: &C,
    lookup: &Lookup,
) -> Result<JointListRow, Vec<FieldError>> {
    let mut r = Row::new(cells, JOINT_LIST_COLUMNS);
    let code = r.required("code").map(str::to_string);
    let name = r.required("name").map(str::to_string);
    let domain = r
        .required("domain")
        .is_some()
        .then(|| r.parsed("domain", Domain::Market, Domain::parse, "领域"));
    let lead = r.department("lead_department", lookup);
    let position = r.parsed(
        "position",
        None,
        |v| {
            v.parse::<u32>()
                .ok()
                .filter(|n| (1..=10_000).contains(n))
                .map(Some)
        },
        "正整数",
    );
    let item = r.required("item").map(str::to_string);
    let published = r.parsed(
        "published",
        true,
        crate::rows::parse_published,
        "发布状态（已发布、草稿）",
    );
    if let Some(c) = &code
        && !joint_list_code_ok(c)
    {
        r.fail(
            "code",
            format!("「{c}」不是清单编码（字母、数字或 -，至多 32 位）"),
        );
    }
    let value = match (code, name, domain, lead, item) {
        (Some(code), Some(name), Some(domain), Some(lead_department), Some(item)) => {
            Some(JointListRow {
                key: format!("{code} {item}"),
                code,
                name,
                domain,
                lead_department,
                position,
                item,
                published,
            })
        }
        _ => None,
    };
    finish_some(r, value)
}

/// A list code: letters, digits or `-`, up to 32.
pub fn joint_list_code_ok(c: &str) -> bool {
    !c.is_empty() && c.len() <= 32 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The lists a file's rows make: a list's rows agree on its name, domain, lead
/// department and status, and its items go by 序号 (else file order). Lists in the
/// order of their first row.
pub fn group_joint_lists(rows: &[JointListRow]) -> Result<Vec<JointItemList>, String> {
    let mut order: Vec<&str> = Vec::new();
    /// A member: its 序号, its row in the file, its item code.
    type Member = (Option<u32>, usize, String);
    let mut by_code: BTreeMap<&str, (JointItemList, Vec<Member>)> = BTreeMap::new();
    for (n, row) in rows.iter().enumerate() {
        let entry = by_code.entry(&row.code).or_insert_with(|| {
            order.push(&row.code);
            (
                JointItemList {
                    code: row.code.clone(),
                    name: row.name.clone(),
                    domain: row.domain,
                    lead_department: row.lead_department.clone(),
                    items: Vec::new(),
                    published: row.published,
                },
                Vec::new(),
            )
        });
        let l = &entry.0;
        let differs = if l.name != row.name {
            Some("清单名称")
        } else if l.domain != row.domain {
            Some("领域")
        } else if l.lead_department != row.lead_department {
            Some("牵头部门")
        } else if l.published != row.published {
            Some("发布状态")
        } else {
            None
        };
        if let Some(what) = differs {
            return Err(format!("清单 {} 的各行{what}不一致", row.code));
        }
        entry.1.push((row.position, n, row.item.clone()));
    }
    Ok(order
        .into_iter()
        .map(|code| {
            let (mut list, mut items) = by_code.remove(code).expect("listed");
            // Numbered rows by number, unnumbered ones after them in file order.
            items.sort_by_key(|(pos, n, _)| (pos.unwrap_or(u32::MAX), *n));
            list.items = items.into_iter().map(|(_, _, item)| item).collect();
            list
        })
        .collect())
}

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

pub fn parse_rule_book<C: Cells + ?Sized>(cells: &C) -> Result<RuleBookRow, Vec<FieldError>> {
    let mut r = Row::new(cells, RULE_BOOK_COLUMNS);
    let effective_from = r.date("effective_from");
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
            Some(RuleBookRow {
                book,
                effective_from,
            })
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

/// A row as the file writes it: the book, then its day (empty when none).
pub fn rule_book_row_cells(r: &RuleBookRow) -> Vec<String> {
    let mut cells = rule_book_cells(&r.book);
    cells.push(r.effective_from.map(|d| d.to_string()).unwrap_or_default());
    cells
}

/// The book's cells, without the day.
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

    fn lookup() -> Lookup {
        Lookup {
            townships: Default::default(),
            items: Default::default(),
            departments: [
                ("amr".to_string(), "amr".to_string()),
                ("牟定县市场监督管理局".to_string(), "amr".to_string()),
            ]
            .into_iter()
            .collect(),
            ..Lookup::default()
        }
    }

    #[test]
    fn joint_list_rows_make_lists() {
        let row = |cells: Vec<&'static str>| parse_joint_list_row(&Cols(cells), &lookup());
        let a = row(vec![
            "LC-1",
            "市场清单",
            "市场监管",
            "牟定县市场监督管理局",
            "2",
            "SC-003",
        ])
        .unwrap();
        assert_eq!(a.lead_department, "amr");
        assert!(a.published);
        let b = row(vec![
            "LC-1",
            "市场清单",
            "市场监管",
            "amr",
            "1",
            "SC-001",
            "",
            "",
            "已发布",
        ])
        .unwrap();
        let c = row(vec!["LC-1", "市场清单", "市场监管", "amr", "", "SC-009"]).unwrap();
        let d = row(vec![
            "LC-2",
            "草稿清单",
            "农业",
            "amr",
            "",
            "NY-001",
            "",
            "",
            "草稿",
        ])
        .unwrap();
        let lists = group_joint_lists(&[a.clone(), d.clone(), b, c]).unwrap();
        assert_eq!(lists.len(), 2);
        assert_eq!(lists[0].items, ["SC-001", "SC-003", "SC-009"]);
        assert!(!lists[1].published);
        // A list whose rows disagree is refused, naming it and what differs.
        let mut other = a.clone();
        other.name = "另一个名称".into();
        assert_eq!(
            group_joint_lists(&[a, other]).unwrap_err(),
            "清单 LC-1 的各行清单名称不一致"
        );
        // Unknown department, bad code, bad number: each named by column.
        let e = row(vec!["LC 1", "x", "市场监管", "公安局", "0", "SC-001"]).unwrap_err();
        let cols: Vec<usize> = e.iter().map(|f| f.column).collect();
        assert!(
            cols.contains(&0) && cols.contains(&3) && cols.contains(&4),
            "{e:?}"
        );
    }

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
        assert_eq!(r.book.ratio_bp, [500, 1000, 2000, 5000]);
        assert!(r.book.recuse_same_township);
        assert_eq!(r.effective_from, None);
        assert_eq!(rule_book_cells(&r.book)[0], "生态环境保护");
        let dated = parse_rule_book(&Cols(vec![
            "生态环境保护",
            "5",
            "10",
            "20",
            "50",
            "2",
            "20",
            "2",
            "是",
            "2027/1/1",
        ]))
        .unwrap();
        assert_eq!(
            dated.effective_from,
            chrono::NaiveDate::from_ymd_opt(2027, 1, 1)
        );
        assert_eq!(rule_book_row_cells(&dated)[9], "2027-01-01");
        let e = parse_rule_book(&Cols(vec![
            "生态环境保护",
            "5",
            "10",
            "20",
            "50",
            "2",
            "20",
            "2",
            "是",
            "明年",
        ]))
        .unwrap_err();
        assert_eq!(e[0].column, 9);
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
