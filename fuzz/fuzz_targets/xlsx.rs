//! The workbook reader (crates/sheet/src/workbook.rs over calamine) on an
//! upload held in memory.
//!
//! An even first byte: the input is the whole file (zip or OLE container, or
//! text under a workbook name). An odd one: the rest is the XML of a
//! worksheet, its shared strings and its styles, zipped here; without this
//! nearly every mutation of XML inside a zip would only break its CRC.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    liancha_fuzz::tolerate_caught_calamine_panics();
    match data.split_first() {
        Some((&b, parts)) if b & 1 == 1 => {
            let _ = liancha_fuzz::read_table("upload.xlsx", liancha_fuzz::xlsx_from_parts(parts));
        }
        _ => {
            let _ = liancha_fuzz::read_table("upload.xlsx", data.to_vec());
        }
    }
});
