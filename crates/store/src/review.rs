//! What the reviewer of a task reads at once: every visit's results, and each
//! entity's risk class.

use std::collections::BTreeMap;

use liancha_domain::workflow::ResultCategory;
use liancha_domain::{InspectionMethod, RiskClass};

use crate::results::{ItemResult, split_codes};
use crate::{County, Result, StoreError, with_pool};

impl County<'_> {
    /// Every result of task `task_id`, by entity then item code.
    pub async fn task_results(
        &self,
        task_id: i64,
    ) -> Result<BTreeMap<String, BTreeMap<String, ItemResult>>> {
        let rows: Vec<(String, String, String, String, String)> = with_pool!(self, p => self.query_as(
            "SELECT entity_id, item_code, categories, methods, findings FROM results \
             WHERE county = $C AND task_id = $1")
            .bind(task_id).fetch_all(p).await)?;
        let mut out: BTreeMap<String, BTreeMap<String, ItemResult>> = BTreeMap::new();
        for (entity, item_code, categories, methods, findings) in rows {
            out.entry(entity).or_default().insert(
                item_code.clone(),
                ItemResult {
                    item_code,
                    categories: split_codes(&categories, ResultCategory::from_code),
                    methods: split_codes(&methods, InspectionMethod::from_code),
                    findings,
                },
            );
        }
        Ok(out)
    }

    /// The risk class in the directory of each entity visited in task `task_id`.
    pub async fn visit_risk_classes(&self, task_id: i64) -> Result<BTreeMap<String, RiskClass>> {
        let rows: Vec<(String, String)> = with_pool!(self, p => self.query_as(
            "SELECT v.entity_id, e.risk_class FROM visits v \
             JOIN entities e ON e.county = v.county AND e.id = v.entity_id \
             WHERE v.county = $C AND v.task_id = $1")
            .bind(task_id).fetch_all(p).await)?;
        rows.into_iter()
            .map(|(id, class)| {
                RiskClass::from_code(&class)
                    .map(|c| (id, c))
                    .ok_or_else(|| StoreError::corrupt(format!("risk_class {class}")))
            })
            .collect()
    }
}
