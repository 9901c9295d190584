//! Importing the directories and the item list from the files clerks already keep.
//!
//! All or nothing: every row is validated, every problem is reported with file, row,
//! column and reason, and if there is any, the transaction is rolled back and nothing
//! from the file is kept. One thread splits the file into cells, another checks the
//! rows, and the batches already checked are written meanwhile; a written batch goes
//! back to the checking thread to be freed.

use std::path::Path;

use liancha_domain::check_points::CheckPointRow;
use liancha_domain::rows::{
    self, Cells, Column as SpecColumn, ENTITY_COLUMNS, FieldError, INSPECTOR_COLUMNS, ITEM_COLUMNS,
    Lookup,
};
use liancha_domain::setup_rows;
use liancha_domain::{Department, Entity, Inspector, Item, Township};
use liancha_sheet::{Column, Record, Table};

use crate::bulk::{Batch, EntityWriter};
use crate::{County, Result, RowError, StoreError};

/// What can be imported, exported and templated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Entities,
    Inspectors,
    Items,
    /// A county's setup lists.
    Townships,
    Departments,
    RuleBooks,
    /// Joint item lists, one row per list member.
    JointLists,
    /// Items' check points, one row per point.
    CheckPoints,
    /// 省级回传: the risk classes and list statuses the province computes.
    CreditStatus,
}

impl Kind {
    pub fn columns(self) -> &'static [SpecColumn] {
        match self {
            Kind::Entities => ENTITY_COLUMNS,
            Kind::Inspectors => INSPECTOR_COLUMNS,
            Kind::Items => ITEM_COLUMNS,
            Kind::Townships => setup_rows::TOWNSHIP_COLUMNS,
            Kind::Departments => setup_rows::DEPARTMENT_COLUMNS,
            Kind::RuleBooks => setup_rows::RULE_BOOK_COLUMNS,
            Kind::JointLists => setup_rows::JOINT_LIST_COLUMNS,
            Kind::CheckPoints => liancha_domain::check_points::COLUMNS,
            Kind::CreditStatus => liancha_domain::credit_status::COLUMNS,
        }
    }

    /// The three a department keeps and imports on the web.
    pub const ON_THE_WEB: &[Kind] = &[
        Kind::Entities,
        Kind::Inspectors,
        Kind::Items,
        Kind::CheckPoints,
        Kind::Townships,
        Kind::Departments,
        Kind::RuleBooks,
        Kind::CreditStatus,
    ];

    /// The county's setup lists: kept by its administrator, not by a department.
    pub fn is_setup(self) -> bool {
        matches!(
            self,
            Kind::Townships | Kind::Departments | Kind::RuleBooks | Kind::JointLists
        )
    }

    /// The name in addresses and the audit trail.
    pub fn code(self) -> &'static str {
        match self {
            Kind::Entities => "entities",
            Kind::Inspectors => "inspectors",
            Kind::Items => "items",
            Kind::Townships => "townships",
            Kind::Departments => "departments",
            Kind::RuleBooks => "rule-books",
            Kind::JointLists => "joint-lists",
            Kind::CheckPoints => "check-points",
            Kind::CreditStatus => "credit-status",
        }
    }

    pub fn from_code(code: &str) -> Option<Kind> {
        [
            Kind::Entities,
            Kind::Inspectors,
            Kind::Items,
            Kind::Townships,
            Kind::Departments,
            Kind::RuleBooks,
            Kind::JointLists,
            Kind::CheckPoints,
            Kind::CreditStatus,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }

    /// Sheet and file names clerks recognise.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Entities => "检查对象名录",
            Kind::Inspectors => "执法人员名录",
            Kind::Items => "抽查事项清单",
            Kind::Townships => "乡镇",
            Kind::Departments => "部门",
            Kind::RuleBooks => "实施细则",
            Kind::JointLists => "跨部门联查事项清单",
            Kind::CheckPoints => "检查要点",
            Kind::CreditStatus => "省级回传信用状态",
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    pub file: String,
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
}

