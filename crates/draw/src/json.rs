//! A small strict JSON layer: parser, RFC 8785 canonical writer, pretty printer.
//!
//! Hand-written rather than serde_json because the spec (§2) wants things a general
//! parser quietly accepts to be *refused*: repeated keys, `300.0`, `1e3`, `-0`,
//! integers beyond 2^53 − 1. And the digest depends on canonical bytes, which must
//! not drift with a dependency's formatting choices. Objects keep their input order
//! (a `Vec`, never a hash map) so that re-printing a record does not reorder it.

use std::cmp::Ordering;

use crate::DrawError;

/// Largest magnitude an integer may have: beyond it IEEE doubles, and so other
/// languages' JSON parsers, stop being exact.
pub const MAX_SAFE_INT: i64 = (1 << 53) - 1;

/// Nesting limit, so that hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 128;

/// A JSON value restricted to what the spec allows: integers only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer of magnitude at most [`MAX_SAFE_INT`] (the writer does not check).
    Int(i64),
    /// A string.
    Str(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, in insertion order.
    Object(Object),
}

/// A JSON object that remembers key order and never holds a key twice.
///
/// Equality is order-sensitive; compare [`canonical`] bytes for equality as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Object {
    entries: Vec<(String, Value)>,
}

impl Object {
    /// An empty object.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value under `key`, if any.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key`: replaces in place (keeping its position) or appends; returns the old value.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) -> Option<Value> {
        let key = key.into();
        if let Some((_, v)) = self.entries.iter_mut().find(|(k, _)| *k == key) {
            return Some(std::mem::replace(v, value));
        }
        self.entries.push((key, value));
        None
    }

    /// Builder form of [`Object::insert`].
    pub fn with(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.insert(key, value.into());
        self
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Keys in insertion order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }
}

impl Value {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }
    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    /// The array, if this is one.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
    /// The object, if this is one.
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }
    /// A word for the value's type, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Str(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Int(n)
    }
}
impl From<Vec<Value>> for Value {
    fn from(a: Vec<Value>) -> Self {
        Value::Array(a)
    }
}
impl From<Object> for Value {
    fn from(o: Object) -> Self {
        Value::Object(o)
    }
}

// ---------------------------------------------------------------- parsing

