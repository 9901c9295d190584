//! Reading Excel/ODS workbooks through calamine.

use std::fmt::Write as _;
use std::io::Cursor;

use calamine::{Data, Reader, SheetType, SheetVisible, Sheets, open_workbook_auto_from_rs};

use crate::error::SheetError;
use crate::read::Record;
use crate::text::trim_cell;

/// What the bytes behind a workbook extension really are.
pub(crate) enum Content {
    Workbook,
    Text,
}

/// Whether `prefix` starts like a zip (xlsx, xlsm, ods) or OLE (xls)
/// container.
pub(crate) fn is_workbook(prefix: &[u8]) -> bool {
    const ZIP: &[u8] = b"PK\x03\x04";
    const OLE: &[u8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1";
    prefix.starts_with(ZIP) || prefix.starts_with(OLE)
}

/// Looks at the magic number, because files named .xls are often something
/// else: tab-separated text or an HTML table exported by an old system.
pub(crate) fn sniff(file: &str, bytes: &[u8]) -> Result<Content, SheetError> {
    if bytes.is_empty() {
        return Err(SheetError::Empty {
            file: file.to_owned(),
        });
    }
    if is_workbook(bytes) {
        return Ok(Content::Workbook);
    }
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace() && !matches!(b, 0xef | 0xbb | 0xbf))
        .map(|i| bytes[i]);
    if start == Some(b'<') {
        return Err(SheetError::Workbook {
            file: file.to_owned(),
            reason: "文件内容是网页（HTML/XML）格式，并不是真正的 Excel 文件。\
                     请用 Excel 打开后“另存为” .xlsx 格式再导入"
                .to_owned(),
        });
    }
    Ok(Content::Text)
}

/// Excel's own limits (XFD1048576); a cell beyond them is damage, and
/// would otherwise decide how wide every row is.
const MAX_ROWS: u32 = 1 << 20;
const MAX_COLS: u32 = 1 << 14;

/// A worksheet's non-empty cells, in row-major order, handed out row by row.
///
/// Kept sparse rather than as calamine's `Range`, which allocates every cell
/// of the bounding box: a two-cell sheet holding A1 and XFD1048576 would ask
/// for 17 billion cells and take the process down.
pub(crate) struct WorkbookSource {
    sheet: String,
    /// Absolute 0-based (row, column) and value, sorted, no position twice.
    cells: Vec<(u32, u32, Data)>,
    /// Absolute 0-based column of the leftmost cell.
    first_col: u32,
    next: usize,
}

