//! 检查要点: what an item checks, point by point, and how a point's answer reads in
//! the result. A joint task asks each point once (一表通查): points of different
//! departments' items that carry the same code are one question, and its answer
//! counts for every item that has it.

use std::collections::BTreeMap;

use crate::labelled_enum;
use crate::labels::InspectionMethod;
use crate::rows::{CellKind, Cells, Column, FieldError, Lookup, Row, col};
use crate::workflow::ResultCategory;

/// One point of an item.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckPoint {
    /// The item it belongs to.
    pub item: String,
    /// The point's code; two items' points with the same code are one question.
    pub code: String,
    /// 检查内容: the question as asked on site.
    pub content: String,
    /// 检查方法.
    pub method: InspectionMethod,
    /// 法律条款: the clause a 不符合 answer cites.
    pub clause: String,
    /// Default wording when the entity complies (符合).
    pub pass_text: String,
    /// Default wording when it does not (不符合).
    pub fail_text: String,
    /// The result category a 不符合 answer proposes for the item.
    pub fail_category: ResultCategory,
}

impl CheckPoint {
    /// The point's key in a file and a preview: its item and its code.
    pub fn key(&self) -> String {
        format!("{} {}", self.item, self.code)
    }

    /// The point's failure as the findings cite it: its wording and its clause.
    pub fn cited(&self) -> String {
        if self.clause.is_empty() {
            self.fail_text.clone()
        } else {
            format!("{}（{}）", self.fail_text, self.clause)
        }
    }
}

labelled_enum! {
    /// The answer to one point.
    pub enum Answer {
        Pass = ("pass", "符合"),
        Fail = ("fail", "不符合"),
        NotApplicable = ("na", "不涉及"),
    }
}

/// One question of a visit's form: a point code asked once, with every item's point
/// that it answers (in item order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question<'a> {
    pub code: &'a str,
    /// Asked as the first item's point words it.
    pub content: &'a str,
    pub method: InspectionMethod,
    pub points: Vec<&'a CheckPoint>,
}

impl Question<'_> {
    /// Whether several items (so, in a joint task, usually several departments)
    /// share it.
    pub fn shared(&self) -> bool {
        self.points.len() > 1
    }

    /// The items it answers for.
    pub fn items(&self) -> impl Iterator<Item = &str> {
        self.points.iter().map(|p| p.item.as_str())
    }
}

/// The questions of a visit over `items` (in the task's order): each point code
/// once, where it first appears; within an item, its points in their order.
pub fn questions<'a>(items: &[String], points: &'a [CheckPoint]) -> Vec<Question<'a>> {
    let mut out: Vec<Question<'a>> = Vec::new();
    for item in items {
        for p in points.iter().filter(|p| &p.item == item) {
            match out.iter_mut().find(|q| q.code == p.code) {
                Some(q) => q.points.push(p),
                None => out.push(Question {
                    code: &p.code,
                    content: &p.content,
                    method: p.method,
                    points: vec![p],
                }),
            }
        }
    }
    out
}

/// What the answers propose for one item's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub categories: Vec<ResultCategory>,
    pub methods: Vec<InspectionMethod>,
    /// Each 不符合 point's wording with the clause it cites, one per line.
    pub findings: String,
}

/// The result the answers propose for `item`, once every one of its points is
/// answered: 不符合 points give their categories and cited wording; none failing
/// gives 未发现问题; all 不涉及 gives 未发现开展本次抽查涉及的经营活动. `None` while a
/// point is unanswered or the item has no points: nothing is proposed from half a form.
pub fn propose(
    item: &str,
    points: &[CheckPoint],
    answers: &BTreeMap<String, Answer>,
) -> Option<Proposal> {
    let own: Vec<&CheckPoint> = points.iter().filter(|p| p.item == item).collect();
    if own.is_empty() {
        return None;
    }
    let mut categories = Vec::new();
    let mut methods = Vec::new();
    let mut findings = Vec::new();
    let mut all_na = true;
    for p in &own {
        let answer = *answers.get(&p.code)?;
        if answer != Answer::NotApplicable {
            all_na = false;
            if !methods.contains(&p.method) {
                methods.push(p.method);
            }
        }
        if answer == Answer::Fail {
            if !categories.contains(&p.fail_category) {
                categories.push(p.fail_category);
            }
            findings.push(p.cited());
        }
    }
    if all_na {
        categories.push(ResultCategory::NoActivity);
        methods.push(own[0].method);
    } else if categories.is_empty() {
        categories.push(ResultCategory::NoProblem);
    }
    Some(Proposal {
        categories,
        methods,
        findings: findings.join("\n"),
    })
}

