//! Reading Excel/ODS workbooks through calamine.

use std::fmt::Write as _;
use std::io::Cursor;

use calamine::{Data, Range, Reader, SheetType, SheetVisible, open_workbook_auto_from_rs};

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

/// A worksheet loaded into memory, handed out row by row.
pub(crate) struct WorkbookSource {
    sheet: String,
    range: Range<Data>,
    /// Absolute 0-based row and column of the range's top-left cell.
    first_row: u32,
    first_col: u32,
    next: usize,
}

impl WorkbookSource {
    pub(crate) fn open(
        file: &str,
        bytes: Vec<u8>,
        sheet: Option<&str>,
    ) -> Result<Self, SheetError> {
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
        let range = workbook
            .worksheet_range(&name)
            .map_err(|e| SheetError::Workbook {
                file: file.to_owned(),
                reason: format!("无法读取工作表“{name}”（{e}）"),
            })?;
        let (first_row, first_col) = range.start().unwrap_or((0, 0));
        Ok(WorkbookSource {
            sheet: name,
            range,
            first_row,
            first_col,
            next: 0,
        })
    }

    pub(crate) fn sheet_name(&self) -> &str {
        &self.sheet
    }

    pub(crate) fn first_col(&self) -> usize {
        self.first_col as usize
    }

    /// The next non-blank row, cells converted to text.
    pub(crate) fn next_record(&mut self) -> Option<Record> {
        let (height, width) = self.range.get_size();
        let mut cell = String::new();
        while self.next < height {
            let r = self.next;
            self.next += 1;
            let mut text = String::new();
            let mut ends = Vec::with_capacity(width);
            let mut blank = true;
            for c in 0..width {
                cell.clear();
                if let Some(data) = self.range.get((r, c)) {
                    cell_text(data, &mut cell);
                }
                let trimmed = trim_cell(&cell);
                blank &= trimmed.is_empty();
                text.push_str(trimmed);
                ends.push(text.len());
            }
            if blank {
                continue;
            }
            // Cells right of the last value only exist because another row
            // is wider; dropping them keeps `len()` meaningful.
            ends.truncate(last_nonempty(&ends) + 1);
            let row = u64::from(self.first_row) + r as u64 + 1;
            return Some(Record::new(row, text, ends));
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
}
