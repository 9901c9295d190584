//! The delimited-text reader (crates/sheet: encoding sniffing, separator
//! detection, CSV records) on an upload held in memory.
//!
//! The first byte picks the file name (bits 0–1) and a read size (bits 2–7).
//! With a read size, the same bytes are read a second time through a reader
//! that returns at most that many bytes per call, as a network stream may:
//! records, row numbers and errors must not depend on how reads are split.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&control, body)) = data.split_first() else {
        return;
    };
    let name = match control & 3 {
        1 => "upload.tsv",
        2 => "upload.txt",
        _ => "upload.csv",
    };
    let whole = liancha_fuzz::read_table(name, body.to_vec());
    let chunk = usize::from(control >> 2);
    if chunk > 0 {
        let split = liancha_fuzz::read_table_chunked(name, body.to_vec(), chunk);
        assert_eq!(
            whole, split,
            "reading in chunks of {chunk} bytes changes the result"
        );
    }
});
