use super::*;

/// Takes the entity off the list of confirmed proposal `$id` inside the caller's
/// transaction (its entity's row held first); evaluates to whether the flag was
/// cleared. A macro so each engine's arm of `with_pool!` compiles it for its driver.
macro_rules! remove_listing {
    ($self:ident, $tx:ident, $id:expr, $prop:expr, $column:expr, $reason:expr, $actor:expr, $now:expr) => {{
        let (id, prop, column, reason, actor, now) = ($id, &$prop, $column, $reason, $actor, $now);
            // The entity's row first: removals and confirmations of its other listings
            // wait for each other, so the count of listings still standing below is
            // never one a concurrent decision has already changed.
            $self.query("UPDATE entities SET updated_at = updated_at WHERE county = $C AND id = $1")
                .bind(&prop.entity_id).execute(&mut *$tx).await?;
            let was: Option<bool> = $self
                .query_scalar(&format!("SELECT {column} FROM entities WHERE county = $C AND id = $1"))
                .bind(&prop.entity_id).fetch_optional(&mut *$tx).await?;
            // Checked in the transaction that records the removal: a second click, or
            // a removal racing another, finds the row and changes nothing.
            let state: Option<String> = $self
                .query_scalar("SELECT c.state FROM credit_proposals c WHERE c.county = $C AND c.id = $1 \
                     AND NOT EXISTS (SELECT 1 FROM credit_removals r WHERE r.county = c.county AND r.proposal_id = c.id)")
                .bind(id).fetch_optional(&mut *$tx).await?;
            // An application awaiting its decision is decided, not overtaken: its
            // grant removes the listing (and is counted out here, decided first).
            let pending: i64 = $self
                .query_scalar("SELECT COUNT(*) FROM credit_repairs WHERE county = $C AND proposal_id = $1 AND state = 'applied'")
                .bind(id).fetch_one(&mut *$tx).await?;
            if pending > 0 {
                return Err(StoreError::WrongState("该列入有待决定的信用修复申请，请在“信用修复申请”中作出决定".into()));
            }
            match state.as_deref() {
                Some("confirmed") => {}
                Some(_) => return Err(StoreError::WrongState("该建议未确认列入，无需移出".into())),
                None => return Err(StoreError::Conflict("该主体已依此建议移出名单（可能是表单重复提交）".into())),
            }
            let inserted = $self.query("INSERT INTO credit_removals (county, proposal_id, entity_id, list, reason, removed_at, removed_by) \
                 VALUES ($C, $1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING")
                .bind(id).bind(&prop.entity_id).bind(prop.list.code()).bind(reason).bind(now).bind(actor.user_id)
                .execute(&mut *$tx).await?;
            if inserted.rows_affected() != 1 {
                return Err(StoreError::Conflict("该主体已依此建议移出名单（可能是表单重复提交）".into()));
            }
            let standing: i64 = $self
                .query_scalar("SELECT COUNT(*) FROM credit_proposals c WHERE c.county = $C AND c.entity_id = $1 \
                     AND c.list = $2 AND c.state = 'confirmed' \
                     AND NOT EXISTS (SELECT 1 FROM credit_removals r WHERE r.county = c.county AND r.proposal_id = c.id)")
                .bind(&prop.entity_id).bind(prop.list.code()).fetch_one(&mut *$tx).await?;
            let cleared = standing == 0;
            if cleared {
                let sql = format!("UPDATE entities SET {column} = FALSE, updated_at = $1 WHERE county = $C AND id = $2");
                $self.query(&sql).bind(now).bind(&prop.entity_id).execute(&mut *$tx).await?;
            }
            append_audit!($self, &mut *$tx, actor, now, Audit::new("credit.remove", "entity", &prop.entity_id)
                .before(serde_json::json!({column: was}))
                .after(serde_json::json!({column: if cleared { Some(false) } else { was }, "list": prop.list.code(), "proposal": id, "reason": reason})))?;
            crate::append_log!($self, $tx, now, liancha_domain::transparency::LogEvent::CreditRemoved {
                entity: prop.entity_id.clone(), list: prop.list.code().to_string(),
            });
            cleared
    }};
}
pub(crate) use remove_listing;

