//! A department's records outside the random tasks: targeted inspections
//! (complaints, referrals, data leads) with their source documents, declared
//! conflicts of interest (recusal), and the files attached to tasks and visits.

use liancha_domain::attachment::AttachmentPurpose;
use liancha_domain::auth::Action;
use liancha_domain::workflow::TargetedSource;
use liancha_store::results::{Attachment, NewTargeted};

use crate::follow_up::department_view;
use crate::{App, AppError, Context, Result};

/// Items one targeted inspection may name: a visit checks a handful.
pub const MAX_TARGETED_ITEMS: usize = 50;

/// A targeted inspection as the form gives it; the department is the principal's.
#[derive(Debug, Clone)]
pub struct TargetedInput {
    pub entity_id: String,
    pub source: TargetedSource,
    pub document_ref: String,
    pub inspected_on: chrono::NaiveDate,
    pub items: Vec<String>,
    pub findings: String,
    pub arrival: Arrival,
}

/// How a targeted inspection is recorded: by an inspector checking in on arrival
/// (扫码入企 outside a random task, so every visit to an enterprise is counted), or
/// by the department afterwards from the paper record, saying why there was none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arrival {
    OnSite {
        /// The inspector ids of the colleagues present (the one checking in is).
        present: Vec<String>,
        location: Option<liancha_domain::check_in::Location>,
    },
    Paper {
        reason: String,
    },
}

/// A declaration that an inspector must not inspect an entity.
#[derive(Debug, Clone)]
pub struct ConflictInput {
    pub inspector_id: String,
    pub entity_id: String,
    /// The entity asked for the recusal (申请回避), rather than a declared tie.
    pub entity_request: bool,
    pub reason: String,
}

/// An uploaded file for a task: a ceremony's photo or video (no entity), or a
/// visit's evidence (the entity visited).
#[derive(Debug, Clone)]
pub struct Upload<'a> {
    pub purpose: AttachmentPurpose,
    pub entity_id: Option<&'a str>,
    pub filename: &'a str,
    pub data: &'a [u8],
    pub public: bool,
}

/// A targeted inspection's item codes, each once, at most [`MAX_TARGETED_ITEMS`].
fn targeted_items(mut items: Vec<String>) -> Result<Vec<String>> {
    items.sort_unstable();
    items.dedup();
    if items.len() > MAX_TARGETED_ITEMS {
        return Err(AppError::invalid_field(
            "items",
            format!("涉及事项最多 {MAX_TARGETED_ITEMS} 项"),
        ));
    }
    Ok(items)
}

/// Whose targeted inspections the principal reads: a department's head and its
/// inspectors their department's, the county's offices every department's.
pub fn targeted_view(ctx: &Context) -> Result<Option<String>> {
    match ctx.principal.role {
        liancha_domain::auth::Role::Inspector => ctx
            .principal
            .department
            .clone()
            .map(Some)
            .ok_or(AppError::Forbidden),
        _ => department_view(ctx),
    }
}

impl App {
    /// Records a targeted inspection of the principal's own department: checked in
    /// on the spot by one of its inspectors, or entered from paper by its head.
    pub async fn record_targeted(&self, ctx: &Context, t: TargetedInput) -> Result<i64> {
        let department = ctx.principal.department.clone().unwrap_or_default();
        let check_in = match &t.arrival {
            Arrival::OnSite { present, location } => {
                ctx.require(&Action::CheckInTargeted {
                    department: &department,
                })?;
                let (inspectors, inspector_ids) = self.present(ctx, present).await?;
                liancha_store::results::TargetedCheckIn::OnSite {
                    inspectors,
                    inspector_ids,
                    location: *location,
                }
            }
            Arrival::Paper { reason } => {
                ctx.require(&Action::RecordTargeted {
                    department: &department,
                })?;
                liancha_store::results::TargetedCheckIn::Paper {
                    reason: reason.clone(),
                }
            }
        };
        let items = targeted_items(t.items)?;
        let t = NewTargeted {
            entity_id: t.entity_id.trim().to_ascii_uppercase(),
            department,
            source: t.source,
            document_ref: t.document_ref,
            inspected_on: t.inspected_on,
            items,
            findings: t.findings,
            check_in,
        };
        Ok(self
            .county(ctx)
            .record_targeted(&t, &ctx.actor(), ctx.now)
            .await?)
    }

