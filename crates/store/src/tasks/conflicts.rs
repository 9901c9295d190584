use super::*;

impl County<'_> {
    /// Declares that an inspector must not inspect an entity: a tie (kinship,
    /// business interest) or the entity's own request for recusal.
    pub async fn declare_conflict(
        &self,
        inspector_id: &str,
        entity_id: &str,
        entity_request: bool,
        reason: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        if self.inspector(inspector_id).await?.is_none() {
            return Err(StoreError::invalid_field(
                "inspector_id",
                format!("执法人员名录中没有编号 {inspector_id}"),
            ));
        }
        if self.entity(entity_id).await?.is_none() {
            return Err(StoreError::invalid_field(
                "entity_id",
                format!("主体名录中没有 {entity_id}"),
            ));
        }
        let reason = crate::posted("回避理由", reason.trim(), liancha_domain::text::FREE_TEXT)
            .map_err(|e| e.on_field("reason"))?;
        if reason.is_empty() {
            return Err(StoreError::invalid_field("reason", "请填写回避理由"));
        }
        let kind = if entity_request {
            "entity-request"
        } else {
            "tie"
        };
        let id = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let id: i64 = self.query_scalar(
                "INSERT INTO conflict_declarations (county, inspector_id, entity_id, kind, reason, created_at) \
                 VALUES ($C, $1, $2, $3, $4, $5) RETURNING id")
                .bind(inspector_id).bind(entity_id).bind(kind).bind(reason).bind(now).fetch_one(&mut *tx).await?;
            append_audit!(self, &mut *tx, actor, now, Audit::new("conflict.declare", "inspector", inspector_id)
                .after(serde_json::json!({"entity": entity_id, "kind": kind, "reason": reason})))?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }
}

/// A declared conflict of interest, for the list page.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ConflictDeclaration {
    pub id: i64,
    pub inspector_id: String,
    pub inspector_name: Option<String>,
    pub department: Option<String>,
    pub entity_id: String,
    pub entity_name: Option<String>,
    pub kind: String,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

impl ConflictDeclaration {
    pub fn kind_label(&self) -> &'static str {
        if self.kind == "entity-request" {
            "检查对象申请回避"
        } else {
            "利害关系"
        }
    }
}

impl County<'_> {
    /// Declarations, optionally only those of one department's inspectors.
    pub async fn conflict_declarations(
        &self,
        department: Option<&str>,
    ) -> Result<Vec<ConflictDeclaration>> {
        let mut sql = String::from(
            "SELECT c.id, c.inspector_id, i.name AS inspector_name, i.department, c.entity_id, e.name AS entity_name, \
             c.kind, c.reason, c.created_at FROM conflict_declarations c \
             LEFT JOIN inspectors i ON i.county = c.county AND i.id = c.inspector_id \
             LEFT JOIN entities e ON e.county = c.county AND e.id = c.entity_id WHERE c.county = $C",
        );
        if department.is_some() {
            sql.push_str(" AND i.department = $1");
        }
        sql.push_str(" ORDER BY c.id DESC");
        Ok(with_pool!(self, p => {
            let mut q = self.query_as(&sql);
            if let Some(d) = department { q = q.bind(d); }
            q.fetch_all(p).await
        })?)
    }
}
