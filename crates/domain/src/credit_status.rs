//! 省级回传: the credit risk classes and list statuses the province's 协同监管平台
//! computes for the county's entities, read back from its file by USCC. Each row
//! says, for one entity, any of its risk class, whether it stands on the abnormal
//! list and whether on the blacklist; an empty cell leaves that part as it is, and
//! the name is there for the clerk to check, never imported.
//!
//! [`plan`] compares the file with the directory as it is: what changes, what stays,
//! and what is left alone and why. The same plan is shown as the preview and carried
//! out by the import, inside the transaction that writes it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

use crate::labels::RiskClass;
use crate::rows::{CellKind, Cells, Column, FieldError, Row, col};
use crate::uscc::Uscc;

fn risk_labels() -> Vec<&'static str> {
    vec!["A", "B", "C", "D"]
}
fn statuses() -> Vec<&'static str> {
    vec!["在列", "不在列"]
}
fn any() -> Vec<&'static str> {
    Vec::new()
}

pub const COLUMNS: &[Column] = &[
    col!(
        "uscc",
        "统一社会信用代码",
        ["社会信用代码", "信用代码", "USCC"],
        true,
        Id,
        "18 位，按 GB 32100-2015 校验；据此对应本县检查对象名录中的主体（不在本县名录的行略过）",
        "91532323MA6N0XXX1Q"
    ),
    col!(
        "name",
        "企业名称",
        ["名称", "主体名称"],
        false,
        Text,
        "仅供核对，不导入（名称以本县名录为准）",
        "牟定县共和镇示例农资经营部"
    ),
    col!(
        "risk_class",
        "信用风险分类",
        ["风险分类", "风险等级", "信用风险等级"],
        false,
        Text,
        "A、B、C、D（也可写 低风险、一般风险、较高风险、高风险）；留空为不改变",
        "B",
        risk_labels
    ),
    col!(
        "abnormal",
        "经营异常名录",
        ["列入经营异常名录", "异常名录"],
        false,
        Text,
        "在列、不在列（也可写 是、否）；留空为不改变",
        "不在列",
        statuses
    ),
    col!(
        "abnormal_since",
        "经营异常名录列入日期",
        ["异常名录列入日期"],
        false,
        Date,
        "在列时可填省级平台记载的列入日期，不填为导入当日",
        "",
        any
    ),
    col!(
        "blacklisted",
        "严重违法失信名单",
        ["列入严重违法失信名单", "失信名单"],
        false,
        Text,
        "在列、不在列（也可写 是、否）；留空为不改变",
        "不在列",
        statuses
    ),
    col!(
        "blacklist_since",
        "严重违法失信名单列入日期",
        ["失信名单列入日期"],
        false,
        Date,
        "在列时可填省级平台记载的列入日期，不填为导入当日",
        "",
        any
    ),
];

/// Whether an entity stands on a list, as the province's file says.
fn parse_standing(s: &str) -> Option<bool> {
    match s.trim() {
        "在列" | "是" | "已列入" | "列入" | "Y" | "y" | "1" => Some(true),
        "不在列" | "否" | "未列入" | "已移出" | "移出" | "N" | "n" | "0" => Some(false),
        _ => None,
    }
}

fn standing_label(listed: bool) -> &'static str {
    if listed { "在列" } else { "不在列" }
}

/// One list's status in a row: listed or not, and since when if the file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub listed: bool,
    pub since: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditStatusRow {
    pub uscc: String,
    pub name: String,
    pub risk_class: Option<RiskClass>,
    pub abnormal: Option<Standing>,
    pub blacklist: Option<Standing>,
}

pub fn row_key(r: &CreditStatusRow) -> &str {
    &r.uscc
}