/// Parses strict JSON (spec §2) from bytes.
///
/// Refuses invalid UTF-8, a byte-order mark, trailing non-whitespace, repeated keys,
/// lone surrogates, fractions, exponents, `-0`, leading zeros and integers beyond
/// ±(2^53 − 1); all as [`DrawError::InvalidJson`].
pub fn parse(input: &[u8]) -> Result<Value, DrawError> {
    let text = std::str::from_utf8(input).map_err(|e| DrawError::InvalidJson {
        offset: e.valid_up_to(),
        reason: "invalid UTF-8".into(),
    })?;
    let mut p = Parser {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    let parsed = (|| {
        p.skip_ws();
        let value = p.value(0)?;
        p.skip_ws();
        if p.pos != p.bytes.len() {
            return Err(p.err("unexpected characters after the JSON value"));
        }
        Ok(value)
    })();
    // People read line and column; the byte offset stays for tools.
    parsed.map_err(|e| match e {
        DrawError::InvalidJson { offset, reason } => {
            let before = &input[..offset.min(input.len())];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let column = String::from_utf8_lossy(&before[line_start..])
                .chars()
                .count()
                + 1;
            DrawError::InvalidJson {
                offset,
                reason: format!("line {line}, column {column}: {reason}"),
            }
        }
        other => other,
    })
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, reason: impl Into<String>) -> DrawError {
        DrawError::InvalidJson {
            offset: self.pos,
            reason: reason.into(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect_literal(&mut self, lit: &str, value: Value) -> Result<Value, DrawError> {
        if self.bytes[self.pos..].starts_with(lit.as_bytes()) {
            self.pos += lit.len();
            Ok(value)
        } else {
            Err(self.err("invalid literal"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, DrawError> {
        match self.peek() {
            None => Err(self.err("unexpected end of input")),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => Ok(Value::Str(self.string()?)),
            Some(b't') => self.expect_literal("true", Value::Bool(true)),
            Some(b'f') => self.expect_literal("false", Value::Bool(false)),
            Some(b'n') => self.expect_literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("expected a JSON value")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, DrawError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        self.pos += 1; // '{'
        let mut entries: Vec<(String, Value)> = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(Object { entries }));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a string key"));
            }
            let key_pos = self.pos;
            let key = self.string()?;
            // Small objects dominate (entities have 2–3 keys): a linear scan is
            // cheaper there than any set; large ones are checked once at the end.
            if entries.len() < 16 && entries.iter().any(|(k, _)| *k == key) {
                self.pos = key_pos;
                return Err(self.err(format!("repeated key \"{key}\"")));
            }
            self.skip_ws();
            if self.peek() != Some(b':') {
                return Err(self.err("expected ':'"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth)?;
            entries.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.err("expected ',' or '}'")),
            }
        }
        if entries.len() > 16 {
            let mut keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
            keys.sort_unstable();
            if let Some(w) = keys.windows(2).find(|w| w[0] == w[1]) {
                return Err(self.err(format!(
                    "repeated key \"{}\" in the object ending here",
                    w[0]
                )));
            }
        }
        Ok(Value::Object(Object { entries }))
    }

    fn array(&mut self, depth: usize) -> Result<Value, DrawError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        self.pos += 1; // '['
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.err("expected ',' or ']'")),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, DrawError> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .ok_or_else(|| self.err("truncated \\u escape"))?;
        let mut n = 0u32;
        for &d in digits {
            let v = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return Err(self.err("invalid hex digit in \\u escape")),
            };
            n = n * 16 + u32::from(v);
        }
        self.pos += 4;
        Ok(n)
    }

    fn string(&mut self) -> Result<String, DrawError> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            let start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // Only ASCII bytes stop the scan, so both ends are char boundaries.
            out.push_str(&self.text[start..self.pos]);
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let esc = self.peek().ok_or_else(|| self.err("unterminated escape"))?;
                    self.pos += 1;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                if !self.bytes[self.pos..].starts_with(b"\\u") {
                                    return Err(self.err("lone high surrogate"));
                                }
                                self.pos += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.err("high surrogate without low surrogate"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else if (0xDC00..0xE000).contains(&hi) {
                                return Err(self.err("lone low surrogate"));
                            } else {
                                hi
                            };
                            // Surrogates were handled above, so this cannot fail.
                            out.push(char::from_u32(code).ok_or_else(|| self.err("bad escape"))?);
                        }
                        _ => {
                            self.pos -= 1;
                            return Err(self.err("invalid escape"));
                        }
                    }
                }
                Some(_) => return Err(self.err("unescaped control character in string")),
            }
        }
    }

    fn number(&mut self) -> Result<Value, DrawError> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let digits_start = self.pos;
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.err("leading zero in number"));
                }
            }
            Some(b'1'..=b'9') => {
                while let Some(b'0'..=b'9') = self.peek() {
                    self.pos += 1;
                }
            }
            _ => return Err(self.err("expected digits")),
        }
        if let Some(b'.' | b'e' | b'E') = self.peek() {
            self.pos = start;
            return Err(self.err("number is not an integer (no fractions or exponents)"));
        }
        let digits = &self.text[digits_start..self.pos];
        let magnitude: i64 = match digits.parse::<i64>() {
            Ok(n) if n <= MAX_SAFE_INT => n,
            _ => {
                self.pos = start;
                return Err(self.err("integer magnitude exceeds 2^53 - 1"));
            }
        };
        if negative && magnitude == 0 {
            self.pos = start;
            return Err(self.err("-0 is not allowed"));
        }
        Ok(Value::Int(if negative { -magnitude } else { magnitude }))
    }
}

// ---------------------------------------------------------------- writing

/// A byte sink, so that canonical bytes can go straight into a hasher instead of
/// a buffer: a plan with millions of entities should not need its text in memory.
pub(crate) trait Sink {
    fn put(&mut self, bytes: &[u8]);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

impl Sink for String {
    fn put(&mut self, bytes: &[u8]) {
        // Callers only ever pass whole UTF-8 sequences or ASCII.
        self.push_str(std::str::from_utf8(bytes).expect("writer emits UTF-8"));
    }
}

/// RFC 8785 key order: by UTF-16 code units, which differs from UTF-8 byte order
/// only when characters above U+FFFF meet characters in U+E000–U+FFFF.
pub fn cmp_utf16(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        return a.as_bytes().cmp(b.as_bytes());
    }
    a.encode_utf16().cmp(b.encode_utf16())
}

