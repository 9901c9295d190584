//! What the transparency log's readers take from the network
//! (crates/domain/src/transparency.rs): tile paths, entry bundles, entries and
//! checkpoint notes. None may panic; a path that parses names itself again.
#![no_main]

use liancha_domain::transparency::{LogEntry, Tiles, split_bundle, verify_checkpoint};
use libfuzzer_sys::fuzz_target;

// Any valid key (the Ed25519 base point): what matters is the note's parsing.
const KEY: &str = "liancha.local/log+a9ef5998+AVhmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZm";

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(t) = Tiles::parse_path(text) {
            assert_eq!(Tiles::path(&t), text);
        }
        let _ = Tiles::parse_entries_path(text);
        let tiles = Tiles::default();
        let _ = tiles.add(text, vec![0; 32]);
    }
    if let Ok(entries) = split_bundle(data) {
        for e in entries {
            let _ = LogEntry::parse(e);
        }
    }
    let _ = verify_checkpoint(KEY, data);
});
