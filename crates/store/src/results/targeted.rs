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
                "请填写来源文书编号（投诉举报、转办交办单或线索编号）",
            ));
        }
        crate::posted("来源文书编号", &t.document_ref, liancha_domain::text::NAME)?;
        crate::posted("检查情况", &t.findings, liancha_domain::text::FREE_TEXT)?;
        if t.inspected_on > china_date(now) {
            return Err(invalid("检查日期不能晚于今天"));
        }
        for code in &t.items {
            if self.item(code).await?.is_none() {
                return Err(invalid(format!("抽查事项「{code}」不存在")));
            }
        }
        use chrono::Datelike;
        let id = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let id: i64 = self.query_scalar(
                "INSERT INTO targeted_inspections (county, entity_id, department, source, document_ref, inspected_on, year, items, findings, created_by, created_at) \
                 VALUES ($C, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id")
                .bind(&t.entity_id).bind(&t.department).bind(t.source.code()).bind(t.document_ref.trim())
                .bind(t.inspected_on).bind(t.inspected_on.year()).bind(t.items.join(",")).bind(t.findings.trim())
                .bind(actor.user_id).bind(now).fetch_one(&mut *tx).await?;
            append_audit!(self, &mut *tx, actor, now, Audit::new("targeted.create", "entity", &t.entity_id)
                .after(serde_json::json!({"id": id, "source": t.source.code(), "document": t.document_ref.trim(), "inspected_on": t.inspected_on})))?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    pub async fn targeted_inspections(
        &self,
        department: Option<&str>,
    ) -> Result<Vec<TargetedInspection>> {
        let mut sql = String::from(
            "SELECT t.id, (SELECT MIN(a.id) FROM attachments a WHERE a.county = t.county AND a.targeted_id = t.id) AS document, \
             t.entity_id, e.name AS entity_name, t.department, t.source, t.document_ref, t.inspected_on, t.year, t.items, t.findings \
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
