//! The spec's test vectors (copied from shared/spec/vectors so the repository
//! stands alone). A correct implementation reproduces every valid record exactly,
//! rejects the tampered ones at the right path and refuses the error inputs with
//! the right code.

use std::path::PathBuf;

use liancha_draw::{
    DrawError, FORMAT, Object, Plan, Record, Value, VerifyOptions, digest_value, draw, draw_input,
    json, plan_digest, verify_record, verify_record_with,
};

const VALID: &[&str] = &[
    "small.json",
    "total.json",
    "no-teams.json",
    "unassigned.json",
    "cap-binds.json",
    "total-tie.json",
    "chinese-reveal.json",
    "v2-specialty.json",
];

/// (file, first differing path)
const TAMPERED: &[(&str, &str)] = &[
    ("tampered-order.json", "result.selected[0].id"),
    ("tampered-plan.json", "plan_digest"),
];

/// (file, code)
const ERRORS: &[(&str, &str)] = &[
    ("error-duplicate-entity.input.json", "invalid-plan"),
    ("error-fraction.input.json", "invalid-json"),
    (
        "error-not-enough-inspectors.input.json",
        "not-enough-inspectors",
    ),
    ("error-null.input.json", "invalid-plan"),
    ("error-reveal-length.input.json", "reveal-mismatch"),
    ("error-stratum-twice.input.json", "invalid-plan"),
    ("error-team-size-1.input.json", "invalid-plan"),
    ("error-unknown-key.input.json", "invalid-plan"),
    ("v2-error-no-specialist.input.json", "not-enough-inspectors"),
    ("v2-error-format-v1.input.json", "invalid-format"),
    ("v2-error-format-v2.input.json", "invalid-format"),
    ("v2-error-specialty-in-v1.input.json", "invalid-plan"),
    ("v2-error-specialty-twice.input.json", "invalid-plan"),
    (
        "v2-error-empty-specialties-in-v1.input.json",
        "invalid-plan",
    ),
    (
        "v2-error-inspector-specialty-twice.input.json",
        "invalid-plan",
    ),
];

/// The spec's vectors, and (files named `v2-…`) the project's own for
/// `liancha-draw/2` (docs/draw-v2.md).
fn dirs() -> [PathBuf; 2] {
    let tests = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests");
    [tests.join("vectors"), tests.join("vectors-v2")]
}

fn read(name: &str) -> Vec<u8> {
    let [v1, v2] = dirs();
    let dir = if name.starts_with("v2-") { v2 } else { v1 };
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The draw input contained in a record: format, plan, reveal, committed_at.
fn input_of(record: &Value) -> Vec<u8> {
    let o = record.as_object().unwrap();
    let mut input = Object::new();
    for k in ["format", "plan", "reveal", "committed_at"] {
        if let Some(v) = o.get(k) {
            input.insert(k, v.clone());
        }
    }
    json::pretty(&Value::Object(input)).into_bytes()
}

#[test]
fn every_vector_file_is_covered() {
    let mut known: Vec<&str> = VALID.to_vec();
    known.extend(TAMPERED.iter().map(|(f, _)| *f));
    known.extend(ERRORS.iter().map(|(f, _)| *f));
    for entry in dirs().iter().flat_map(|d| std::fs::read_dir(d).unwrap()) {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".json") {
            assert!(known.contains(&name.as_str()), "vector {name} has no test");
        }
    }
}

#[test]
fn valid_vectors_redraw_byte_for_byte() {
    for name in VALID {
        let bytes = read(name);
        let text = std::str::from_utf8(&bytes).unwrap();
        let value = json::parse(&bytes).unwrap();

        let record = draw_input(&input_of(&value)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            String::from_utf8(record.to_canonical()).unwrap(),
            String::from_utf8(json::canonical(&value)).unwrap(),
            "{name}: canonical record differs"
        );
        // The vectors are laid out consistently (one-space indent, input key order,
        // committed_at last), so the pretty output is the file itself.
        assert_eq!(
            record.to_pretty_json(),
            text,
            "{name}: pretty output differs"
        );

        // Reading the record and printing it again changes nothing either.
        let parsed = Record::parse(&bytes).unwrap();
        assert_eq!(parsed.to_pretty_json(), text, "{name}: parse/print differs");
        assert_eq!(
            parsed, record,
            "{name}: parsed record differs from the redraw"
        );
    }
}

