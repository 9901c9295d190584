//! Reading Excel/ODS workbooks through calamine.

use std::fmt::Write as _;
use std::io::Cursor;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread;

use calamine::{Data, DataRef, Reader, SheetType, SheetVisible, Xlsb, Xlsx};

use crate::container::{self, Flavor};
use crate::error::SheetError;
use crate::limits::{MAX_CELLS, MAX_COLUMNS, MAX_ROWS, MAX_SHEET_COLUMNS};
use crate::read::Record;
use crate::text::{column_letter, trim_cell};

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
    // Only the old .xls name is used for text exports; .xlsx and the other
    // zip formats are never text, and neither is anything with control bytes.
    let lower = file.to_ascii_lowercase();
    if !lower.ends_with(".xls") || !looks_like_text(bytes) {
        return Err(SheetError::NotExcel {
            file: file.to_owned(),
            reason: "文件内容既不是 Excel 工作簿，也不是文本表格，可能已损坏或只是改了扩展名"
                .to_owned(),
        });
    }
    Ok(Content::Text)
}

/// Whether the start of `bytes` could be a text table: UTF-16 with a BOM, or
/// an 8-bit encoding without NUL and other C0 controls except tab and line
/// breaks (random or binary data has them within a few bytes).
fn looks_like_text(bytes: &[u8]) -> bool {
    if bytes.starts_with(b"\xff\xfe") || bytes.starts_with(b"\xfe\xff") {
        return true;
    }
    bytes
        .iter()
        .take(crate::encoding::SNIFF_WINDOW)
        .all(|&b| b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1a))
}

/// A worksheet handed out row by row.
///
/// calamine's streaming cell readers borrow the workbook they read from, so
/// the workbook and the reader live on a thread of their own that sends
/// finished rows through a small bounded channel. The channel is what keeps
/// memory flat: at most [`CHANNEL_ROWS`] rows of at most
/// [`MAX_COLUMNS`] cells are ever in flight, wherever the cells sit in the
/// sheet. Dropping the source closes the channel and the thread stops.
pub(crate) struct WorkbookSource {
    file: String,
    sheet: String,
    first_col: u32,
    rows: Receiver<Msg>,
    finished: bool,
    /// Joined when the source is dropped: no reader thread outlives its table.
    reader: Option<thread::JoinHandle<()>>,
}

impl Drop for WorkbookSource {
    fn drop(&mut self) {
        // Closing the channel first makes the reader's next send fail, so it stops.
        drop(std::mem::replace(&mut self.rows, mpsc::sync_channel(0).1));
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

const CHANNEL_ROWS: usize = 64;

enum Msg {
    Opened { sheet: String, first_col: u32 },
    Row(Record),
    Failed(SheetError),
    Done,
}

impl WorkbookSource {
    pub(crate) fn open(
        file: &str,
        bytes: Vec<u8>,
        sheet: Option<&str>,
    ) -> Result<Self, SheetError> {
        // Refuse bombs before any parser allocates for them.
        let flavor = if bytes.starts_with(b"PK") {
            Some(container::inspect(file, &bytes)?)
        } else {
            None
        };
        let (tx, rx) = mpsc::sync_channel(CHANNEL_ROWS);
        let name = file.to_owned();
        let wanted = sheet.map(str::to_owned);
        let reader = thread::Builder::new()
            .name("sheet-reader".to_owned())
            .spawn(move || {
                let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
                    read_workbook(&name, bytes, flavor, wanted.as_deref(), &tx)
                }));
                let last = match outcome {
                    Ok(Ok(())) => Msg::Done,
                    Ok(Err(e)) => Msg::Failed(e),
                    // A parser bug on a hostile file must not look like the
                    // end of the sheet, or rows would be silently dropped.
                    Err(_) => Msg::Failed(SheetError::NotExcel {
                        file: name.clone(),
                        reason: "文件内容无法解析".to_owned(),
                    }),
                };
                let _ = tx.send(last);
            })
            .map_err(|e| SheetError::io(file, e))?;
        let first = rx.recv();
        match first {
            Ok(Msg::Opened { sheet, first_col }) => Ok(WorkbookSource {
                file: file.to_owned(),
                sheet,
                first_col,
                rows: rx,
                finished: false,
                reader: Some(reader),
            }),
            other => {
                drop(rx);
                let _ = reader.join();
                match other {
                    Ok(Msg::Failed(e)) => Err(e),
                    _ => Err(interrupted(file)),
                }
            }
        }
    }

    pub(crate) fn sheet_name(&self) -> &str {
        &self.sheet
    }

    pub(crate) fn first_col(&self) -> usize {
        self.first_col as usize
    }

    /// The next non-blank row, cells converted to text.
    pub(crate) fn next_record(&mut self) -> Option<Result<Record, SheetError>> {
        if self.finished {
            return None;
        }
        let msg = self.rows.recv();
        match msg {
            Ok(Msg::Row(record)) => Some(Ok(record)),
            Ok(Msg::Done) => {
                self.finished = true;
                None
            }
            Ok(Msg::Failed(e)) => {
                self.finished = true;
                Some(Err(e))
            }
            Ok(Msg::Opened { .. }) | Err(_) => {
                self.finished = true;
                Some(Err(interrupted(&self.file)))
            }
        }
    }
}

