//! The plan a task draws from, for the page that previews the draw: built from the
//! directories as they are now while the task is a draft, read back as it was frozen
//! once sealed.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use liancha_domain::workflow::TaskState;
use liancha_draw::Plan;

use crate::tasks::Task;
use crate::{County, Result, StoreError, with_pool};

/// A task's plan and how many entities of its scope were left out, by reason code.
#[derive(Debug, Clone)]
pub struct PlanPreview {
    pub plan: Plan,
    pub excluded: BTreeMap<String, i64>,
    /// Whether the plan is the sealed one (otherwise what sealing now would freeze).
    pub frozen: bool,
}

impl County<'_> {
    /// `task`'s plan: for a draft, the one sealing at `now` would freeze (its sources
    /// left empty); for a sealed task, the frozen one; `None` for a task cancelled
    /// before it was sealed.
    pub async fn plan_preview(
        &self,
        task: &Task,
        now: DateTime<Utc>,
    ) -> Result<Option<PlanPreview>> {
        if task.state == TaskState::Draft {
            let built = self.build_plan(task, &[], now).await?;
            let mut excluded = BTreeMap::new();
            for (_, reason) in &built.exclusions {
                *excluded.entry(reason.code().to_string()).or_default() += 1;
            }
            return Ok(Some(PlanPreview {
                plan: built.plan,
                excluded,
                frozen: false,
            }));
        }
        let Some(json) = self.plan_json(task.id).await? else {
            return Ok(None);
        };
        let plan = Plan::parse(json.as_bytes())
            .map_err(|e| StoreError::corrupt(format!("plan of task {}: {e}", task.id)))?;
        let excluded: Vec<(String, i64)> = with_pool!(self, p => self.query_as(
            "SELECT reason, COUNT(*) FROM task_exclusions WHERE county = $C AND task_id = $1 GROUP BY reason")
            .bind(task.id).fetch_all(p).await)?;
        Ok(Some(PlanPreview {
            plan,
            excluded: excluded.into_iter().collect(),
            frozen: true,
        }))
    }
}