/// At most this many problems are listed; past it only their number is given.
pub const MAX_LISTED_ERRORS: usize = 100;

/// Where each spec column sits in the file, found by header.
struct ColumnMap {
    file: String,
    columns: Vec<Option<Column>>,
}

impl ColumnMap {
    fn new(table: &Table, specs: &'static [SpecColumn]) -> Result<Self> {
        let mut columns = Vec::with_capacity(specs.len());
        let mut missing = Vec::new();
        for spec in specs {
            let mut aliases = vec![spec.header];
            aliases.extend_from_slice(spec.aliases);
            let found = table.find_column(&aliases)?;
            if found.is_none() && spec.required {
                missing.push(RowError {
                    file: table.file_name().to_string(),
                    row: table.header_row(),
                    column: None,
                    reason: format!("缺少必填列「{}」（请使用导入模板的表头）", spec.header),
                });
            }
            columns.push(found);
        }
        if !missing.is_empty() {
            return Err(StoreError::Import {
                errors: missing,
                more: 0,
            });
        }
        Ok(ColumnMap {
            file: table.file_name().to_string(),
            columns,
        })
    }

    fn row_error(&self, row: u64, specs: &'static [SpecColumn], e: FieldError) -> RowError {
        let column = self.columns[e.column]
            .as_ref()
            .map(|c| (c.letter().to_string(), c.header().to_string()))
            .or_else(|| Some(("—".to_string(), specs[e.column].header.to_string())));
        RowError {
            file: self.file.clone(),
            row,
            column,
            reason: e.reason,
        }
    }
}

/// A record seen through the column map: cells addressed by spec column.
pub(crate) struct Mapped<'a> {
    record: &'a Record,
    map: &'a ColumnMap,
}

impl Cells for Mapped<'_> {
    fn cell(&self, column: usize) -> &str {
        match &self.map.columns[column] {
            Some(c) => self.record.cell(c).trim(),
            None => "",
        }
    }
}

/// Collects problems, listing the first [`MAX_LISTED_ERRORS`].
#[derive(Default)]
struct Problems {
    listed: Vec<RowError>,
    more: u64,
}

impl Problems {
    fn push(&mut self, e: RowError) {
        if self.listed.len() < MAX_LISTED_ERRORS {
            self.listed.push(e);
        } else {
            self.more += 1;
        }
    }
    fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }
    fn into_error(self) -> StoreError {
        StoreError::Import {
            errors: self.listed,
            more: self.more,
        }
    }
}

/// The ids seen so far in a file and the row each was first on. Looked up, never
/// iterated, so the fast unkeyed hash is safe (a file is no adversary worth hash
/// flooding). Ids of up to 18 digits and capital letters (every USCC, most other ids)
/// are kept packed in a `u128`: no allocation per row and a quarter of the memory,
/// which on a million rows is a good part of the reader's time.
#[derive(Default)]
struct SeenIds {
    packed: rustc_hash::FxHashMap<u128, u64>,
    other: rustc_hash::FxHashMap<Box<str>, u64>,
}

impl SeenIds {
    /// Records `id` as seen on `row`, or returns the row it was first seen on.
    fn insert(&mut self, id: &str, row: u64) -> Option<u64> {
        match pack_id(id) {
            Some(key) => first_row(&mut self.packed, key, row),
            None => first_row(&mut self.other, id.into(), row),
        }
    }
}

fn first_row<K: std::hash::Hash + Eq>(
    seen: &mut rustc_hash::FxHashMap<K, u64>,
    key: K,
    row: u64,
) -> Option<u64> {
    match seen.entry(key) {
        std::collections::hash_map::Entry::Occupied(first) => Some(*first.get()),
        std::collections::hash_map::Entry::Vacant(v) => {
            v.insert(row);
            None
        }
    }
}

