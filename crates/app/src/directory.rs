//! The two directories as staff keep them between imports: lists to search and
//! export, each record's page with its contacts, its corrections (each with a
//! reason) and its history.

use std::path::Path;

use liancha_domain::auth::Action;
use liancha_domain::record_edit::{EditError, EntityDetails, InspectorDetails, Reason};
use liancha_domain::{Entity, Inspector, InspectorStatus};
use liancha_store::audit::AuditFilter;
use liancha_store::directories::{EntityFilter, Page};
use liancha_store::record_edit::{RecordEdit, inspector_details};

use crate::audit::AuditLine;
use crate::{App, AppError, Context, Result};

/// History entries a record's page shows (newest first); the audit log has them all.
pub const HISTORY_LIMIT: i64 = 100;
/// Entities one export may hold: a county's directory with room to spare.
pub const EXPORT_LIMIT: i64 = 200_000;

impl From<EditError> for AppError {
    fn from(e: EditError) -> Self {
        AppError::invalid_field(e.field, e.message)
    }
}

/// A record's history: its own entries of the audit trail, newest first, and how
/// many there are.
#[derive(Debug, Clone)]
pub struct History {
    pub lines: Vec<AuditLine>,
    pub total: i64,
}

/// An entity's page as staff see it.
#[derive(Debug, Clone)]
pub struct EntityRecord {
    pub entity: Entity,
    pub details: EntityDetails,
    /// Whether the principal corrects it (the directory's keeper, the admin).
    pub editable: bool,
    pub history: History,
}

/// An inspector's page as staff see it.
#[derive(Debug, Clone)]
pub struct InspectorRecord {
    /// Without the phone for a principal who does not read inspectors' contacts.
    pub inspector: Inspector,
    pub details: InspectorDetails,
    pub editable: bool,
    /// Whether the principal reads the inspector's phone.
    pub contacts: bool,
    pub history: History,
}

/// The inspector list's search: part of a name, id or certificate number, a
/// department, a status.
#[derive(Debug, Clone, Default)]
pub struct InspectorQuery {
    pub text: String,
    pub department: Option<String>,
    pub status: Option<InspectorStatus>,
}