impl County<'_> {
    pub async fn credit_proposals(&self, department: Option<&str>) -> Result<Vec<CreditProposal>> {
        let mut sql = PROPOSAL_SELECT.to_string();
        if department.is_some() {
            sql.push_str(" AND c.department = $1");
        }
        sql.push_str(" ORDER BY c.state DESC, c.id");
        let rows: Vec<ProposalRow> = with_pool!(self, p => {
            let mut q = self.query_as(&sql);
            if let Some(d) = department { q = q.bind(d); }
            q.fetch_all(p).await
        })?;
        rows.into_iter().map(CreditProposal::try_from).collect()
    }

    pub async fn credit_proposal(&self, id: i64) -> Result<Option<CreditProposal>> {
        let sql = format!("{PROPOSAL_SELECT} AND c.id = $1");
        let row: Option<ProposalRow> =
            with_pool!(self, p => self.query_as(&sql).bind(id).fetch_optional(p).await)?;
        row.map(CreditProposal::try_from).transpose()
    }

    /// Confirms (the entity goes on the list: its flag changes, and through the rule
    /// book its future stratum) or rejects a proposal.
    pub async fn decide_credit_proposal(
        &self,
        id: i64,
        confirm: bool,
        note: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let prop = self
            .credit_proposal(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("信用名单建议 {id}")))?;
        if prop.state != ProposalState::Proposed {
            return Err(invalid("该建议已处理"));
        }
        crate::posted("处理意见", note, liancha_domain::text::FREE_TEXT)
            .map_err(|e| e.on_field("note"))?;
        if !confirm && note.trim().is_empty() {
            return Err(StoreError::invalid_field("note", "不予列入须说明理由"));
        }
        let entity = self.entity(&prop.entity_id).await?;
        let column = match prop.list {
            CreditList::Abnormal => "abnormal",
            CreditList::Blacklist => "blacklisted",
        };
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let done = self.query("UPDATE credit_proposals SET state = $1, decided_at = $2, decided_by = $3, note = $4 WHERE county = $C AND id = $5 AND state = 'proposed'")
                .bind(if confirm { "confirmed" } else { "rejected" }).bind(now).bind(actor.user_id).bind(note.trim()).bind(id)
                .execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(invalid("该建议已处理（可能是表单重复提交）"));
            }
            if confirm {
                let sql = format!("UPDATE entities SET {column} = TRUE, updated_at = $1 WHERE county = $C AND id = $2");
                self.query(&sql).bind(now).bind(&prop.entity_id).execute(&mut *tx).await?;
            }
            append_audit!(self, &mut *tx, actor, now, Audit::new(if confirm { "credit.confirm" } else { "credit.reject" }, "entity", &prop.entity_id)
                .before(serde_json::json!({column: entity.as_ref().map(|e| match prop.list { CreditList::Abnormal => e.abnormal, CreditList::Blacklist => e.blacklisted })}))
                .after(serde_json::json!({column: confirm, "list": prop.list.code(), "proposal": id, "note": note.trim()})))?;
            if confirm {
                crate::append_log!(self, tx, now, liancha_domain::transparency::LogEvent::CreditListed {
                    entity: prop.entity_id.clone(), list: prop.list.code().to_string(),
                });
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Takes an entity off the list a confirmed proposal put it on (移出名单), with the
    /// reason: the removal is recorded beside the listing, and the entity's flag is
    /// cleared unless another confirmed listing on the same list still stands.
    /// Returns whether the flag was cleared.
    pub async fn remove_credit_listing(
        &self,
        id: i64,
        reason: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let reason = crate::posted("移出理由", reason.trim(), liancha_domain::text::FREE_TEXT)
            .map_err(|e| e.on_field("reason"))?;
        if reason.is_empty() {
            return Err(StoreError::invalid_field(
                "reason",
                "请填写移出理由（如已补报年报、已履行义务、信用修复决定书文号）",
            ));
        }
        let prop = self
            .credit_proposal(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("信用名单建议 {id}")))?;
        let column = match prop.list {
            CreditList::Abnormal => "abnormal",
            CreditList::Blacklist => "blacklisted",
        };
        let cleared = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let cleared = remove_listing!(self, tx, id, prop, column, reason, actor, now);
            tx.commit().await?;
            cleared
        });
        Ok(cleared)
    }
}
