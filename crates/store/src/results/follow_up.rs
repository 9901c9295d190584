use super::*;

impl County<'_> {
    pub async fn follow_ups(
        &self,
        department: Option<&str>,
        open_only: bool,
    ) -> Result<Vec<FollowUp>> {
        let mut sql = FOLLOW_UP_SELECT.to_string();
        if department.is_some() {
            sql.push_str(" AND (f.department = $1 OR f.target_department = $1)");
        }
        if open_only {
            sql.push_str(" AND f.state = 'open'");
        }
        sql.push_str(" ORDER BY f.state DESC, f.due_on, f.id");
        let rows: Vec<FollowUpRow> = with_pool!(self, p => {
            let mut q = self.query_as(&sql);
            if let Some(d) = department { q = q.bind(d); }
            q.fetch_all(p).await
        })?;
        rows.into_iter().map(FollowUp::try_from).collect()
    }

    pub async fn follow_up(&self, id: i64) -> Result<Option<FollowUp>> {
        let sql = format!("{FOLLOW_UP_SELECT} AND f.id = $1");
        let row: Option<FollowUpRow> =
            with_pool!(self, p => self.query_as(&sql).bind(id).fetch_optional(p).await)?;
        row.map(FollowUp::try_from).transpose()
    }

    /// Changes how a follow-up is handled (kind, due date, the department it goes to).
    #[allow(clippy::too_many_arguments)]
    pub async fn update_follow_up(
        &self,
        id: i64,
        kind: FollowUpKind,
        due_on: Option<NaiveDate>,
        target_department: Option<&str>,
        note: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let before = self
            .follow_up(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("后续处置 {id}")))?;
        crate::posted("处置说明", note, liancha_domain::text::FREE_TEXT)
            .map_err(|e| e.on_field("note"))?;
        if before.state == FollowUpState::Closed {
            return Err(invalid("该事项已办结，不能修改"));
        }
        if kind == FollowUpKind::Rectify && due_on.is_none() {
            return Err(StoreError::invalid_field(
                "due_on",
                "责令整改须填写整改期限",
            ));
        }
        if matches!(kind, FollowUpKind::Transfer | FollowUpKind::Notify)
            && target_department.is_none()
        {
            return Err(StoreError::invalid_field(
                "target_department",
                "移送、抄告须选择接收部门",
            ));
        }
        if let Some(t) = target_department
            && !self.departments().await?.iter().any(|d| d.code == t)
        {
            return Err(invalid(format!("部门「{t}」不存在")));
        }
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let done = self.query("UPDATE follow_ups SET kind = $1, due_on = $2, target_department = $3, note = $4 WHERE county = $C AND id = $5 AND state = 'open'")
                .bind(kind.code()).bind(due_on).bind(target_department).bind(note.trim()).bind(id).execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(invalid("该事项已办结，不能修改"));
            }
            append_audit!(self, &mut *tx, actor, now, Audit::new("follow-up.update", "follow-up", id)
                .before(serde_json::json!({"kind": before.kind.code(), "due_on": before.due_on, "target": before.target_department, "note": before.note}))
                .after(serde_json::json!({"kind": kind.code(), "due_on": due_on, "target": target_department, "note": note.trim()})))?;
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn close_follow_up(
        &self,
        id: i64,
        note: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let note = crate::posted("办结情况", note.trim(), liancha_domain::text::FREE_TEXT)
            .map_err(|e| e.on_field("note"))?;
        if note.is_empty() {
            return Err(StoreError::invalid_field("note", "请填写办结情况"));
        }
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let done = self.query("UPDATE follow_ups SET state = 'closed', closed_at = $1, closed_by = $2, note = $3 WHERE county = $C AND id = $4 AND state = 'open'")
                .bind(now).bind(actor.user_id).bind(note).bind(id).execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(invalid("该事项不存在或已办结"));
            }
            append_audit!(self, &mut *tx, actor, now, Audit::new("follow-up.close", "follow-up", id)
                .after(serde_json::json!({"state": "closed", "note": note})))?;
            tx.commit().await?;
        });
        Ok(())
    }
}