impl WorkbookSource {
    pub(crate) fn open(
        file: &str,
        bytes: Vec<u8>,
        sheet: Option<&str>,
    ) -> Result<Self, SheetError> {
        // calamine can panic on damaged files (e.g. an overflow on a cell
        // reference of many letters when overflow checks are on): a damaged
        // upload is an error for the clerk, not a crash.
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Self::load(file, bytes, sheet)
        }))
        .unwrap_or_else(|_| {
            Err(SheetError::Workbook {
                file: file.to_owned(),
                reason: "文件已损坏或不是 Excel 格式".to_owned(),
            })
        })
    }

    fn load(file: &str, bytes: Vec<u8>, sheet: Option<&str>) -> Result<Self, SheetError> {
        let is_ole = bytes.starts_with(b"\xd0\xcf\x11\xe0");
        let named_xlsx = file.to_ascii_lowercase().ends_with(".xlsx");
        let mut workbook =
            open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| SheetError::Workbook {
                file: file.to_owned(),
                reason: if is_ole && named_xlsx {
                    // An encrypted .xlsx is an OLE container around the zip.
                    "文件可能设置了打开密码，请在 Excel 中取消密码后重新保存再导入".to_owned()
                } else {
                    format!("文件已损坏或不是 Excel 格式（{e}）")
                },
            })?;
        let name = match sheet {
            Some(wanted) => workbook
                .sheet_names()
                .into_iter()
                .find(|n| n == wanted)
                .ok_or_else(|| SheetError::SheetNotFound {
                    file: file.to_owned(),
                    sheet: wanted.to_owned(),
                })?,
            // Hidden sheets usually hold lookup lists, not the data.
            None => workbook
                .sheets_metadata()
                .iter()
                .find(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
                .map(|s| s.name.clone())
                .ok_or_else(|| SheetError::NoSheets {
                    file: file.to_owned(),
                })?,
        };
        let unreadable = |e: &dyn std::fmt::Display| SheetError::Workbook {
            file: file.to_owned(),
            reason: format!("无法读取工作表“{name}”（{e}）"),
        };
        let mut cells = Vec::new();
        let mut push = |row: u32, col: u32, data: Data| {
            if data != Data::Empty {
                cells.push((row, col, data));
            }
        };
        // xlsx and xlsb stream their cells; xls (at most 65536 × 256) and
        // ods come as a range.
        match &mut workbook {
            Sheets::Xlsx(x) => {
                let mut reader = match x.worksheet_cells_reader(&name) {
                    Ok(reader) => reader,
                    // A chart sheet asked for by name: no cells, as calamine's
                    // own worksheet_range has it.
                    Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(Self::empty(name)),
                    Err(e) => return Err(unreadable(&e)),
                };
                while let Some(cell) = reader.next_cell().map_err(|e| unreadable(&e))? {
                    let (row, col) = cell.get_position();
                    push(row, col, cell.get_value().clone().into());
                }
            }
            Sheets::Xlsb(x) => {
                let mut reader = x
                    .worksheet_cells_reader(&name)
                    .map_err(|e| unreadable(&e))?;
                while let Some(cell) = reader.next_cell().map_err(|e| unreadable(&e))? {
                    let (row, col) = cell.get_position();
                    push(row, col, cell.get_value().clone().into());
                }
            }
            other => {
                let range = other.worksheet_range(&name).map_err(|e| unreadable(&e))?;
                let (row0, col0) = range.start().unwrap_or((0, 0));
                for (r, c, data) in range.used_cells() {
                    push(row0 + r as u32, col0 + c as u32, data.clone());
                }
            }
        }
        if let Some(&(row, col, _)) = cells.iter().find(|c| c.0 >= MAX_ROWS || c.1 >= MAX_COLS) {
            return Err(SheetError::Workbook {
                file: file.to_owned(),
                reason: format!(
                    "工作表“{name}”有一个单元格位于第 {} 行第 {} 列，超出了 Excel 的范围（XFD1048576），文件可能已损坏",
                    u64::from(row) + 1,
                    u64::from(col) + 1
                ),
            });
        }
        // Files list cells in order; a stable sort keeps a repeated cell's
        // later value last, which is the one that stays, as in calamine.
        cells.sort_by_key(|&(row, col, _)| (row, col));
        let mut kept: Vec<(u32, u32, Data)> = Vec::with_capacity(cells.len());
        for cell in cells {
            match kept.last_mut() {
                Some(last) if (last.0, last.1) == (cell.0, cell.1) => *last = cell,
                _ => kept.push(cell),
            }
        }
        let first_col = kept.iter().map(|c| c.1).min().unwrap_or(0);
        Ok(WorkbookSource {
            sheet: name,
            cells: kept,
            first_col,
            next: 0,
        })
    }

    fn empty(sheet: String) -> Self {
        WorkbookSource {
            sheet,
            cells: Vec::new(),
            first_col: 0,
            next: 0,
        }
    }

    pub(crate) fn sheet_name(&self) -> &str {
        &self.sheet
    }

    pub(crate) fn first_col(&self) -> usize {
        self.first_col as usize
    }

    /// The next non-blank row, cells converted to text.
    pub(crate) fn next_record(&mut self) -> Option<Record> {
        let mut cell = String::new();
        while self.next < self.cells.len() {
            let row = self.cells[self.next].0;
            let mut text = String::new();
            let mut ends = Vec::new();
            let mut blank = true;
            while let Some((r, c, data)) = self.cells.get(self.next) {
                if *r != row {
                    break;
                }
                self.next += 1;
                // Columns without a value before this one are empty cells.
                ends.resize((c - self.first_col) as usize, text.len());
                cell.clear();
                cell_text(data, &mut cell);
                let trimmed = trim_cell(&cell);
                blank &= trimmed.is_empty();
                text.push_str(trimmed);
                ends.push(text.len());
            }
            if blank {
                continue;
            }
            // A value that trims to nothing does not make the row longer.
            ends.truncate(last_nonempty(&ends) + 1);
            return Some(Record::new(u64::from(row) + 1, text, ends));
        }
        None
    }
}

/// Index of the last cell that is non-empty, given cumulative end offsets.
fn last_nonempty(ends: &[usize]) -> usize {
    let mut prev = 0;
    let mut last = 0;
    for (i, &end) in ends.iter().enumerate() {
        if end > prev {
            last = i;
        }
        prev = end;
    }
    last
}

/// Renders a cell as the clerk would read it in Excel.
///
/// Ids typed as numbers lose digits beyond the 15th in Excel itself; this
/// cannot be undone here, which is why the templates force text format on
/// id columns.
fn cell_text(data: &Data, out: &mut String) {
    match data {
        Data::Empty => {}
        Data::String(s) => out.push_str(s),
        Data::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Data::Float(f) => format_number(*f, out),
        Data::Bool(b) => out.push_str(if *b { "是" } else { "否" }),
        Data::DateTime(dt) => {
            if dt.is_duration() {
                let total = (dt.as_f64() * 86_400.0).round() as i64;
                let _ = write!(
                    out,
                    "{}:{:02}:{:02}",
                    total / 3600,
                    (total % 3600) / 60,
                    total % 60
                );
            } else {
                let (y, mo, d, h, mi, s, _) = dt.to_ymd_hms_milli();
                if dt.as_f64() < 1.0 {
                    let _ = write!(out, "{h:02}:{mi:02}:{s:02}");
                } else if (h, mi, s) == (0, 0, 0) {
                    let _ = write!(out, "{y:04}-{mo:02}-{d:02}");
                } else {
                    let _ = write!(out, "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}");
                }
            }
        }
        Data::DateTimeIso(s) => {
            let s = s.strip_suffix("T00:00:00").unwrap_or(s);
            out.push_str(&s.replacen('T', " ", 1));
        }
        Data::DurationIso(s) => out.push_str(s),
        Data::Error(e) => {
            let _ = write!(out, "{e}");
        }
    }
}

