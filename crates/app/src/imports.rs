//! The directories kept on the web: a department (or the county's administrator)
//! uploads its file, sees what it would do, and then imports it, all or nothing.
//! The entity directory is kept by the county's market regulator; each department
//! keeps its own inspectors and items.

use std::path::Path;

use liancha_domain::Domain;
use liancha_domain::auth::Action;
use liancha_store::import::Kind;
use liancha_store::import_preview::ImportPreview;

use crate::{App, AppError, Context, Result};

impl App {
    /// The department that keeps the county's entity directory: the one leading its
    /// market joint item list, else its first market department.
    pub async fn entity_keeper(&self, ctx: &Context) -> Result<Option<String>> {
        let county = self.county(ctx);
        // Submitted is enough: a list waiting for the 编办 after a change still
        // names who keeps the directory.
        if let Some(l) = county
            .joint_item_lists(false)
            .await?
            .into_iter()
            .find(|l| l.domain == Domain::Market && l.published)
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
    /// own rows only, checked against the file) and the administrator; the setup
    /// lists (townships, departments, rule books) the administrator.
    pub async fn may_import(&self, ctx: &Context, kind: Kind) -> Result<bool> {
        if !Kind::ON_THE_WEB.contains(&kind) {
            return Ok(false);
        }
        if kind.is_setup() {
            return Ok(ctx.may(&Action::ManageSettings));
        }
        let department = match kind {
            Kind::Entities | Kind::CreditStatus => {
                self.entity_keeper(ctx).await?.unwrap_or_default()
            }
            _ => ctx.principal.department.clone().unwrap_or_default(),
        };
        Ok(ctx.may(&Action::KeepDirectory {
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
            .filter(|d| !ctx.may(&Action::KeepDirectory { department: d }))
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
                    "文件中有属于其他部门、或会改变其他部门记录的行（{}）：部门只能导入本部门的{}，请删去这些行后重新上传",
                    others
                        .iter()
                        .map(|c| name(c))
                        .collect::<Vec<_>>()
                        .join("、"),
                    kind.label()
                ),
            ));
        }
        refuse_guarded(&preview)?;
        Ok(preview)
    }

