//! Hostile inputs: files built to exhaust memory or time, and bytes that are
//! not what their name says. Every test measures the heap with a counting
//! global allocator, so "refused" also means "refused without allocating
//! for it first".
//!
//! The tests of this binary take one lock each: the peak is global, and a
//! neighbour's allocations would blur it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Cursor, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use liancha_sheet::{SheetError, Table, TableWriter, WriteColumn, limits};
use zip::write::SimpleFileOptions;

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(size: usize) {
    let now = CURRENT.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

static SERIAL: Mutex<()> = Mutex::new(());

const MIB: usize = 1 << 20;

/// Runs `f` and returns its result, the heap peak above what was live
/// before, and the time taken.
fn measure<T>(f: impl FnOnce() -> T) -> (T, usize, Duration) {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let start = Instant::now();
    let out = f();
    let elapsed = start.elapsed();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    (out, peak, elapsed)
}

fn lock() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Opens `bytes` as an upload called `name` and reads every row.
type Rows = Vec<(u64, Vec<String>)>;

fn import(name: &str, bytes: Vec<u8>) -> Result<Rows, SheetError> {
    let mut table = Table::from_reader(name, Cursor::new(bytes))?;
    let mut rows = vec![(table.header_row(), table.headers().to_vec())];
    for record in table.records() {
        let record = record?;
        rows.push((record.row(), record.to_vec()));
    }
    Ok(rows)
}

/// Like [`import`], and prints the figures the review asked for.
fn import_measured(
    label: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (Result<Rows, SheetError>, usize, Duration) {
    let size = bytes.len();
    let (out, peak, elapsed) = measure(|| import(name, bytes));
    eprintln!(
        "[{label}] {size} byte file: heap peak {:.1} MiB above the file, {:.2} s",
        peak as f64 / MIB as f64,
        elapsed.as_secs_f64()
    );
    (out, peak, elapsed)
}

const NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";

/// A minimal but complete .xlsx: one worksheet with the given XML body
/// (everything inside `<worksheet>`), and optional extra parts.
fn xlsx(sheet_body: &[u8], extra: &[(&str, &[u8])]) -> Vec<u8> {
    xlsx_streamed(|w| w.write_all(sheet_body).unwrap(), extra)
}

/// [`xlsx`] with the worksheet body written by `body`, so that a huge sheet
/// never exists uncompressed in the test either.
fn xlsx_streamed(body: impl FnOnce(&mut dyn Write), extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut parts: Vec<(&str, &[u8])> = vec![
        (
            "[Content_Types].xml",
            br#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            br#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            br#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            br#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
        ),
    ];
    parts.extend_from_slice(extra);
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in parts {
        zip.start_file(name, zip_options()).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.start_file("xl/worksheets/sheet1.xml", zip_options())
        .unwrap();
    write!(zip, "<worksheet xmlns=\"{NS}\">").unwrap();
    body(&mut zip);
    zip.write_all(b"</worksheet>").unwrap();
    zip.finish().unwrap().into_inner()
}

fn zip_options() -> SimpleFileOptions {
    SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(1))
}

fn zip_of(parts: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in parts {
        zip.start_file(*name, zip_options()).unwrap();
        zip.write_all(data).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

fn inline(cell: &str, text: &str) -> String {
    format!("<c r=\"{cell}\" t=\"inlineStr\"><is><t>{text}</t></is></c>")
}

/// Rewrites the uncompressed size that both the local header and the
/// central directory declare for `entry`, as a hostile tool would.
fn lie_about_size(zip: &mut [u8], entry: &str, size: u32) {
    let name = entry.as_bytes();
    let mut patched = 0;
    let mut i = 0;
    while i + 46 <= zip.len() {
        let sig = &zip[i..i + 4];
        let (size_at, name_len_at, name_at) = if sig == b"PK\x03\x04" {
            (i + 22, i + 26, i + 30)
        } else if sig == b"PK\x01\x02" {
            (i + 24, i + 28, i + 46)
        } else {
            i += 1;
            continue;
        };
        let len = u16::from_le_bytes([zip[name_len_at], zip[name_len_at + 1]]) as usize;
        if zip.get(name_at..name_at + len) == Some(name) {
            zip[size_at..size_at + 4].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
        i += 4;
    }
    assert_eq!(patched, 2, "local header and central directory entry");
}

/// Deterministic noise that starts like no known file type.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        out.extend_from_slice(&seed.to_le_bytes());
    }
    out.truncate(len);
    out[0] = 0x9c;
    out
}

fn assert_mentions(err: &SheetError, file: &str, words: &[&str]) {
    let text = err.to_string();
    assert!(text.contains(file), "names the file: {text}");
    for w in words {
        assert!(text.contains(w), "mentions {w:?}: {text}");
    }
}

#[test]
fn cells_at_opposite_corners_are_refused_without_building_the_grid() {
    let _guard = lock();
    // The 1.6 KB file from the review: a dense grid of it would be
    // 17 billion cells.
    let body = format!(
        "<dimension ref=\"A1:XFD1048576\"/><sheetData><row r=\"1\">{}</row>\
         <row r=\"1048576\">{}</row></sheetData>",
        inline("A1", "名称"),
        inline("XFD1048576", "x")
    );
    let file = xlsx(body.as_bytes(), &[]);
    let (out, peak, elapsed) = import_measured("A1+XFD1048576", "corners.xlsx", file);
    let err = out.unwrap_err();
    assert!(
        matches!(
            err,
            SheetError::TooManyColumns { row: 1_048_576, ref column, limit: 200, .. } if column == "XFD"
        ),
        "{err:?}"
    );
    assert_mentions(&err, "corners.xlsx", &["1048576", "XFD", "200 列"]);
    assert!(peak < 16 * MIB, "heap peak {peak}");
    assert!(elapsed < Duration::from_secs(5));

    // The same class in one row: a header that runs to the last column.
    let body = format!(
        "<sheetData><row r=\"1\">{}{}</row></sheetData>",
        inline("A1", "名称"),
        inline("XFD1", "x")
    );
    let (out, peak, _) = import_measured("A1+XFD1", "wide.xlsx", xlsx(body.as_bytes(), &[]));
    assert!(
        matches!(out, Err(SheetError::TooManyColumns { row: 1, .. })),
        "{out:?}"
    );
    assert!(peak < 16 * MIB, "heap peak {peak}");
}

#[test]
fn far_apart_rows_are_streamed_not_refused() {
    let _guard = lock();
    // Narrow but as tall as Excel allows, with a declared range and a
    // formatted empty cell at the far corner: nothing wrong with it, and
    // reading it must not cost a grid either.
    let body = format!(
        "<dimension ref=\"A1:XFD1048576\"/><sheetData><row r=\"1\">{}</row>\
         <row r=\"1048576\">{}<c r=\"XFD1048576\" s=\"0\"/></row></sheetData>",
        inline("A1", "名称"),
        inline("A1048576", "最后一行")
    );
    let (out, peak, elapsed) =
        import_measured("A1+A1048576", "tall.xlsx", xlsx(body.as_bytes(), &[]));
    let rows = out.unwrap();
    assert_eq!(
        rows,
        [
            (1, vec!["名称".to_owned()]),
            (1_048_576, vec!["最后一行".to_owned()])
        ]
    );
    assert!(peak < 16 * MIB, "heap peak {peak}");
    assert!(elapsed < Duration::from_secs(5));
}

#[test]
fn rows_out_of_order_or_past_excel_limits_are_refused() {
    let _guard = lock();
    let body = format!(
        "<sheetData><row r=\"5\">{}</row><row r=\"2\">{}</row></sheetData>",
        inline("A5", "名称"),
        inline("A2", "x")
    );
    let err = import("order.xlsx", xlsx(body.as_bytes(), &[])).unwrap_err();
    assert_mentions(&err, "order.xlsx", &["顺序"]);

    let body = format!(
        "<sheetData><row r=\"1\">{}</row><row r=\"2000000\">{}</row></sheetData>",
        inline("A1", "名称"),
        inline("A2000000", "x")
    );
    let err = import("tall.xlsx", xlsx(body.as_bytes(), &[])).unwrap_err();
    assert_mentions(&err, "tall.xlsx", &["1048576"]);
}

/// A workbook whose sheet XML is at least `bytes` long: one header cell,
/// then the same row over and over, which deflate packs about 300 to 1.
fn big_sheet(bytes: u64) -> Vec<u8> {
    xlsx_streamed(
        |w| {
            w.write_all(b"<sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>name</t></is></c></row>")
                .unwrap();
            let row: &[u8] = b"<row><c t=\"inlineStr\"><is><t>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</t></is></c></row>";
            let block = row.repeat(16 * 1024);
            let mut written = 0;
            while written < bytes {
                w.write_all(&block).unwrap();
                written += block.len() as u64;
            }
            w.write_all(b"</sheetData>").unwrap();
        },
        &[],
    )
}

#[test]
fn sheet_that_inflates_past_the_cap_is_refused_by_its_declared_size() {
    let _guard = lock();
    // Like the review's 3.7 MB file whose sheet unpacks to 1.2 GB.
    let file = big_sheet(1_200_000_000);
    // Level 1 deflate keeps the test fast; the review's file was tighter.
    assert!(file.len() < 32 * MIB, "compressed to {} bytes", file.len());
    let (out, peak, elapsed) = import_measured("1.2 GB sheet, honest size", "bomb.xlsx", file);
    let err = out.unwrap_err();
    assert!(matches!(err, SheetError::TooLarge { .. }), "{err:?}");
    assert_mentions(&err, "bomb.xlsx", &["工作表", "1 GiB"]);
    assert!(peak < 32 * MIB, "heap peak {peak}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
}

#[test]
fn sheet_whose_declared_size_lies_is_refused_while_inflating() {
    let _guard = lock();
    // 300 MB of sheet that the zip directory says is 4 KiB: the parser
    // would trust the directory and read on.
    let mut file = big_sheet(300_000_000);
    lie_about_size(&mut file, "xl/worksheets/sheet1.xml", 4096);
    let (out, peak, elapsed) = import_measured("300 MB sheet declared 4 KiB", "liar.xlsx", file);
    let err = out.unwrap_err();
    assert!(matches!(err, SheetError::NotExcel { .. }), "{err:?}");
    assert_mentions(&err, "liar.xlsx", &["不是有效的 Excel 文件", "sheet1.xml"]);
    assert!(peak < 32 * MIB, "heap peak {peak}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");

    // And a part claiming to be larger than it is cannot get past the
    // directory check at all.
    let body = format!(
        "<sheetData><row r=\"1\">{}</row></sheetData>",
        inline("A1", "名称")
    );
    let mut file = xlsx(body.as_bytes(), &[]);
    lie_about_size(&mut file, "xl/worksheets/sheet1.xml", u32::MAX);
    let err = import("claims.xlsx", file).unwrap_err();
    assert!(matches!(err, SheetError::TooLarge { .. }), "{err:?}");
}

#[test]
fn shared_string_tables_cannot_ask_for_unbounded_memory() {
    let _guard = lock();
    let sheet =
        "<sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row></sheetData>".to_owned();
    // calamine reserves the declared count up front: 4e9 × 24 bytes.
    let sst = format!(
        "<sst xmlns=\"{NS}\" count=\"1\" uniqueCount=\"4000000000\"><si><t>名称</t></si></sst>"
    );
    let file = xlsx(
        sheet.as_bytes(),
        &[("xl/sharedStrings.xml", sst.as_bytes())],
    );
    let (out, peak, _) = import_measured("uniqueCount=4e9", "count.xlsx", file);
    let err = out.unwrap_err();
    assert!(matches!(err, SheetError::TooLarge { .. }), "{err:?}");
    assert_mentions(&err, "count.xlsx", &["4000000000"]);
    assert!(peak < 16 * MIB, "heap peak {peak}");

    // Honest about the count, but millions of empty strings: each is a
    // String header in the parser's table.
    let mut sst = format!("<sst xmlns=\"{NS}\">").into_bytes();
    for _ in 0..=limits::MAX_CELLS / 4 {
        sst.extend_from_slice(b"<si/>");
    }
    sst.extend_from_slice(b"</sst>");
    let file = xlsx(sheet.as_bytes(), &[("xl/sharedStrings.xml", &sst)]);
    drop(sst);
    let (out, peak, _) = import_measured("5,000,001 shared strings", "many.xlsx", file);
    let err = out.unwrap_err();
    assert_mentions(&err, "many.xlsx", &["共享字符串超过 5000000 个"]);
    assert!(peak < 16 * MIB, "heap peak {peak}");
}

#[test]
fn style_tables_and_single_tokens_are_bounded() {
    let _guard = lock();
    let sheet = format!(
        "<sheetData><row r=\"1\">{}</row></sheetData>",
        inline("A1", "名称")
    );
    let mut styles = format!("<styleSheet xmlns=\"{NS}\"><cellXfs>").into_bytes();
    for _ in 0..70_000 {
        styles.extend_from_slice(b"<xf numFmtId=\"0\"/>");
    }
    styles.extend_from_slice(b"</cellXfs></styleSheet>");
    let file = xlsx(sheet.as_bytes(), &[("xl/styles.xml", &styles)]);
    let err = import("styles.xlsx", file).unwrap_err();
    assert_mentions(&err, "styles.xlsx", &["单元格格式超过 65536 个"]);

    // One cell of 2 MiB: more than Excel can hold, and what the XML parser
    // would buffer whole (a 1 GiB cell would take 1 GiB).
    let long = "长".repeat(700_000);
    let sheet = format!(
        "<sheetData><row r=\"1\">{}</row><row r=\"2\">{}</row></sheetData>",
        inline("A1", "名称"),
        inline("A2", &long)
    );
    let (out, peak, _) =
        import_measured("one 2 MiB cell", "cell.xlsx", xlsx(sheet.as_bytes(), &[]));
    let err = out.unwrap_err();
    assert_mentions(&err, "cell.xlsx", &["32767"]);
    assert!(peak < 16 * MIB, "heap peak {peak}");
}

#[test]
fn bytes_that_are_no_workbook_say_so() {
    let _guard = lock();
    let real = {
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("real.xlsx");
        let mut w = TableWriter::create(&path, &[WriteColumn::text("名称")]).unwrap();
        w.write_row(["甲"]).unwrap();
        w.finish().unwrap();
        std::fs::read(&path).unwrap()
    };
    assert!(import("real.xlsx", real.clone()).is_ok());

    let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, ext) in ["xlsx", "xlsm", "xlsb", "ods", "xls"].iter().enumerate() {
        cases.push((format!("noise.{ext}"), noise(4096, 7 + i as u64)));
    }
    // Uploads cut short, at several points.
    for cut in [10, 100, real.len() / 2, real.len() - 10] {
        cases.push((format!("cut{cut}.xlsx"), real[..cut].to_vec()));
    }
    cases.push((
        "plain.xlsx".to_owned(),
        zip_of(&[("readme.txt", b"not a workbook")]),
    ));
    for (name, bytes) in cases {
        let err = import(&name, bytes).unwrap_err();
        assert!(
            matches!(err, SheetError::NotExcel { .. }),
            "{name}: {err:?}"
        );
        assert_mentions(&err, &name, &["不是有效的 Excel 文件"]);
    }
}

#[test]
fn absurdly_wide_headers_are_refused_early() {
    let _guard = lock();
    // The review's 100,000-column header took 11 s to check.
    let mut csv = (0..100_000)
        .map(|i| format!("列{i}"))
        .collect::<Vec<_>>()
        .join(",");
    csv.push_str("\n1\n");
    let (out, peak, elapsed) =
        import_measured("100,000-column CSV header", "wide.csv", csv.into_bytes());
    let err = out.unwrap_err();
    assert!(
        matches!(err, SheetError::TooManyColumns { row: 1, ref column, .. } if column == "GS"),
        "{err:?}"
    );
    assert_mentions(&err, "wide.csv", &["GS 列", "200 列"]);
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    assert!(peak < 16 * MIB, "heap peak {peak}");

    // Exactly the limit is fine, and so are trailing empty cells past it.
    let header = (0..limits::MAX_COLUMNS)
        .map(|i| format!("列{i}"))
        .collect::<Vec<_>>()
        .join(",");
    let csv = format!("{header}{}\n1\n", ",".repeat(5_000));
    let rows = import("ok.csv", csv.into_bytes()).unwrap();
    assert_eq!(rows[0].1.len(), limits::MAX_COLUMNS);

    // The same in a workbook, and in a data row rather than the header.
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("wide.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "名称").unwrap();
    sheet.write_string(3, 250, "x").unwrap();
    book.save(&path).unwrap();
    let err = import("wide.xlsx", std::fs::read(&path).unwrap()).unwrap_err();
    assert!(
        matches!(err, SheetError::TooManyColumns { row: 4, ref column, .. } if column == "IQ"),
        "{err:?}"
    );
}

#[test]
fn csv_records_are_bounded_in_size() {
    let _guard = lock();
    // A quote that never closes turns the rest of the file into one cell.
    let mut csv = b"\xef\xbb\xbf\xe5\x90\x8d\xe7\xa7\xb0,x\n\"".to_vec();
    csv.resize(64 * MIB, b'a');
    let size = csv.len();
    let (out, peak, elapsed) = import_measured("64 MiB CSV record", "line.csv", csv);
    let err = out.unwrap_err();
    assert!(
        matches!(err, SheetError::RecordTooLong { row: 2, .. }),
        "{err:?}"
    );
    assert_mentions(&err, "line.csv", &["第 2 行", "1 MiB"]);
    assert!(
        peak < size + 4 * MIB,
        "heap peak {peak} for a {size} byte file"
    );
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");

    // Transcoded text goes through the same counter, and so does a header.
    let text = "名".repeat(600_000);
    let (gbk, _, _) = encoding_rs::GB18030.encode(&text);
    let err = import("gbk.csv", gbk.into_owned()).unwrap_err();
    assert!(
        matches!(err, SheetError::RecordTooLong { row: 1, .. }),
        "{err:?}"
    );

    // Just under the limit is fine.
    let csv = format!(
        "名称\n{}\n",
        "a".repeat(limits::MAX_CSV_RECORD_BYTES as usize - 100)
    );
    assert_eq!(import("long.csv", csv.into_bytes()).unwrap().len(), 2);
}

#[test]
fn large_workbooks_are_read_in_bounded_memory() {
    let _guard = lock();
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("big.xlsx");
    let columns: Vec<WriteColumn> = (0..8)
        .map(|i| WriteColumn::text(format!("列{i}")))
        .collect();
    let mut w = TableWriter::create(&path, &columns).unwrap();
    for i in 0..60_000 {
        let cell = format!("第{i}行的一段比较长的文字，用来占地方");
        w.write_row(std::iter::repeat_n(cell.as_str(), 8)).unwrap();
    }
    w.finish().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let size = bytes.len();
    let (count, peak, elapsed) = measure(|| {
        let mut table = Table::from_reader("big.xlsx", Cursor::new(bytes)).unwrap();
        table
            .records()
            .inspect(|r| assert!(r.is_ok(), "{r:?}"))
            .count()
    });
    eprintln!(
        "[60,000-row export] {size} byte file: heap peak {:.1} MiB, {:.2} s",
        peak as f64 / MIB as f64,
        elapsed.as_secs_f64()
    );
    assert_eq!(count, 60_000);
    // The file itself is held; the grid of 480,000 cells (about 60 MiB as
    // calamine's dense range) is not.
    assert!(peak < 12 * MIB, "heap peak {peak} for a {size} byte file");
}

/// calamine reads .xls and .ods sheets into a dense grid between their first and
/// last cell: two cells far apart in a tiny file would take gigabytes. Both are
/// refused before any sheet is read, with the way out a clerk knows.
#[test]
fn legacy_workbooks_are_refused_before_reading() {
    let ods = zip_of(&[
        ("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"),
        (
            "content.xml",
            br#"<office:document-content><office:body><office:spreadsheet><table:table table:name="S"><table:table-row table:number-rows-repeated="1048575"/><table:table-row><table:table-cell table:number-columns-repeated="16383"/><table:table-cell><text:p>x</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#,
        ),
    ]);
    let mut xls = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1".to_vec();
    xls.resize(4096, 0);
    let _serial = lock();
    for (name, bytes) in [("old.ods", ods), ("old.xls", xls)] {
        let (r, peak, _) = import_measured(name, name, bytes);
        match r {
            Err(SheetError::Workbook { file, reason }) => {
                assert_eq!(file, name);
                assert!(reason.contains("另存为"), "{reason}");
            }
            other => panic!("{name}: {other:?}"),
        }
        assert!(peak < 16 * MIB, "{name}: {peak} bytes");
    }
}