/// Formats a number like Excel's formula bar: integers without `.0`, and at
/// most 15 significant digits, so `0.1 + 0.2` reads `0.3` as in Excel.
fn format_number(v: f64, out: &mut String) {
    if !v.is_finite() {
        let _ = write!(out, "{v}");
        return;
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        let _ = write!(out, "{}", v as i64);
        return;
    }
    let rounded: f64 = format!("{v:.14e}").parse().unwrap_or(v);
    if rounded.fract() == 0.0 && rounded.abs() < 9e18 {
        let _ = write!(out, "{}", rounded as i64);
    } else {
        let _ = write!(out, "{rounded}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(v: f64) -> String {
        let mut s = String::new();
        format_number(v, &mut s);
        s
    }

    #[test]
    fn numbers_read_like_excel() {
        assert_eq!(num(42.0), "42");
        assert_eq!(num(-3.0), "-3");
        assert_eq!(num(0.1 + 0.2), "0.3");
        assert_eq!(num(1.5), "1.5");
        assert_eq!(num(915101000000000000.0), "915101000000000000");
        assert_eq!(num(13800138000.0), "13800138000");
    }

    #[test]
    fn last_nonempty_cell() {
        assert_eq!(last_nonempty(&[1, 1, 3, 3]), 2);
        assert_eq!(last_nonempty(&[2]), 0);
    }

    /// An .xlsx whose only worksheet has `sheet_data` as its `<sheetData>`.
    fn xlsx(sheet_data: &str) -> Vec<u8> {
        use std::io::Write as _;
        let parts = [
            (
                "[Content_Types].xml",
                r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_owned(),
            ),
            (
                "_rels/.rels",
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned(),
            ),
            (
                "xl/workbook.xml",
                r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_owned(),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_owned(),
            ),
            (
                "xl/worksheets/sheet1.xml",
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{sheet_data}</sheetData></worksheet>"#
                ),
            ),
        ];
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, text) in parts {
            zip.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    fn open(sheet_data: &str) -> Result<crate::Table, SheetError> {
        crate::Table::from_reader("upload.xlsx", Cursor::new(xlsx(sheet_data)))
    }

    fn inline(cell: &str, text: &str) -> String {
        format!(r#"<c r="{cell}" t="inlineStr"><is><t>{text}</t></is></c>"#)
    }

    #[test]
    fn far_apart_cells_do_not_allocate_their_bounding_box() {
        // Found by fuzzing: calamine's Range holds every cell between A1 and
        // XFD1048576, 17 billion of them, and the allocation aborts.
        let data = format!(
            r#"<row r="1">{}</row><row r="1048576">{}</row>"#,
            inline("A1", "名称"),
            inline("XFD1048576", "x")
        );
        let mut table = open(&data).unwrap();
        assert_eq!(table.headers(), ["名称"]);
        let records: Vec<_> = table.records().map(Result::unwrap).collect();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].row(), 1_048_576);
        assert_eq!(records[0].len(), 16_384);
        assert_eq!(records[0].get(16_383), Some("x"));
        assert_eq!(records[0].get(0), Some(""));
    }

    #[test]
    fn overlong_cell_reference_is_an_error_not_a_panic() {
        // Found by fuzzing: calamine overflows (a panic with overflow checks
        // on) summing the letters of a cell reference.
        let data = format!(
            r#"<row r="1">{}</row>"#,
            inline("AAAAAAAAAAAAAAAAAAAAAAAA1", "x")
        );
        match open(&data) {
            Err(SheetError::Workbook { .. }) => {}
            other => panic!("expected a workbook error, got {other:?}"),
        }
    }

    #[test]
    fn cells_beyond_excel_limits_are_refused() {
        for cell in ["XFE1", "A1048577"] {
            let data = format!(
                r#"<row>{}{}</row>"#,
                inline("A1", "名称"),
                inline(cell, "x")
            );
            match open(&data) {
                Err(SheetError::Workbook { reason, .. }) => {
                    assert!(reason.contains("超出了 Excel 的范围"), "{reason}")
                }
                other => panic!("{cell}: expected a workbook error, got {other:?}"),
            }
        }
    }

    #[test]
    fn cells_are_read_in_sheet_order_and_a_repeated_cell_keeps_its_last_value() {
        let data = format!(
            r#"<row r="3">{}</row><row r="2">{}{}{}</row>"#,
            inline("C3", "late"),
            inline("B2", "名称"),
            inline("D2", "first"),
            inline("D2", "代码")
        );
        let mut table = open(&data).unwrap();
        assert_eq!(table.headers(), ["名称", "", "代码"]);
        assert_eq!(table.header_row(), 2);
        let column = table.require_column(&["代码"]).unwrap();
        assert_eq!(column.letter(), "D");
        let records: Vec<_> = table.records().map(Result::unwrap).collect();
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].row(), 3);
        assert_eq!(records[0].to_vec(), ["", "late"]);
    }
}
