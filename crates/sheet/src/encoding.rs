//! Text encodings of delimited files, and a streaming transcoder to UTF-8.
//!
//! Clerks' CSV files come from Excel or WPS on Chinese Windows. Depending on
//! which “save as” entry they picked, the same table arrives as UTF-8 with a
//! BOM (“CSV UTF-8”), as GB18030/GBK (plain “CSV”, the ANSI code page 936), or
//! as UTF-16 with a BOM (“Unicode 文本”). The encoding is not declared
//! anywhere, so it is inferred from the bytes.

use std::fmt;
use std::io::{self, Read};

use encoding_rs::{DecoderResult, Encoding, GB18030, UTF_16BE, UTF_16LE};

/// The encoding a delimited file was read in, reported for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8 without a BOM (also plain ASCII).
    Utf8,
    /// UTF-8 with a BOM, as Excel's “CSV UTF-8” writes it.
    Utf8Bom,
    /// UTF-16 little endian with a BOM, as Excel's “Unicode 文本” writes it.
    Utf16Le,
    /// UTF-16 big endian with a BOM.
    Utf16Be,
    /// GB18030, which decodes GBK and GB2312 as well.
    Gb18030,
}

impl TextEncoding {
    /// The encoding_rs decoder needed to reach UTF-8, or `None` when the
    /// bytes already are UTF-8 and can go straight to the CSV parser.
    pub(crate) fn transcoder(self) -> Option<&'static Encoding> {
        match self {
            TextEncoding::Utf8 | TextEncoding::Utf8Bom => None,
            TextEncoding::Utf16Le => Some(UTF_16LE),
            TextEncoding::Utf16Be => Some(UTF_16BE),
            TextEncoding::Gb18030 => Some(GB18030),
        }
    }
}

impl fmt::Display for TextEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TextEncoding::Utf8 | TextEncoding::Utf8Bom => "UTF-8",
            TextEncoding::Utf16Le | TextEncoding::Utf16Be => "UTF-16",
            TextEncoding::Gb18030 => "GB18030/GBK",
        })
    }
}

/// How much text after the first non-ASCII byte is inspected to choose
/// between UTF-8 and GB18030.
///
/// A full pass over a 200 MB file just to answer this would double the I/O.
/// GB18030 text that is also valid UTF-8 for 64 KiB does not occur in
/// practice: the sample of the real header “统一社会信用代码” in GBK already
/// stops being UTF-8 at its third character. Choosing from a sample has a
/// second benefit: a UTF-8 file damaged further down gets an error naming
/// the damaged row, instead of being silently decoded as GB18030 mojibake.
pub(crate) const SNIFF_WINDOW: usize = 64 * 1024;

/// Recognises a byte order mark, returning the encoding and the BOM length.
pub(crate) fn from_bom(prefix: &[u8]) -> Option<(TextEncoding, usize)> {
    if prefix.starts_with(b"\xef\xbb\xbf") {
        Some((TextEncoding::Utf8Bom, 3))
    } else if prefix.starts_with(b"\xff\xfe") {
        Some((TextEncoding::Utf16Le, 2))
    } else if prefix.starts_with(b"\xfe\xff") {
        Some((TextEncoding::Utf16Be, 2))
    } else {
        None
    }
}

/// Decides between UTF-8 and GB18030 for a file without a BOM.
///
/// `read` must yield the file from its first byte. Pure-ASCII stretches are
/// skipped (an ASCII file is UTF-8), then up to [`SNIFF_WINDOW`] bytes from
/// the first non-ASCII byte on are validated as UTF-8.
pub(crate) fn sniff_without_bom(read: &mut dyn Read) -> io::Result<TextEncoding> {
    let mut buf = vec![0u8; SNIFF_WINDOW];
    // Bytes from the first non-ASCII byte on, up to the window size.
    let mut window: Vec<u8> = Vec::new();
    loop {
        let n = read_full(read, &mut buf)?;
        let chunk = &buf[..n];
        if window.is_empty() {
            if let Some(first) = chunk.iter().position(|b| !b.is_ascii()) {
                window.extend_from_slice(&chunk[first..]);
            }
        } else {
            let room = SNIFF_WINDOW - window.len();
            window.extend_from_slice(&chunk[..n.min(room)]);
        }
        let at_end = n < buf.len();
        if window.len() >= SNIFF_WINDOW || (at_end && !window.is_empty()) {
            break;
        }
        if at_end {
            return Ok(TextEncoding::Utf8);
        }
    }
    let full_window = window.len() >= SNIFF_WINDOW;
    window.truncate(SNIFF_WINDOW);
    Ok(match std::str::from_utf8(&window) {
        Ok(_) => TextEncoding::Utf8,
        // The window may end inside a multi-byte character.
        Err(e) if e.error_len().is_none() && full_window => TextEncoding::Utf8,
        Err(e) if looks_like_damaged_utf8(&window[..e.valid_up_to()]) => TextEncoding::Utf8,
        Err(_) => TextEncoding::Gb18030,
    })
}

/// Whether the valid text before the first bad byte is long enough to be
/// sure it is UTF-8, so the bad byte is damage rather than a sign of GBK.
///
/// GBK text forms valid UTF-8 only by accident, at best about one character
/// in seven, and never for long; 16 consecutive valid multi-byte characters
/// are out of its reach. Reading such a file as UTF-8 yields an error naming
/// the damaged row instead of turning every Chinese character into mojibake.
fn looks_like_damaged_utf8(valid: &[u8]) -> bool {
    const ENOUGH: usize = 16;
    let text = std::str::from_utf8(valid).unwrap_or_default();
    text.chars().filter(|c| !c.is_ascii()).take(ENOUGH).count() >= ENOUGH
}

