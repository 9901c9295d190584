//! Exporting the directories and lists to XLSX or CSV (chosen by extension), and the
//! empty import templates. Exports use the import columns, so an exported file can be
//! edited and imported back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use futures::TryStreamExt;
use liancha_domain::rows::{self, CellKind, Column as SpecColumn};
use liancha_domain::setup_rows;
use liancha_domain::{Entity, Inspector, Item};
use liancha_sheet::{ColumnKind, ColumnSpec, TableWriter, WriteColumn};

use crate::directories::{ENTITY_SELECT, EntityFilter, EntityRow};
use crate::import::Kind;
use crate::{County, Result, StoreError, with_pool};

fn column_kind(k: CellKind) -> ColumnKind {
    match k {
        CellKind::Text | CellKind::Id => ColumnKind::Text,
        CellKind::Date => ColumnKind::Date,
        CellKind::Bool => ColumnKind::Bool,
    }
}

fn write_columns(specs: &[SpecColumn]) -> Vec<WriteColumn> {
    specs
        .iter()
        .map(|c| WriteColumn::new(c.header, column_kind(c.kind)))
        .collect()
}

/// Writes rows handed over a channel on a blocking thread, so that file encoding
/// (zip compression for XLSX) runs beside the database reads.
struct BlockingWriter {
    tx: tokio::sync::mpsc::Sender<Vec<Vec<String>>>,
    task: tokio::task::JoinHandle<Result<u64>>,
}

impl BlockingWriter {
    fn create(path: &Path, sheet: &'static str, columns: Vec<WriteColumn>) -> Self {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<Vec<String>>>(4);
        let path: PathBuf = path.to_path_buf();
        let task = tokio::task::spawn_blocking(move || {
            let mut w = TableWriter::create_sheet(&path, sheet, &columns)?;
            let mut n = 0u64;
            while let Some(batch) = rx.blocking_recv() {
                for row in batch {
                    w.write_row(row.iter().map(String::as_str))?;
                    n += 1;
                }
            }
            w.finish()?;
            Ok(n)
        });
        BlockingWriter { tx, task }
    }

    /// False when the writer has stopped (its error comes out of `finish`).
    async fn send(&self, batch: Vec<Vec<String>>) -> bool {
        self.tx.send(batch).await.is_ok()
    }

    async fn finish(self) -> Result<u64> {
        drop(self.tx);
        self.task
            .await
            .map_err(|e| StoreError::invalid(format!("导出中断：{e}")))?
    }
}

