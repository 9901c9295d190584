//! Shared by the fuzz targets (see scripts/fuzz).

use std::io::{Cursor, Read, Seek, SeekFrom};

use liancha_sheet::Table;

/// What reading a table gave: the header row and header, then each record
/// (row number and cells) or the error that ended the reading; or the error
/// that refused the file. Errors as their messages.
pub type Outcome = Result<(u64, Vec<String>, Vec<Result<(u64, Vec<String>), String>>), String>;

/// Opens `bytes` as the upload `name` and reads every record, touching what
/// the import code touches: header lookup, cells by column, cell references.
pub fn read_table(name: &str, bytes: Vec<u8>) -> Outcome {
    read_from(name, Cursor::new(bytes))
}

/// Like [`read_table`], through a reader whose every read returns at most
/// `chunk` bytes.
pub fn read_table_chunked(name: &str, bytes: Vec<u8>, chunk: usize) -> Outcome {
    read_from(
        name,
        Chunked {
            inner: Cursor::new(bytes),
            chunk,
        },
    )
}

struct Chunked {
    inner: Cursor<Vec<u8>>,
    chunk: usize,
}

impl Read for Chunked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.chunk);
        self.inner.read(&mut buf[..n])
    }
}

impl Seek for Chunked {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

fn read_from<R: Read + Seek + Send + 'static>(name: &str, reader: R) -> Outcome {
    let mut table = Table::from_reader(name, reader).map_err(|e| e.to_string())?;
    let _ = format!("{table:?}");
    let header_row = table.header_row();
    let headers = table.headers().to_vec();
    let column = table
        .find_column(&["统一社会信用代码", "名称", "a"])
        .ok()
        .flatten();
    if let Some(c) = &column {
        assert!(c.index() < headers.len());
        let _ = c.cell_ref(header_row);
    }
    let _ = table.require_column(&["USCC"]);
    let mut records = Vec::new();
    for record in table.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                records.push(Err(e.to_string()));
                break;
            }
        };
        assert!(
            record.row() > header_row,
            "a data row at or above the header"
        );
        assert!(!record.is_empty(), "a blank row was returned");
        let cells = record.to_vec();
        assert_eq!(cells.len(), record.len());
        for (i, cell) in record.iter().enumerate() {
            assert_eq!(cell, cells[i]);
        }
        if let Some(c) = &column {
            let _ = record.cell(c);
            let _ = c.cell_ref(record.row());
        }
        assert_eq!(record.get(record.len()), None);
        if let Some(Ok((previous, _))) = records.last() {
            assert!(record.row() > *previous, "row numbers must increase");
        }
        records.push(Ok((record.row(), cells)));
    }
    Ok((header_row, headers, records))
}

/// Lets panics raised inside calamine unwind instead of aborting.
///
/// libfuzzer-sys installs a panic hook that aborts on every panic, even one
/// that is caught. liancha-sheet catches calamine's panics on damaged files
/// (e.g. an overflow on an overlong cell reference, which release builds do
/// not even check) and reports a workbook error; those are not crashes of
/// ours. Any other panic, or a calamine panic that escapes, still aborts.
pub fn tolerate_caught_calamine_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_calamine = info
                .location()
                .is_some_and(|l| l.file().contains("/calamine-"));
            if !in_calamine {
                abort(info);
            }
        }));
    });
}

/// Separates the parts given to [`xlsx_from_parts`].
pub const PART_SEPARATOR: &[u8] = b"\n=====\n";

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rId4" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="检查对象" sheetId="1" r:id="rId1"/></sheets></workbook>"#;

/// An .xlsx holding `parts` split at [`PART_SEPARATOR`]: the worksheet XML,
/// then optionally the shared strings, the styles and the workbook XML
/// (each defaulting to a minimal valid part). Stored, not deflated.
pub fn xlsx_from_parts(parts: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    use zip::write::{SimpleFileOptions, ZipWriter};

    let mut split = split_parts(parts).into_iter();
    let sheet = split.next().unwrap_or_default();
    let shared = split.next().unwrap_or(b"<sst/>");
    let styles = split.next().unwrap_or(b"<styleSheet/>");
    let workbook = split.next().unwrap_or(WORKBOOK.as_bytes());
    let files: [(&str, &[u8]); 7] = [
        ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
        ("_rels/.rels", RELS.as_bytes()),
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.as_bytes()),
        ("xl/styles.xml", styles),
        ("xl/sharedStrings.xml", shared),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default());
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in files {
        zip.start_file(name, options).expect("in-memory zip");
        zip.write_all(bytes).expect("in-memory zip");
    }
    zip.finish().expect("in-memory zip").into_inner()
}

fn split_parts(mut rest: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    while parts.len() < 3 {
        match rest
            .windows(PART_SEPARATOR.len())
            .position(|w| w == PART_SEPARATOR)
        {
            Some(i) => {
                parts.push(&rest[..i]);
                rest = &rest[i + PART_SEPARATOR.len()..];
            }
            None => break,
        }
    }
    parts.push(rest);
    parts
}
