//! The delimited-text reader (crates/sheet: encoding sniffing, separator
//! detection, CSV records) on an upload held in memory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks the extension, as the clerk's file name would.
    let (name, body) = match data.split_first() {
        Some((b, rest)) if b % 4 == 1 => ("upload.tsv", rest),
        Some((b, rest)) if b % 4 == 2 => ("upload.txt", rest),
        Some((_, rest)) => ("upload.csv", rest),
        None => ("upload.csv", data),
    };
    liancha_fuzz::read_table(name, body.to_vec());
});