fn any() -> Vec<&'static str> {
    Vec::new()
}

fn methods() -> Vec<&'static str> {
    InspectionMethod::labels()
}

fn problems() -> Vec<&'static str> {
    ResultCategory::ALL
        .iter()
        .filter(|c| c.is_problem())
        .map(|c| c.label())
        .collect()
}

/// The check points as a file: one row a point, an item's points in their order.
pub const COLUMNS: &[Column] = &[
    col!(
        "item",
        "事项编码",
        ["抽查事项编码"],
        true,
        Id,
        "抽查事项清单中已有的事项编码；文件中出现的事项，其检查要点以文件为准（整体替换）",
        "SC-003"
    ),
    col!(
        "code",
        "要点编码",
        ["编码"],
        true,
        Id,
        "同一事项内不重复；不同部门事项中编码相同的要点在联合检查中只问一次（一表通查）",
        "JKZM"
    ),
    col!(
        "content",
        "检查内容",
        ["检查要点"],
        true,
        Text,
        "现场要看、要问的内容",
        "从业人员是否取得健康证明后上岗"
    ),
    col!(
        "method",
        "检查方法",
        ["检查方式"],
        true,
        Text,
        "实地检查、书面检查、网络监测、检验检测、委托专业机构之一",
        "书面检查",
        methods
    ),
    col!(
        "clause",
        "法律条款",
        ["依据条款", "依据"],
        false,
        Text,
        "不符合时在问题描述中引用",
        "《中华人民共和国食品安全法》第四十五条"
    ),
    col!(
        "pass_text",
        "符合表述",
        [],
        false,
        Text,
        "",
        "从业人员均持有效健康证明"
    ),
    col!(
        "fail_text",
        "不符合表述",
        [],
        true,
        Text,
        "不符合时写入问题描述",
        "部分从业人员未取得健康证明即上岗"
    ),
    col!(
        "fail_category",
        "不符合时的检查结果",
        ["检查结果"],
        true,
        Text,
        "不符合时建议勾选的检查结果（须是发现问题的一类）",
        "发现问题已责令改正",
        problems
    ),
];

/// A row of [`COLUMNS`]: a point, with its key in the file (item and code) and its
/// item's department (whose admin may import it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckPointRow {
    pub key: String,
    pub department: String,
    pub point: CheckPoint,
}

pub fn parse_row<C: Cells + ?Sized>(
    cells: &C,
    lookup: &Lookup,
) -> Result<CheckPointRow, Vec<FieldError>> {
    let mut r = Row::new(cells, COLUMNS);
    let item = r.required("item").map(str::to_string);
    let department = item.as_ref().and_then(|i| match lookup.items.get(i) {
        Some(d) => Some(d.clone()),
        None => {
            r.fail("item", format!("抽查事项清单中没有事项「{i}」"));
            None
        }
    });
    let code = r.required("code").map(str::to_string);
    let content = r.required("content").map(str::to_string);
    let method = r
        .required("method")
        .is_some()
        .then(|| {
            r.parsed(
                "method",
                None,
                |v| InspectionMethod::parse(v).map(Some),
                "检查方法",
            )
        })
        .flatten();
    let clause = r.text("clause");
    let pass_text = r.text("pass_text");
    let fail_text = r.required("fail_text").map(str::to_string);
    let fail_category = r
        .required("fail_category")
        .is_some()
        .then(|| {
            r.parsed(
                "fail_category",
                None,
                |v| {
                    ResultCategory::parse(v)
                        .filter(|c| c.is_problem())
                        .map(Some)
                },
                "发现问题的检查结果（如 发现问题已责令改正）",
            )
        })
        .flatten();
    let value = match (
        item,
        department,
        code,
        content,
        method,
        fail_text,
        fail_category,
    ) {
        (
            Some(item),
            Some(department),
            Some(code),
            Some(content),
            Some(method),
            Some(fail_text),
            Some(fail_category),
        ) => {
            let point = CheckPoint {
                item,
                code,
                content,
                method,
                clause,
                pass_text,
                fail_text,
                fail_category,
            };
            Some(CheckPointRow {
                key: point.key(),
                department,
                point,
            })
        }
        _ => None,
    };
    match value {
        Some(v) => r.finish(v),
        None => Err(r.finish(()).err().unwrap_or_default()),
    }
}