/// The length (5 bits) and then 6 bits per character: one `u128` per id, distinct ids
/// distinct keys. `None` for anything longer than 18 or outside `0-9A-Z`.
fn pack_id(id: &str) -> Option<u128> {
    let bytes = id.as_bytes();
    if bytes.len() > 18 {
        return None;
    }
    let mut key = bytes.len() as u128;
    for &c in bytes {
        let digit = match c {
            b'0'..=b'9' => c - b'0',
            b'A'..=b'Z' => c - b'A' + 10,
            _ => return None,
        };
        key = (key << 6) | u128::from(digit);
    }
    Some(key)
}

type ReadRecord = std::result::Result<Record, liancha_sheet::SheetError>;

/// Reads `records` on a second thread, a chunk at a time, up to the first error.
/// Splitting the file into cells and checking the rows are each about half the work
/// of reading a file; this way both cores do it.
fn read_ahead<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    records: liancha_sheet::Records<'scope>,
) -> std::sync::mpsc::Receiver<Vec<ReadRecord>> {
    const CHUNK: usize = 1_000;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<ReadRecord>>(4);
    scope.spawn(move || {
        let mut chunk = Vec::with_capacity(CHUNK);
        for record in records {
            let failed = record.is_err();
            chunk.push(record);
            if chunk.len() == CHUNK || failed {
                let next = Vec::with_capacity(CHUNK);
                // Stop when the reader has stopped listening, or after an error.
                if tx.send(std::mem::replace(&mut chunk, next)).is_err() || failed {
                    return;
                }
            }
        }
        let _ = tx.send(chunk);
    });
    rx
}

