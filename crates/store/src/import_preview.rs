//! What an import would do, before it does it: how many rows are new, which change
//! (each changed column, before → after) and how many are as they are. Read from the
//! same file with the same checks as the import itself, so a file that previews
//! without problems imports; nothing is written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use liancha_domain::check_points::CheckPointRow;
use liancha_domain::rows::{self, Column};
use liancha_domain::setup_rows;
use liancha_domain::{Department, Entity, Inspector, Item, Township};

use chrono::{DateTime, Utc};

use crate::accounts::{Actor, Audit};
use crate::directories::EntityFilter;
use crate::import::{
    Kind, department_code, entity_id, inspector_id, item_code, parse_department, parse_entity,
    parse_inspector, parse_item, parse_rule_book, parse_township, read_all, rule_book_domain,
    township_code,
};
use crate::{County, Result, StoreError, with_pool};

/// At most this many changed rows are listed; past it only their number is given.
pub const MAX_LISTED_CHANGES: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportPreview {
    pub file: String,
    pub rows: u64,
    pub new: u64,
    pub changed: u64,
    pub unchanged: u64,
    /// The first [`MAX_LISTED_CHANGES`] changed rows, in file order.
    pub changes: Vec<RowChange>,
    /// The departments the rows belong to, in the file and, for rows that update a
    /// record, before (inspectors and items; empty for entities): who may import the
    /// file depends on them, so that no department takes over another's records.
    pub departments: BTreeSet<String>,
    /// Rows that would change what only its own workflow changes (an entity's
    /// abnormal and blacklist flags, set and lifted through credit decisions), the
    /// first [`MAX_LISTED_CHANGES`] of them, with only those fields.
    pub guarded: Vec<RowChange>,
    pub guarded_total: u64,
    /// Records the import takes away (check points of the file's items that the file
    /// no longer lists), the first [`MAX_LISTED_CHANGES`] as (key, name).
    pub removed: Vec<(String, String)>,
    pub removed_total: u64,
    /// Rows the import leaves alone, the first [`MAX_LISTED_CHANGES`] as (key,
    /// name, why): the province's rows of entities not on the county's directory.
    pub skipped: Vec<(String, String, String)>,
    pub skipped_total: u64,
    /// What the import must find still to be done when confirmed (the province's
    /// file: the digest of its plan); empty for the directories.
    pub digest: String,
}

/// A row that would change an existing record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowChange {
    pub id: String,
    pub name: String,
    pub fields: Vec<FieldChange>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    /// The column's header, as in the template.
    pub column: &'static str,
    pub before: String,
    pub after: String,
}

/// How one kind of record is compared: its key, its name, its department, its
/// cells, and the columns only its own workflow may change.
struct Compare<'a, T> {
    columns: &'static [Column],
    id: fn(&T) -> &str,
    name: fn(&T) -> &str,
    department: Option<fn(&T) -> &str>,
    cells: &'a dyn Fn(&T) -> Vec<String>,
    guarded: &'static [&'static str],
}

impl<T> Compare<'_, T> {
    /// `file`'s rows against the records as they are, by key.
    fn preview(&self, file: String, rows: &[T], existing: &BTreeMap<String, T>) -> ImportPreview {
        let mut p = ImportPreview {
            file,
            rows: rows.len() as u64,
            new: 0,
            changed: 0,
            unchanged: 0,
            changes: Vec::new(),
            departments: BTreeSet::new(),
            guarded: Vec::new(),
            guarded_total: 0,
            removed: Vec::new(),
            removed_total: 0,
            skipped: Vec::new(),
            skipped_total: 0,
            digest: String::new(),
        };
        for row in rows {
            let old = existing.get((self.id)(row));
            if let Some(department) = self.department {
                p.departments.insert(department(row).to_string());
                if let Some(old) = old {
                    p.departments.insert(department(old).to_string());
                }
            }
            let Some(old) = old else {
                p.new += 1;
                continue;
            };
            let mut fields = Vec::new();
            let mut guarded = Vec::new();
            let before = (self.cells)(old);
            let after = (self.cells)(row);
            for ((before, after), c) in before.into_iter().zip(after).zip(self.columns) {
                if before == after {
                    continue;
                }
                let change = FieldChange {
                    column: c.header,
                    before,
                    after,
                };
                if self.guarded.contains(&c.key) {
                    guarded.push(change.clone());
                }
                fields.push(change);
            }
            if !guarded.is_empty() {
                p.guarded_total += 1;
                if p.guarded.len() < MAX_LISTED_CHANGES {
                    p.guarded.push(RowChange {
                        id: (self.id)(row).to_string(),
                        name: (self.name)(row).to_string(),
                        fields: guarded,
                    });
                }
            }
            if fields.is_empty() {
                p.unchanged += 1;
                continue;
            }
            p.changed += 1;
            if p.changes.len() < MAX_LISTED_CHANGES {
                p.changes.push(RowChange {
                    id: (self.id)(row).to_string(),
                    name: (self.name)(row).to_string(),
                    fields,
                });
            }
        }
        p
    }
}

