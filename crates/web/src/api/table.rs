//! The downloads: one table per list, written as CSV (UTF-8 with a BOM) or XLSX.

use super::*;

pub(crate) enum Cell {
    Text(String),
    Int(i64),
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_string())
    }
}

impl From<Option<String>> for Cell {
    fn from(s: Option<String>) -> Self {
        Cell::Text(s.unwrap_or_default())
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Int(n)
    }
}

impl From<i32> for Cell {
    fn from(n: i32) -> Self {
        Cell::Int(n.into())
    }
}

impl From<u32> for Cell {
    fn from(n: u32) -> Self {
        Cell::Int(n.into())
    }
}

macro_rules! row {
    ($($cell:expr),* $(,)?) => { vec![$($crate::api::table::Cell::from($cell)),*] };
}
pub(crate) use row;

/// A list as a table: file name, headers, rows.
pub(crate) struct Table {
    /// ASCII name for old clients, without extension.
    pub(crate) file: String,
    /// The Chinese name, without extension; also the worksheet's name.
    pub(crate) title: String,
    pub(crate) headers: &'static [&'static str],
    pub(crate) rows: Vec<Vec<Cell>>,
}

pub(super) fn joined(v: &[CodeLabel]) -> String {
    v.iter()
        .map(|c| c.label.as_str())
        .collect::<Vec<_>>()
        .join("、")
}

pub(super) fn items_table(items: &[ItemOut], on: Option<NaiveDate>) -> Table {
    Table {
        file: match on {
            Some(d) => format!("liancha-items-{d}"),
            None => "liancha-items".into(),
        },
        title: match on {
            Some(d) => format!("抽查事项清单-{d}"),
            None => "抽查事项清单".into(),
        },
        headers: &[
            "事项编码",
            "抽查事项",
            "抽查依据",
            "抽查主体",
            "抽查内容",
            "抽查方式",
            "执法权限",
            "适用对象类型",
            "所需专业领域",
            "事项类别",
            "抽查比例",
            "抽查频次",
            "配合部门",
            "国家清单编码",
        ],
        rows: items
            .iter()
            .map(|i| {
                row![
                    i.code.as_str(),
                    i.name.as_str(),
                    i.legal_basis.as_str(),
                    i.department.name.as_str(),
                    i.content.as_str(),
                    joined(&i.methods),
                    i.authority.as_str(),
                    if i.entity_types.is_empty() {
                        "全部".to_string()
                    } else {
                        joined(&i.entity_types)
                    },
                    i.specialty.as_deref().unwrap_or(""),
                    i.category.label.as_str(),
                    i.ratio_bp
                        .map(|bp| format!("不低于{}%", liancha_domain::setup_rows::bp_percent(bp)))
                        .unwrap_or_default(),
                    i.frequency
                        .map(|n| format!("每年{n}次"))
                        .unwrap_or_default(),
                    i.cooperating_departments
                        .iter()
                        .map(|d| d.name.as_str())
                        .collect::<Vec<_>>()
                        .join("、"),
                    i.national_code.as_deref().unwrap_or(""),
                ]
            })
            .collect(),
    }
}

pub(super) fn joint_lists_table(lists: &[JointListOut]) -> Table {
    let mut rows = Vec::new();
    for l in lists {
        for (n, i) in l.items.iter().enumerate() {
            rows.push(row![
                l.code.as_str(),
                l.name.as_str(),
                l.domain.label.as_str(),
                l.lead_department.name.as_str(),
                (n + 1) as i64,
                i.code.as_str(),
                i.name.clone(),
            ]);
        }
    }
    Table {
        file: "liancha-joint-lists".into(),
        title: "联合抽查事项清单".into(),
        headers: &[
            "清单编码",
            "清单名称",
            "领域",
            "牵头部门",
            "序号",
            "事项编码",
            "抽查事项",
        ],
        rows,
    }
}

pub(super) fn plans_table(plans: &[PlanOut]) -> Table {
    let mut rows = Vec::new();
    for p in plans {
        let departments = p
            .departments
            .iter()
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>()
            .join("、");
        for e in &p.entries {
            rows.push(row![
                p.id,
                p.year,
                p.domain.label.as_str(),
                p.title.as_str(),
                p.lead_department.name.as_str(),
                departments.as_str(),
                p.published_at.clone(),
                e.month,
                e.title.as_str(),
                e.items
                    .iter()
                    .map(|i| i.code.as_str())
                    .collect::<Vec<_>>()
                    .join("、"),
                e.scope.as_str(),
                e.published_tasks
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join("、"),
                p.number.as_str(),
            ]);
        }
    }
    Table {
        file: "liancha-plans".into(),
        title: "年度抽查工作计划".into(),
        headers: &[
            "计划编号",
            "年度",
            "领域",
            "计划名称",
            "牵头部门",
            "参与部门",
            "公布时间",
            "月份",
            "计划任务",
            "事项编码",
            "范围",
            "已公示任务编号",
            "计划文号",
        ],
        rows,
    }
}

