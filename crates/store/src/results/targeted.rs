use super::*;

impl County<'_> {
    /// Records a targeted inspection: no draw, but it counts toward the annual cap.
    pub async fn record_targeted(
        &self,
        t: &NewTargeted,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        if self.entity(&t.entity_id).await?.is_none() {
            return Err(invalid(format!("主体名录中没有 {}", t.entity_id)));
        }
        if t.document_ref.trim().is_empty() {
            return Err(invalid(
                "请填写来源文书编号（投诉举报、转办交办单、线索编号或许可申请受理号）",
            ));
        }
        crate::posted("来源文书编号", &t.document_ref, liancha_domain::text::NAME)?;
        crate::posted("检查情况", &t.findings, liancha_domain::text::FREE_TEXT)?;
        if t.inspected_on > china_date(now) {
            return Err(invalid("检查日期不能晚于今天"));
        }
        let (mode, inspectors, ids, location, reason) = match &t.check_in {
            TargetedCheckIn::OnSite {
                inspectors,
                inspector_ids,
                location,
            } => {
                // A check-in is made there and then: its day is today.
                if t.inspected_on != china_date(now) {
                    return Err(StoreError::invalid_field(
                        "inspected_on",
                        "现场签到的检查日期是今天",
                    ));
                }
                (
                    "code",
                    inspectors.as_str(),
                    inspector_ids.as_slice(),
                    *location,
                    "",
                )
            }
            TargetedCheckIn::Paper { reason } => {
                if reason.trim().is_empty() {
                    return Err(StoreError::invalid_field(
                        "paper_reason",
                        "请填写未能现场签到的原因（纸质补录）",
                    ));
                }
                crate::posted(
                    "未能现场签到的原因",
                    reason,
                    liancha_domain::text::FREE_TEXT,
                )?;
                // A paper record is entered whole: its findings are not to follow.
                if t.findings.trim().is_empty() {
                    return Err(StoreError::invalid_field(
                        "findings",
                        "请按纸质记录填写检查情况",
                    ));
                }
                ("paper", "", &[][..], None, reason.trim())
            }
        };
        for code in &t.items {
            if self.item(code).await?.is_none() {
                return Err(invalid(format!("抽查事项「{code}」不存在")));
            }
        }
        use chrono::Datelike;
        let id = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            if mode == "code" {
                // The entity's row held: two posts of one check-in wait for each
                // other, and the second finds the first.
                self.query("UPDATE entities SET updated_at = updated_at WHERE county = $C AND id = $1")
                    .bind(&t.entity_id).execute(&mut *tx).await?;
                let again: i64 = self.query_scalar(
                    "SELECT COUNT(*) FROM targeted_inspections WHERE county = $C AND entity_id = $1 AND department = $2 \
                     AND document_ref = $3 AND inspected_on = $4 AND check_in_mode = 'code'")
                    .bind(&t.entity_id).bind(&t.department).bind(t.document_ref.trim()).bind(t.inspected_on)
                    .fetch_one(&mut *tx).await?;
                if again > 0 {
                    return Err(StoreError::Conflict(
                        "这次定向检查今天已经签到（可能是表单重复提交），请在下表中填写检查情况".into(),
                    ));
                }
                // Recusal: nobody with a declared tie to the entity inspects it.
                for id in ids {
                    let tied: i64 = self.query_scalar(
                        "SELECT COUNT(*) FROM conflict_declarations WHERE county = $C AND entity_id = $1 AND inspector_id = $2")
                        .bind(&t.entity_id).bind(id).fetch_one(&mut *tx).await?;
                    if tied > 0 {
                        return Err(StoreError::invalid_field(
                            "present",
                            "在场人员中有人与该检查对象登记了回避关系，不能参加这次检查：请换人后再签到",
                        ));
                    }
                }
            }
            let id: i64 = self.query_scalar(
                "INSERT INTO targeted_inspections (county, entity_id, department, source, document_ref, inspected_on, year, items, findings, created_by, created_at, \
                 check_in_mode, checked_in_at, inspectors, latitude_e6, longitude_e6, accuracy_m, paper_reason, inspector_ids) \
                 VALUES ($C, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id")
                .bind(&t.entity_id).bind(&t.department).bind(t.source.code()).bind(t.document_ref.trim())
                .bind(t.inspected_on).bind(t.inspected_on.year()).bind(t.items.join(",")).bind(t.findings.trim())
                .bind(actor.user_id).bind(now)
                .bind(mode).bind((mode == "code").then_some(now)).bind(inspectors)
                .bind(location.map(|l| l.latitude_e6)).bind(location.map(|l| l.longitude_e6)).bind(location.and_then(|l| l.accuracy_m))
                .bind(reason).bind(ids.join(","))
                .fetch_one(&mut *tx).await?;
            append_audit!(self, &mut *tx, actor, now, Audit::new(if mode == "code" { "targeted.check-in" } else { "targeted.create" }, "entity", &t.entity_id)
                .after(serde_json::json!({"id": id, "source": t.source.code(), "document": t.document_ref.trim(), "inspected_on": t.inspected_on,
                    "check_in": mode, "inspectors": inspectors, "location": location.map(|l| l.label()), "paper_reason": reason})))?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// The findings of a targeted inspection checked in on arrival, entered once the
    /// inspection is done: by the department `department` (the principal's), and,
    /// when `inspector` is given, only if that inspector was there. Refused for
    /// another department's, and once entered (checked in the statement that
    /// writes them).
    #[allow(clippy::too_many_arguments)]
    pub async fn record_targeted_findings(
        &self,
        id: i64,
        department: &str,
        inspector: Option<&str>,
        items: &[String],
        findings: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let findings = crate::posted("检查情况", findings.trim(), liancha_domain::text::FREE_TEXT)
            .map_err(|e| e.on_field("findings"))?;
        if findings.is_empty() {
            return Err(StoreError::invalid_field("findings", "请填写检查情况"));
        }
        for code in items {
            if self.item(code).await?.is_none() {
                return Err(StoreError::invalid_field(
                    "items",
                    format!("抽查事项「{code}」不存在"),
                ));
            }
        }
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row: Option<(String, String, String, String, String)> = self
                .query_as("SELECT department, entity_id, check_in_mode, findings, inspector_ids FROM targeted_inspections WHERE county = $C AND id = $1")
                .bind(id).fetch_optional(&mut *tx).await?;
            let Some((owner, entity, mode, before, present)) = row else {
                return Err(StoreError::NotFound(format!("定向检查 {id}")));
            };
            if owner != department {
                return Err(StoreError::NotFound(format!("定向检查 {id}")));
            }
            if inspector.is_some_and(|i| !present.split(',').any(|p| p == i)) {
                return Err(StoreError::WrongState(
                    "只有签到时在场的执法人员（或部门管理员）可以填写这次检查的情况".into(),
                ));
            }
            if mode != "code" {
                return Err(StoreError::WrongState("这次定向检查不是现场签到登记的，检查情况已随登记填写".into()));
            }
            let done = self
                .query("UPDATE targeted_inspections SET items = $1, findings = $2 WHERE county = $C AND id = $3 AND findings = ''")
                .bind(items.join(",")).bind(findings).bind(id).execute(&mut *tx).await?;
            if done.rows_affected() != 1 || !before.is_empty() {
                return Err(StoreError::Conflict("这次定向检查的检查情况已经填写（可能是表单重复提交）".into()));
            }
            append_audit!(self, &mut *tx, actor, now, Audit::new("targeted.findings", "entity", &entity)
                .after(serde_json::json!({"id": id, "items": items, "findings": findings})))?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// The targeted inspections of `year` by how they were checked in: on the
    /// spot, entered from paper, and entered whole before check-ins.
    pub async fn targeted_check_in_counts(&self, year: i32) -> Result<[i64; 3]> {
        let rows: Vec<(String, i64)> = with_pool!(self, p => self
            .query_as("SELECT check_in_mode, COUNT(*) FROM targeted_inspections WHERE county = $C AND year = $1 GROUP BY check_in_mode")
            .bind(year).fetch_all(p).await)?;
        let mut out = [0; 3];
        for (mode, n) in rows {
            let i = match mode.as_str() {
                "code" => 0,
                "paper" => 1,
                _ => 2,
            };
            out[i] += n;
        }
        Ok(out)
    }

    pub async fn targeted_inspections(
        &self,
        department: Option<&str>,
    ) -> Result<Vec<TargetedInspection>> {
        let mut sql = String::from(
            "SELECT t.id, (SELECT MIN(a.id) FROM attachments a WHERE a.county = t.county AND a.targeted_id = t.id) AS document, \
             t.entity_id, e.name AS entity_name, t.department, t.source, t.document_ref, t.inspected_on, t.year, t.items, t.findings, \
             t.check_in_mode, t.checked_in_at, t.inspectors, t.latitude_e6, t.longitude_e6, t.accuracy_m, t.paper_reason \
             FROM targeted_inspections t \
             LEFT JOIN entities e ON e.county = t.county AND e.id = t.entity_id WHERE t.county = $C",
        );
        if department.is_some() {
            sql.push_str(" AND t.department = $1");
        }
        sql.push_str(" ORDER BY t.inspected_on DESC, t.id DESC");
        Ok(with_pool!(self, p => {
            let mut q = self.query_as(&sql);
            if let Some(d) = department { q = q.bind(d); }
            q.fetch_all(p).await
        })?)
    }
}
