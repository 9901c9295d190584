//! The directories kept on the web: a department (or the county's administrator)
//! uploads its file, sees what it would do, and then imports it, all or nothing.
//! The entity directory is kept by the county's market regulator; each department
//! keeps its own inspectors and items.

use std::path::Path;

use liancha_domain::Domain;
use liancha_domain::auth::Action;
use liancha_store::import::{ImportOutcome, Kind};
use liancha_store::import_preview::ImportPreview;

use crate::{App, AppError, Context, Result};

impl App {
    /// The department that keeps the county's entity directory: the one leading its
    /// market joint item list, else its first market department.
    pub async fn entity_keeper(&self, ctx: &Context) -> Result<Option<String>> {
        let county = self.county(ctx);
        if let Some(l) = county
            .joint_item_lists(true)
            .await?
            .into_iter()
            .find(|l| l.domain == Domain::Market)
        {
            return Ok(Some(l.lead_department));
        }
        Ok(county
            .departments()
            .await?
            .into_iter()
            .find(|d| d.domain == Domain::Market)
            .map(|d| d.code))
    }

    /// Whether the principal may import `kind` at all: the entity directory its
    /// keeper and the administrator; inspectors and items a department admin (its
    /// own rows only, checked against the file) and the administrator.
    pub async fn may_import(&self, ctx: &Context, kind: Kind) -> Result<bool> {
        if !Kind::ON_THE_WEB.contains(&kind) {
            return Ok(false);
        }
        let department = match kind {
            Kind::Entities => self.entity_keeper(ctx).await?.unwrap_or_default(),
            _ => ctx.principal.department.clone().unwrap_or_default(),
        };
        Ok(ctx.may(&Action::ImportDirectory {
            department: &department,
        }))
    }

    /// What importing `path` as `kind` would do; nothing is written. A department
    /// admin's file may hold only its own department's rows.
    pub async fn preview_import(
        &self,
        ctx: &Context,
        kind: Kind,
        path: &Path,
    ) -> Result<ImportPreview> {
        if !self.may_import(ctx, kind).await? {
            return Err(AppError::Forbidden);
        }
        let preview = self.county(ctx).import_preview(kind, path).await?;
        let others: Vec<&String> = preview
            .departments
            .iter()
            .filter(|d| !ctx.may(&Action::ImportDirectory { department: d }))
            .collect();
        if !others.is_empty() {
            let names = self.county(ctx).departments().await?;
            let name = |code: &String| {
                names
                    .iter()
                    .find(|d| &d.code == code)
                    .map_or_else(|| code.clone(), |d| d.name.clone())
            };
            return Err(AppError::invalid_field(
                "file",
                format!(
                    "文件中有其他部门的记录（{}）：部门只能导入本部门的{}，请删去这些行后重新上传",
                    others
                        .iter()
                        .map(|c| name(c))
                        .collect::<Vec<_>>()
                        .join("、"),
                    kind.label()
                ),
            ));
        }
        Ok(preview)
    }

    /// Imports `path` as `kind` once the clerk has seen its preview and confirmed:
    /// the same checks again on the same file, then every row or none, with its
    /// entry in the audit trail.
    pub async fn import_directory(
        &self,
        ctx: &Context,
        kind: Kind,
        path: &Path,
        confirmed: bool,
    ) -> Result<ImportOutcome> {
        self.preview_import(ctx, kind, path).await?;
        ctx.require_confirmed(
            confirmed,
            "导入后文件中的记录即写入名录，同编号的记录被更新",
        )?;
        let county = self.county(ctx);
        let outcome = county.import_file(kind, path, &|_| {}).await?;
        county
            .audit_import(kind, &outcome, &ctx.actor(), ctx.now)
            .await?;
        Ok(outcome)
    }
}