/// A point as a row of [`COLUMNS`].
pub fn cells(p: &CheckPoint) -> Vec<String> {
    vec![
        p.item.clone(),
        p.code.clone(),
        p.content.clone(),
        p.method.label().into(),
        p.clause.clone(),
        p.pass_text.clone(),
        p.fail_text.clone(),
        p.fail_category.label().into(),
    ]
}

/// A file's points grouped by item, items in the order of their first row, each
/// item's points in file order.
pub fn group_by_item(rows: Vec<CheckPointRow>) -> Vec<(String, Vec<CheckPoint>)> {
    let mut out: Vec<(String, Vec<CheckPoint>)> = Vec::new();
    for r in rows {
        match out.iter_mut().find(|(i, _)| *i == r.point.item) {
            Some((_, v)) => v.push(r.point),
            None => out.push((r.point.item.clone(), vec![r.point])),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(item: &str, code: &str, clause: &str, fail: ResultCategory) -> CheckPoint {
        CheckPoint {
            item: item.into(),
            code: code.into(),
            content: format!("{code} 的内容"),
            method: InspectionMethod::OnSite,
            clause: clause.into(),
            pass_text: "符合".into(),
            fail_text: format!("{code} 不符合"),
            fail_category: fail,
        }
    }

    fn points() -> Vec<CheckPoint> {
        vec![
            point(
                "SC-003",
                "XKZ",
                "《食品安全法》第三十五条",
                ResultCategory::Corrected,
            ),
            point(
                "SC-003",
                "JKZM",
                "《食品安全法》第四十五条",
                ResultCategory::Corrected,
            ),
            point(
                "WS-001",
                "JKZM",
                "《公共场所卫生管理条例》第七条",
                ResultCategory::PendingAction,
            ),
            point(
                "WS-001",
                "WSXK",
                "《公共场所卫生管理条例》第八条",
                ResultCategory::OtherViolation,
            ),
        ]
    }

    #[test]
    fn a_shared_point_is_asked_once_where_it_first_appears() {
        let p = points();
        let items = vec!["SC-003".to_string(), "WS-001".to_string()];
        let q = questions(&items, &p);
        let codes: Vec<&str> = q.iter().map(|q| q.code).collect();
        assert_eq!(codes, ["XKZ", "JKZM", "WSXK"]);
        assert!(q[1].shared());
        assert_eq!(q[1].items().collect::<Vec<_>>(), ["SC-003", "WS-001"]);
        assert!(!q[0].shared());
        // A department entering only its own item sees only its points.
        let q = questions(&items[1..], &p);
        assert_eq!(
            q.iter().map(|q| q.code).collect::<Vec<_>>(),
            ["JKZM", "WSXK"]
        );
        assert!(!q[0].shared());
    }

    #[test]
    fn one_answer_proposes_for_every_item_sharing_it_with_its_own_clause() {
        let p = points();
        let answers: BTreeMap<String, Answer> = [
            ("XKZ".to_string(), Answer::Pass),
            ("JKZM".to_string(), Answer::Fail),
            ("WSXK".to_string(), Answer::Pass),
        ]
        .into();
        let food = propose("SC-003", &p, &answers).unwrap();
        assert_eq!(food.categories, [ResultCategory::Corrected]);
        assert_eq!(food.findings, "JKZM 不符合（《食品安全法》第四十五条）");
        let health = propose("WS-001", &p, &answers).unwrap();
        assert_eq!(health.categories, [ResultCategory::PendingAction]);
        assert!(health.findings.contains("《公共场所卫生管理条例》第七条"));
        assert_eq!(health.methods, [InspectionMethod::OnSite]);
    }

    #[test]
    fn nothing_is_proposed_from_half_a_form() {
        let p = points();
        let answers: BTreeMap<String, Answer> = [("XKZ".to_string(), Answer::Pass)].into();
        assert_eq!(propose("SC-003", &p, &answers), None);
        assert_eq!(propose("NO-POINTS", &p, &answers), None);
        let all_pass: BTreeMap<String, Answer> = [
            ("XKZ".to_string(), Answer::Pass),
            ("JKZM".to_string(), Answer::NotApplicable),
        ]
        .into();
        let r = propose("SC-003", &p, &all_pass).unwrap();
        assert_eq!(r.categories, [ResultCategory::NoProblem]);
        assert_eq!(r.findings, "");
        let none: BTreeMap<String, Answer> = [
            ("XKZ".to_string(), Answer::NotApplicable),
            ("JKZM".to_string(), Answer::NotApplicable),
        ]
        .into();
        assert_eq!(
            propose("SC-003", &p, &none).unwrap().categories,
            [ResultCategory::NoActivity]
        );
    }
}