fn interrupted(file: &str) -> SheetError {
    SheetError::NotExcel {
        file: file.to_owned(),
        reason: "读取过程意外中断".to_owned(),
    }
}

fn corrupt(file: &str, detail: impl std::fmt::Display) -> SheetError {
    SheetError::Workbook {
        file: file.to_owned(),
        reason: format!("文件已损坏或不是 Excel 格式（{detail}）"),
    }
}

fn unreadable_sheet(file: &str, sheet: &str, detail: impl std::fmt::Display) -> SheetError {
    SheetError::Workbook {
        file: file.to_owned(),
        reason: format!("无法读取工作表“{sheet}”（{detail}）"),
    }
}

/// The worksheet to read: the one asked for, or the first visible one
/// (hidden sheets usually hold lookup lists, not the data).
fn pick_sheet<RS, R>(file: &str, workbook: &R, wanted: Option<&str>) -> Result<String, SheetError>
where
    RS: std::io::Read + std::io::Seek,
    R: Reader<RS>,
{
    match wanted {
        Some(wanted) => workbook
            .sheet_names()
            .into_iter()
            .find(|n| n == wanted)
            .ok_or_else(|| SheetError::SheetNotFound {
                file: file.to_owned(),
                sheet: wanted.to_owned(),
            }),
        None => workbook
            .sheets_metadata()
            .iter()
            .find(|s| s.typ == SheetType::WorkSheet && s.visible == SheetVisible::Visible)
            .map(|s| s.name.clone())
            .ok_or_else(|| SheetError::NoSheets {
                file: file.to_owned(),
            }),
    }
}

/// Streams a sheet's cells to the row assembler. A macro because calamine's
/// xlsx and xlsb cell readers are distinct types with the same methods, behind no
/// common trait.
macro_rules! stream_cells {
    ($open:expr, $file:ident, $wanted:ident, $tx:ident) => {{
        let (file, wanted, tx) = ($file, $wanted, $tx);
        let mut workbook = $open.map_err(|e| corrupt(file, e))?;
        let name = pick_sheet(file, &workbook, wanted)?;
        let mut cells = workbook
            .worksheet_cells_reader(&name)
            .map_err(|e| unreadable_sheet(file, &name, e))?;
        let first_col = cells.dimensions().start.1;
        let mut rows = RowAssembler::new(file, first_col, tx);
        rows.opened(name.clone());
        let mut text = String::new();
        while let Some(cell) = cells
            .next_cell()
            .map_err(|e| unreadable_sheet(file, &name, e))?
        {
            let (r, c) = cell.get_position();
            text.clear();
            data_ref_text(cell.get_value(), &mut text);
            if !rows.push(r, c, &text)? {
                return Ok(());
            }
        }
        rows.finish()
    }};
}

/// Runs on the reader thread: opens the workbook, sends `Opened`, then the
/// rows. Returns when the sheet ends, on the first error, or when the
/// receiver is gone.
fn read_workbook(
    file: &str,
    bytes: Vec<u8>,
    flavor: Option<Flavor>,
    wanted: Option<&str>,
    tx: &SyncSender<Msg>,
) -> Result<(), SheetError> {
    let named_xlsx = file.to_ascii_lowercase().ends_with(".xlsx");
    let cursor = Cursor::new(bytes);
    match flavor {
        Some(Flavor::Xlsx) => stream_cells!(Xlsx::new(cursor), file, wanted, tx),
        Some(Flavor::Xlsb) => stream_cells!(Xlsb::new(cursor), file, wanted, tx),
        // Neither .ods nor .xls has a streaming reader in calamine: it builds a
        // dense grid between the first and last cell, so two far-apart cells of
        // a tiny file take gigabytes. Refused, with the way out clerks know.
        Some(Flavor::Ods) => Err(legacy_format(file)),
        None if named_xlsx => Err(SheetError::Workbook {
            // An encrypted .xlsx is an OLE container around the zip.
            file: file.to_owned(),
            reason: "文件可能设置了打开密码，请在 Excel 中取消密码后重新保存再导入".to_owned(),
        }),
        None => Err(legacy_format(file)),
    }
}

fn legacy_format(file: &str) -> SheetError {
    SheetError::Workbook {
        file: file.to_owned(),
        reason: "不支持旧版 Excel 97-2003（.xls）和 OpenDocument（.ods）格式的工作簿：\
                 请在 Excel 或 WPS 中“另存为” .xlsx（Excel 工作簿）或 CSV 后再导入"
            .to_owned(),
    }
}

