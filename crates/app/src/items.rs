//! The item list (随机抽查事项清单) kept on the web: a department drafts an item,
//! new or changed, publishes it to the public list, withdraws it; every version is
//! kept. A draft is read through the import's own rules (one code path), so the
//! web refuses exactly what a file would.

use std::collections::BTreeMap;

use liancha_domain::auth::Action;
use liancha_domain::record_edit::Reason;
use liancha_domain::rows::{self, ITEM_COLUMNS};
use liancha_domain::{Item, ItemCategory};
use liancha_store::item_drafts::ItemDraft;
use liancha_store::items::ItemVersion;

use crate::directory::History;
use crate::{App, AppError, Context, Result};

/// Where an item stands on the public list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemState {
    Published,
    /// Never published, or withdrawn.
    Unpublished,
    /// A draft waits to be published.
    Drafted,
}

impl ItemState {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "published" => Some(ItemState::Published),
            "unpublished" => Some(ItemState::Unpublished),
            "drafted" => Some(ItemState::Drafted),
            _ => None,
        }
    }
}

/// The item list's search.
#[derive(Debug, Clone, Default)]
pub struct ItemQuery {
    /// Part of a code, name or legal basis.
    pub text: String,
    pub department: Option<String>,
    pub category: Option<ItemCategory>,
    pub state: Option<ItemState>,
}

/// A line of the staff's item list: the item as published (or as drafted, for a
/// new one) and whether a draft waits.
#[derive(Debug, Clone)]
pub struct ItemLine {
    pub item: Item,
    /// False for an item that exists only as a draft.
    pub listed: bool,
    pub drafted: bool,
}

/// An item's page.
#[derive(Debug, Clone)]
pub struct ItemRecord {
    /// The item as it is (None: only a draft exists).
    pub item: Option<Item>,
    pub version: i64,
    pub draft: Option<ItemDraft>,
    /// The draft read as an item, when it still reads (a department renamed since
    /// may make it not).
    pub drafted: Option<Item>,
    /// Every version, newest first.
    pub versions: Vec<ItemVersion>,
    pub history: History,
    /// Whether the principal drafts, publishes and withdraws it.
    pub editable: bool,
}

/// The reason of a step, its refusal named as the form names the field.
fn reason_for(label: &str, reason: &str) -> Result<Reason> {
    Reason::parse(reason).map_err(|e| {
        if reason.trim().chars().count() < 2 {
            AppError::invalid_field(e.field, format!("{label}：请写明原因，至少两个字"))
        } else {
            AppError::invalid_field(e.field, e.message.replacen("修改原因", label, 1))
        }
    })
}

/// A draft's cells in the order of the import's columns.
fn ordered(cells: &BTreeMap<String, String>) -> Vec<String> {
    ITEM_COLUMNS
        .iter()
        .map(|c| cells.get(c.key).cloned().unwrap_or_default())
        .collect()
}

impl App {
    /// The departments whose items the principal keeps (drafts, publishes).
    pub async fn item_keepers(&self, ctx: &Context) -> Result<Vec<String>> {
        self.require_directory(ctx)?;
        Ok(self
            .county(ctx)
            .departments()
            .await?
            .into_iter()
            .filter(|d| {
                ctx.may(&Action::KeepDirectory {
                    department: &d.code,
                })
            })
            .map(|d| d.code)
            .collect())
    }

    /// The county's items `q` finds, in code order, with the new ones that exist only
    /// as drafts (to their keepers).
    pub async fn staff_items(&self, ctx: &Context, q: &ItemQuery) -> Result<Vec<ItemLine>> {
        self.require_directory(ctx)?;
        let county = self.county(ctx);
        let lookup = county.lookup().await?;
        let drafts = county.item_drafts().await?;
        let mut lines: Vec<ItemLine> = county
            .items(false)
            .await?
            .into_iter()
            .map(|item| ItemLine {
                drafted: drafts.iter().any(|d| d.code == item.code),
                listed: true,
                item,
            })
            .collect();
        for d in &drafts {
            let keeps = ctx.may(&Action::KeepDirectory {
                department: &d.department,
            });
            if keeps
                && !lines.iter().any(|l| l.item.code == d.code)
                && let Ok(item) = rows::parse_item(ordered(&d.cells).as_slice(), &lookup)
            {
                lines.push(ItemLine {
                    item,
                    listed: false,
                    drafted: true,
                });
            }
        }
        lines.sort_by(|a, b| a.item.code.cmp(&b.item.code));
        let text = q.text.trim().to_lowercase();
        Ok(lines
            .into_iter()
            .filter(|l| {
                q.department
                    .as_ref()
                    .is_none_or(|d| *d == l.item.department)
            })
            .filter(|l| q.category.is_none_or(|c| c == l.item.category))
            .filter(|l| match q.state {
                None => true,
                Some(ItemState::Published) => l.listed && l.item.published,
                Some(ItemState::Unpublished) => !l.listed || !l.item.published,
                Some(ItemState::Drafted) => l.drafted,
            })
            .filter(|l| {
                text.is_empty()
                    || l.item.code.to_lowercase().contains(&text)
                    || l.item.name.to_lowercase().contains(&text)
                    || l.item.legal_basis.to_lowercase().contains(&text)
            })
            .collect())
    }