/// Validates every row of `table` with `parse`, handing valid records to `sink` in
/// batches while no problem has been seen. Returns the rows read and the problems.
fn validate_rows<T>(
    table: &mut Table,
    specs: &'static [SpecColumn],
    lookup: &Lookup,
    parse: fn(&Mapped<'_>, &Lookup) -> std::result::Result<T, Vec<FieldError>>,
    id_of: fn(&T) -> &str,
    mut sink: impl FnMut(Vec<T>) -> bool,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<(u64, Problems)> {
    const BATCH: usize = 5_000;
    let map = ColumnMap::new(table, specs)?;
    let mut problems = Problems::default();
    let mut seen = SeenIds::default();
    let mut batch = Vec::with_capacity(BATCH);
    let mut rows = 0u64;
    let mut receiver_alive = true;
    std::thread::scope(|scope| -> Result<()> {
        let chunks = read_ahead(scope, table.records());
        for record in chunks.into_iter().flatten() {
            // The writer has failed: its error is the import's, and reading on is waste.
            if !receiver_alive {
                break;
            }
            let record = record?;
            rows += 1;
            let row = record.row();
            match parse(
                &Mapped {
                    record: &record,
                    map: &map,
                },
                lookup,
            ) {
                Ok(value) => {
                    if let Some(first) = seen.insert(id_of(&value), row) {
                        let id_column = specs
                            .iter()
                            .position(|c| c.kind == rows::CellKind::Id)
                            .unwrap_or(0);
                        let reason = format!("编号「{}」与第 {first} 行重复", id_of(&value));
                        problems.push(map.row_error(
                            row,
                            specs,
                            FieldError {
                                column: id_column,
                                reason,
                            },
                        ));
                    } else if problems.is_empty() && receiver_alive {
                        batch.push(value);
                        if batch.len() == BATCH {
                            receiver_alive =
                                sink(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
                        }
                    }
                }
                Err(errors) => {
                    for e in errors {
                        problems.push(map.row_error(row, specs, e));
                    }
                }
            }
            if rows.is_multiple_of(10_000) {
                progress(rows);
            }
        }
        Ok(())
    })?;
    if problems.is_empty() && !batch.is_empty() && receiver_alive {
        sink(batch);
    }
    progress(rows);
    Ok((rows, problems))
}

pub(crate) fn entity_id(e: &Entity) -> &str {
    &e.id
}
pub(crate) fn inspector_id(i: &Inspector) -> &str {
    &i.id
}
pub(crate) fn item_code(i: &Item) -> &str {
    &i.code
}
pub(crate) fn parse_entity(
    m: &Mapped<'_>,
    l: &Lookup,
) -> std::result::Result<Entity, Vec<FieldError>> {
    rows::parse_entity(m, l)
}
pub(crate) fn parse_inspector(
    m: &Mapped<'_>,
    l: &Lookup,
) -> std::result::Result<Inspector, Vec<FieldError>> {
    rows::parse_inspector(m, l)
}
pub(crate) fn parse_item(m: &Mapped<'_>, l: &Lookup) -> std::result::Result<Item, Vec<FieldError>> {
    rows::parse_item(m, l)
}
pub(crate) fn parse_township(
    m: &Mapped<'_>,
    _: &Lookup,
) -> std::result::Result<Township, Vec<FieldError>> {
    setup_rows::parse_township(m)
}
pub(crate) fn parse_department(
    m: &Mapped<'_>,
    _: &Lookup,
) -> std::result::Result<Department, Vec<FieldError>> {
    setup_rows::parse_department(m)
}
pub(crate) fn parse_rule_book(
    m: &Mapped<'_>,
    _: &Lookup,
) -> std::result::Result<setup_rows::RuleBookRow, Vec<FieldError>> {
    setup_rows::parse_rule_book(m)
}
fn parse_joint_list_row(
    m: &Mapped<'_>,
    lookup: &Lookup,
) -> std::result::Result<setup_rows::JointListRow, Vec<FieldError>> {
    setup_rows::parse_joint_list_row(m, lookup)
}
fn joint_list_row_key(r: &setup_rows::JointListRow) -> &str {
    &r.key
}
pub(crate) fn parse_check_point(
    m: &Mapped<'_>,
    lookup: &Lookup,
) -> std::result::Result<CheckPointRow, Vec<FieldError>> {
    liancha_domain::check_points::parse_row(m, lookup)
}
pub(crate) fn check_point_key(r: &CheckPointRow) -> &str {
    &r.key
}
pub(crate) fn parse_credit_status(
    m: &Mapped<'_>,
    _: &Lookup,
) -> std::result::Result<liancha_domain::credit_status::CreditStatusRow, Vec<FieldError>> {
    liancha_domain::credit_status::parse_row(m)
}
pub(crate) fn township_code(t: &Township) -> &str {
    &t.code
}
pub(crate) fn department_code(d: &Department) -> &str {
    &d.code
}
pub(crate) fn rule_book_domain(r: &setup_rows::RuleBookRow) -> &str {
    r.book.domain.code()
}

/// A refusal of a grouped file's write (lists, points), said of the whole file.
fn refused_file(e: StoreError) -> StoreError {
    match e {
        StoreError::Invalid { message: m, .. } => {
            StoreError::invalid(format!("导入失败，未导入任何记录：{m}"))
        }
        e => e,
    }
}

/// Parses a whole (small) file on a blocking thread.
pub(crate) async fn read_all<T: Send + 'static>(
    path: &Path,
    kind: Kind,
    lookup: Lookup,
    parse: fn(&Mapped<'_>, &Lookup) -> std::result::Result<T, Vec<FieldError>>,
    id_of: fn(&T) -> &str,
) -> Result<(String, Vec<T>)> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut table = Table::open(&path)?;
        let mut all = Vec::new();
        let (_, problems) = validate_rows(
            &mut table,
            kind.columns(),
            &lookup,
            parse,
            id_of,
            |b| {
                all.extend(b);
                true
            },
            &|_| {},
        )?;
        if !problems.is_empty() {
            return Err(problems.into_error());
        }
        Ok((table.file_name().to_string(), all))
    })
    .await
    .map_err(|e| StoreError::invalid(format!("导入中断：{e}")))?
}