    /// The inspectors present at a check-in, the principal first, as (names joined
    /// by 、, ids): each an inspector of the principal's department, on duty and
    /// certified today, two at least (行政处罚法 第四十二条).
    async fn present(&self, ctx: &Context, present: &[String]) -> Result<(String, Vec<String>)> {
        let department = ctx.principal.department.as_deref();
        let me = ctx.principal.inspector_id.clone().unwrap_or_default();
        let colleagues = self.county(ctx).inspectors(department).await?;
        let today = liancha_domain::calendar::china_date(ctx.now);
        let mut ids: Vec<String> = Vec::new();
        let mut names = Vec::new();
        for id in std::iter::once(&me).chain(present.iter().filter(|p| !p.is_empty() && **p != me))
        {
            if ids.contains(id) {
                continue;
            }
            match colleagues.iter().find(|i| &i.id == id) {
                Some(i) if i.is_available_on(today) => {
                    ids.push(i.id.clone());
                    names.push(i.name.clone());
                }
                Some(_) if *id == me => {
                    return Err(AppError::invalid_field(
                        "present",
                        "您今天不在岗或执法证已过期，不能现场签到",
                    ));
                }
                Some(i) => {
                    return Err(AppError::invalid_field(
                        "present",
                        format!("{} 今天不在岗或执法证已过期，不能参加检查", i.name),
                    ));
                }
                None => {
                    return Err(AppError::invalid_field(
                        "present",
                        "所选人员不是本部门的执法人员，请重新勾选",
                    ));
                }
            }
        }
        if ids.len() < 2 {
            return Err(AppError::invalid_field(
                "present",
                "检查须两名以上执法人员共同进行：请勾选在场的同事",
            ));
        }
        Ok((names.join("、"), ids))
    }

