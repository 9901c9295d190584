use super::*;

/// An attachment's description (the bytes are fetched separately).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Attachment {
    pub id: i64,
    pub task_id: Option<i64>,
    pub entity_id: Option<String>,
    pub targeted_id: Option<i64>,
    pub purpose: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub public: bool,
    pub uploaded_at: DateTime<Utc>,
}

/// The name an uploaded file is kept under: its last path segment, without control
/// characters, at most 120 characters; `default` when nothing is left.
fn stored_file_name(filename: &str, default: &str) -> String {
    let name: String = filename
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    if name.trim().is_empty() {
        default.to_string()
    } else {
        name
    }
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    liancha_draw::hex::encode(&sha2::Sha256::digest(data))
}

const ATTACHMENT_SELECT: &str = "SELECT id, task_id, entity_id, targeted_id, purpose, filename, content_type, size, sha256, public, uploaded_at \
     FROM attachments WHERE county = $C";

impl County<'_> {
    /// Stores an attachment of a task (ceremony) or of one visit (result material),
    /// after checking its type from its bytes and its size.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_attachment(
        &self,
        task_id: i64,
        entity_id: Option<&str>,
        purpose: liancha_domain::attachment::AttachmentPurpose,
        filename: &str,
        data: &[u8],
        public: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        use liancha_domain::attachment::AttachmentPurpose;
        let content_type =
            liancha_domain::attachment::check(purpose, data).map_err(|e| invalid(e.to_string()))?;
        let task = self.task_or_404(task_id).await?;
        if matches!(task.state, TaskState::Cancelled) {
            return Err(StoreError::WrongState("任务已取消".into()));
        }
        if let Some(e) = entity_id {
            let visit = self
                .visit(task_id, e)
                .await?
                .ok_or_else(|| invalid(format!("{e} 不是本任务的检查对象")))?;
            if !matches!(
                visit.state,
                VisitState::Pending | VisitState::Returned | VisitState::Submitted
            ) {
                return Err(StoreError::WrongState("该检查对象不能再添加材料".into()));
            }
        } else if purpose == AttachmentPurpose::Result {
            return Err(invalid("取证材料须属于某一检查对象"));
        }
        let name = stored_file_name(filename, "附件");
        let sha = sha256_hex(data);
        let id = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            // The states read above may have changed since (a cancellation, a
            // publication): the writes on the task's and the visit's rows wait for
            // such a change and then find it.
            let open = self.query("UPDATE tasks SET state = state WHERE county = $C AND id = $1 AND state <> 'cancelled'")
                .bind(task_id).execute(&mut *tx).await?;
            if open.rows_affected() != 1 {
                return Err(StoreError::WrongState("任务已取消".into()));
            }
            if let Some(e) = entity_id {
                let open = self.query("UPDATE visits SET state = state WHERE county = $C AND task_id = $1 AND entity_id = $2 \
                                       AND state IN ('pending', 'returned', 'submitted')")
                    .bind(task_id).bind(e).execute(&mut *tx).await?;
                if open.rows_affected() != 1 {
                    return Err(StoreError::WrongState("该检查对象不能再添加材料".into()));
                }
            }
            let id: i64 = self.query_scalar(
                "INSERT INTO attachments (county, task_id, entity_id, purpose, filename, content_type, size, sha256, data, public, uploaded_by, uploaded_at) \
                 VALUES ($C, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")
                .bind(task_id).bind(entity_id).bind(purpose.code()).bind(&name).bind(content_type)
                .bind(data.len() as i64).bind(&sha).bind(data).bind(public).bind(actor.user_id).bind(now)
                .fetch_one(&mut *tx).await?;
            append_audit!(self, &mut *tx, actor, now, Audit::new("attachment.add", "attachment", id).task(task_id)
                .after(serde_json::json!({"entity": entity_id, "purpose": purpose.code(), "filename": name,
                    "content_type": content_type, "size": data.len(), "sha256": sha, "public": public})))?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// Attaches the source document (a scan or photo of the complaint, the referral
    /// slip, the data lead) to a targeted inspection.
    pub async fn add_targeted_document(
        &self,
        targeted_id: i64,
        filename: &str,
        data: &[u8],
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        use liancha_domain::attachment::AttachmentPurpose;
        let content_type =
            liancha_domain::attachment::check(AttachmentPurpose::SourceDocument, data)
                .map_err(|e| invalid(e.to_string()))?;
        let entity: Option<String> = with_pool!(self, p => self.query_scalar(
            "SELECT entity_id FROM targeted_inspections WHERE county = $C AND id = $1").bind(targeted_id).fetch_optional(p).await)?;
        let Some(entity) = entity else {
            return Err(StoreError::NotFound(format!("定向检查 {targeted_id}")));
        };
        let name = stored_file_name(filename, "来源文书");
        let sha = sha256_hex(data);
        let id = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let id: i64 = self.query_scalar(
                "INSERT INTO attachments (county, targeted_id, entity_id, purpose, filename, content_type, size, sha256, data, public, uploaded_by, uploaded_at) \
                 VALUES ($C, $1, $2, 'source-document', $3, $4, $5, $6, $7, FALSE, $8, $9) RETURNING id")
                .bind(targeted_id).bind(&entity).bind(&name).bind(content_type).bind(data.len() as i64)
                .bind(&sha).bind(data).bind(actor.user_id).bind(now).fetch_one(&mut *tx).await?;
            append_audit!(self, &mut *tx, actor, now, Audit::new("targeted.document", "targeted", targeted_id)
                .after(serde_json::json!({"attachment": id, "filename": name, "content_type": content_type, "size": data.len(), "sha256": sha})))?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// The department of a targeted inspection.
    pub async fn targeted_department(&self, targeted_id: i64) -> Result<Option<String>> {
        Ok(
            with_pool!(self, p => self.query_scalar("SELECT department FROM targeted_inspections WHERE county = $C AND id = $1")
            .bind(targeted_id).fetch_optional(p).await)?,
        )
    }

    pub async fn attachments(&self, task_id: i64) -> Result<Vec<Attachment>> {
        let sql = format!("{ATTACHMENT_SELECT} AND task_id = $1 ORDER BY id");
        Ok(with_pool!(self, p => self.query_as(&sql).bind(task_id).fetch_all(p).await)?)
    }

    pub async fn attachment(&self, id: i64) -> Result<Option<(Attachment, Vec<u8>)>> {
        let sql = format!("{ATTACHMENT_SELECT} AND id = $1");
        let meta: Option<Attachment> =
            with_pool!(self, p => self.query_as(&sql).bind(id).fetch_optional(p).await)?;
        let Some(meta) = meta else { return Ok(None) };
        let data: Vec<u8> = with_pool!(self, p => self.query_scalar("SELECT data FROM attachments WHERE county = $C AND id = $1").bind(id).fetch_one(p).await)?;
        Ok(Some((meta, data)))
    }
}
