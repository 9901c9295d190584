//! Verifying a published record (crates/draw/src/record.rs): strict parsing
//! and recomputation must never panic, and a record that verifies must also
//! parse and re-print to a record that verifies.
#![no_main]

use liancha_draw::{Record, VerifyOptions, verify_record, verify_record_with};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let parsed = Record::parse(data);
    let verified = verify_record(data);
    let _ = verify_record_with(
        data,
        &VerifyOptions {
            enforce_beacons: true,
        },
    );
    if verified.is_ok() {
        let record = parsed.unwrap_or_else(|e| panic!("verifies but does not parse: {e}"));
        let again = record.to_pretty_json();
        verify_record(again.as_bytes())
            .unwrap_or_else(|e| panic!("re-printed record does not verify: {e}"));
    }
});