pub fn parse_row<C: Cells + ?Sized>(cells: &C) -> Result<CreditStatusRow, Vec<FieldError>> {
    let mut r = Row::new(cells, COLUMNS);
    let uscc = r.required("uscc").and_then(|raw| match Uscc::parse(raw) {
        Ok(u) => Some(u.as_str().to_string()),
        Err(e) => {
            r.fail("uscc", format!("「{raw}」{e}"));
            None
        }
    });
    let name = r.text("name");
    let risk_class = r.parsed(
        "risk_class",
        None,
        |v| RiskClass::parse(v).map(Some),
        "信用风险分类（A、B、C、D）",
    );
    let standing = |r: &mut Row<'_, C>, key: &str, since_key: &str| {
        let listed = r.parsed(
            key,
            None,
            |v| parse_standing(v).map(Some),
            "状态（在列、不在列）",
        );
        let since = r.date(since_key);
        match (listed, since) {
            (Some(false), Some(_)) => {
                r.fail(since_key, "不在列的名单不应填写列入日期");
                None
            }
            (None, Some(_)) => {
                r.fail(key, "填写了列入日期，请同时填写“在列”");
                None
            }
            (Some(listed), since) => Some(Standing { listed, since }),
            (None, None) => None,
        }
    };
    let abnormal = standing(&mut r, "abnormal", "abnormal_since");
    let blacklist = standing(&mut r, "blacklisted", "blacklist_since");
    if ["risk_class", "abnormal", "blacklisted"]
        .iter()
        .all(|k| r.text(k).is_empty())
    {
        r.fail(
            "risk_class",
            "这一行没有信用风险分类，也没有名单状态：至少填写一项",
        );
    }
    // Without a USCC the row has failed already (empty, or not a valid code).
    r.finish(CreditStatusRow {
        uscc: uscc.unwrap_or_default(),
        name,
        risk_class,
        abnormal,
        blacklist,
    })
}

/// What the directory holds for an entity: the parts the province's file speaks of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Current {
    pub name: String,
    pub risk_class: RiskClass,
    pub abnormal: bool,
    pub blacklisted: bool,
    /// The earliest day of a standing listing, per list (for the export).
    pub abnormal_since: Option<NaiveDate>,
    pub blacklist_since: Option<NaiveDate>,
}

/// The cells of an entity's row in the province's columns: the county's own state,
/// the file the province is sent or a clerk edits and imports back unchanged.
pub fn cells(uscc: &str, c: &Current) -> Vec<String> {
    let day = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    vec![
        uscc.to_string(),
        c.name.clone(),
        c.risk_class.code().to_string(),
        standing_label(c.abnormal).to_string(),
        if c.abnormal {
            day(c.abnormal_since)
        } else {
            String::new()
        },
        standing_label(c.blacklisted).to_string(),
        if c.blacklisted {
            day(c.blacklist_since)
        } else {
            String::new()
        },
    ]
}

/// What the import does to one entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub entity: String,
    pub name: String,
    pub before: Current,
    pub risk_class: Option<RiskClass>,
    /// The list entered (with its day) or left.
    pub abnormal: Option<Standing>,
    pub blacklist: Option<Standing>,
}

impl StatusChange {
    /// Each changed part: column, before, after.
    pub fn fields(&self) -> Vec<(&'static str, String, String)> {
        let mut out = Vec::new();
        if let Some(r) = self.risk_class {
            out.push((
                "信用风险分类",
                self.before.risk_class.code().to_string(),
                r.code().to_string(),
            ));
        }
        for (column, was, now) in [
            ("经营异常名录", self.before.abnormal, self.abnormal),
            ("严重违法失信名单", self.before.blacklisted, self.blacklist),
        ] {
            if let Some(s) = now {
                let after = match s.since {
                    Some(d) if s.listed => format!("在列（{d} 列入）"),
                    _ => standing_label(s.listed).to_string(),
                };
                out.push((column, standing_label(was).to_string(), after));
            }
        }
        out
    }
}

/// Why a row, or a part of it, is left alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub uscc: String,
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub rows: u64,
    pub changes: Vec<StatusChange>,
    pub unchanged: u64,
    pub skipped: Vec<Skipped>,
}

