//! Shared by the fuzz targets (see scripts/fuzz).

use std::io::Cursor;

use liancha_sheet::Table;

/// Opens `bytes` as the upload `name` and reads every record, touching what
/// the import code touches: header lookup, cells by column, cell references.
pub fn read_table(name: &str, bytes: Vec<u8>) {
    let Ok(mut table) = Table::from_reader(name, Cursor::new(bytes)) else {
        return;
    };
    let _ = format!("{table:?}");
    let header_row = table.header_row();
    let width = table.headers().len();
    let column = table
        .find_column(&["统一社会信用代码", "名称", "a"])
        .ok()
        .flatten();
    if let Some(c) = &column {
        assert!(c.index() < width);
        let _ = c.cell_ref(header_row);
    }
    let _ = table.require_column(&["USCC"]);
    for record in table.records() {
        let Ok(record) = record else {
            break;
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
        let _ = record.get(record.len());
    }
}