    /// The findings of a targeted inspection checked in on arrival, once done: by
    /// one of its department's inspectors or its head.
    pub async fn record_targeted_findings(
        &self,
        ctx: &Context,
        id: i64,
        items: Vec<String>,
        findings: &str,
    ) -> Result<()> {
        let department = self
            .county(ctx)
            .targeted_department(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("定向检查 {id}")))?;
        // An inspector who was there, or the department's head.
        let inspector = if ctx.may(&Action::CheckInTargeted {
            department: &department,
        }) {
            ctx.principal.inspector_id.as_deref()
        } else if ctx.may(&Action::RecordTargeted {
            department: &department,
        }) {
            None
        } else {
            return Err(AppError::Forbidden);
        };
        let own = ctx.principal.department.clone().unwrap_or_default();
        let items = targeted_items(items)?;
        Ok(self
            .county(ctx)
            .record_targeted_findings(id, &own, inspector, &items, findings, &ctx.actor(), ctx.now)
            .await?)
    }

    /// Everything wrong with a targeted inspection as entered, each with the field to
    /// blame, so that the form says it all at once; the store checks again as it
    /// writes. Empty when the entry can be recorded.
    pub async fn targeted_errors(
        &self,
        ctx: &Context,
        t: &TargetedInput,
    ) -> Result<Vec<(String, String)>> {
        use liancha_domain::text::{FREE_TEXT, NAME, bounded_text};
        let mut errors: Vec<(String, String)> = Vec::new();
        let mut push = |field: &str, message: String| errors.push((field.into(), message));
        let county = self.county(ctx);
        let entity = t.entity_id.trim().to_ascii_uppercase();
        if entity.is_empty() {
            push("entity_id", "请填写检查对象的统一社会信用代码".into());
        } else if county.entity(&entity).await?.is_none() {
            push("entity_id", format!("主体名录中没有 {entity}"));
        }
        if t.document_ref.trim().is_empty() {
            push(
                "document_ref",
                "请填写来源文书编号（投诉举报、转办交办单、线索编号或许可申请受理号）".into(),
            );
        } else if let Err(e) = bounded_text(&t.document_ref, NAME) {
            push("document_ref", format!("来源文书编号：{e}"));
        }
        if t.inspected_on > liancha_domain::calendar::china_date(ctx.now) {
            push("inspected_on", "检查日期不能晚于今天".into());
        }
        let mut codes: Vec<&String> = t.items.iter().collect();
        codes.sort_unstable();
        codes.dedup();
        if codes.len() > MAX_TARGETED_ITEMS {
            push("items", format!("涉及事项最多 {MAX_TARGETED_ITEMS} 项"));
        } else {
            for code in codes {
                if county.item(code).await?.is_none() {
                    push("items", format!("抽查事项「{code}」不存在"));
                }
            }
        }
        if let Err(e) = bounded_text(&t.findings, FREE_TEXT) {
            push("findings", format!("检查情况：{e}"));
        }
        match &t.arrival {
            Arrival::OnSite { present, .. } => {
                if t.inspected_on != liancha_domain::calendar::china_date(ctx.now) {
                    push("inspected_on", "现场签到的检查日期是今天".into());
                }
                if let Err(AppError::Invalid { message, .. }) = self.present(ctx, present).await {
                    push("present", message);
                }
            }
            Arrival::Paper { reason } => {
                if t.findings.trim().is_empty() {
                    push("findings", "请按纸质记录填写检查情况".into());
                }
                if reason.trim().is_empty() {
                    push(
                        "paper_reason",
                        "请填写未能现场签到的原因（纸质补录）".into(),
                    );
                } else if let Err(e) = bounded_text(reason, FREE_TEXT) {
                    push("paper_reason", format!("未能现场签到的原因：{e}"));
                }
            }
        }
        Ok(errors)
    }

    /// Attaches the source document to a targeted inspection of the principal's
    /// department.
    pub async fn add_targeted_document(
        &self,
        ctx: &Context,
        id: i64,
        filename: &str,
        data: &[u8],
    ) -> Result<i64> {
        let department = self
            .county(ctx)
            .targeted_department(id)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("定向检查 {id}")))?;
        ctx.require(&Action::RecordTargeted {
            department: &department,
        })?;
        Ok(self
            .county(ctx)
            .add_targeted_document(id, filename, data, &ctx.actor(), ctx.now)
            .await?)
    }

    /// Whether the principal declares conflicts at all (the page's form).
    pub fn may_declare_conflicts(&self, ctx: &Context) -> bool {
        let own = ctx.principal.department.as_deref().unwrap_or_default();
        ctx.may(&Action::DeclareConflict { department: own })
    }

    /// Everything wrong with a conflict declaration as entered, each with its field;
    /// empty when it can be declared (the permission is the use case's to check).
    pub async fn conflict_errors(
        &self,
        ctx: &Context,
        c: &ConflictInput,
    ) -> Result<Vec<(String, String)>> {
        let county = self.county(ctx);
        let mut errors: Vec<(String, String)> = Vec::new();
        let inspector = c.inspector_id.trim();
        if inspector.is_empty() {
            errors.push(("inspector_id".into(), "请填写执法人员编号".into()));
        } else if county.inspector(inspector).await?.is_none() {
            errors.push((
                "inspector_id".into(),
                format!("执法人员名录中没有编号 {inspector}"),
            ));
        }
        let entity = c.entity_id.trim().to_ascii_uppercase();
        if entity.is_empty() {
            errors.push((
                "entity_id".into(),
                "请填写检查对象的统一社会信用代码".into(),
            ));
        } else if county.entity(&entity).await?.is_none() {
            errors.push(("entity_id".into(), format!("主体名录中没有 {entity}")));
        }
        match liancha_domain::text::bounded_text(c.reason.trim(), liancha_domain::text::FREE_TEXT) {
            Ok("") => errors.push(("reason".into(), "请填写回避理由".into())),
            Ok(_) => {}
            Err(e) => errors.push(("reason".into(), format!("回避理由：{e}"))),
        }
        Ok(errors)
    }

    /// Declares a conflict: the coordinator for any inspector, a department admin
    /// for its own department's.
    pub async fn declare_conflict(&self, ctx: &Context, c: &ConflictInput) -> Result<i64> {
        let inspector_id = c.inspector_id.trim();
        if !self.may_declare_conflicts(ctx) {
            return Err(AppError::Forbidden);
        }
        let inspector = self
            .county(ctx)
            .inspector(inspector_id)
            .await?
            .ok_or_else(|| {
                AppError::invalid_field(
                    "inspector_id",
                    format!("执法人员名录中没有编号 {inspector_id}"),
                )
            })?;
        ctx.require(&Action::DeclareConflict {
            department: &inspector.department,
        })?;
        Ok(self
            .county(ctx)
            .declare_conflict(
                inspector_id,
                &c.entity_id.trim().to_ascii_uppercase(),
                c.entity_request,
                &c.reason,
                &ctx.actor(),
                ctx.now,
            )
            .await?)
    }

    /// Stores a file of task `id`: a ceremony's by whoever manages the task, a
    /// visit's by whoever records its results (an inspector only on their own
    /// team's visits).
    pub async fn add_attachment(&self, ctx: &Context, id: i64, u: &Upload<'_>) -> Result<i64> {
        let entity = u.entity_id.map(str::trim).filter(|e| !e.is_empty());
        match (u.purpose, entity) {
            (AttachmentPurpose::Ceremony, None) => {
                let (_, scope) = self.task_access(ctx, id).await?;
                ctx.require(&Action::ManageTask(&scope))?;
            }
            (AttachmentPurpose::Result, Some(e)) => {
                let access = self.visit_access(ctx, id, e).await?;
                ctx.require(&Action::RecordResults(&access.scope))?;
            }
            (AttachmentPurpose::Result, None) => {
                return Err(AppError::invalid_field(
                    "entity",
                    "取证材料须属于某一检查对象",
                ));
            }
            (AttachmentPurpose::Ceremony, Some(_)) | (AttachmentPurpose::SourceDocument, _) => {
                return Err(AppError::invalid_field("purpose", "请选择材料用途"));
            }
        }
        Ok(self
            .county(ctx)
            .add_attachment(
                id,
                entity,
                u.purpose,
                u.filename,
                u.data,
                u.public,
                &ctx.actor(),
                ctx.now,
            )
            .await?)
    }

    /// An attachment and its bytes, to whoever may read what it belongs to: a
    /// visit's to whoever reads the visit (an inspector only their own team's), a
    /// ceremony's to whoever reads the task, a targeted inspection's to whoever
    /// sees that department's targeted inspections.
    pub async fn attachment(&self, ctx: &Context, id: i64) -> Result<(Attachment, Vec<u8>)> {
        let not_found = || AppError::NotFound(format!("附件 {id}"));
        let (meta, data) = self
            .county(ctx)
            .attachment(id)
            .await?
            .ok_or_else(not_found)?;
        match (meta.task_id, &meta.entity_id, meta.targeted_id) {
            (Some(task), Some(entity), _) => {
                self.visit_access(ctx, task, entity).await?;
            }
            (Some(task), None, _) => {
                self.task_access(ctx, task).await?;
            }
            (None, _, Some(targeted)) => {
                let department = self
                    .county(ctx)
                    .targeted_department(targeted)
                    .await?
                    .unwrap_or_default();
                if department_view(ctx)?.is_some_and(|own| own != department) {
                    return Err(AppError::Forbidden);
                }
            }
            (None, _, None) => return Err(not_found()),
        }
        Ok((meta, data))
    }

    /// Replaces a year's holiday calendar (working days and holidays the deadlines
    /// count by).
    pub async fn replace_calendar(&self, ctx: &Context, year: i32, days: &str) -> Result<usize> {
        ctx.require(&Action::ManageSettings)?;
        Ok(self
            .county(ctx)
            .replace_calendar_year(year, days, &ctx.actor(), ctx.now)
            .await?)
    }
}