impl App {
    /// Directories are a county's: an office above reads them with a county chosen.
    pub(crate) fn require_directory(&self, ctx: &Context) -> Result<()> {
        if ctx.county().level() == liancha_domain::org::Level::County {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub(crate) async fn history(
        &self,
        ctx: &Context,
        object_type: &str,
        id: &str,
    ) -> Result<History> {
        let filter = AuditFilter {
            object_type: Some(object_type.into()),
            object_id: Some(id.into()),
            ..AuditFilter::default()
        };
        let found = self
            .county(ctx)
            .audit_search(&filter, 0, HISTORY_LIMIT)
            .await?;
        Ok(History {
            lines: self.read_lines(ctx, found.rows).await?,
            total: found.total,
        })
    }

    /// Whether the principal keeps the entity directory.
    pub async fn keeps_entities(&self, ctx: &Context) -> Result<bool> {
        let keeper = self.entity_keeper(ctx).await?.unwrap_or_default();
        Ok(ctx.may(&Action::KeepDirectory {
            department: &keeper,
        }))
    }

    /// A page of the county's entity directory.
    pub async fn staff_entities(
        &self,
        ctx: &Context,
        filter: &EntityFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Page<Entity>> {
        self.require_directory(ctx)?;
        Ok(self
            .county(ctx)
            .entities(filter, offset.max(0), limit.clamp(1, 200))
            .await?)
    }

    /// Writes the entities `filter` selects to `path` in the import template's
    /// columns, so the file can be corrected in Excel and imported back.
    pub async fn export_entities(
        &self,
        ctx: &Context,
        filter: &EntityFilter,
        path: &Path,
    ) -> Result<u64> {
        self.require_directory(ctx)?;
        let county = self.county(ctx);
        let total = county.entities(filter, 0, 1).await?.total;
        if total > EXPORT_LIMIT {
            return Err(AppError::invalid(format!(
                "共 {total} 户，超过一次导出的上限 {EXPORT_LIMIT} 户：请按乡镇或类型分批导出"
            )));
        }
        Ok(county.export_entities(filter, path, &|_| {}).await?)
    }

    pub async fn entity_record(&self, ctx: &Context, id: &str) -> Result<EntityRecord> {
        self.require_directory(ctx)?;
        let (entity, details) = self
            .county(ctx)
            .entity_details(id)
            .await?
            .ok_or_else(|| AppError::NotFound("本县名录中没有该检查对象".to_string()))?;
        Ok(EntityRecord {
            editable: self.keeps_entities(ctx).await?,
            history: self.history(ctx, "entity", &entity.id).await?,
            entity,
            details,
        })
    }

    /// Corrects an entity: its keeper (or the admin) only, with a reason; `expected`
    /// is the entity as the form showed it.
    pub async fn edit_entity(
        &self,
        ctx: &Context,
        id: &str,
        expected: Option<&EntityDetails>,
        change: &EntityDetails,
        reason: &str,
    ) -> Result<()> {
        self.require_directory(ctx)?;
        if !self.keeps_entities(ctx).await? {
            return Err(AppError::Forbidden);
        }
        let reason = Reason::parse(reason)?;
        Ok(self
            .county(ctx)
            .update_entity(
                id,
                RecordEdit {
                    expected,
                    change,
                    reason: &reason,
                },
                &ctx.actor(),
                ctx.now,
            )
            .await?)
    }

    /// The county's inspectors `q` finds, in id order.
    pub async fn staff_inspectors(
        &self,
        ctx: &Context,
        q: &InspectorQuery,
    ) -> Result<Vec<Inspector>> {
        self.require_directory(ctx)?;
        let text = q.text.trim().to_lowercase();
        Ok(self
            .county(ctx)
            .inspectors(q.department.as_deref())
            .await?
            .into_iter()
            .filter(|i| q.status.is_none_or(|s| i.status == s))
            .filter(|i| {
                text.is_empty()
                    || i.name.to_lowercase().contains(&text)
                    || i.id.to_lowercase().contains(&text)
                    || i.certificate_no.to_lowercase().contains(&text)
            })
            .collect())
    }

    /// Writes the county's inspector directory to `path` in the import template's
    /// columns.
    pub async fn export_inspectors(&self, ctx: &Context, path: &Path) -> Result<u64> {
        self.require_directory(ctx)?;
        // The file carries every inspector's phone.
        ctx.require(&Action::ReadInspectorContacts)?;
        Ok(self
            .county(ctx)
            .export_file(liancha_store::import::Kind::Inspectors, path, &|_| {})
            .await?)
    }

    pub async fn inspector_record(&self, ctx: &Context, id: &str) -> Result<InspectorRecord> {
        self.require_directory(ctx)?;
        let mut inspector = self
            .county(ctx)
            .inspector(id)
            .await?
            .ok_or_else(|| AppError::NotFound("本县名录中没有该执法人员".to_string()))?;
        let contacts = ctx.may(&Action::ReadInspectorContacts);
        let mut history = self.history(ctx, "inspector", &inspector.id).await?;
        if !contacts {
            // A phone changed is a line of the history: not for them.
            for l in &mut history.lines {
                l.changes
                    .retain(|c| c.field != liancha_domain::audit::key_label("phone"));
            }
            inspector.phone = None;
        }
        Ok(InspectorRecord {
            details: inspector_details(&inspector),
            editable: ctx.may(&Action::KeepDirectory {
                department: &inspector.department,
            }),
            contacts,
            history,
            inspector,
        })
    }

    /// Corrects an inspector: its department's admin (or the county's) only.
    pub async fn edit_inspector(
        &self,
        ctx: &Context,
        id: &str,
        expected: Option<&InspectorDetails>,
        change: &InspectorDetails,
        reason: &str,
    ) -> Result<()> {
        self.require_directory(ctx)?;
        let inspector = self
            .county(ctx)
            .inspector(id)
            .await?
            .ok_or_else(|| AppError::NotFound("本县名录中没有该执法人员".to_string()))?;
        ctx.require(&Action::KeepDirectory {
            department: &inspector.department,
        })?;
        let reason = Reason::parse(reason)?;
        Ok(self
            .county(ctx)
            .update_inspector(
                id,
                &inspector.department,
                RecordEdit {
                    expected,
                    change,
                    reason: &reason,
                },
                &ctx.actor(),
                ctx.now,
            )
            .await?)
    }
}