/// RFC 8785 (JCS) bytes of `value`: keys sorted by UTF-16 code units, no
/// whitespace, minimal escapes. These bytes are what `plan_digest` hashes.
pub fn canonical(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write_canonical(value, &mut out);
    out
}

pub(crate) fn write_canonical<S: Sink>(value: &Value, out: &mut S) {
    match value {
        Value::Object(o) => write_canonical_object(o, out),
        Value::Array(a) => {
            out.put(b"[");
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    out.put(b",");
                }
                write_canonical(v, out);
            }
            out.put(b"]");
        }
        scalar => write_scalar(scalar, out),
    }
}

pub(crate) fn write_canonical_object<S: Sink>(o: &Object, out: &mut S) {
    let mut entries: Vec<&(String, Value)> = o.entries.iter().collect();
    entries.sort_by(|a, b| cmp_utf16(&a.0, &b.0));
    out.put(b"{");
    for (i, (k, v)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.put(b",");
        }
        write_string(k, out);
        out.put(b":");
        write_canonical(v, out);
    }
    out.put(b"}");
}

fn write_scalar<S: Sink>(value: &Value, out: &mut S) {
    match value {
        Value::Null => out.put(b"null"),
        Value::Bool(true) => out.put(b"true"),
        Value::Bool(false) => out.put(b"false"),
        Value::Int(n) => out.put(n.to_string().as_bytes()),
        Value::Str(s) => write_string(s, out),
        Value::Array(_) | Value::Object(_) => unreachable!("not a scalar"),
    }
}

/// Escapes exactly `"`, `\` and U+0000–U+001F (short forms where JSON has them,
/// else `\u00xx` lower-case); everything else is written as itself.
pub(crate) fn write_string<S: Sink>(s: &str, out: &mut S) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.put(b"\"");
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x00..=0x1f => &[],
            _ => continue,
        };
        out.put(&bytes[start..i]);
        if short.is_empty() {
            out.put(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
        } else {
            out.put(short);
        }
        start = i + 1;
    }
    out.put(&bytes[start..]);
    out.put(b"\"");
}

/// Human-readable JSON as the spec's vectors are laid out: one-space indent,
/// `": "` after keys, input key order, non-ASCII as itself, no trailing newline.
pub fn pretty(value: &Value) -> String {
    let mut out = String::new();
    write_pretty(value, 0, &mut out);
    out
}

fn indent(level: usize, out: &mut String) {
    out.push('\n');
    for _ in 0..level {
        out.push(' ');
    }
}