#[test]
fn valid_vectors_verify() {
    for name in VALID {
        let bytes = read(name);
        let value = json::parse(&bytes).unwrap();
        let result = value
            .as_object()
            .unwrap()
            .get("result")
            .unwrap()
            .as_object()
            .unwrap();
        let len = |k: &str| result.get(k).unwrap().as_array().unwrap().len();

        let s = verify_record(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            (s.selected, s.teams, s.assignments, s.unassigned),
            (
                len("selected"),
                len("teams"),
                len("assignments"),
                len("unassigned")
            ),
            "{name}"
        );
        // Every vector declares a drand quicknet round, but reveals a 32-byte
        // placeholder rather than the round's 48-byte signature: the check runs,
        // reports the failure, and (by default) does not refuse the record.
        assert_eq!(s.beacons.len(), 1, "{name}");
        let b = &s.beacons[0];
        assert_eq!((b.source_index, b.round), (0, 27_946_612));
        assert_eq!(b.signature.as_ref().unwrap_err().code(), "beacon-invalid");
        assert!(!s.beacons_ok());
        if *name == "chinese-reveal.json" {
            // Round 27946612 is 2026-04-20T00:00:00Z, after committed_at 2026-03-02.
            assert_eq!(b.after_commit, Some(true));
            assert_eq!(s.committed_at.as_deref(), Some("2026-03-02T01:30:00Z"));
        } else {
            assert_eq!(b.after_commit, None);
        }

        let strict = VerifyOptions {
            enforce_beacons: true,
        };
        assert_eq!(
            verify_record_with(&bytes, &strict).unwrap_err().code(),
            "beacon-invalid"
        );
    }
}

#[test]
fn tampered_vectors_are_rejected_at_the_right_path() {
    for (name, path) in TAMPERED {
        let err = verify_record(&read(name)).unwrap_err();
        assert_eq!(err.code(), "mismatch", "{name}: {err}");
        assert_eq!(err.mismatch_path(), Some(*path), "{name}: {err}");
        // A tampered record still parses as a record: it is well-formed, just wrong.
        Record::parse(&read(name)).unwrap();
    }
}

#[test]
fn error_inputs_fail_with_their_code() {
    for (name, code) in ERRORS {
        let err = draw_input(&read(name)).unwrap_err();
        assert_eq!(err.code(), *code, "{name}: {err}");
        // One line, says what is wrong.
        let msg = err.to_string();
        assert!(!msg.contains('\n') && msg.len() > 20, "{name}: {msg}");
    }
}

#[test]
fn typed_plan_round_trip_keeps_the_digest() {
    // The vectors spell every default out, so the typed plan's JSON form has the
    // same canonical bytes (only key order differs) and the same digest.
    for name in VALID {
        let value = json::parse(&read(name)).unwrap();
        let plan_json = value.as_object().unwrap().get("plan").unwrap();
        let plan = Plan::from_value(plan_json).unwrap();
        assert_eq!(plan_digest(&plan), digest_value(plan_json), "{name}");
        let reveal: Vec<String> = value
            .as_object()
            .unwrap()
            .get("reveal")
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_owned())
            .collect();
        let result = draw(&plan, &reveal).unwrap();
        let record = Record::draw(plan, reveal, None).unwrap();
        assert_eq!(record.result(), &result);
        assert_eq!(
            Value::Str(record.plan_digest_hex()),
            value
                .as_object()
                .unwrap()
                .get("plan_digest")
                .unwrap()
                .clone()
        );
    }
}

#[test]
fn envelope_errors() {
    let small = json::parse(&read("small.json")).unwrap();
    let input = String::from_utf8(input_of(&small)).unwrap();
    let code = |s: &str| draw_input(s.as_bytes()).unwrap_err().code();

    assert_eq!(
        code(&input.replacen(FORMAT, "liancha-draw/2", 1)),
        "invalid-format"
    );
    assert_eq!(code("[]"), "invalid-format");
    assert_eq!(
        code(&input.replacen("\"format\"", "\"fmt\"", 1)),
        "invalid-format"
    );
    assert_eq!(
        code(&input.replacen("{", "{\"extra\": 1,", 1)),
        "invalid-format"
    );
    assert_eq!(
        code(&input.replacen("{", "{\"committed_at\": \"yesterday\",", 1)),
        "invalid-format"
    );
    assert_eq!(
        code(&input.replacen("\"3 4 0 1 8\"", "\"\"", 1)),
        "reveal-mismatch"
    );
    assert_eq!(
        code(&input.replacen("\"3 4 0 1 8\"", "5", 1)),
        "invalid-format"
    );
    assert_eq!(
        code(&input.replacen("\"year\": 2026", "\"year\": 2026, \"year\": 2027", 1)),
        "invalid-json"
    );
    assert_eq!(
        code(&input.replacen("\"year\": 2026", "\"year\": 1e3", 1)),
        "invalid-json"
    );
    assert_eq!(code(&format!("{input} x")), "invalid-json");
    let mut bad_utf8 = input.clone().into_bytes();
    bad_utf8.insert(bad_utf8.len() - 3, 0xff);
    assert_eq!(draw_input(&bad_utf8).unwrap_err().code(), "invalid-json");

    // A record is not a draw input: its extra keys are refused, not ignored.
    assert_eq!(
        code(std::str::from_utf8(&read("small.json")).unwrap()),
        "invalid-format"
    );
    // And a draw input is not a record.
    assert_eq!(
        verify_record(input.as_bytes()).unwrap_err().code(),
        "invalid-format"
    );
}

