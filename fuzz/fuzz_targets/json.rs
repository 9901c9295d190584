//! The strict JSON layer (crates/draw/src/json.rs): any bytes either fail to
//! parse or give a value that survives both writers unchanged.
#![no_main]

use liancha_draw::json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = json::parse(data) else {
        return;
    };
    // RFC 8785 bytes parse back to the same canonical bytes (a fixed point).
    let canonical = json::canonical(&value);
    let reparsed = json::parse(&canonical).expect("canonical output must parse");
    assert_eq!(
        json::canonical(&reparsed),
        canonical,
        "canonical is not a fixed point"
    );
    // The pretty printer keeps key order, so it round-trips to an equal value.
    let pretty = json::pretty(&value);
    let back = json::parse(pretty.as_bytes()).expect("pretty output must parse");
    assert_eq!(back, value, "pretty output parses to a different value");
});
