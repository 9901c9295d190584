//! Result forms saved on the way (暂存): one per person and visit, private to them.
//! A draft is not a record of the inspection: it is never reviewed, published or
//! audited, and it goes when its author's results are entered.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use liancha_domain::InspectionMethod;
use liancha_domain::check_points::Answer;
use liancha_domain::workflow::ResultCategory;

use crate::results::ItemResult;
use crate::{County, Result, with_pool};

/// A saved form: the date as typed, and each item as far as it was filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitDraft {
    pub inspected_on: String,
    pub results: Vec<ItemResult>,
    /// The check points' answers, by point code.
    pub answers: BTreeMap<String, Answer>,
    pub saved_at: DateTime<Utc>,
}

fn answers_to_json(answers: &BTreeMap<String, Answer>) -> String {
    serde_json::Value::Object(
        answers
            .iter()
            .map(|(k, a)| (k.clone(), serde_json::Value::from(a.code())))
            .collect(),
    )
    .to_string()
}

/// The saved answers; what no longer parses is left out, like the items.
fn answers_from_json(text: &str) -> BTreeMap<String, Answer> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str(text) else {
        return BTreeMap::new();
    };
    map.iter()
        .filter_map(|(k, v)| Some((k.clone(), Answer::from_code(v.as_str()?)?)))
        .collect()
}

fn to_json(results: &[ItemResult]) -> String {
    serde_json::Value::Array(
        results
            .iter()
            .map(|r| {
                serde_json::json!({
                    "item": r.item_code,
                    "categories": r.categories.iter().map(|c| c.code()).collect::<Vec<_>>(),
                    "methods": r.methods.iter().map(|m| m.code()).collect::<Vec<_>>(),
                    "findings": r.findings,
                })
            })
            .collect(),
    )
    .to_string()
}

/// The draft's items; what no longer parses (a code since renamed) is left out, as
/// a draft is only ever a starting point for the form.
fn from_json(text: &str) -> Vec<ItemResult> {
    let Ok(serde_json::Value::Array(items)) = serde_json::from_str(text) else {
        return vec![];
    };
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    items
        .iter()
        .filter_map(|i| {
            Some(ItemResult {
                item_code: i.get("item")?.as_str()?.to_string(),
                categories: strings(i.get("categories")?)
                    .iter()
                    .filter_map(|c| ResultCategory::from_code(c))
                    .collect(),
                methods: strings(i.get("methods")?)
                    .iter()
                    .filter_map(|m| InspectionMethod::from_code(m))
                    .collect(),
                findings: i.get("findings")?.as_str()?.to_string(),
            })
        })
        .collect()
}

/// A form to keep as it stands: the date as typed, the items, the points' answers.
pub struct DraftForm<'a> {
    pub inspected_on: &'a str,
    pub results: &'a [ItemResult],
    pub answers: &'a BTreeMap<String, Answer>,
}