fn write_pretty(value: &Value, level: usize, out: &mut String) {
    match value {
        Value::Object(o) if o.is_empty() => out.push_str("{}"),
        Value::Array(a) if a.is_empty() => out.push_str("[]"),
        Value::Object(o) => {
            out.push('{');
            for (i, (k, v)) in o.entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(level + 1, out);
                write_string(k, out);
                out.push_str(": ");
                write_pretty(v, level + 1, out);
            }
            indent(level, out);
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, v) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(level + 1, out);
                write_pretty(v, level + 1, out);
            }
            indent(level, out);
            out.push(']');
        }
        scalar => write_scalar(scalar, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        String::from_utf8(canonical(&parse(s.as_bytes()).unwrap())).unwrap()
    }

    fn rejects(s: &str) {
        match parse(s.as_bytes()) {
            Err(DrawError::InvalidJson { .. }) => {}
            other => panic!("{s:?} should be invalid-json, got {other:?}"),
        }
    }

    #[test]
    fn escapes_exactly_the_required_characters() {
        let v = Value::Str("\"\\/\u{8}\u{c}\n\r\t\u{0}\u{1f}\u{7f}é中\u{2028}😀".into());
        assert_eq!(
            String::from_utf8(canonical(&v)).unwrap(),
            "\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0000\\u001f\u{7f}é中\u{2028}😀\""
        );
        // Escaped input decodes to the same string.
        assert_eq!(canon(r#""\u00e9\ud83d\ude00\/\u001F""#), "\"é😀/\\u001f\"");
    }

    #[test]
    fn keys_sort_by_utf16_code_units() {
        // U+FF21 (Ａ) is one unit 0xFF21; U+1F600 is surrogates 0xD83D 0xDE00.
        // UTF-8 byte order would put Ａ first (EF < F0); UTF-16 puts the emoji first.
        let s = r#"{"ｂ":1,"😀":2,"b":3,"B":4,"中":5,"a":{"z":1,"y":[true,null]}}"#;
        assert_eq!(
            canon(s),
            r#"{"B":4,"a":{"y":[true,null],"z":1},"b":3,"中":5,"😀":2,"ｂ":1}"#
        );
        assert_eq!(cmp_utf16("\u{ff21}", "\u{1f600}"), Ordering::Greater);
        assert_eq!("\u{ff21}".cmp("\u{1f600}"), Ordering::Less);
    }

    #[test]
    fn numbers_are_integers_within_2_pow_53() {
        assert_eq!(
            canon("[0,-1,9007199254740991,-9007199254740991]"),
            "[0,-1,9007199254740991,-9007199254740991]"
        );
        for bad in [
            "300.0",
            "1e3",
            "1E3",
            "-0",
            "01",
            "9007199254740992",
            "-9007199254740992",
            "99999999999999999999999",
            "+1",
            ".5",
            "-",
            "0x10",
            "1.",
            "Infinity",
            "NaN",
        ] {
            rejects(bad);
        }
    }

    #[test]
    fn rejects_malformed_input() {
        for bad in [
            "",
            " ",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\":1,\"a\":2}",
            "{\"a\" 1}",
            "[1 2]",
            "\"abc",
            "\"a\u{1}b\"",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"\\ud800\\u0041\"",
            "nul",
            "truex",
            "{} {}",
            "\u{feff}{}",
            "[1]x",
            "'a'",
        ] {
            rejects(bad);
        }
        assert!(matches!(
            parse(b"\"\xff\""),
            Err(DrawError::InvalidJson { offset: 1, .. })
        ));
        let deep = "[".repeat(200) + &"]".repeat(200);
        rejects(&deep);
    }

    #[test]
    fn repeated_keys_in_large_objects_are_found() {
        let mut s = String::from("{");
        for i in 0..40 {
            s.push_str(&format!("\"k{i}\":{i},"));
        }
        s.push_str("\"k3\":0}");
        rejects(&s);
        // Same key at different depths is fine.
        assert!(parse(br#"{"a":{"a":1}}"#).is_ok());
    }

    #[test]
    fn whitespace_and_order_preserved_by_parse() {
        let v = parse(b" \n{ \"b\" : [ 1 , 2 ] ,\t\"a\" : { } }\r\n").unwrap();
        let o = v.as_object().unwrap();
        assert_eq!(o.keys().collect::<Vec<_>>(), ["b", "a"]);
        assert_eq!(canon("{\"b\":[1,2],\"a\":{}}"), "{\"a\":{},\"b\":[1,2]}");
    }

    #[test]
    fn pretty_layout() {
        let v = parse(r#"{"a":[],"b":{},"c":[1,{"d":"中\n"}],"e":null}"#.as_bytes()).unwrap();
        assert_eq!(
            pretty(&v),
            "{\n \"a\": [],\n \"b\": {},\n \"c\": [\n  1,\n  {\n   \"d\": \"中\\n\"\n  }\n ],\n \"e\": null\n}"
        );
        assert_eq!(parse(pretty(&v).as_bytes()).unwrap(), v);
    }

    #[test]
    fn object_insert_replaces_in_place() {
        let mut o = Object::new().with("x", 1).with("y", 2);
        assert_eq!(o.insert("x", Value::Int(3)), Some(Value::Int(1)));
        assert_eq!(o.keys().collect::<Vec<_>>(), ["x", "y"]);
        assert_eq!(o.get("x"), Some(&Value::Int(3)));
    }
}
