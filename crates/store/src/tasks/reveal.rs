use super::*;

impl County<'_> {
    /// Enters the revealed values and draws. Refused, changing nothing, before any
    /// source's time, with a bad drand signature, or when the plan cannot be drawn.
    pub async fn reveal_and_draw(
        &self,
        id: i64,
        version: i32,
        values: &[String],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Record> {
        let task = self.task_or_404(id).await?;
        task.state
            .require(TaskState::Committed, "揭示随机源并抽取")
            .map_err(workflow)?;
        crate::expect_version(&task, version)?;
        if values.len() != task.sources.len() {
            return Err(invalid("揭示值的数量与声明的随机源数量不一致"));
        }
        for (s, v) in task.sources.iter().zip(values) {
            SourceDecl {
                text: s.text.clone(),
                not_before: s.not_before,
            }
            .check_reveal(v, now)
            .map_err(workflow)?;
        }
        let values: Vec<String> = values.iter().map(|v| v.trim().to_string()).collect();
        let plan_json = self
            .plan_json(id)
            .await?
            .ok_or_else(|| StoreError::corrupt("committed task without plan"))?;
        let plan =
            Plan::parse(plan_json.as_bytes()).map_err(|e| StoreError::corrupt(e.to_string()))?;
        let committed_at = task
            .committed_at
            .map(|t| liancha_draw::time::format_rfc3339_utc(t.timestamp()));
        let record = Record::draw(plan, values.clone(), committed_at).map_err(|e| match e {
            DrawError::NotEnoughInspectors(_) => invalid(
                "可用执法人员不足以组成所需的检查组（每组须含各参与部门人员及所需专业领域的人员），请减少检查组数量后重新建立任务",
            ),
            e => invalid(format!("抽取失败：{e}")),
        })?;
        if Some(record.plan_digest_hex()) != task.plan_digest {
            return Err(StoreError::corrupt(
                "plan digest differs from the committed one",
            ));
        }
        let record_json = record.to_pretty_json();
        let result = record.result();
        let codes: Vec<String> = (0..result.selected.len())
            .map(|_| new_check_code())
            .collect();
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            bump_version!(self, &mut *tx, id, version, "state = 'drawn', drawn_at = $3, record_json = $4", now, &record_json);
            for (pos, v) in values.iter().enumerate() {
                self.query("UPDATE task_sources SET revealed = $1 WHERE county = $C AND task_id = $2 AND position = $3")
                    .bind(v).bind(id).bind(pos as i32).execute(&mut *tx).await?;
            }
            for team in &result.teams {
                for (pos, m) in team.members.iter().enumerate() {
                    self.query("INSERT INTO team_members (county, task_id, team_no, position, inspector_id, active) VALUES ($C, $1, $2, $3, $4, TRUE)")
                        .bind(id).bind(team.no as i32).bind(pos as i32).bind(m).execute(&mut *tx).await?;
                }
            }
            let team_of: BTreeMap<&str, u64> = result.assignments.iter().map(|a| (a.entity.as_str(), a.team)).collect();
            // Each visit a team makes gets its 检查通知书's number, in draw order.
            // Dated the day of the draw, so of that year.
            let issued = chrono::Datelike::year(&liancha_domain::calendar::china_date(now));
            let visited = result.selected.iter().filter(|s| team_of.contains_key(s.id.as_str())).count() as i64;
            let mut notices = if visited > 0 {
                crate::numbers::numbers_for!(self, &mut *tx, &task.lead_department,
                    liancha_domain::numbering::NumberKind::Notice, issued, visited)
            } else {
                None
            };
            let first_notice = notices.as_ref().map(|(w, n)| w.number(issued, *n as u32));
            for (order, (sel, code)) in result.selected.iter().zip(&codes).enumerate() {
                let team = team_of.get(sel.id.as_str()).map(|t| *t as i32);
                let state = if team.is_some() { VisitState::Pending } else { VisitState::Unassigned };
                let notice = match (&mut notices, team) {
                    (Some((word, next)), Some(_)) => {
                        *next += 1;
                        word.number(issued, (*next - 1) as u32)
                    }
                    _ => String::new(),
                };
                self.query("INSERT INTO visits (county, task_id, entity_id, draw_order, team_no, state, check_code, notice_number) VALUES ($C, $1, $2, $3, $4, $5, $6, $7)")
                    .bind(id).bind(&sel.id).bind(order as i32 + 1).bind(team).bind(state.code()).bind(code).bind(&notice)
                    .execute(&mut *tx).await?;
            }
            append_audit!(self, &mut *tx, actor, now, Audit::new("task.draw", "task", id).task(id).after(serde_json::json!({
                "reveal": values, "seed": record.seed_hex(), "plan_digest": record.plan_digest_hex(),
                "selected": result.selected.len(), "teams": result.teams.len(), "unassigned": result.unassigned.len(),
                "notices": first_notice.map(|first| format!("{first}起共 {visited} 份")),
            })))?;
            crate::append_log!(self, tx, now, LogEvent::Drawn {
                task: id,
                plan_digest: record.plan_digest_hex(),
                record_digest: liancha_draw::hex::encode(&liancha_draw::digest_value(&record.to_value())),
            });
            tx.commit().await?;
        });
        Ok(record)
    }

    pub async fn cancel_task(
        &self,
        id: i64,
        version: i32,
        reason: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let task = self.task_or_404(id).await?;
        if !task.state.cancellable() {
            return Err(invalid(format!(
                "任务处于「{}」状态，不能取消",
                task.state.label()
            )));
        }
        crate::expect_version(&task, version)?;
        let reason = crate::posted("取消原因", reason.trim(), liancha_domain::text::FREE_TEXT)?;
        if reason.is_empty() {
            return Err(invalid("请填写取消原因"));
        }
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            bump_version!(self, &mut *tx, id, version, "state = 'cancelled', cancelled_at = $3, cancel_reason = $4", now, reason);
            append_audit!(self, &mut *tx, actor, now, Audit::new("task.cancel", "task", id).task(id)
                .before(serde_json::json!({"state": task.state.code()}))
                .after(serde_json::json!({"state": "cancelled", "reason": reason})))?;
            // A sealed task's cancellation is public: its announcement stays, marked.
            if let Some(plan_digest) = &task.plan_digest {
                crate::append_log!(self, tx, now, LogEvent::Cancelled {
                    task: id, plan_digest: plan_digest.clone(), reason: reason.to_string(),
                });
            }
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn add_witness(
        &self,
        task_id: i64,
        name: &str,
        role: WitnessRole,
        organisation: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let task = self.task_or_404(task_id).await?;
        if matches!(task.state, TaskState::Published | TaskState::Cancelled) {
            return Err(invalid("任务已结束，不能再登记见证人"));
        }
        let name = crate::posted("见证人姓名", name.trim(), liancha_domain::text::NAME)?;
        if name.is_empty() {
            return Err(invalid("请填写见证人姓名"));
        }
        crate::posted("见证人单位", organisation, liancha_domain::text::NAME)?;
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            self.query("INSERT INTO task_witnesses (county, task_id, name, role, organisation) VALUES ($C, $1, $2, $3, $4)")
                .bind(task_id).bind(name).bind(role.code()).bind(organisation.trim()).execute(&mut *tx).await?;
            append_audit!(self, &mut *tx, actor, now, Audit::new("task.witness", "task", task_id).task(task_id)
                .after(serde_json::json!({"name": name, "role": role.code(), "organisation": organisation.trim()})))?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn witnesses(&self, task_id: i64) -> Result<Vec<Witness>> {
        Ok(with_pool!(self, p => self.query_as(
            "SELECT id, name, role, organisation FROM task_witnesses WHERE county = $C AND task_id = $1 ORDER BY id")
            .bind(task_id).fetch_all(p).await)?)
    }
}