/// Groups a stream of cells, in sheet order, into [`Record`]s, enforcing
/// the limits that keep one row and the whole sheet bounded.
struct RowAssembler<'a> {
    file: &'a str,
    first_col: u32,
    tx: &'a SyncSender<Msg>,
    /// 0-based row being collected, if any cell of it has been seen.
    row: Option<u32>,
    /// Cell texts of that row, by column from `first_col`; never longer
    /// than [`MAX_COLUMNS`].
    cells: Vec<String>,
    seen: u64,
}

impl<'a> RowAssembler<'a> {
    fn new(file: &'a str, first_col: u32, tx: &'a SyncSender<Msg>) -> Self {
        RowAssembler {
            file,
            first_col,
            tx,
            row: None,
            cells: Vec::new(),
            seen: 0,
        }
    }

    fn opened(&mut self, sheet: String) {
        let first_col = self.first_col;
        // A closed channel at this point only means the caller gave up; the
        // next row's send notices and stops the thread.
        let _ = self.tx.send(Msg::Opened { sheet, first_col });
    }

    /// Takes one cell; `Ok(false)` when the receiver is gone.
    fn push(&mut self, row: u32, col: u32, text: &str) -> Result<bool, SheetError> {
        let value = trim_cell(text);
        if value.is_empty() {
            // Formatted but empty cells are everywhere in real files,
            // including at the far corner of the sheet; they carry nothing.
            return Ok(true);
        }
        if u64::from(row) >= MAX_ROWS || u64::from(col) >= MAX_SHEET_COLUMNS {
            return Err(corrupt(
                self.file,
                format!("单元格位置超出了 Excel 工作表 {MAX_ROWS} 行、XFD 列的范围"),
            ));
        }
        if col < self.first_col {
            return Err(corrupt(self.file, "单元格位于工作表声明的范围之外"));
        }
        let index = (col - self.first_col) as usize;
        if index >= MAX_COLUMNS {
            return Err(SheetError::TooManyColumns {
                file: self.file.to_owned(),
                row: u64::from(row) + 1,
                column: column_letter(col as usize),
                limit: MAX_COLUMNS,
            });
        }
        self.seen += 1;
        if self.seen > MAX_CELLS {
            return Err(SheetError::TooLarge {
                file: self.file.to_owned(),
                reason: format!("工作表中有内容的单元格超过 {MAX_CELLS} 个"),
            });
        }
        match self.row {
            Some(current) if current == row => {}
            Some(current) if row < current => {
                return Err(corrupt(
                    self.file,
                    format!(
                        "第 {} 行出现在第 {} 行之后，行的顺序错乱",
                        row + 1,
                        current + 1
                    ),
                ));
            }
            Some(_) => {
                if !self.flush() {
                    return Ok(false);
                }
                self.row = Some(row);
            }
            None => self.row = Some(row),
        }
        if self.cells.len() <= index {
            self.cells.resize_with(index + 1, String::new);
        }
        // A repeated position replaces the value, as in a dense grid.
        self.cells[index].clear();
        self.cells[index].push_str(value);
        Ok(true)
    }

    fn flush(&mut self) -> bool {
        let Some(row) = self.row.take() else {
            return true;
        };
        let mut text = String::with_capacity(self.cells.iter().map(String::len).sum());
        let mut ends = Vec::with_capacity(self.cells.len());
        for cell in self.cells.drain(..) {
            text.push_str(&cell);
            ends.push(text.len());
        }
        self.tx
            .send(Msg::Row(Record::new(u64::from(row) + 1, text, ends)))
            .is_ok()
    }

    fn finish(mut self) -> Result<(), SheetError> {
        self.flush();
        Ok(())
    }
}

/// [`cell_text`] for the borrowed cells of the streaming readers, without
/// copying shared strings first.
fn data_ref_text(data: &DataRef<'_>, out: &mut String) {
    match data {
        DataRef::Empty => {}
        DataRef::SharedString(s) => out.push_str(s),
        DataRef::String(s) => out.push_str(s),
        other => cell_text(&Data::from(other.clone()), out),
    }
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
    fn overlong_cell_reference_is_an_error_not_a_panic() {
        // Found by fuzzing: calamine overflows (a panic with overflow checks
        // on) summing the letters of a cell reference.
        let data = format!(
            r#"<row r="1">{}</row>"#,
            inline("AAAAAAAAAAAAAAAAAAAAAAAA1", "x")
        );
        let read = open(&data).and_then(|mut t| t.records().collect::<Result<Vec<_>, _>>());
        assert!(read.is_err(), "{read:?}");
    }

    #[test]
    fn cells_beyond_excel_limits_are_refused() {
        for cell in ["XFE1", "A1048577"] {
            let data = format!(
                r#"<row>{}{}</row>"#,
                inline("A1", "名称"),
                inline(cell, "x")
            );
            let read = open(&data).and_then(|mut t| t.records().collect::<Result<Vec<_>, _>>());
            assert!(read.is_err(), "{cell}: {read:?}");
        }
    }
}