impl County<'_> {
    /// Saves `user_id`'s form of a visit, replacing their earlier draft of it.
    pub async fn save_visit_draft(
        &self,
        task_id: i64,
        entity_id: &str,
        user_id: i64,
        form: &DraftForm<'_>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let json = to_json(form.results);
        let answers = answers_to_json(form.answers);
        let inspected_on = form.inspected_on;
        with_pool!(self, p => self.query(
            "INSERT INTO visit_drafts (county, task_id, entity_id, user_id, inspected_on, results, saved_at, answers) \
             VALUES ($C, $1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (county, task_id, entity_id, user_id) DO UPDATE SET \
             inspected_on = excluded.inspected_on, results = excluded.results, saved_at = excluded.saved_at, \
             answers = excluded.answers")
            .bind(task_id).bind(entity_id).bind(user_id).bind(inspected_on).bind(&json).bind(now).bind(&answers)
            .execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// When `user_id` last saved a draft of each visit they have one of, by
    /// (task, entity): their list marks them, so a form half filled is not forgotten.
    pub async fn drafted_visits(
        &self,
        user_id: i64,
    ) -> Result<BTreeMap<(i64, String), DateTime<Utc>>> {
        let rows: Vec<(i64, String, DateTime<Utc>)> = with_pool!(self, p => self.query_as(
            "SELECT task_id, entity_id, saved_at FROM visit_drafts WHERE county = $C AND user_id = $1")
            .bind(user_id).fetch_all(p).await)?;
        Ok(rows
            .into_iter()
            .map(|(task, entity, at)| ((task, entity), at))
            .collect())
    }

    /// `user_id`'s draft of a visit, if they saved one.
    pub async fn visit_draft(
        &self,
        task_id: i64,
        entity_id: &str,
        user_id: i64,
    ) -> Result<Option<VisitDraft>> {
        let row: Option<(String, String, DateTime<Utc>, String)> = with_pool!(self, p => self.query_as(
            "SELECT inspected_on, results, saved_at, answers FROM visit_drafts \
             WHERE county = $C AND task_id = $1 AND entity_id = $2 AND user_id = $3")
            .bind(task_id).bind(entity_id).bind(user_id).fetch_optional(p).await)?;
        Ok(
            row.map(|(inspected_on, results, saved_at, answers)| VisitDraft {
                inspected_on,
                results: from_json(&results),
                answers: answers_from_json(&answers),
                saved_at,
            }),
        )
    }

    /// Drops every draft of a visit that fills in any of `items`, once results of
    /// those items are entered, by whoever: a teammate's or colleague's older draft
    /// would otherwise come back over the results and, submitted, replace them.
    /// Drafts of other items (another department's) stay.
    pub async fn drop_drafts_covering(
        &self,
        task_id: i64,
        entity_id: &str,
        items: &[String],
    ) -> Result<()> {
        let rows: Vec<(i64, String)> = with_pool!(self, p => self.query_as(
            "SELECT user_id, results FROM visit_drafts WHERE county = $C AND task_id = $1 AND entity_id = $2")
            .bind(task_id).bind(entity_id).fetch_all(p).await)?;
        for (user_id, results) in rows {
            if from_json(&results)
                .iter()
                .any(|r| items.contains(&r.item_code))
            {
                with_pool!(self, p => self.query(
                    "DELETE FROM visit_drafts WHERE county = $C AND task_id = $1 AND entity_id = $2 AND user_id = $3")
                    .bind(task_id).bind(entity_id).bind(user_id).execute(p).await.map(|_| ()))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_reads_back_as_it_was_saved_and_unknown_codes_are_dropped() {
        let r = vec![
            ItemResult {
                item_code: "SC-001".into(),
                categories: vec![ResultCategory::Corrected],
                methods: vec![InspectionMethod::OnSite, InspectionMethod::Documentary],
                findings: "未公示\"营业执照\"".into(),
            },
            ItemResult {
                item_code: "NY-001".into(),
                categories: vec![],
                methods: vec![],
                findings: String::new(),
            },
        ];
        assert_eq!(from_json(&to_json(&r)), r);
        let odd = r#"[{"item":"SC-001","categories":["gone","none"],"methods":[],"findings":""},{"x":1}]"#;
        assert_eq!(from_json(odd)[0].categories, [ResultCategory::NoProblem]);
        assert_eq!(from_json(odd).len(), 1);
        assert!(from_json("not json").is_empty());
        let answers: BTreeMap<String, Answer> = [
            ("JKZM".to_string(), Answer::Fail),
            ("NB".to_string(), Answer::NotApplicable),
        ]
        .into();
        assert_eq!(answers_from_json(&answers_to_json(&answers)), answers);
        assert_eq!(
            answers_from_json(r#"{"A":"pass","B":"maybe","C":1}"#),
            BTreeMap::from([("A".to_string(), Answer::Pass)])
        );
        assert!(answers_from_json("{}").is_empty() && answers_from_json("[").is_empty());
    }
}
