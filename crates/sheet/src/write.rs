//! The writing side: [`TableWriter`] for CSV and XLSX exports.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use rust_xlsxwriter::{
    Color, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, XlsxError,
};

use crate::csv_out::CsvWriter;
use crate::error::SheetError;
use crate::text::display_width;

/// How a column's values are stored in an XLSX file.
///
/// Values are always handed over as text; the kind only decides the cell
/// type in XLSX (CSV has no types). `Text` is the default because every
/// id-like value — USCC, certificate numbers, phone numbers — must stay
/// text: Excel turns an 18-digit number into `9.15E+17` and keeps only 15
/// significant digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColumnKind {
    /// String cell with the `@` (text) number format on the whole column, so
    /// that values the clerk types in later stay text as well.
    #[default]
    Text,
    /// `YYYY-MM-DD` written as a real Excel date (sortable, filterable),
    /// shown as `yyyy-mm-dd`. Anything unparsable is kept as text.
    Date,
    /// Whole number cell. Values longer than 15 digits are written as text,
    /// since Excel would round them.
    Integer,
    /// Written as the text 是/否 (also from `true`/`false`/`1`/`0`), which is
    /// what clerks type and what the reader returns for boolean cells.
    Bool,
}

/// A column of an export: its header and how its values are stored.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteColumn {
    header: String,
    kind: ColumnKind,
    width: Option<f64>,
}

impl WriteColumn {
    pub fn new(header: impl Into<String>, kind: ColumnKind) -> Self {
        WriteColumn {
            header: header.into(),
            kind,
            width: None,
        }
    }

    pub fn text(header: impl Into<String>) -> Self {
        Self::new(header, ColumnKind::Text)
    }

    pub fn date(header: impl Into<String>) -> Self {
        Self::new(header, ColumnKind::Date)
    }

    pub fn integer(header: impl Into<String>) -> Self {
        Self::new(header, ColumnKind::Integer)
    }

    pub fn bool(header: impl Into<String>) -> Self {
        Self::new(header, ColumnKind::Bool)
    }

    /// Fixes the XLSX column width (in Excel's character units) instead of
    /// sizing it from the data written.
    pub fn with_width(mut self, width: f64) -> Self {
        self.width = Some(width);
        self
    }

    pub fn header(&self) -> &str {
        &self.header
    }

    pub fn kind(&self) -> ColumnKind {
        self.kind
    }
}

/// Excel's built-in number format 49, `@` (文本). The built-in index rather
/// than a custom `@` code is what Excel itself writes, so every reader
/// recognises the column as text.
pub(crate) const TEXT_FORMAT: u8 = 49;
/// Built-in format 1, `0`: whole numbers without separators.
const INTEGER_FORMAT: u8 = 1;

/// Excel's worksheet row limit, header included.
const XLSX_MAX_ROWS: u32 = 1_048_576;
/// Widest automatic column, so one long remark does not push the rest of the
/// table off screen.
const MAX_AUTO_WIDTH: usize = 60;

/// Writes a table row by row to `.csv` or `.xlsx`, chosen by extension.
///
/// Nothing is buffered beyond the current row (XLSX uses rust_xlsxwriter's
/// constant-memory mode, which spills rows to a temporary file), so exports
/// of a million rows are fine. Call [`TableWriter::finish`]: an XLSX file is
/// only assembled then.
pub struct TableWriter {
    file: String,
    kinds: Vec<ColumnKind>,
    rows: u64,
    sink: Sink,
}

enum Sink {
    Csv(Box<CsvWriter<BufWriter<File>>>),
    Xlsx(Box<XlsxSink>),
}

struct XlsxSink {
    path: PathBuf,
    workbook: Workbook,
    formats: Vec<Format>,
    fixed_widths: Vec<Option<f64>>,
    widths: Vec<usize>,
    next_row: u32,
}

impl TableWriter {
    /// Creates the file and writes the header row. XLSX files get a sheet
    /// named `Sheet1`.
    pub fn create(path: impl AsRef<Path>, columns: &[WriteColumn]) -> Result<Self, SheetError> {
        Self::create_sheet(path, "Sheet1", columns)
    }

    /// Like [`TableWriter::create`] with a chosen worksheet name (ignored for
    /// CSV).
    pub fn create_sheet(
        path: impl AsRef<Path>,
        sheet_name: &str,
        columns: &[WriteColumn],
    ) -> Result<Self, SheetError> {
        let path = path.as_ref();
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let sink = match ext.as_str() {
            "csv" => Sink::Csv(Box::new(create_csv(&file, path, columns)?)),
            "xlsx" => Sink::Xlsx(Box::new(
                create_xlsx(path, sheet_name, columns).map_err(|e| xlsx_error(&file, e))?,
            )),
            _ => {
                return Err(SheetError::UnsupportedFormat {
                    file,
                    extension: if ext.is_empty() {
                        "没有扩展名".to_owned()
                    } else {
                        format!(".{ext}")
                    },
                });
            }
        };
        Ok(TableWriter {
            file,
            kinds: columns.iter().map(|c| c.kind).collect(),
            rows: 0,
            sink,
        })
    }