pub(super) fn tasks_table(tasks: &[TaskSummary]) -> Table {
    Table {
        file: "liancha-tasks".into(),
        title: "已公示的联合抽查任务".into(),
        headers: &[
            "任务编号",
            "年度",
            "任务名称",
            "领域",
            "检查模式",
            "牵头部门",
            "参与部门",
            "检查事项",
            "检查开始日期",
            "检查结束日期",
            "方案摘要",
            "公示时间",
            "任务文号",
            "抽查任务编码",
        ],
        rows: tasks
            .iter()
            .map(|t| {
                row![
                    t.id,
                    t.year,
                    t.title.as_str(),
                    t.domain.label.as_str(),
                    t.mode.label.as_str(),
                    t.lead_department.name.as_str(),
                    t.departments
                        .iter()
                        .map(|d| d.name.as_str())
                        .collect::<Vec<_>>()
                        .join("、"),
                    t.items
                        .iter()
                        .map(|i| i.name.clone().unwrap_or_else(|| i.code.clone()))
                        .collect::<Vec<_>>()
                        .join("；"),
                    t.inspection_start.as_str(),
                    t.inspection_end.as_str(),
                    t.plan_digest.clone(),
                    t.published_at.clone(),
                    t.number.as_str(),
                    t.national_code.as_str(),
                ]
            })
            .collect(),
    }
}

pub(super) fn results_table(file: String, title: String, results: &[ResultOut]) -> Table {
    Table {
        file,
        title,
        headers: &[
            "任务编号",
            "任务名称",
            "公示时间",
            "统一社会信用代码",
            "检查对象名称",
            "事项编码",
            "抽查事项",
            "抽查主体",
            "检查日期",
            "检查结果",
            "检查方式",
            "更正说明",
        ],
        rows: results
            .iter()
            .map(|r| {
                row![
                    r.task_id,
                    r.task_title.as_str(),
                    r.published_at.clone(),
                    r.entity_id.as_str(),
                    r.entity_name.as_str(),
                    r.item.code.as_str(),
                    r.item.name.clone(),
                    r.department.name.as_str(),
                    r.inspected_on.clone(),
                    joined(&r.categories),
                    joined(&r.methods),
                    r.correction.clone(),
                ]
            })
            .collect(),
    }
}

pub(super) fn listed_table(list: CreditList, rows: &[ListedEntityOut]) -> Table {
    Table {
        file: format!("liancha-{}", list.code()),
        title: list.label().to_string(),
        headers: &["统一社会信用代码", "名称", "乡镇", "列入日期"],
        rows: rows
            .iter()
            .map(|r| {
                row![
                    r.entity_id.as_str(),
                    r.name.as_str(),
                    r.township.as_str(),
                    r.listed_on.clone()
                ]
            })
            .collect(),
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum FileFormat {
    Csv,
    Xlsx,
}

impl Table {
    /// UTF-8 with a BOM, so that Excel on Chinese Windows reads it as UTF-8.
    pub(super) fn csv(&self) -> ApiResult<Vec<u8>> {
        let fail = |e: &dyn std::fmt::Display| {
            tracing::error!(error = %e, "CSV export");
            ApiError::internal("文件生成失败，请稍后再试。")
        };
        // The shared writer neutralises formula-like text (CSV injection).
        let mut w = liancha_sheet::CsvWriter::new(Vec::new()).map_err(|e| fail(&e))?;
        w.text_row(self.headers).map_err(|e| fail(&e))?;
        for row in &self.rows {
            for cell in row {
                match cell {
                    Cell::Text(s) => w.text(s),
                    Cell::Int(n) => w.number(*n),
                }
                .map_err(|e| fail(&e))?;
            }
            w.end_row().map_err(|e| fail(&e))?;
        }
        w.into_inner().map_err(|e| fail(&e))
    }

    /// Every text cell is a string cell in a column formatted as text (`@`), so USCCs
    /// and other ids stay exactly as written. The creation time is fixed so that the
    /// same list gives the same bytes (and ETag) on every request.
    pub(super) fn xlsx(&self) -> ApiResult<Vec<u8>> {
        use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};
        let fail = |e: rust_xlsxwriter::XlsxError| {
            tracing::error!(error = %e, "XLSX export");
            ApiError::internal("文件生成失败，请稍后再试。")
        };
        let mut book = Workbook::new();
        let created = ExcelDateTime::from_ymd(2000, 1, 1).map_err(fail)?;
        book.set_properties(
            &DocProperties::new()
                .set_title(&self.title)
                .set_creation_datetime(&created),
        );
        let text = Format::new().set_num_format_index(49);
        let header = Format::new().set_bold().set_num_format_index(49);
        let sheet = book.add_worksheet();
        // Worksheet names: at most 31 characters, none of []:*?/\.
        let name: String = self
            .title
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect();
        sheet.set_name(name).map_err(fail)?;
        for (col, h) in self.headers.iter().enumerate() {
            let col = col as u16;
            sheet.set_column_format(col, &text).map_err(fail)?;
            sheet
                .write_string_with_format(0, col, *h, &header)
                .map_err(fail)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let r = (r + 1) as u32;
            for (col, cell) in row.iter().enumerate() {
                let col = col as u16;
                match cell {
                    Cell::Text(s) => {
                        sheet
                            .write_string_with_format(r, col, s, &text)
                            .map_err(fail)?;
                    }
                    Cell::Int(n) => {
                        sheet.write_number(r, col, *n as f64).map_err(fail)?;
                    }
                }
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(fail)?;
        sheet.autofit();
        book.save_to_buffer().map_err(fail)
    }

    pub(crate) fn download(&self, format: FileFormat) -> ApiResult<Response> {
        let (body, ext, content_type) = match format {
            FileFormat::Csv => (self.csv()?, "csv", "text/csv; charset=utf-8"),
            FileFormat::Xlsx => (
                self.xlsx()?,
                "xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
        };
        let disposition = format!(
            "attachment; filename=\"{}.{ext}\"; filename*=UTF-8''{}.{ext}",
            self.file,
            percent_encode(&self.title)
        );
        let mut res = body.into_response();
        let h = res.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        if let Ok(v) = HeaderValue::from_str(&disposition) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
        Ok(res)
    }
}

/// RFC 5987 encoding for `filename*`.
pub(super) fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