/// The SHA-256 of an uploaded file, in hex: the audit trail names the file by it.
pub(crate) fn file_sha256(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    let bytes =
        std::fs::read(path).map_err(|e| StoreError::invalid(format!("无法读取上传的文件：{e}")))?;
    Ok(liancha_draw::hex::encode(&Sha256::digest(&bytes)))
}

/// The audit entry of an import: which file (its name and SHA-256, so that the file
/// kept by the clerk can be matched), and what it added, changed and left alone.
pub(crate) fn import_audit(kind: Kind, sha256: &str, preview: &ImportPreview) -> Audit<'static> {
    Audit::new("directory.import", "directory", kind.code()).after(serde_json::json!({
        "directory": kind.label(), "filename": preview.file, "sha256": sha256,
        "rows": preview.rows, "added": preview.new, "updated": preview.changed,
        "removed": preview.removed_total,
        "removed_keys": preview.removed.iter().map(|(k, _)| k).collect::<Vec<_>>(),
        "skipped": preview.skipped_total,
    }))
}

impl County<'_> {
    /// The audit entry of an import made on the web: who imported which file (its
    /// name and SHA-256, so that the file kept by the clerk can be matched), and what
    /// it added and changed, as previewed.
    pub async fn audit_import(
        &self,
        kind: Kind,
        path: &Path,
        preview: &ImportPreview,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let sha256 = file_sha256(path)?;
        self.audit(actor, now, import_audit(kind, &sha256, preview))
            .await
    }

    /// What importing `path` as `kind` would do. A file with problems is refused
    /// as the import refuses it (`StoreError::Import`, every problem with its row
    /// and column).
    pub async fn import_preview(&self, kind: Kind, path: &Path) -> Result<ImportPreview> {
        let lookup = self.lookup().await?;
        let names: BTreeMap<String, String> = self
            .departments()
            .await?
            .into_iter()
            .map(|d| (d.code, d.name))
            .collect();
        let dept_name = |code: &str| names.get(code).cloned().unwrap_or_else(|| code.into());
        match kind {
            Kind::Entities => {
                let (file, all) = read_all(path, kind, lookup, parse_entity, entity_id).await?;
                let total = self.counts().await?.entities;
                let existing = self
                    .entities(&EntityFilter::default(), 0, total.max(1))
                    .await?
                    .rows
                    .into_iter()
                    .map(|e| (e.id.clone(), e))
                    .collect();
                let compare = Compare {
                    columns: rows::ENTITY_COLUMNS,
                    id: entity_id,
                    name: |e: &Entity| &e.name,
                    department: None,
                    cells: &rows::entity_cells,
                    guarded: &["abnormal", "blacklisted"],
                };
                Ok(compare.preview(file, &all, &existing))
            }
            Kind::Inspectors => {
                let (file, all) =
                    read_all(path, kind, lookup, parse_inspector, inspector_id).await?;
                let existing = self
                    .inspectors(None)
                    .await?
                    .into_iter()
                    .map(|i| (i.id.clone(), i))
                    .collect();
                let cells = |i: &Inspector| rows::inspector_cells(i, &dept_name(&i.department));
                let compare = Compare {
                    columns: rows::INSPECTOR_COLUMNS,
                    id: inspector_id,
                    name: |i: &Inspector| &i.name,
                    department: Some(|i: &Inspector| &i.department),
                    cells: &cells,
                    guarded: &[],
                };
                Ok(compare.preview(file, &all, &existing))
            }
            Kind::Items => {
                let (file, all) = read_all(path, kind, lookup, parse_item, item_code).await?;
                let existing: BTreeMap<String, Item> = self
                    .items(false)
                    .await?
                    .into_iter()
                    .map(|i| (i.code.clone(), i))
                    .collect();
                // Refused here as the import refuses it: a joint list's item unpublished.
                let mut listed = Vec::new();
                for item in all.iter().filter(|i| !i.published) {
                    if existing.get(&item.code).is_some_and(|old| old.published) {
                        let lists: Vec<String> = with_pool!(self, p => self
                            .query_scalar(crate::items::LISTS_NAMING)
                            .bind(&item.code)
                            .fetch_all(p)
                            .await)?;
                        if !lists.is_empty() {
                            listed.push(format!("{}（{}）", item.code, lists.join("、")));
                        }
                    }
                }
                if !listed.is_empty() {
                    return Err(crate::items::listed_refusal(&listed));
                }
                let cells = |i: &Item| rows::item_cells(i, &dept_name);
                let compare = Compare {
                    columns: rows::ITEM_COLUMNS,
                    id: item_code,
                    name: |i: &Item| &i.name,
                    department: Some(|i: &Item| &i.department),
                    cells: &cells,
                    guarded: &[],
                };
                Ok(compare.preview(file, &all, &existing))
            }
            Kind::Townships => {
                let (file, all) =
                    read_all(path, kind, lookup, parse_township, township_code).await?;
                let current = self.townships().await?;
                self.check_township_file(&current, &all)?;
                let existing = current.into_iter().map(|t| (t.code.clone(), t)).collect();
                let compare = Compare {
                    columns: setup_rows::TOWNSHIP_COLUMNS,
                    id: township_code,
                    name: |t: &Township| &t.name,
                    department: None,
                    cells: &setup_rows::township_cells,
                    guarded: &[],
                };
                Ok(compare.preview(file, &all, &existing))
            }
            Kind::Departments => {
                let (file, all) =
                    read_all(path, kind, lookup, parse_department, department_code).await?;
                let existing: BTreeMap<String, Department> = self
                    .departments()
                    .await?
                    .into_iter()
                    .map(|d| (d.code.clone(), d))
                    .collect();
                // As the import would leave them: two departments may not share a name.
                let mut after: BTreeMap<&str, &str> = existing
                    .values()
                    .map(|d| (d.code.as_str(), d.name.as_str()))
                    .collect();
                after.extend(all.iter().map(|d| (d.code.as_str(), d.name.as_str())));
                let mut names = BTreeSet::new();
                if let Some(twice) = after.values().find(|n| !names.insert(**n)) {
                    return Err(StoreError::invalid(format!(
                        "导入失败，未导入任何记录：两个部门的名称相同（「{twice}」）"
                    )));
                }
                let compare = Compare {
                    columns: setup_rows::DEPARTMENT_COLUMNS,
                    id: department_code,
                    name: |d: &Department| &d.name,
                    department: None,
                    cells: &setup_rows::department_cells,
                    guarded: &[],
                };
                Ok(compare.preview(file, &all, &existing))
            }
            Kind::CheckPoints => {
                let (file, all) = read_all(
                    path,
                    kind,
                    lookup,
                    crate::import::parse_check_point,
                    crate::import::check_point_key,
                )
                .await?;
                let items: Vec<String> = all.iter().map(|r| r.point.item.clone()).collect();
                // Refused here for what the import refuses (shared codes, limits).
                let by_item = liancha_domain::check_points::group_by_item(all.clone());
                self.check_replacement(&by_item).await?;
                let departments: BTreeMap<String, String> = self
                    .items(false)
                    .await?
                    .into_iter()
                    .map(|i| (i.code, i.department))
                    .collect();
                let existing = self
                    .check_points(&items)
                    .await?
                    .into_iter()
                    .map(|p| CheckPointRow {
                        key: p.key(),
                        department: departments.get(&p.item).cloned().unwrap_or_default(),
                        point: p,
                    })
                    .map(|r| (r.key.clone(), r))
                    .collect();
                let compare = Compare {
                    columns: liancha_domain::check_points::COLUMNS,
                    id: |r: &CheckPointRow| &r.key,
                    name: |r: &CheckPointRow| &r.point.content,
                    department: Some(|r: &CheckPointRow| &r.department),
                    cells: &|r: &CheckPointRow| liancha_domain::check_points::cells(&r.point),
                    guarded: &[],
                };
                let mut preview = compare.preview(file, &all, &existing);
                // The file's items get exactly the file's points: the others go.
                let kept: BTreeSet<&str> = all.iter().map(|r| r.key.as_str()).collect();
                for (key, old) in &existing {
                    if !kept.contains(key.as_str()) {
                        preview.removed_total += 1;
                        if preview.removed.len() < MAX_LISTED_CHANGES {
                            preview
                                .removed
                                .push((key.clone(), old.point.content.clone()));
                        }
                    }
                }
                Ok(preview)
            }
            Kind::RuleBooks => {
                // Each row against the version in force on its day (today when it
                // gives none): a changed domain becomes a new version from that day.
                let (file, all) =
                    read_all(path, kind, lookup, parse_rule_book, rule_book_domain).await?;
                // Refused here for what the import refuses.
                self.rule_book_changes(&all).await?;
                let mut existing = BTreeMap::new();
                for row in &all {
                    if let Some(book) = self.rule_book_compared(row).await? {
                        // Compared book to book: the day is the row's either way.
                        let current = setup_rows::RuleBookRow {
                            book,
                            effective_from: row.effective_from,
                        };
                        existing.insert(row.book.domain.code().to_string(), current);
                    }
                }
                let compare = Compare {
                    columns: setup_rows::RULE_BOOK_COLUMNS,
                    id: rule_book_domain,
                    name: |r: &setup_rows::RuleBookRow| r.book.domain.label(),
                    department: None,
                    cells: &setup_rows::rule_book_row_cells,
                    guarded: &[],
                };
                Ok(compare.preview(file, &all, &existing))
            }
            Kind::CreditStatus => {
                self.import_credit_status(
                    path,
                    crate::results::Run::Preview {
                        now: crate::directories::now(),
                    },
                )
                .await
            }
            other => Err(StoreError::invalid(format!(
                "「{}」请在“乡镇、部门与实施细则”页面或用命令行导入",
                other.label()
            ))),
        }
    }
}
