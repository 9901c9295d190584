use super::*;

impl County<'_> {
    /// What every substitution needs: a drawn task, its plan and seed from the stored
    /// record, and a stated reason.
    async fn substitution_context<'r>(
        &self,
        task: &Task,
        reason: &'r str,
    ) -> Result<(Plan, [u8; 32], &'r str)> {
        task.state
            .require(TaskState::Drawn, "替补")
            .map_err(workflow)?;
        let record = self
            .draw_record(task.id)
            .await?
            .ok_or_else(|| StoreError::corrupt("drawn task without record"))?;
        let record =
            Record::parse(record.as_bytes()).map_err(|e| StoreError::corrupt(e.to_string()))?;
        let reason = crate::posted("替补原因", reason.trim(), liancha_domain::text::FREE_TEXT)
            .map_err(|e| e.on_field("reason"))?;
        if reason.is_empty() {
            return Err(StoreError::invalid_field("reason", "请填写替补原因"));
        }
        Ok((record.plan().clone(), record.result().seed, reason))
    }

    /// Replaces an inspector who cannot serve (illness, a conflict found late) by the
    /// next available inspector of the same department in ticket order.
    pub async fn substitute_inspector(
        &self,
        task_id: i64,
        version: i32,
        inspector_id: &str,
        reason: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let task = self.task_or_404(task_id).await?;
        let (plan, seed, reason) = self.substitution_context(&task, reason).await?;
        crate::expect_version(&task, version)?;
        let members = self.team_members(task_id).await?;
        let Some(out) = members
            .iter()
            .find(|m| m.inspector_id == inspector_id && m.active)
        else {
            return Err(StoreError::invalid_field(
                "id",
                format!("执法人员 {inspector_id} 不在本任务的检查组中"),
            ));
        };
        let taken: Vec<String> = members.iter().map(|m| m.inspector_id.clone()).collect();
        let team_entities: Vec<String> = self
            .visits(task_id)
            .await?
            .into_iter()
            .filter(|v| v.team_no == Some(out.team_no))
            .map(|v| v.entity_id)
            .collect();
        // Someone who has fallen ill since the commit cannot be drawn as replacement.
        let mut unavailable = Vec::new();
        for i in &plan.inspectors {
            if let Some(now_i) = self.inspector(&i.id).await?
                && !now_i.is_available_on(task.inspection_end)
            {
                unavailable.push(i.id.clone());
            }
        }
        let taken_all: Vec<String> = taken.iter().chain(&unavailable).cloned().collect();
        let team_others: Vec<String> = members
            .iter()
            .filter(|m| m.team_no == out.team_no && m.active && m.inspector_id != inspector_id)
            .map(|m| m.inspector_id.clone())
            .collect();
        let sub = Substitution { plan: &plan, seed };
        let Some(new) = sub.inspector(inspector_id, &taken_all, &team_entities, &team_others)
        else {
            return Err(invalid(
                "没有符合条件的同部门执法人员可替补（须未入组、无回避关系，并具备本组所需的专业领域）",
            ));
        };
        let position = members
            .iter()
            .filter(|m| m.team_no == out.team_no)
            .map(|m| m.position)
            .max()
            .unwrap_or(0)
            + 1;
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            bump_version!(self, &mut *tx, task_id, version, "state = state");
            self.query("UPDATE team_members SET active = FALSE, replaced_by = $1, replace_reason = $2 \
                         WHERE county = $C AND task_id = $3 AND team_no = $4 AND inspector_id = $5")
                .bind(&new).bind(reason).bind(task_id).bind(out.team_no).bind(inspector_id).execute(&mut *tx).await?;
            self.query("INSERT INTO team_members (county, task_id, team_no, position, inspector_id, active) VALUES ($C, $1, $2, $3, $4, TRUE)")
                .bind(task_id).bind(out.team_no).bind(position).bind(&new).execute(&mut *tx).await?;
            append_audit!(self, &mut *tx, actor, now, Audit::new("task.substitute-inspector", "task", task_id).task(task_id)
                .before(serde_json::json!({"team": out.team_no, "inspector": inspector_id}))
                .after(serde_json::json!({"team": out.team_no, "inspector": new, "reason": reason,
                    "rule": "同部门、未入组、无回避关系、具备本组所缺专业领域者中 ticket(\"inspector\", id) 最小者"})))?;
            crate::append_log!(self, tx, now, LogEvent::Substituted {
                task: task_id, kind: "inspector".into(),
                digest: substitution_digest(inspector_id, &new, reason),
            });
            tx.commit().await?;
        });
        Ok(new)
    }

    /// Replaces a selected entity that can no longer be visited (deregistered after
    /// the draw) by the next unselected entity of its stratum in ticket order; the
    /// replacement goes to the same team.
    pub async fn substitute_entity(
        &self,
        task_id: i64,
        version: i32,
        entity_id: &str,
        reason: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let task = self.task_or_404(task_id).await?;
        let (plan, seed, reason) = self.substitution_context(&task, reason).await?;
        crate::expect_version(&task, version)?;
        let visits = self.visits(task_id).await?;
        let Some(out) = visits.iter().find(|v| v.entity_id == entity_id) else {
            return Err(StoreError::invalid_field(
                "id",
                format!("{entity_id} 不是本任务抽中的检查对象"),
            ));
        };
        if out.state != VisitState::Pending {
            return Err(StoreError::invalid_field(
                "id",
                "只有尚未检查的对象可以替补",
            ));
        }
        let used: Vec<String> = visits.iter().map(|v| v.entity_id.clone()).collect();
        // Entities no longer operating cannot replace anyone either.
        let mut unavailable = Vec::new();
        let stratum = plan
            .entities
            .iter()
            .find(|e| e.id == entity_id)
            .map(|e| e.stratum.clone());
        for e in plan
            .entities
            .iter()
            .filter(|e| Some(&e.stratum) == stratum.as_ref())
        {
            if let Some(now_e) = self.entity(&e.id).await?
                && !now_e.is_operating()
            {
                unavailable.push(e.id.clone());
            }
        }
        let sub = Substitution { plan: &plan, seed };
        let Some(new) = sub.entity(entity_id, &used, &unavailable) else {
            return Err(invalid("同一风险分类中已没有可替补的检查对象"));
        };
        let order = visits.iter().map(|v| v.draw_order).max().unwrap_or(0) + 1;
        let code = new_check_code();
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            bump_version!(self, &mut *tx, task_id, version, "state = state");
            self.query("UPDATE visits SET state = 'replaced', replaced_by = $1, replace_reason = $2 WHERE county = $C AND task_id = $3 AND entity_id = $4")
                .bind(&new).bind(reason).bind(task_id).bind(entity_id).execute(&mut *tx).await?;
            // The new entity gets a notice of its own: the one sent out keeps its number.
            let notice = crate::numbers::number_for!(self, &mut *tx, &task.lead_department,
                liancha_domain::numbering::NumberKind::Notice,
                chrono::Datelike::year(&liancha_domain::calendar::china_date(now))).unwrap_or_default();
            self.query("INSERT INTO visits (county, task_id, entity_id, draw_order, team_no, state, check_code, notice_number) VALUES ($C, $1, $2, $3, $4, 'pending', $5, $6)")
                .bind(task_id).bind(&new).bind(order).bind(out.team_no).bind(&code).bind(&notice).execute(&mut *tx).await?;
            // The new visit is not reviewed yet: approvals given so far do not cover it.
            self.query("DELETE FROM reviews WHERE county = $C AND task_id = $1").bind(task_id).execute(&mut *tx).await?;
            append_audit!(self, &mut *tx, actor, now, Audit::new("task.substitute-entity", "task", task_id).task(task_id)
                .before(serde_json::json!({"entity": entity_id, "team": out.team_no}))
                .after(serde_json::json!({"entity": new, "team": out.team_no, "reason": reason, "notice_number": notice,
                    "rule": "同风险分类、未被抽中者中 ticket(\"entity\", id) 最小者"})))?;
            crate::append_log!(self, tx, now, LogEvent::Substituted {
                task: task_id, kind: "entity".into(),
                digest: substitution_digest(entity_id, &new, reason),
            });
            tx.commit().await?;
        });
        Ok(new)
    }
}