    /// Appends one data row. Missing trailing cells are left empty; more
    /// cells than columns is a caller bug and an error. After any error the
    /// row may be half written: drop the writer rather than continue.
    pub fn write_row<I>(&mut self, cells: I) -> Result<(), SheetError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let row_number = self.rows + 2;
        let mut count = 0;
        match &mut self.sink {
            Sink::Csv(w) => {
                for cell in cells {
                    let Some(&kind) = self.kinds.get(count) else {
                        return Err(too_many_cells(&self.file, row_number, self.kinds.len()));
                    };
                    let value = cell.as_ref();
                    let io = |e| SheetError::io(&self.file, e);
                    match kind {
                        ColumnKind::Bool => {
                            w.text(bool_text(value).unwrap_or(value)).map_err(io)?
                        }
                        // A real integer stays a number; see csv_out.
                        ColumnKind::Integer => match value.parse::<i64>() {
                            Ok(n) => w.number(n).map_err(io)?,
                            Err(_) => w.text(value).map_err(io)?,
                        },
                        ColumnKind::Text | ColumnKind::Date => w.text(value).map_err(io)?,
                    }
                    count += 1;
                }
                for _ in count..self.kinds.len() {
                    w.text("").map_err(|e| SheetError::io(&self.file, e))?;
                }
                w.end_row().map_err(|e| SheetError::io(&self.file, e))?;
            }
            Sink::Xlsx(x) => {
                if x.next_row >= XLSX_MAX_ROWS {
                    return Err(SheetError::TooManyRows {
                        file: self.file.clone(),
                        limit: u64::from(XLSX_MAX_ROWS),
                    });
                }
                let row = x.next_row;
                let sheet = x
                    .workbook
                    .worksheet_from_index(0)
                    .map_err(|e| xlsx_error(&self.file, e))?;
                for cell in cells {
                    let Some(&kind) = self.kinds.get(count) else {
                        return Err(too_many_cells(&self.file, row_number, self.kinds.len()));
                    };
                    let col = count as u16;
                    let value = cell.as_ref();
                    count += 1;
                    if value.is_empty() {
                        continue;
                    }
                    let format = &x.formats[col as usize];
                    let shown = write_xlsx_cell(sheet, row, col, kind, value, format)
                        .map_err(|e| xlsx_cell_error(&self.file, row_number, col, e))?;
                    let w = &mut x.widths[col as usize];
                    *w = (*w).max(shown);
                }
                x.next_row += 1;
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// Data rows written so far.
    pub fn rows_written(&self) -> u64 {
        self.rows
    }

    /// Flushes a CSV file, or sizes columns, adds the autofilter and
    /// assembles an XLSX file.
    pub fn finish(self) -> Result<(), SheetError> {
        let file = self.file;
        match self.sink {
            Sink::Csv(w) => {
                let mut inner = w.into_inner().map_err(|e| SheetError::io(&file, e))?;
                inner.flush().map_err(|e| SheetError::io(&file, e))
            }
            Sink::Xlsx(mut x) => {
                let last_row = x.next_row - 1;
                let last_col = x.formats.len().saturating_sub(1) as u16;
                let sheet = x
                    .workbook
                    .worksheet_from_index(0)
                    .map_err(|e| xlsx_error(&file, e))?;
                for (col, (fixed, seen)) in x.fixed_widths.iter().zip(&x.widths).enumerate() {
                    // +2 for padding, +2 for the autofilter arrow.
                    let width = fixed.unwrap_or((*seen).min(MAX_AUTO_WIDTH) as f64 + 4.0);
                    sheet
                        .set_column_width(col as u16, width)
                        .map_err(|e| xlsx_error(&file, e))?;
                }
                if !x.formats.is_empty() {
                    sheet
                        .autofilter(0, 0, last_row, last_col)
                        .map_err(|e| xlsx_error(&file, e))?;
                }
                x.workbook.save(&x.path).map_err(|e| xlsx_error(&file, e))
            }
        }
    }
}

fn create_csv(
    file: &str,
    path: &Path,
    columns: &[WriteColumn],
) -> Result<CsvWriter<BufWriter<File>>, SheetError> {
    let io = |e| SheetError::io(file, e);
    let handle = File::create(path).map_err(io)?;
    let mut w = CsvWriter::new(BufWriter::with_capacity(256 * 1024, handle)).map_err(io)?;
    w.text_row(columns.iter().map(|c| c.header.as_str()))
        .map_err(io)?;
    Ok(w)
}

fn create_xlsx(
    path: &Path,
    sheet_name: &str,
    columns: &[WriteColumn],
) -> Result<XlsxSink, XlsxError> {
    let mut workbook = Workbook::new();
    let header_format = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xd9e1f2))
        .set_border_bottom(FormatBorder::Thin)
        .set_align(FormatAlign::VerticalCenter)
        .set_num_format_index(TEXT_FORMAT);
    let formats: Vec<Format> = columns.iter().map(|c| kind_format(c.kind)).collect();
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name(sheet_name)?;
    // Column formats must precede the rows in constant-memory mode.
    for (col, format) in formats.iter().enumerate() {
        sheet.set_column_format(col as u16, format)?;
    }
    for (col, column) in columns.iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, &column.header, &header_format)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    Ok(XlsxSink {
        path: path.to_owned(),
        workbook,
        formats,
        fixed_widths: columns.iter().map(|c| c.width).collect(),
        widths: columns
            .iter()
            .map(|c| {
                let floor = if c.kind == ColumnKind::Date { 10 } else { 4 };
                display_width(&c.header).max(floor)
            })
            .collect(),
        next_row: 1,
    })
}