impl Plan {
    /// A digest of everything the plan would do and leave, each entity's state
    /// before included: the preview carries it, and the import refuses to run a
    /// plan that is not the one the clerk read (the same counts are not enough: a
    /// listing confirmed since, on an entity the file takes off the list, leaves
    /// them as they were).
    pub fn digest(&self) -> String {
        use sha2::{Digest, Sha256};
        let standing = |s: Option<Standing>| match s {
            None => "-".to_string(),
            Some(s) => format!(
                "{}:{}",
                s.listed,
                s.since.map(|d| d.to_string()).unwrap_or_default()
            ),
        };
        let mut h = Sha256::new();
        for c in &self.changes {
            h.update(format!(
                "change\0{}\0{}\0{}\0{}\0{}\0{}\0{}\n",
                c.entity,
                c.before.risk_class.code(),
                c.before.abnormal,
                c.before.blacklisted,
                c.risk_class.map_or("-", |r| r.code()),
                standing(c.abnormal),
                standing(c.blacklist),
            ));
        }
        for k in &self.skipped {
            h.update(format!("skip\0{}\0{}\n", k.uscc, k.reason));
        }
        h.update(format!("rows\0{}\0{}", self.rows, self.unchanged));
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The file's rows against the directory as it is (`current`, by USCC), leaving on
/// its list an entity whose application for credit repair of that list awaits its
/// decision (`repair_pending`: USCC and list code): that application is decided by
/// the department, not overtaken by a file.
pub fn plan(
    rows: &[CreditStatusRow],
    current: &BTreeMap<String, Current>,
    repair_pending: &BTreeSet<(String, &'static str)>,
    today: NaiveDate,
) -> Plan {
    let mut plan = Plan {
        rows: rows.len() as u64,
        ..Plan::default()
    };
    for row in rows {
        let Some(now) = current.get(&row.uscc) else {
            plan.skipped.push(Skipped {
                uscc: row.uscc.clone(),
                name: row.name.clone(),
                reason: "不在本县检查对象名录中（其他县的主体，或尚未导入名录）".into(),
            });
            continue;
        };
        let mut change = StatusChange {
            entity: row.uscc.clone(),
            name: now.name.clone(),
            before: now.clone(),
            risk_class: row.risk_class.filter(|r| *r != now.risk_class),
            abnormal: None,
            blacklist: None,
        };
        for (list, label, file, was, slot) in [
            (
                "abnormal",
                "经营异常名录",
                row.abnormal,
                now.abnormal,
                &mut change.abnormal,
            ),
            (
                "blacklist",
                "严重违法失信名单",
                row.blacklist,
                now.blacklisted,
                &mut change.blacklist,
            ),
        ] {
            let Some(s) = file.filter(|s| s.listed != was) else {
                continue;
            };
            if let Some(day) = s.since.filter(|d| *d > today) {
                plan.skipped.push(Skipped {
                    uscc: row.uscc.clone(),
                    name: now.name.clone(),
                    reason: format!(
                        "{label}的列入日期 {day} 晚于今天，暂不列入：请核对省级平台的文件"
                    ),
                });
                continue;
            }
            if !s.listed && repair_pending.contains(&(row.uscc.clone(), list)) {
                plan.skipped.push(Skipped {
                    uscc: row.uscc.clone(),
                    name: now.name.clone(),
                    reason: format!(
                        "省级平台已不列其于{label}，但本县有待决定的信用修复申请：暂不移出，请在“后续处置与信用”中对申请作出决定"
                    ),
                });
                continue;
            }
            *slot = Some(s);
        }
        if change.risk_class.is_none() && change.abnormal.is_none() && change.blacklist.is_none() {
            plan.unchanged += 1;
        } else {
            plan.changes.push(change);
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uscc() -> String {
        Uscc::complete("91532323MA6N0XXX1").unwrap().to_string()
    }

    fn row(cells: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = cells.iter().map(|s| s.to_string()).collect();
        v.resize(COLUMNS.len(), String::new());
        v
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
    }

    fn current() -> Current {
        Current {
            name: "示例农资经营部".into(),
            risk_class: RiskClass::B,
            abnormal: false,
            blacklisted: true,
            abnormal_since: None,
            blacklist_since: NaiveDate::from_ymd_opt(2025, 3, 1),
        }
    }

    #[test]
    fn rows_read_their_statuses_and_refuse_what_they_cannot_mean() {
        let u = uscc();
        let r = parse_row(&row(&[&u, "某某", "较高风险", "在列", "2026/5/8", "否"])).unwrap();
        assert_eq!(r.risk_class, Some(RiskClass::C));
        assert_eq!(
            r.abnormal,
            Some(Standing {
                listed: true,
                since: NaiveDate::from_ymd_opt(2026, 5, 8)
            })
        );
        assert_eq!(
            r.blacklist,
            Some(Standing {
                listed: false,
                since: None
            })
        );

        let errs = parse_row(&row(&["91532323MA6N0XXX1Q", "", "E", "也许"])).unwrap_err();
        let columns: Vec<usize> = errs.iter().map(|e| e.column).collect();
        assert_eq!(columns, vec![0, 2, 3], "{errs:?}");
        // A row that says nothing is a mistake (a wrong column header, usually).
        let errs = parse_row(&row(&[&u, "某某"])).unwrap_err();
        assert!(errs[0].reason.contains("至少填写一项"), "{errs:?}");
        // A date without 在列, or with 不在列, is refused rather than guessed.
        assert!(parse_row(&row(&[&u, "", "", "不在列", "2026-01-01"])).is_err());
        assert!(parse_row(&row(&[&u, "", "", "", "2026-01-01"])).is_err());
        assert!(parse_row(&row(&[""])).is_err());
    }

    #[test]
    fn the_plan_changes_what_differs_and_says_what_it_leaves() {
        let u = uscc();
        let mut dir = BTreeMap::new();
        dir.insert(u.clone(), current());
        let parsed = |cells: &[&str]| parse_row(&row(cells)).unwrap();
        let other = Uscc::complete("91532301MA6N0XXX1").unwrap().to_string();
        let rows = vec![
            parsed(&[&u, "", "D", "在列", "", "不在列"]),
            parsed(&[&other, "外县企业", "A"]),
        ];
        let p = plan(&rows, &dir, &BTreeSet::new(), day());
        assert_eq!(
            (p.rows, p.unchanged, p.changes.len(), p.skipped.len()),
            (2, 0, 1, 1)
        );
        let c = &p.changes[0];
        assert_eq!(c.risk_class, Some(RiskClass::D));
        assert_eq!(c.abnormal.map(|s| s.listed), Some(true));
        assert_eq!(c.blacklist.map(|s| s.listed), Some(false));
        assert_eq!(
            c.fields(),
            vec![
                ("信用风险分类", "B".into(), "D".into()),
                ("经营异常名录", "不在列".into(), "在列".into()),
                ("严重违法失信名单", "在列".into(), "不在列".into()),
            ]
        );
        assert_eq!(p.skipped[0].uscc, other);

        // The county's own state exported and read back changes nothing.
        let same = parse_row(&cells(&u, &current())).unwrap();
        let p = plan(&[same], &dir, &BTreeSet::new(), day());
        assert_eq!((p.unchanged, p.changes.len()), (1, 0));

        // A pending repair keeps the blacklist as it is; the rest still applies.
        let held: BTreeSet<(String, &str)> = [(u.clone(), "blacklist")].into();
        let p = plan(&rows[..1], &dir, &held, day());
        assert_eq!(p.changes[0].blacklist, None);
        assert_eq!(p.changes[0].risk_class, Some(RiskClass::D));
        assert!(p.skipped[0].reason.contains("信用修复"), "{:?}", p.skipped);

        // A listing dated after today is left alone, said so.
        let later = parsed(&[&u, "", "", "在列", "2027-01-01"]);
        let p = plan(&[later], &dir, &BTreeSet::new(), day());
        assert_eq!((p.changes.len(), p.skipped.len()), (0, 1));
        assert!(p.skipped[0].reason.contains("晚于今天"), "{:?}", p.skipped);
    }

    #[test]
    fn the_digest_changes_with_what_the_plan_does_and_the_state_before() {
        let u = uscc();
        let mut dir = BTreeMap::new();
        dir.insert(u.clone(), current());
        let rows = vec![parse_row(&row(&[&u, "", "D", "", "", "不在列"])).unwrap()];
        let a = plan(&rows, &dir, &BTreeSet::new(), day());
        assert_eq!(
            a.digest(),
            plan(&rows, &dir, &BTreeSet::new(), day()).digest()
        );
        // The same counts, another state before: another digest.
        dir.get_mut(&u).unwrap().abnormal = true;
        let b = plan(&rows, &dir, &BTreeSet::new(), day());
        assert_eq!(b.changes.len(), a.changes.len());
        assert_ne!(a.digest(), b.digest());
    }
}