/// Fills `buf` as far as the reader allows; short only at end of input.
pub(crate) fn read_full(read: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match read.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Payload of the `io::Error` a [`Decoding`] reader returns for bytes that
/// are invalid in its encoding, so that the CSV layer can turn it into a
/// row-numbered [`crate::SheetError::Encoding`].
#[derive(Debug)]
pub(crate) struct DecodeFailure {
    /// 1-based line (counted by `\n` in the decoded text) of the bad bytes.
    pub line: u64,
}

impl fmt::Display for DecodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "undecodable bytes on line {}", self.line)
    }
}

impl std::error::Error for DecodeFailure {}

/// A `Read` adapter that transcodes to UTF-8 as the CSV parser pulls bytes.
///
/// Streaming keeps memory flat for a million-row file; decoding the whole
/// file into one `String` first would cost its size again in RAM. Decoding is
/// strict (no U+FFFD replacement): a replaced character inside an 18-digit
/// id would be accepted downstream as a different id, which is worse than a
/// clear error naming the row.
pub(crate) struct Decoding<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Box<[u8]>,
    in_start: usize,
    in_end: usize,
    in_eof: bool,
    output: Box<[u8]>,
    out_start: usize,
    out_end: usize,
    /// Newlines produced so far, to locate a decoding failure.
    newlines: u64,
    failed: Option<u64>,
    finished: bool,
}

const DECODE_BUF: usize = 64 * 1024;

impl<R: Read> Decoding<R> {
    /// `inner` must be positioned after any BOM: the decoder is created
    /// without BOM handling because the BOM was already used to choose it.
    pub(crate) fn new(inner: R, encoding: &'static Encoding) -> Self {
        Decoding {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            input: vec![0; DECODE_BUF].into_boxed_slice(),
            in_start: 0,
            in_end: 0,
            in_eof: false,
            // UTF-16 expands up to 3/2 when decoded; GB18030 up to 4/2.
            output: vec![0; DECODE_BUF * 2 + 16].into_boxed_slice(),
            out_start: 0,
            out_end: 0,
            newlines: 0,
            failed: None,
            finished: false,
        }
    }

    pub(crate) fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    fn refill(&mut self) -> io::Result<()> {
        if self.in_start == self.in_end && !self.in_eof {
            let n = loop {
                match self.inner.read(&mut self.input) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            };
            self.in_start = 0;
            self.in_end = n;
            self.in_eof = n == 0;
        }
        let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
            &self.input[self.in_start..self.in_end],
            &mut self.output,
            self.in_eof,
        );
        self.in_start += read;
        self.out_start = 0;
        self.out_end = written;
        self.newlines += self.output[..written]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        match result {
            DecoderResult::InputEmpty => self.finished = self.in_eof,
            DecoderResult::OutputFull => {}
            DecoderResult::Malformed(_, _) => self.failed = Some(self.newlines + 1),
        }
        Ok(())
    }
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_start < self.out_end {
                let n = buf.len().min(self.out_end - self.out_start);
                buf[..n].copy_from_slice(&self.output[self.out_start..self.out_start + n]);
                self.out_start += n;
                return Ok(n);
            }
            // The text before the bad bytes is delivered first, so the CSV
            // parser is inside the damaged record when the error arrives.
            if let Some(line) = self.failed {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    DecodeFailure { line },
                ));
            }
            if self.finished || buf.is_empty() {
                return Ok(0);
            }
            self.refill()?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sniff(bytes: &[u8]) -> TextEncoding {
        sniff_without_bom(&mut &bytes[..]).unwrap()
    }

    #[test]
    fn sniffs_utf8_and_gb18030() {
        assert_eq!(sniff(b"a,b\n1,2\n"), TextEncoding::Utf8);
        assert_eq!(sniff("名称,代码\n张三,1\n".as_bytes()), TextEncoding::Utf8);
        let (gbk, _, _) = GB18030.encode("统一社会信用代码,名称\n1,张三\n");
        assert_eq!(sniff(&gbk), TextEncoding::Gb18030);
    }

    #[test]
    fn damaged_utf8_stays_utf8() {
        let mut bytes = "名称,代码\n成都市锦江区张三便利店,1\n成都市青羊区李四商行,2\n"
            .as_bytes()
            .to_vec();
        bytes.extend_from_slice(b"\xe4\xb8,3\n");
        assert_eq!(sniff(&bytes), TextEncoding::Utf8);
        // Too little evidence: follow the rule, not UTF-8 means GB18030.
        assert_eq!(sniff(b"\xe5\x90\x8d,\xff\n"), TextEncoding::Gb18030);
    }

    #[test]
    fn sniff_looks_past_long_ascii_prefix() {
        let mut bytes = "id,name\n".repeat(20_000).into_bytes();
        let (gbk, _, _) = GB18030.encode("1,张三\n");
        bytes.extend_from_slice(&gbk);
        assert_eq!(sniff(&bytes), TextEncoding::Gb18030);
    }

    #[test]
    fn decoding_reader_transcodes_and_reports_bad_line() {
        let mut gbk = GB18030.encode("名称\n张三\n李四\n").0.into_owned();
        let mut out = String::new();
        Decoding::new(&gbk[..], GB18030)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "名称\n张三\n李四\n");

        // A lone lead byte followed by a newline is malformed in GB18030.
        gbk.extend_from_slice(b"\x81\n");
        let mut out = Vec::new();
        let err = Decoding::new(&gbk[..], GB18030)
            .read_to_end(&mut out)
            .unwrap_err();
        let failure = err.get_ref().unwrap().downcast_ref::<DecodeFailure>();
        assert_eq!(failure.unwrap().line, 4);
    }
}
