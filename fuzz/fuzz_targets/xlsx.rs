//! The workbook reader (crates/sheet/src/workbook.rs over calamine) on an
//! upload held in memory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    liancha_fuzz::read_table("upload.xlsx", data.to_vec());
});
