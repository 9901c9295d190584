//! What a task's published results start: follow-up work for the departments and
//! proposals for the credit lists.
//!
//! One problem at one entity is one piece of work for each department responsible,
//! however many of its items found it, and at most one proposal per list, naming the
//! items it came from: a joint visit where the entity refused the inspection is one
//! 立案查处 per department and one blacklist proposal, not one per item.

use crate::workflow::{CreditList, FollowUpKind, ResultCategory};

/// One item's published result at one entity.
#[derive(Debug, Clone, Copy)]
pub struct PublishedResult<'a> {
    pub entity: &'a str,
    pub item: &'a str,
    /// The item's department: who follows its problems up.
    pub department: &'a str,
    pub categories: &'a [ResultCategory],
}

/// A follow-up to open: one per entity, responsible department and kind of measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpDraft {
    pub entity: String,
    pub department: String,
    pub kind: FollowUpKind,
    /// The first finding that called for it (in the order of the items).
    pub category: ResultCategory,
    /// The items whose findings it covers, in order, each once.
    pub items: Vec<String>,
}

/// A proposal for a credit list: one per entity and list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditDraft {
    pub entity: String,
    pub list: CreditList,
    pub category: ResultCategory,
    pub items: Vec<String>,
}

fn push_once(items: &mut Vec<String>, item: &str) {
    if !items.iter().any(|i| i == item) {
        items.push(item.to_string());
    }
}

/// The follow-ups and credit proposals that `results` call for, in the order of the
/// results (the draw order, then the item code, as the store reads them).
pub fn drafts(results: &[PublishedResult<'_>]) -> (Vec<FollowUpDraft>, Vec<CreditDraft>) {
    let mut follow_ups: Vec<FollowUpDraft> = vec![];
    let mut credit: Vec<CreditDraft> = vec![];
    for r in results {
        for &c in r.categories {
            if let Some(kind) = c.default_follow_up() {
                match follow_ups.iter_mut().find(|f| {
                    f.entity == r.entity && f.department == r.department && f.kind == kind
                }) {
                    Some(f) => push_once(&mut f.items, r.item),
                    None => follow_ups.push(FollowUpDraft {
                        entity: r.entity.into(),
                        department: r.department.into(),
                        kind,
                        category: c,
                        items: vec![r.item.into()],
                    }),
                }
            }
            if let Some(list) = c.credit_list() {
                match credit
                    .iter_mut()
                    .find(|p| p.entity == r.entity && p.list == list)
                {
                    Some(p) => push_once(&mut p.items, r.item),
                    None => credit.push(CreditDraft {
                        entity: r.entity.into(),
                        list,
                        category: c,
                        items: vec![r.item.into()],
                    }),
                }
            }
        }
    }
    (follow_ups, credit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ResultCategory::*;

    fn r<'a>(
        entity: &'a str,
        item: &'a str,
        department: &'a str,
        categories: &'a [ResultCategory],
    ) -> PublishedResult<'a> {
        PublishedResult {
            entity,
            item,
            department,
            categories,
        }
    }

    #[test]
    fn one_refused_joint_visit_is_one_case_per_department_and_one_proposal() {
        let results = [
            r("E1", "NY-001", "agri", &[Obstructed]),
            r("E1", "NY-002", "agri", &[Obstructed]),
            r("E1", "SC-001", "amr", &[Obstructed]),
            r("E1", "SC-002", "amr", &[Obstructed]),
        ];
        let (follow_ups, credit) = drafts(&results);
        assert_eq!(
            follow_ups,
            [
                FollowUpDraft {
                    entity: "E1".into(),
                    department: "agri".into(),
                    kind: FollowUpKind::Case,
                    category: Obstructed,
                    items: vec!["NY-001".into(), "NY-002".into()],
                },
                FollowUpDraft {
                    entity: "E1".into(),
                    department: "amr".into(),
                    kind: FollowUpKind::Case,
                    category: Obstructed,
                    items: vec!["SC-001".into(), "SC-002".into()],
                },
            ]
        );
        assert_eq!(
            credit,
            [CreditDraft {
                entity: "E1".into(),
                list: CreditList::Blacklist,
                category: Obstructed,
                items: vec![
                    "NY-001".into(),
                    "NY-002".into(),
                    "SC-001".into(),
                    "SC-002".into()
                ],
            }]
        );
    }

    #[test]
    fn different_measures_and_entities_stay_apart() {
        let results = [
            // Not disclosed (rectify, abnormal list) and false disclosure (case, abnormal).
            r("E1", "SC-001", "amr", &[NotDisclosed, FalseDisclosure]),
            r("E1", "SC-002", "amr", &[NotDisclosed]),
            r("E2", "SC-001", "amr", &[NoProblem]),
            r("E3", "SC-001", "amr", &[Unreachable]),
        ];
        let (follow_ups, credit) = drafts(&results);
        let summary: Vec<(&str, FollowUpKind, Vec<String>)> = follow_ups
            .iter()
            .map(|f| (f.entity.as_str(), f.kind, f.items.clone()))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "E1",
                    FollowUpKind::Rectify,
                    vec!["SC-001".into(), "SC-002".into()]
                ),
                ("E1", FollowUpKind::Case, vec!["SC-001".into()]),
                ("E3", FollowUpKind::Rectify, vec!["SC-001".into()]),
            ]
        );
        assert_eq!(
            credit.len(),
            2,
            "one abnormal-list proposal per entity: {credit:?}"
        );
        assert_eq!(credit[0].items, ["SC-001", "SC-002"]);
        assert_eq!(credit[0].category, NotDisclosed);
        assert_eq!(credit[1].entity, "E3");
        assert!(
            drafts(&[r("E2", "SC-001", "amr", &[NoProblem])])
                .0
                .is_empty()
        );
    }
}