    pub async fn item_record(&self, ctx: &Context, code: &str) -> Result<ItemRecord> {
        self.require_directory(ctx)?;
        let county = self.county(ctx);
        let item = county.item(code).await?;
        let draft = county.item_draft(code).await?;
        let department = match (&item, &draft) {
            (Some(i), _) => i.department.clone(),
            (None, Some(d)) => d.department.clone(),
            (None, None) => {
                return Err(AppError::NotFound("本县清单中没有该抽查事项".into()));
            }
        };
        let editable = ctx.may(&Action::KeepDirectory {
            department: &department,
        });
        // A new item's draft is its keepers' until it is published.
        let draft = draft.filter(|_| editable || item.is_some());
        if item.is_none() && draft.is_none() {
            return Err(AppError::NotFound("本县清单中没有该抽查事项".into()));
        }
        let lookup = county.lookup().await?;
        let drafted = draft
            .as_ref()
            .and_then(|d| rows::parse_item(ordered(&d.cells).as_slice(), &lookup).ok());
        let mut versions = county.item_history(code).await?;
        versions.reverse();
        Ok(ItemRecord {
            version: versions.first().map_or(0, |v| v.version),
            history: self.history(ctx, "item", code).await?,
            item,
            draft,
            drafted,
            versions,
            editable,
        })
    }

    /// Reads `cells` (by column key) as an item through the import's rules, and
    /// checks the principal keeps its department (and the one it had).
    async fn drafted_item(
        &self,
        ctx: &Context,
        cells: &BTreeMap<String, String>,
    ) -> Result<(Item, Option<Item>)> {
        self.require_directory(ctx)?;
        let county = self.county(ctx);
        let row = ordered(cells);
        let item = rows::parse_item(row.as_slice(), &county.lookup().await?).map_err(|errs| {
            let column = |e: &rows::FieldError| ITEM_COLUMNS[e.column];
            let message = errs
                .iter()
                .map(|e| format!("{}：{}", column(e).header, e.reason))
                .collect::<Vec<_>>()
                .join("；");
            AppError::invalid_field(column(&errs[0]).key, message)
        })?;
        let current = county.item(&item.code).await?;
        for department in
            std::iter::once(&item.department).chain(current.as_ref().map(|c| &c.department))
        {
            ctx.require(&Action::KeepDirectory { department })?;
        }
        Ok((item, current))
    }

    /// Every cell of a draft the import's rules refuse: (column key, reason), in the
    /// columns' order; none when it reads.
    pub async fn item_cell_errors(
        &self,
        ctx: &Context,
        cells: &BTreeMap<String, String>,
    ) -> Result<Vec<(String, String)>> {
        self.require_directory(ctx)?;
        let lookup = self.county(ctx).lookup().await?;
        Ok(match rows::parse_item(ordered(cells).as_slice(), &lookup) {
            Ok(_) => Vec::new(),
            Err(errs) => errs
                .into_iter()
                .map(|e| (ITEM_COLUMNS[e.column].key.to_string(), e.reason))
                .collect(),
        })
    }

    /// Saves a draft of an item (new when `base_version` is 0) as the form's cells.
    /// The public list is unchanged until it is published. Returns its code.
    /// `revision` is the draft's the page showed (0: none): a draft is replaced only
    /// as its keeper saw it, never another department's.
    pub async fn save_item_draft(
        &self,
        ctx: &Context,
        cells: &BTreeMap<String, String>,
        base_version: i64,
        revision: i64,
    ) -> Result<String> {
        let (item, _) = self.drafted_item(ctx, cells).await?;
        let county = self.county(ctx);
        if let Some(d) = county.item_draft(&item.code).await?
            && !ctx.may(&Action::KeepDirectory {
                department: &d.department,
            })
        {
            return Err(if base_version == 0 {
                AppError::invalid_field(
                    "code",
                    format!("事项编码 {} 已被使用，请换一个编码", item.code),
                )
            } else {
                // The item is the principal's; another department's draft moves it.
                AppError::Conflict(format!(
                    "事项 {} 有另一部门保存的草稿待发布；请对方发布或放弃后再修改",
                    item.code
                ))
            });
        }
        let mut kept = cells.clone();
        kept.remove("published");
        county
            .save_item_draft(&item, &kept, base_version, revision, &ctx.actor(), ctx.now)
            .await?;
        Ok(item.code)
    }