#[test]
fn record_edits_are_reported_at_their_path() {
    let text = String::from_utf8(read("small.json")).unwrap();
    let path = |edited: String| -> String {
        match verify_record(edited.as_bytes()) {
            Err(DrawError::Mismatch { path, .. }) => path,
            other => panic!("expected a mismatch, got {other:?}"),
        }
    };
    let seed = "e204b6c01cbfddfe1ea6e5292f38cf8cff82a345e5d7253438069e13fbea43dd";
    assert_eq!(path(text.replacen(seed, &seed.to_uppercase(), 1)), "seed");
    assert_eq!(
        path(text.replacen("\"no\": 2", "\"no\": 3", 1)),
        "result.teams[1].no"
    );
    assert_eq!(
        path(text.replacen("\"team\": 2", "\"team\": 1", 1)),
        "result.assignments[1].team"
    );
    assert_eq!(
        path(text.replacen("\"no-eligible-team\"", "\"x\"", 1)),
        "result.unassigned[0].reason"
    );
    assert_eq!(
        path(text.replacen(
            "\"stratum\": \"C\",\n    \"ticket\"",
            "\"stratum\": \"B\",\n    \"ticket\"",
            1
        )),
        "result.selected[0].stratum"
    );
    assert_eq!(
        path(text.replacen("\"unassigned\": [", "\"extra\": 1, \"unassigned\": [", 1)),
        "result.extra"
    );
    // Dropping the last unassigned entry.
    let cut = text
        .rfind(",\n   {\n    \"entity\": \"91532323MA3JJL6B3T\"")
        .unwrap();
    let end = cut + text[cut..].find('}').unwrap() + 1;
    assert_eq!(
        path(format!("{}{}", &text[..cut], &text[end..])),
        "result.unassigned[1]"
    );
    // Changing the plan moves the digest before anything else.
    assert_eq!(
        path(text.replacen("\"year\": 2026", "\"year\": 2027", 1)),
        "plan_digest"
    );
    // Key order and whitespace are not differences.
    let compact =
        String::from_utf8(json::canonical(&json::parse(text.as_bytes()).unwrap())).unwrap();
    verify_record(compact.as_bytes()).unwrap();
}

/// A forger reorders the keys of one selected entry (same JSON) and then changes a
/// later entry: the later change must still be found.
#[test]
fn reordered_keys_do_not_hide_a_later_change() {
    let text = String::from_utf8(read("small.json")).unwrap();
    let record: serde_json::Value = serde_json::from_str(&text).unwrap();
    let selected = record["result"]["selected"].as_array().unwrap();
    assert!(
        selected.len() >= 2,
        "the vector selects at least two entities"
    );
    let first = &selected[0];
    let reordered = format!(
        "{{\"ticket\":{},\"stratum\":{},\"id\":{}}}",
        first["ticket"], first["stratum"], first["id"]
    );
    let original_first = serde_json::to_string(first).unwrap();
    let mut forged: serde_json::Value = serde_json::from_str(&text).unwrap();
    let last = forged["result"]["selected"].as_array().unwrap().len() - 1;
    forged["result"]["selected"][last]["ticket"] = serde_json::Value::String("00".repeat(32));
    let forged = serde_json::to_string(&forged)
        .unwrap()
        .replacen(&original_first, &reordered, 1);
    assert!(forged.contains(&reordered));
    match verify_record(forged.as_bytes()) {
        Err(e) => assert!(
            e.to_string().contains(&format!("result.selected[{last}]")),
            "{e}"
        ),
        Ok(_) => panic!("a forged record was accepted"),
    }
}

#[test]
fn the_v2_vector_shows_specialists_covering_and_counting() {
    let record = Record::parse(&read("v2-specialty.json")).unwrap();
    assert_eq!(record.plan().format(), liancha_draw::FORMAT_V2);
    let plan = record.plan();
    for s in &plan.teams.as_ref().unwrap().specialties {
        let holders: Vec<&str> = plan
            .inspectors
            .iter()
            .filter(|i| i.specialties.contains(s))
            .map(|i| i.id.as_str())
            .collect();
        for t in &record.result().teams {
            assert!(
                t.members.iter().any(|m| holders.contains(&m.as_str())),
                "{s}: {t:?}"
            );
        }
    }
    let mut sizes: Vec<usize> = record
        .result()
        .teams
        .iter()
        .map(|t| t.members.len())
        .collect();
    sizes.sort();
    assert!(sizes.contains(&2) && sizes.contains(&3), "{sizes:?}");
    // A v1 verifier's view: the format string alone refuses it.
    let as_v1 = String::from_utf8(read("v2-specialty.json"))
        .unwrap()
        .replacen("liancha-draw/2", FORMAT, 1);
    assert_eq!(
        verify_record(as_v1.as_bytes()).unwrap_err().code(),
        "invalid-format"
    );
}
