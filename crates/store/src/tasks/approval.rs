use super::*;
use liancha_domain::approval::{self, ApprovalError, ApprovalEvent, ApprovalStep};

/// A task awaiting its head's approval (the head's 待审批 list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingApproval {
    pub task_id: i64,
    pub title: String,
    pub lead_department: String,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
}

fn refused(e: ApprovalError) -> StoreError {
    match e {
        ApprovalError::OpinionRequired | ApprovalError::OpinionTooLong => {
            StoreError::invalid_field("opinion", e.to_string())
        }
        _ => StoreError::WrongState(e.to_string()),
    }
}

impl County<'_> {
    /// The task's approval steps, in order.
    pub async fn approvals(&self, task_id: i64) -> Result<Vec<ApprovalEvent>> {
        Ok(with_pool!(self, p => approval_events!(self, p, task_id)))
    }

    /// Asks the lead department's head to approve the task as it is at `version`.
    pub async fn request_approval(
        &self,
        id: i64,
        version: i32,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.approval_step(id, version, None, actor, now).await
    }

    /// The head's decision on the pending request: approve (the opinion may be
    /// empty: 同意) or refuse (the opinion says what to change). `lead_department`
    /// is the department whose head was found to decide: checked again with the
    /// task's row held, so that a task handed to another department meanwhile is
    /// not decided by the first one's head.
    #[allow(clippy::too_many_arguments)]
    pub async fn decide_approval(
        &self,
        id: i64,
        version: i32,
        lead_department: &str,
        approve: bool,
        opinion: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.approval_step(
            id,
            version,
            Some((lead_department, approve, opinion)),
            actor,
            now,
        )
        .await
    }

    async fn approval_step(
        &self,
        id: i64,
        version: i32,
        decision: Option<(&str, bool, &str)>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let task = self.task_or_404(id).await?;
        let doing = if decision.is_some() {
            "审批"
        } else {
            "报请审批"
        };
        task.state
            .require(TaskState::Draft, doing)
            .map_err(workflow)?;
        crate::expect_version(&task, version)?;
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            // The task's row is held to the commit: an edit or a seal meanwhile waits
            // for this step, or has already moved the version on.
            let lead = decision.map_or(task.lead_department.as_str(), |d| d.0);
            let held = self.query("UPDATE tasks SET version = version WHERE county = $C AND id = $1 AND version = $2 AND state = 'draft' AND lead_department = $3")
                .bind(id).bind(version).bind(lead).execute(&mut *tx).await?;
            if held.rows_affected() != 1 {
                return Err(StoreError::stale());
            }
            let events = approval_events!(self, &mut *tx, id);
            let (step, opinion) = match decision {
                None => {
                    approval::may_request(&events, version).map_err(refused)?;
                    (ApprovalStep::Requested, String::new())
                }
                Some((_, approve, opinion)) => {
                    let opinion = approval::decide(&events, version, actor.user_id, approve, opinion)
                        .map_err(refused)?;
                    (if approve { ApprovalStep::Approved } else { ApprovalStep::Refused }, opinion)
                }
            };
            self.query("INSERT INTO task_approvals (county, task_id, seq, step, task_version, opinion, user_id, username, at) \
                        VALUES ($C, $1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(id).bind(events.len() as i32 + 1).bind(step.code()).bind(version).bind(&opinion)
                .bind(actor.user_id).bind(&actor.username).bind(now).execute(&mut *tx).await?;
            let action = match step {
                ApprovalStep::Requested => "task.approval-request",
                ApprovalStep::Approved => "task.approval-grant",
                ApprovalStep::Refused => "task.approval-refuse",
            };
            let mut after = serde_json::json!({"task_version": version});
            if step != ApprovalStep::Requested {
                after["opinion"] = serde_json::Value::String(opinion);
            }
            append_audit!(self, &mut *tx, actor, now, Audit::new(action, "task", id).task(id).after(after))?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Whether `department` has an account that can approve its tasks (an enabled
    /// 部门负责人): without one its drafts cannot be sealed.
    pub async fn has_head(&self, department: &str) -> Result<bool> {
        let n: i64 = with_pool!(self, p => self.query_scalar(
            "SELECT COUNT(*) FROM users WHERE division = $C AND role = 'department-head' AND department = $1 AND NOT disabled")
            .bind(department).fetch_one(p).await)?;
        Ok(n > 0)
    }

    /// Tasks of `department` (every department's, if `None`) waiting for their
    /// head's decision on the version they are at, oldest request first.
    pub async fn pending_approvals(
        &self,
        department: Option<&str>,
    ) -> Result<Vec<PendingApproval>> {
        let mut sql = String::from(
            "SELECT t.id, t.title, t.lead_department, COALESCE(u.display_name, a.username), a.at FROM tasks t \
             JOIN task_approvals a ON a.county = t.county AND a.task_id = t.id \
             LEFT JOIN users u ON u.id = a.user_id \
             WHERE t.county = $C AND t.state = 'draft' AND a.step = 'requested' AND a.task_version = t.version \
             AND a.seq = (SELECT MAX(b.seq) FROM task_approvals b WHERE b.county = t.county AND b.task_id = t.id)",
        );
        if department.is_some() {
            sql.push_str(" AND t.lead_department = $1");
        }
        sql.push_str(" ORDER BY a.at, t.id");
        let rows: Vec<(i64, String, String, String, DateTime<Utc>)> = with_pool!(self, p => {
            let mut q = self.query_as(&sql);
            if let Some(d) = department { q = q.bind(d); }
            q.fetch_all(p).await
        })?;
        Ok(rows
            .into_iter()
            .map(
                |(task_id, title, lead_department, requested_by, requested_at)| PendingApproval {
                    task_id,
                    title,
                    lead_department,
                    requested_by,
                    requested_at,
                },
            )
            .collect())
    }
}