    /// Imports `path` as `kind` for the county's operator at the command line (the
    /// roll-out of a county, scripted updates): the file is refused for what the
    /// web refuses it for (its rows' problems, a renamed township, credit flags
    /// changed by a directory: the import itself refuses these, inside its
    /// transaction), every row or none; the operator acts for the whole county, so
    /// no department's limits apply.
    pub async fn import_as_operator(
        &self,
        county: &liancha_domain::org::DivisionCode,
        kind: Kind,
        path: &Path,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<liancha_store::import::ImportOutcome> {
        Ok(self
            .store()
            .county(county)
            .import_file(kind, path, progress)
            .await?)
    }

    /// Imports `path` as `kind` once the clerk has seen its preview and confirmed:
    /// the same checks again on the same file; if the directory changed since the
    /// preview (`seen`: the counts the clerk read), refused; then every row or
    /// none, with its entry in the audit trail. Returns what was done, as previewed.
    pub async fn import_directory(
        &self,
        ctx: &Context,
        kind: Kind,
        path: &Path,
        seen: Option<Seen>,
        confirmed: bool,
    ) -> Result<ImportPreview> {
        if kind == Kind::CreditStatus {
            return self.import_credit_status(ctx, path, seen, confirmed).await;
        }
        let preview = self.preview_import(ctx, kind, path).await?;
        ctx.require_confirmed(
            confirmed,
            "导入后文件中的记录即写入名录，同编号的记录被更新",
        )?;
        if seen.is_some_and(|s| s != Seen::of(&preview)) {
            return Err(AppError::Conflict(
                "名录在预览之后已有改动，未导入：请重新上传文件，核对新的预览后再导入".into(),
            ));
        }
        let county = self.county(ctx);
        county.import_file(kind, path, &|_| {}).await?;
        // After the import's own transaction (the bulk loader commits its own): an
        // entry that failed to be written is said in the server's log, the rows
        // stay imported.
        if let Err(e) = county
            .audit_import(kind, path, &preview, &ctx.actor(), ctx.now)
            .await
        {
            tracing::error!(error = %e, "an import's audit entry was not written");
        }
        Ok(preview)
    }

    /// 省级回传: the province's risk classes and list statuses, taken into the
    /// directory in one transaction with its audit entries; a listing it makes is
    /// the directory keeper's (「谁列入」 for the county's lists), a removal it
    /// makes waits for a pending credit repair application.
    async fn import_credit_status(
        &self,
        ctx: &Context,
        path: &Path,
        seen: Option<Seen>,
        confirmed: bool,
    ) -> Result<ImportPreview> {
        if !self.may_import(ctx, Kind::CreditStatus).await? {
            return Err(AppError::Forbidden);
        }
        ctx.require_confirmed(confirmed, "导入后文件中的风险分类和名单状态即写入名录")?;
        let keeper = self.entity_keeper(ctx).await?.ok_or_else(|| {
            AppError::invalid_field(
                "file",
                "本县尚未设市场监管部门，省级回传的名单状态无处记载：请先在“乡镇、部门与实施细则”中设置",
            )
        })?;
        // The plan the clerk read, by its digest: without it there is nothing
        // the clerk confirmed.
        let digest = seen
            .map(|s| s.digest)
            .filter(|d| !d.is_empty())
            .ok_or_else(|| AppError::Conflict("请先上传文件、核对预览，再确认导入".into()))?;
        let run = liancha_store::results::Run::Apply {
            keeper: &keeper,
            digest: &digest,
            actor: &ctx.actor(),
            now: ctx.now,
        };
        Ok(self.county(ctx).import_credit_status(path, run).await?)
    }
}

/// The counts of a preview as the clerk read them: an import whose preview now
/// says otherwise is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub new: u64,
    pub changed: u64,
    pub removed: u64,
    pub skipped: u64,
    /// The digest of the plan previewed (the province's file; empty otherwise).
    pub digest: String,
}

impl Seen {
    pub fn of(p: &ImportPreview) -> Seen {
        Seen {
            new: p.new,
            changed: p.changed,
            removed: p.removed_total,
            skipped: p.skipped_total,
            digest: p.digest.clone(),
        }
    }
}

/// Refuses a file that would change what only its own workflow changes: an
/// entity's abnormal and blacklist flags, set and lifted through credit decisions.
/// (The import refuses it again inside its transaction.)
fn refuse_guarded(preview: &ImportPreview) -> Result<()> {
    if preview.guarded_total > 0 {
        let examples: Vec<(String, String)> = preview
            .guarded
            .iter()
            .map(|r| (r.id.clone(), r.name.clone()))
            .collect();
        return Err(
            liancha_store::import::guarded_refusal(Some(preview.guarded_total), &examples).into(),
        );
    }
    Ok(())
}

impl App {
    /// A template's examples in the county's own data: its name, a township, the
    /// principal's department (or the county's first) and another.
    pub async fn template_examples(
        &self,
        ctx: &Context,
    ) -> Result<liancha_store::export::Examples> {
        if ctx.county().level() != liancha_domain::org::Level::County {
            return Ok(liancha_store::export::Examples::default());
        }
        let county = self.county(ctx);
        let departments = county.departments().await?;
        // The principal's department; for the administrator the market regulator,
        // whose items the examples are.
        let own = departments
            .iter()
            .find(|d| Some(&d.code) == ctx.principal.department.as_ref())
            .or_else(|| departments.iter().find(|d| d.domain == Domain::Market))
            .or(departments.first());
        Ok(liancha_store::export::Examples {
            county: self.store().division(ctx.county()).await?.map(|d| d.name),
            township: county.townships().await?.into_iter().next().map(|t| t.name),
            department: own.map(|d| d.name.clone()),
            other_department: departments
                .iter()
                .find(|d| Some(*d) != own)
                .map(|d| d.name.clone()),
        })
    }
}