/// A write refused by `entities_home`: an id of the file is on another county's
/// directory in a status other than 迁出. Said as such, not as a database error.
/// Why a directory file may not change an entity's abnormal and blacklist flags
/// (set and lifted only through credit decisions): `total` rows would, the first
/// of them named.
pub fn guarded_refusal(total: Option<u64>, examples: &[(String, String)]) -> StoreError {
    let some: Vec<String> = examples
        .iter()
        .take(3)
        .map(|(id, name)| format!("{name}（{id}）"))
        .collect();
    let which = match total {
        Some(n) if some.is_empty() => format!(" {n} 户"),
        Some(n) => format!(" {n} 户（如 {}）", some.join("、")),
        None => "已在名录中的主体".to_string(),
    };
    StoreError::Invalid {
        field: Some("file"),
        message: format!(
            "导入失败，未导入任何记录：文件会改变{which}的经营异常名录或严重违法失信名单标记：\
             这两项只能经“后续处置与信用”中的列入、移出改变。请按名录中的现状填写这两列（可先导出名录再修改），然后重新上传"
        ),
    }
}

/// Refuses, inside the import's transaction `$tx`, a re-import loaded into the
/// table `$load` that would change an existing entity's credit flags: so a credit
/// decision taken since the preview is never undone by the file.
macro_rules! refuse_guarded_load {
    ($county:expr, $tx:expr, $load:literal) => {{
        let guarded: i64 = $crate::scope::query_scalar_in(
            &$county,
            concat!(
                "SELECT COUNT(*) FROM entities e JOIN ", $load, " l ON l.county = e.county AND l.id = e.id \
                 WHERE e.county = $C AND (e.abnormal <> l.abnormal OR e.blacklisted <> l.blacklisted)"
            ),
        )
        .fetch_one(&mut *$tx)
        .await?;
        if guarded > 0 {
            let examples: Vec<(String, String)> = $crate::scope::query_as_in(
                &$county,
                concat!(
                    "SELECT e.id, e.name FROM entities e JOIN ", $load, " l ON l.county = e.county AND l.id = e.id \
                     WHERE e.county = $C AND (e.abnormal <> l.abnormal OR e.blacklisted <> l.blacklisted) \
                     ORDER BY e.id LIMIT 3"
                ),
            )
            .fetch_all(&mut *$tx)
            .await?;
            return Err($crate::import::guarded_refusal(Some(guarded as u64), &examples));
        }
    }};
}
pub(crate) use refuse_guarded_load;

pub(crate) fn active_elsewhere(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(d) = &e {
        let m = d.message();
        if d.constraint() == Some("entities_home")
            || (m.contains("UNIQUE") && m.contains("entities.id"))
        {
            return StoreError::invalid(
                "导入失败，未导入任何记录：文件中有检查对象已在其他县（市、区）的检查对象名录中在册。\
                 同一主体只能在一个县（市、区）在册：须先由原所在地将其登记为「迁出」，再在本地导入",
            );
        }
    }
    e.into()
}