impl County<'_> {
    /// Department code → name, for files that show names where the database keeps codes.
    async fn department_names(&self) -> Result<BTreeMap<String, String>> {
        Ok(self
            .departments()
            .await?
            .into_iter()
            .map(|d| (d.code, d.name))
            .collect())
    }

    /// Exports the entities `filter` selects, in its order, to `path` (.xlsx or .csv)
    /// in the import template's columns; returns the number of rows written.
    pub async fn export_entities(
        &self,
        filter: &EntityFilter,
        path: &Path,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<u64> {
        const BATCH: usize = 5_000;
        let kind = Kind::Entities;
        let writer = BlockingWriter::create(path, kind.label(), write_columns(kind.columns()));
        let (where_sql, params) = filter.sql();
        let sql = format!("{ENTITY_SELECT}{where_sql}{}", filter.sort.order_by());
        let mut batch = Vec::with_capacity(BATCH);
        let mut sent = 0u64;
        with_pool!(self, p => {
            let mut q = self.query_as::<_, EntityRow>(&sql);
            for v in &params {
                q = q.bind(v);
            }
            let mut rows = q.fetch(p);
            while let Some(row) = rows.try_next().await? {
                batch.push(rows::entity_cells(&Entity::try_from(row)?));
                if batch.len() == BATCH {
                    sent += BATCH as u64;
                    if !writer.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))).await {
                        break;
                    }
                    progress(sent);
                }
            }
        });
        writer.send(batch).await;
        let n = writer.finish().await?;
        progress(n);
        Ok(n)
    }

    /// Exports `kind` to `path` (.xlsx or .csv); returns the number of rows written.
    pub async fn export_file(
        &self,
        kind: Kind,
        path: &Path,
        progress: &(dyn Fn(u64) + Sync),
    ) -> Result<u64> {
        if kind == Kind::Entities {
            return self
                .export_entities(&EntityFilter::default(), path, progress)
                .await;
        }
        let writer = BlockingWriter::create(path, kind.label(), write_columns(kind.columns()));
        let names = self.department_names().await?;
        let dept = |code: &str| names.get(code).cloned().unwrap_or_else(|| code.to_string());
        match kind {
            // Streamed on its own: the county's largest file.
            Kind::Entities => unreachable!("exported by export_entities"),
            Kind::Inspectors => {
                let all: Vec<Inspector> = self.inspectors(None).await?;
                writer
                    .send(
                        all.iter()
                            .map(|i| rows::inspector_cells(i, &dept(&i.department)))
                            .collect(),
                    )
                    .await;
            }
            Kind::Townships => {
                let all = self.townships().await?;
                writer
                    .send(all.iter().map(setup_rows::township_cells).collect())
                    .await;
            }
            Kind::Departments => {
                let all = self.departments().await?;
                writer
                    .send(all.iter().map(setup_rows::department_cells).collect())
                    .await;
            }
            Kind::JointLists => {
                let items: BTreeMap<String, Item> = self
                    .items(false)
                    .await?
                    .into_iter()
                    .map(|i| (i.code.clone(), i))
                    .collect();
                let mut out = Vec::new();
                for l in self.joint_item_lists(false).await? {
                    for (n, code) in l.items.iter().enumerate() {
                        let item = items.get(code);
                        out.push(vec![
                            l.code.clone(),
                            l.name.clone(),
                            l.domain.label().to_string(),
                            dept(&l.lead_department),
                            (n + 1).to_string(),
                            code.clone(),
                            item.map(|i| i.name.clone()).unwrap_or_default(),
                            item.map(|i| dept(&i.department)).unwrap_or_default(),
                            if l.published { "已发布" } else { "草稿" }.to_string(),
                        ]);
                    }
                }
                writer.send(out).await;
            }
            Kind::RuleBooks => {
                // The versions in force today, their day left empty (today): the file
                // imported back changes nothing, and edited it makes new versions
                // from the day of the import, or from a day the clerk writes in.
                let mut all = Vec::new();
                for d in liancha_domain::Domain::ALL {
                    all.push(setup_rows::rule_book_row_cells(&setup_rows::RuleBookRow {
                        book: self.rule_book(*d).await?,
                        effective_from: None,
                    }));
                }
                writer.send(all).await;
            }
            Kind::CheckPoints => {
                let all = self.all_check_points().await?;
                writer
                    .send(
                        all.iter()
                            .map(liancha_domain::check_points::cells)
                            .collect(),
                    )
                    .await;
            }
            Kind::CreditStatus => {
                let all = self.credit_state().await?;
                writer
                    .send(
                        all.iter()
                            .map(|(id, c)| liancha_domain::credit_status::cells(id, c))
                            .collect(),
                    )
                    .await;
            }
            Kind::Items => {
                let all: Vec<Item> = self.items(false).await?;
                writer
                    .send(all.iter().map(|i| rows::item_cells(i, &dept)).collect())
                    .await;
            }
        }
        let n = writer.finish().await?;
        progress(n);
        Ok(n)
    }
}

/// Whose data a template's examples are written in: a clerk of 南华县 sees 南华县's
/// departments and townships, not the demo county's.
#[derive(Debug, Clone, Default)]
pub struct Examples {
    /// The county's name, for the 牟定县 of the examples.
    pub county: Option<String>,
    /// A township of the county, for the 共和镇 of the examples.
    pub township: Option<String>,
    /// The department the clerk works in (or the county's first).
    pub department: Option<String>,
    /// Another department, for the cooperating department's example.
    pub other_department: Option<String>,
}

impl Examples {
    fn example(&self, key: &str, example: &str) -> String {
        match (key, &self.department, &self.other_department) {
            ("department" | "lead_department", Some(d), _) => return d.clone(),
            ("cooperating", _, Some(d)) => return d.clone(),
            _ => {}
        }
        let mut s = example.to_string();
        if let Some(c) = &self.county {
            s = s.replace("牟定县", c);
        }
        if let Some(t) = &self.township {
            s = s.replace("共和镇", t);
        }
        s
    }
}

/// Writes the empty import template of `kind`, with a sheet explaining every column;
/// the examples in `examples`' data.
pub fn write_template(kind: Kind, path: &Path, examples: &Examples) -> Result<()> {
    let specs: Vec<ColumnSpec> = kind
        .columns()
        .iter()
        .map(|c| {
            let mut description = c.description.to_string();
            if c.key == "industry" {
                description = format!("{description}。门类：{}", rows::industry_sections_text());
            }
            if !c.aliases.is_empty() {
                description = format!("{description}（也可用表头：{}）", c.aliases.join("、"));
            }
            ColumnSpec::new(c.header)
                .kind(column_kind(c.kind))
                .required(c.required)
                .description(description)
                .example(examples.example(c.key, c.example))
                .allowed((c.allowed)())
        })
        .collect();
    liancha_sheet::write_template(path, kind.label(), &specs)?;
    Ok(())
}