/// The cell format for a column kind, shared by exports and templates.
pub(crate) fn kind_format(kind: ColumnKind) -> Format {
    match kind {
        ColumnKind::Text => Format::new().set_num_format_index(TEXT_FORMAT),
        ColumnKind::Date => Format::new().set_num_format("yyyy-mm-dd"),
        ColumnKind::Integer => Format::new().set_num_format_index(INTEGER_FORMAT),
        ColumnKind::Bool => Format::new()
            .set_num_format_index(TEXT_FORMAT)
            .set_align(FormatAlign::Center),
    }
}

/// Writes one non-empty cell and returns its display width.
fn write_xlsx_cell(
    sheet: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    kind: ColumnKind,
    value: &str,
    format: &Format,
) -> Result<usize, XlsxError> {
    match kind {
        ColumnKind::Date => {
            if let Some(date) =
                parse_ymd(value).and_then(|(y, m, d)| ExcelDateTime::from_ymd(y, m, d).ok())
            {
                sheet.write_datetime_with_format(row, col, date, format)?;
                return Ok(10);
            }
        }
        ColumnKind::Integer => {
            if let Ok(n) = value.parse::<i64>()
                && n.unsigned_abs() <= 999_999_999_999_999
            {
                sheet.write_number_with_format(row, col, n as f64, format)?;
                return Ok(value.len());
            }
        }
        ColumnKind::Bool => {
            let value = bool_text(value).unwrap_or(value);
            sheet.write_string_with_format(row, col, value, format)?;
            return Ok(display_width(value));
        }
        ColumnKind::Text => {}
    }
    sheet.write_string_with_format(row, col, value, format)?;
    Ok(display_width(value))
}

/// The 是/否 spelling of common boolean notations.
pub(crate) fn bool_text(value: &str) -> Option<&'static str> {
    match value.trim().to_ascii_lowercase().as_str() {
        "是" | "true" | "1" | "y" | "yes" | "√" => Some("是"),
        "否" | "false" | "0" | "n" | "no" | "×" => Some("否"),
        _ => None,
    }
}

/// Parses `YYYY-MM-DD` (also with `/` or `.`, and a midnight time suffix).
pub(crate) fn parse_ymd(value: &str) -> Option<(u16, u8, u8)> {
    let value = value.trim();
    let value = value
        .strip_suffix(" 00:00:00")
        .or_else(|| value.strip_suffix("T00:00:00"))
        .unwrap_or(value);
    let mut parts = value.split(['-', '/', '.']);
    let y: u16 = parts.next()?.parse().ok()?;
    let m: u8 = parts.next()?.parse().ok()?;
    let d: u8 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1900..=9999).contains(&y) || !(1..=12).contains(&m) {
        return None;
    }
    let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let days = match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (1..=days).contains(&d).then_some((y, m, d))
}

fn too_many_cells(file: &str, row: u64, columns: usize) -> SheetError {
    SheetError::Write {
        file: file.to_owned(),
        reason: format!("第 {row} 行的单元格多于 {columns} 列表头"),
    }
}

pub(crate) fn xlsx_error(file: &str, e: XlsxError) -> SheetError {
    match e {
        XlsxError::IoError(io) => SheetError::io(file, io),
        XlsxError::RowColumnLimitError => SheetError::TooManyRows {
            file: file.to_owned(),
            limit: u64::from(XLSX_MAX_ROWS),
        },
        other => SheetError::Write {
            file: file.to_owned(),
            reason: other.to_string(),
        },
    }
}

fn xlsx_cell_error(file: &str, row: u64, col: u16, e: XlsxError) -> SheetError {
    match e {
        XlsxError::MaxStringLengthExceeded => SheetError::Write {
            file: file.to_owned(),
            reason: format!(
                "{}{row} 单元格的内容超过 Excel 单元格 32767 个字符的上限",
                crate::text::column_letter(col as usize)
            ),
        },
        other => xlsx_error(file, other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_strictly() {
        assert_eq!(parse_ymd("2024-02-29"), Some((2024, 2, 29)));
        assert_eq!(parse_ymd("2023-02-29"), None);
        assert_eq!(parse_ymd("2024/1/5"), Some((2024, 1, 5)));
        assert_eq!(parse_ymd("2024-01-05 00:00:00"), Some((2024, 1, 5)));
        assert_eq!(parse_ymd("2024-13-01"), None);
        assert_eq!(parse_ymd("20240105"), None);
    }

    #[test]
    fn bools_normalise() {
        assert_eq!(bool_text("TRUE"), Some("是"));
        assert_eq!(bool_text("否"), Some("否"));
        assert_eq!(bool_text("maybe"), None);
    }
}
