//! The unified social credit code (crates/domain/src/uscc.rs).
#![no_main]

use liancha_domain::uscc::{self, Uscc};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = uscc::check_character(data);
    let _ = uscc::org_code_check(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(code) = Uscc::parse(text) {
        let s = code.as_str();
        assert_eq!(s.len(), 18);
        assert_eq!(s, text.trim().to_ascii_uppercase());
        assert_eq!(code.division().len(), 6);
        assert_eq!(Uscc::complete(&s[..17]).as_ref(), Some(&code));
        assert_eq!(Uscc::parse(s).as_ref(), Ok(&code));
    }
    if let Some(code) = Uscc::complete(text) {
        assert_eq!(Uscc::parse(code.as_str()).as_ref(), Ok(&code));
    }
});