    /// Publishes revision `revision` of an item's draft, with the reason: the public
    /// list shows it from now on, as a new version.
    pub async fn publish_item(
        &self,
        ctx: &Context,
        code: &str,
        revision: i64,
        reason: &str,
    ) -> Result<i64> {
        let reason = reason_for("发布原因", reason)?;
        let county = self.county(ctx);
        let draft = county
            .item_draft(code)
            .await?
            .filter(|d| d.revision == revision)
            .ok_or_else(|| {
                AppError::Conflict("该草稿已被他人修改、发布或放弃；请查看最新内容后再操作".into())
            })?;
        // Read as published: what only a public item must have (抽查方式) is asked now.
        let mut cells = draft.cells.clone();
        cells.insert("published".into(), "已发布".into());
        let (item, _) = self.drafted_item(ctx, &cells).await.map_err(|e| match e {
            // Said of the draft as a whole: the publish form has no such field.
            AppError::Invalid { message, .. } => AppError::Invalid {
                field: None,
                message: format!("{message}（请先在上方修改草稿，保存后再发布）"),
            },
            e => e,
        })?;
        if item.code != code {
            return Err(AppError::invalid_field("code", "草稿的事项编码与本页不符"));
        }
        Ok(county
            .publish_item_draft(&item, revision, reason.as_str(), &ctx.actor(), ctx.now)
            .await?)
    }

    /// Withdraws a published item from the public list (version `version`, as the
    /// page showed it), with the reason.
    pub async fn withdraw_item(
        &self,
        ctx: &Context,
        code: &str,
        version: i64,
        reason: &str,
    ) -> Result<()> {
        self.require_directory(ctx)?;
        let reason = reason_for("撤回原因", reason)?;
        let county = self.county(ctx);
        let item = county
            .item(code)
            .await?
            .ok_or_else(|| AppError::NotFound("本县清单中没有该抽查事项".into()))?;
        ctx.require(&Action::KeepDirectory {
            department: &item.department,
        })?;
        Ok(county
            .withdraw_item(code, version, reason.as_str(), &ctx.actor(), ctx.now)
            .await?)
    }

    /// Drops revision `revision` of an item's draft.
    pub async fn discard_item_draft(&self, ctx: &Context, code: &str, revision: i64) -> Result<()> {
        self.require_directory(ctx)?;
        let county = self.county(ctx);
        let draft = county
            .item_draft(code)
            .await?
            .ok_or_else(|| AppError::Conflict("该草稿已被发布或放弃".into()))?;
        // The draft's department and the item's own, when the draft moves it.
        let current = county.item(code).await?;
        for department in
            std::iter::once(&draft.department).chain(current.as_ref().map(|c| &c.department))
        {
            ctx.require(&Action::KeepDirectory { department })?;
        }
        Ok(county
            .discard_item_draft(code, revision, &ctx.actor(), ctx.now)
            .await?)
    }
}

impl App {
    /// Writes the county's item list (drafts not included) to `path` in the import
    /// template's columns, so it can be edited in Excel and imported back.
    pub async fn export_items(&self, ctx: &Context, path: &std::path::Path) -> Result<u64> {
        self.require_directory(ctx)?;
        Ok(self
            .county(ctx)
            .export_file(liancha_store::import::Kind::Items, path, &|_| {})
            .await?)
    }
}

/// A joint item list with where it stands with the 编办.
#[derive(Debug, Clone)]
pub struct JointListLine {
    pub list: liancha_domain::JointItemList,
    pub approval: liancha_store::items::JointListApproval,
}

impl App {
    /// The county's joint item lists, each with its approval.
    pub async fn joint_lists(&self, ctx: &Context) -> Result<Vec<JointListLine>> {
        self.require_directory(ctx)?;
        let county = self.county(ctx);
        let approvals = county.joint_list_approvals().await?;
        Ok(county
            .joint_item_lists(false)
            .await?
            .into_iter()
            .filter_map(|list| {
                let approval = approvals.iter().find(|a| a.code == list.code)?.clone();
                Some(JointListLine { list, approval })
            })
            .collect())
    }

    /// The county's 编办 sends a submitted list back to its lead department, with
    /// the reason (退回): a draft again, not public.
    pub async fn return_joint_list(
        &self,
        ctx: &Context,
        code: &str,
        revision: i64,
        reason: &str,
    ) -> Result<()> {
        self.require_directory(ctx)?;
        ctx.require(&Action::ApproveJointLists)?;
        let reason = reason_for("退回原因", reason)?;
        Ok(self
            .county(ctx)
            .return_joint_item_list(code, revision, reason.as_str(), &ctx.actor(), ctx.now)
            .await?)
    }

    /// The county's 编办 approves revision `revision` of a joint item list submitted
    /// for publication: the public sees it from now on.
    pub async fn approve_joint_list(&self, ctx: &Context, code: &str, revision: i64) -> Result<()> {
        self.require_directory(ctx)?;
        ctx.require(&Action::ApproveJointLists)?;
        Ok(self
            .county(ctx)
            .approve_joint_item_list(
                code,
                revision,
                &ctx.actor(),
                &ctx.principal.display_name,
                ctx.now,
            )
            .await?)
    }
}