impl County<'_> {
    /// Imports a CSV or XLSX file of `kind` into the county's directory or list. Existing records (same id) are updated.
    /// `progress` is told how many rows have been read.
    pub async fn import_file(
        &self,
        kind: Kind,
        path: &Path,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<ImportOutcome> {
        let lookup = self.lookup().await?;
        match kind {
            Kind::Entities => self.import_entities(path, lookup, progress).await,
            Kind::Inspectors => {
                let (file, all) =
                    read_all(path, kind, lookup, parse_inspector, inspector_id).await?;
                progress(all.len() as u64);
                let inserted = self.put_inspectors(&all).await?;
                Ok(ImportOutcome {
                    file,
                    rows: all.len() as u64,
                    inserted,
                    updated: all.len() as u64 - inserted,
                })
            }
            Kind::CheckPoints => {
                let (file, all) =
                    read_all(path, kind, lookup, parse_check_point, check_point_key).await?;
                progress(all.len() as u64);
                let rows = all.len() as u64;
                // (The preview lists the points the file drops; see import_preview.)
                let existing: std::collections::BTreeSet<String> = self
                    .check_points(&all.iter().map(|r| r.point.item.clone()).collect::<Vec<_>>())
                    .await?
                    .into_iter()
                    .map(|p| p.key())
                    .collect();
                let inserted = all.iter().filter(|r| !existing.contains(&r.key)).count() as u64;
                let by_item = liancha_domain::check_points::group_by_item(all);
                self.replace_check_points(&by_item)
                    .await
                    .map_err(refused_file)?;
                Ok(ImportOutcome {
                    file,
                    rows,
                    inserted,
                    updated: rows - inserted,
                })
            }
            Kind::Items => {
                let (file, all) = read_all(path, kind, lookup, parse_item, item_code).await?;
                progress(all.len() as u64);
                let w = self.put_items(&all).await?;
                Ok(ImportOutcome {
                    file,
                    rows: all.len() as u64,
                    inserted: w.inserted,
                    updated: w.updated,
                })
            }
            Kind::Townships => {
                let (file, all) =
                    read_all(path, kind, lookup, parse_township, township_code).await?;
                progress(all.len() as u64);
                let inserted = self.import_townships(&all).await?;
                Ok(ImportOutcome {
                    file,
                    rows: all.len() as u64,
                    inserted,
                    updated: all.len() as u64 - inserted,
                })
            }
            Kind::Departments => {
                let (file, all) =
                    read_all(path, kind, lookup, parse_department, department_code).await?;
                progress(all.len() as u64);
                let inserted = self.import_departments(&all).await?;
                Ok(ImportOutcome {
                    file,
                    rows: all.len() as u64,
                    inserted,
                    updated: all.len() as u64 - inserted,
                })
            }
            Kind::JointLists => {
                let (file, rows) =
                    read_all(path, kind, lookup, parse_joint_list_row, joint_list_row_key).await?;
                progress(rows.len() as u64);
                let lists = setup_rows::group_joint_lists(&rows)
                    .map_err(|m| refused_file(StoreError::invalid(m)))?;
                let inserted = self
                    .save_joint_item_lists(
                        &lists,
                        &crate::accounts::Actor::system("import"),
                        crate::directories::now(),
                    )
                    .await
                    .map_err(refused_file)?;
                Ok(ImportOutcome {
                    file,
                    rows: lists.len() as u64,
                    inserted,
                    updated: lists.len() as u64 - inserted,
                })
            }
            // Its listings and removals are a department's, taken by an account.
            Kind::CreditStatus => Err(StoreError::invalid(
                "省级回传的信用状态须在网页上预览后导入（工作台“名录导入”，选“省级回传信用状态”）",
            )),
            Kind::RuleBooks => {
                let (file, all) =
                    read_all(path, kind, lookup, parse_rule_book, rule_book_domain).await?;
                progress(all.len() as u64);
                let inserted = self.import_rule_books(&all).await?;
                Ok(ImportOutcome {
                    file,
                    rows: all.len() as u64,
                    inserted,
                    updated: all.len() as u64 - inserted,
                })
            }
        }
    }

    async fn import_entities(
        &self,
        path: &Path,
        lookup: Lookup,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<ImportOutcome> {
        let before = self.counts().await?.entities;
        let (tx, rx) = tokio::sync::mpsc::channel::<Batch>(4);
        let (home, written) = std::sync::mpsc::channel::<Vec<Entity>>();
        let (progress_tx, mut progress_rx) = tokio::sync::watch::channel(0u64);
        let path = path.to_path_buf();
        let reader = tokio::task::spawn_blocking(move || {
            let mut table = Table::open(&path)?;
            let file = table.file_name().to_string();
            let (rows, problems) = validate_rows(
                &mut table,
                ENTITY_COLUMNS,
                &lookup,
                parse_entity,
                entity_id,
                |batch| {
                    // Free what the writer is done with here, where it was made.
                    written.try_iter().for_each(drop);
                    tx.blocking_send(Batch::returning(batch, home.clone()))
                        .is_ok()
                },
                &|n| {
                    let _ = progress_tx.send(n);
                },
            )?;
            if problems.is_empty() {
                Ok((file, rows))
            } else {
                Err(problems.into_error())
            }
        });
        let mut writer = EntityWriter::begin(self).await?;
        let started = std::time::Instant::now();
        let written = {
            let write = writer.write_stream(rx);
            tokio::pin!(write);
            loop {
                tokio::select! {
                    r = &mut write => break r,
                    Ok(()) = progress_rx.changed() => progress(*progress_rx.borrow_and_update()),
                }
            }
        };
        let read = reader
            .await
            .map_err(|e| StoreError::invalid(format!("导入中断：{e}")))?;
        progress(*progress_rx.borrow());
        // Dropping the writer without commit rolls back everything written so far.
        // The writer's failure comes first: it is why the reader stopped, if it did.
        written?;
        let (file, rows) = read?;
        let read_done = started.elapsed();
        writer.commit().await?;
        tracing::debug!(?read_done, commit = ?(started.elapsed() - read_done), "entity import");
        let inserted = (self.counts().await?.entities - before).max(0) as u64;
        Ok(ImportOutcome {
            file,
            rows,
            inserted,
            updated: rows - inserted,
        })
    }
}

/// Writes the rows of `path` that `errors` name to `out` (XLSX): each with its
/// cells in `kind`'s columns, what is wrong with it and its row in the file, so
/// that the clerk corrects them in Excel. Returns the rows written.
pub fn write_bad_rows(kind: Kind, path: &Path, errors: &[RowError], out: &Path) -> Result<u64> {
    let mut reasons: std::collections::BTreeMap<u64, Vec<String>> = Default::default();
    for e in errors {
        reasons.entry(e.row).or_default().push(match &e.column {
            Some((letter, header)) => format!("{letter} 列「{header}」：{}", e.reason),
            None => e.reason.clone(),
        });
    }
    let mut table = Table::open(path)?;
    let specs = kind.columns();
    let map = ColumnMap::new(&table, specs)?;
    let mut columns: Vec<liancha_sheet::WriteColumn> = specs
        .iter()
        .map(|c| liancha_sheet::WriteColumn::text(c.header))
        .collect();
    columns.push(liancha_sheet::WriteColumn::text("问题").with_width(60.0));
    columns.push(liancha_sheet::WriteColumn::text("原文件行号"));
    let mut w = liancha_sheet::TableWriter::create_sheet(out, "有问题的行", &columns)?;
    let mut written = 0;
    for record in table.records() {
        let record = record?;
        let Some(why) = reasons.get(&record.row()) else {
            continue;
        };
        let m = Mapped {
            record: &record,
            map: &map,
        };
        let mut cells: Vec<String> = (0..specs.len()).map(|i| m.cell(i).to_string()).collect();
        cells.push(why.join("；"));
        cells.push(record.row().to_string());
        w.write_row(cells)?;
        written += 1;
    }
    w.finish()?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_ids_are_distinct_and_duplicates_name_the_first_row() {
        let mut seen = SeenIds::default();
        let ids = [
            "91532323MA6K0DQP3X",
            "91532323MA6K0DQP3Y",
            "0",
            "00",
            "",
            "A",
            "Z9",
            "9Z",
            "532323-000001",
            "91532323ma6k0dqp3x",
            "915323230000000000",
            "9153232300000000000",
        ];
        for (row, id) in ids.iter().enumerate() {
            assert_eq!(seen.insert(id, row as u64 + 2), None, "{id}");
        }
        assert_eq!(seen.packed.len() + seen.other.len(), ids.len());
        assert_eq!(
            seen.other.len(),
            3,
            "lower case, '-' and over 18 characters"
        );
        for (row, id) in ids.iter().enumerate() {
            assert_eq!(seen.insert(id, 100), Some(row as u64 + 2), "{id}");
            // A third time still names the first row.
            assert_eq!(seen.insert(id, 200), Some(row as u64 + 2), "{id}");
        }
        assert_ne!(pack_id("0"), pack_id("00"));
        assert_ne!(pack_id(""), pack_id("0"));
    }
}
