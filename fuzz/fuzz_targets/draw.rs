//! Drawing (crates/draw/src/record.rs, plan.rs, draw.rs): a draw input is
//! drawn both as bytes (`draw_input`) and as a Rust-built plan
//! (`Record::draw(plan, reveal, committed_at)`), and every record produced
//! must verify and parse back to itself.
#![no_main]

use liancha_draw::{Record, draw_input, verify_record};
use libfuzzer_sys::fuzz_target;

fn check_published(record: &Record) {
    let published = record.to_pretty_json();
    let summary = verify_record(published.as_bytes())
        .unwrap_or_else(|e| panic!("a drawn record does not verify: {e}"));
    assert_eq!(summary.selected, record.result().selected.len());
    assert_eq!(summary.teams, record.result().teams.len());
    let parsed = Record::parse(published.as_bytes())
        .unwrap_or_else(|e| panic!("a drawn record does not parse: {e}"));
    assert_eq!(parsed.to_canonical(), record.to_canonical());
}

fuzz_target!(|data: &[u8]| {
    let Ok(record) = draw_input(data) else {
        return;
    };
    check_published(&record);
    // The same plan built in Rust: it passed validation once, so it must again.
    let rebuilt = Record::draw(
        record.plan().clone(),
        record.reveal().to_vec(),
        record.committed_at().map(str::to_owned),
    )
    .unwrap_or_else(|e| panic!("Record::draw refuses a plan draw_input accepted: {e}"));
    assert_eq!(rebuilt.plan(), record.plan());
    check_published(&rebuilt);
});
