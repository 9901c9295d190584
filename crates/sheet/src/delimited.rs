//! Streaming reader for CSV/TSV text files.
//!
//! Nothing here holds more than one record of the file: a 1,000,000-row
//! import must not need the whole file as `Vec<Vec<String>>` in memory.

use std::io::{self, Read, Seek, SeekFrom};

use csv::{ByteRecord, ErrorKind, Terminator};

use crate::csv_out::restore_neutralised;
use crate::encoding::{self, DecodeFailure, Decoding, TextEncoding};
use crate::error::SheetError;
use crate::limits::{MAX_COLUMNS, MAX_CSV_RECORD_BYTES, size_text};
use crate::read::{RawSource, Record};
use crate::text::{column_letter, trim_cell};

/// Whether a raw field is blank after trimming; fields that are not UTF-8
/// count as content (and fail decoding later if kept).
fn trim_bytes_blank(field: &[u8]) -> bool {
    std::str::from_utf8(field).is_ok_and(|f| trim_cell(f).is_empty())
}

/// The CSV parser's own buffer; larger than csv's 8 KiB default to cut the
/// number of read calls on big files.
const CSV_BUFFER: usize = 64 * 1024;

enum Stream {
    /// Already UTF-8: the parser reads the file bytes directly.
    Plain(RawSource),
    Decoding(Decoding<RawSource>),
}

/// What the CSV parser reads from.
///
/// It remembers whether end of input was reached: csv-core accepts a quote
/// that is never closed and silently swallows the rest of the file into one
/// cell, and the only record that can have done so is one that ran into the
/// end of input.
///
/// It also bounds a record's size. csv grows its record buffer until the
/// record ends, so a single line of a gigabyte would be held whole; counting
/// what has been handed out since the record began stops that at
/// [`MAX_CSV_RECORD_BYTES`] plus one parser buffer.
struct Input {
    stream: Stream,
    hit_eof: bool,
    /// Bytes handed to the parser so far, in the parser's own offsets.
    delivered: u64,
    /// Parser offset at which the record being read began.
    record_start: u64,
}

/// The io error that carries a too-long record out of the csv parser.
#[derive(Debug)]
struct RecordTooLong;

impl std::fmt::Display for RecordTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("record too long")
    }
}

impl std::error::Error for RecordTooLong {}

impl Read for Input {
    /// Fills `buf` as far as the input allows, as one read of a file does.
    ///
    /// csv-core strips a UTF-8 BOM only when its first buffer holds all
    /// three bytes, and takes an empty remainder for the end of input: a
    /// reader that returns a few bytes at a time (a stream, or the decoder
    /// handing out one character) could otherwise lose a whole file after a
    /// second BOM. An error after some bytes is left for the next call,
    /// which gets it again, so the text before it is still parsed first.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.delivered.saturating_sub(self.record_start) > MAX_CSV_RECORD_BYTES {
            return Err(io::Error::other(RecordTooLong));
        }
        let mut filled = 0;
        while filled < buf.len() {
            let n = match &mut self.stream {
                Stream::Plain(r) => r.read(&mut buf[filled..]),
                Stream::Decoding(r) => r.read(&mut buf[filled..]),
            };
            match n {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) if filled > 0 => break,
                Err(e) => return Err(e),
            }
        }
        if filled == 0 && !buf.is_empty() {
            self.hit_eof = true;
        }
        self.delivered += filled as u64;
        Ok(filled)
    }
}

pub(crate) struct Delimited {
    file: String,
    rdr: csv::Reader<Input>,
    rec: ByteRecord,
    encoding: TextEncoding,
    bom_len: u64,
    delimiter: u8,
    terminator: u8,
    /// False for files that end lines with a lone CR (classic Mac): csv-core
    /// counts lines by LF only, so such files get consecutive row numbers.
    lines_counted: bool,
    /// Line (as counted by csv-core) at which unread input starts.
    next_line: u64,
    /// Excel row number of that line.
    next_row: u64,
    done: bool,
}

impl Delimited {
    /// Sniffs encoding, separator and line ending, then positions the parser
    /// at the start of the text.
    pub(crate) fn open(
        file: &str,
        mut raw: RawSource,
        prefer_tab: bool,
    ) -> Result<Self, SheetError> {
        let io_err = |e| SheetError::io(file, e);
        let mut prefix = vec![0u8; encoding::SNIFF_WINDOW];
        let n = encoding::read_full(&mut raw, &mut prefix).map_err(io_err)?;
        prefix.truncate(n);
        if prefix.is_empty() {
            return Err(SheetError::Empty {
                file: file.to_owned(),
            });
        }
        let (encoding, bom_len) = match encoding::from_bom(&prefix) {
            Some(found) => found,
            None => {
                raw.seek(SeekFrom::Start(0)).map_err(io_err)?;
                let enc = encoding::sniff_without_bom(&mut raw).map_err(io_err)?;
                (enc, 0)
            }
        };

        let body = &prefix[bom_len..];
        let text = match encoding.transcoder() {
            None => String::from_utf8_lossy(body),
            Some(enc) => enc.decode_without_bom_handling(body).0,
        };
        let delimiter = sniff_delimiter(&text, prefer_tab);
        // Lines are split on LF only; a CR before it ends up at the end of the
        // last cell and is trimmed away. Splitting on CR as well (csv's
        // default) would hide whether a CRLF record's LF belongs to it or to
        // the next read, and with it the physical row numbers.
        let cr_only = !text.contains('\n') && text.contains('\r');
        let terminator = if cr_only { b'\r' } else { b'\n' };

        raw.seek(SeekFrom::Start(bom_len as u64)).map_err(io_err)?;
        let stream = match encoding.transcoder() {
            None => Stream::Plain(raw),
            Some(enc) => Stream::Decoding(Decoding::new(raw, enc)),
        };
        let rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .terminator(Terminator::Any(terminator))
            .buffer_capacity(CSV_BUFFER)
            .from_reader(Input {
                stream,
                hit_eof: false,
                delivered: 0,
                record_start: 0,
            });
        Ok(Delimited {
            file: file.to_owned(),
            rdr,
            rec: ByteRecord::new(),
            encoding,
            bom_len: bom_len as u64,
            delimiter,
            terminator,
            lines_counted: !cr_only,
            next_line: 1,
            next_row: 1,
            done: false,
        })
    }

    pub(crate) fn encoding(&self) -> TextEncoding {
        self.encoding
    }

    pub(crate) fn delimiter(&self) -> u8 {
        self.delimiter
    }

    /// The next record that has at least one non-blank cell.
    ///
    /// After an error the iterator is finished: the parser's idea of where
    /// records start can no longer be trusted.
    pub(crate) fn next_record(&mut self) -> Option<Result<Record, SheetError>> {
        while !self.done {
            let start_byte = self.rdr.position().byte();
            self.rdr.get_mut().record_start = start_byte;
            match self.rdr.read_byte_record(&mut self.rec) {
                Ok(false) => self.done = true,
                Ok(true) => match self.accept(start_byte) {
                    Ok(Some(record)) => return Some(Ok(record)),
                    Ok(None) => {}
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                },
                Err(e) => {
                    self.done = true;
                    return Some(Err(self.csv_error(e)));
                }
            }
        }
        None
    }

    /// Turns the freshly parsed `self.rec` into a [`Record`], or `None` for a
    /// row that is blank after trimming.
    fn accept(&mut self, start_byte: u64) -> Result<Option<Record>, SheetError> {
        let row = self.locate_row();
        if self.rdr.get_ref().hit_eof {
            let open = self
                .tail_has_open_quote(start_byte)
                .map_err(|e| SheetError::io(&self.file, e))?;
            if open {
                return Err(SheetError::MalformedCsv {
                    file: self.file.clone(),
                    row,
                    reason: "这一行有一个英文双引号 \" 没有配对，从它开始直到文件末尾的内容都会被当成同一个单元格。\
                             请检查该行的引号（单元格内的引号要写成两个 \"\"）"
                        .to_owned(),
                });
            }
        }
        if self.rec.as_slice().len() as u64 > MAX_CSV_RECORD_BYTES {
            return Err(self.record_too_long(row));
        }
        // Cells past the widest accepted table are refused unless blank:
        // trailing separators are common, a 100,000-column header is not,
        // and header matching is quadratic in the width.
        if let Some(beyond) = self
            .rec
            .iter()
            .skip(MAX_COLUMNS)
            .position(|f| !trim_bytes_blank(f))
        {
            return Err(SheetError::TooManyColumns {
                file: self.file.clone(),
                row,
                column: column_letter(MAX_COLUMNS + beyond),
                limit: MAX_COLUMNS,
            });
        }
        let width = self.rec.len().min(MAX_COLUMNS);
        let mut text = String::with_capacity(self.rec.as_slice().len());
        let mut ends = Vec::with_capacity(self.rec.len());
        let mut blank = true;
        for field in self.rec.iter().take(width) {
            let Ok(field) = std::str::from_utf8(field) else {
                return Err(SheetError::Encoding {
                    file: self.file.clone(),
                    row,
                    encoding: self.encoding,
                });
            };
            // Our own exports prefix formula-like text with `'`; reading
            // such a file back must give the value that was exported.
            let cell = trim_cell(restore_neutralised(trim_cell(field)));
            blank &= cell.is_empty();
            text.push_str(cell);
            ends.push(text.len());
        }
        Ok((!blank).then(|| Record::new(row, text, ends)))
    }

    /// Excel's row number for the record just read.
    ///
    /// Excel shows every physical line as a row, blank ones included, while
    /// a quoted cell with line breaks stays within one row. csv-core skips
    /// blank lines silently but counts every LF it consumes, so the LFs read
    /// for this record, minus those inside its cells and its own terminator,
    /// are the blank lines before it.
    fn locate_row(&mut self) -> u64 {
        if !self.lines_counted {
            let row = self.next_row;
            self.next_row += 1;
            return row;
        }
        let after = self.rdr.position().line();
        let consumed = after - self.next_line;
        let inside = self.rec.as_slice().iter().filter(|&&b| b == b'\n').count() as u64;
        let terminator = u64::from(!self.rdr.get_ref().hit_eof);
        let blank_lines = consumed.saturating_sub(inside + terminator);
        let row = self.next_row + blank_lines;
        self.next_row = row + 1;
        self.next_line = after;
        row
    }

    /// Replays the quoting rules of csv-core over the text from `start` (the
    /// decoded byte offset where the last record's read began) to the end,
    /// and tells whether it ends inside a quoted field.
    ///
    /// Only ever run for the last record, so its cost is one extra pass over
    /// that record (and, for transcoded files, a re-decode up to it).
    fn tail_has_open_quote(&mut self, start: u64) -> io::Result<bool> {
        let (delimiter, terminator, bom_len) = (self.delimiter, self.terminator, self.bom_len);
        let transcoder = self.encoding.transcoder();
        let raw: &mut RawSource = match &mut self.rdr.get_mut().stream {
            Stream::Plain(r) => r,
            Stream::Decoding(d) => d.get_mut(),
        };
        match transcoder {
            None => {
                raw.seek(SeekFrom::Start(bom_len + start))?;
                ends_in_quotes(raw, delimiter, terminator)
            }
            Some(enc) => {
                raw.seek(SeekFrom::Start(bom_len))?;
                let mut text = Decoding::new(raw, enc);
                io::copy(&mut (&mut text).take(start), &mut io::sink())?;
                ends_in_quotes(&mut text, delimiter, terminator)
            }
        }
    }

    fn record_too_long(&self, row: u64) -> SheetError {
        SheetError::RecordTooLong {
            file: self.file.clone(),
            row,
            limit: size_text(MAX_CSV_RECORD_BYTES),
        }
    }

    fn csv_error(&self, e: csv::Error) -> SheetError {
        let file = self.file.clone();
        match e.into_kind() {
            ErrorKind::Io(io) => {
                let failure = io
                    .get_ref()
                    .and_then(|inner| inner.downcast_ref::<DecodeFailure>());
                if io
                    .get_ref()
                    .is_some_and(|inner| inner.is::<RecordTooLong>())
                {
                    return self.record_too_long(self.next_row);
                }
                match failure {
                    Some(f) => SheetError::Encoding {
                        file,
                        row: self.next_row + f.line.saturating_sub(self.next_line),
                        encoding: self.encoding,
                    },
                    None => SheetError::Io { file, source: io },
                }
            }
            other => SheetError::MalformedCsv {
                file,
                row: self.next_row,
                reason: format!("{other:?}"),
            },
        }
    }
}

/// Picks the separator from the first non-blank line: comma unless that line
/// has none and has a tab or semicolon instead. TSV files prefer the tab.
fn sniff_delimiter(text: &str, prefer_tab: bool) -> u8 {
    let header = text
        .split(['\n', '\r'])
        .find(|line| !trim_cell(line).is_empty())
        .unwrap_or("");
    let order: &[u8] = if prefer_tab { b"\t,;" } else { b",\t;" };
    order
        .iter()
        .copied()
        .find(|&d| header.as_bytes().contains(&d))
        .unwrap_or(order[0])
}

/// csv-core's quoting automaton, reduced to the question “inside quotes?”.
fn ends_in_quotes(read: &mut dyn Read, delimiter: u8, terminator: u8) -> io::Result<bool> {
    #[derive(PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = State::FieldStart;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = encoding::read_full(read, &mut buf)?;
        for &b in &buf[..n] {
            let ends_field = b == delimiter || b == terminator;
            state = match state {
                State::FieldStart if b == b'"' => State::Quoted,
                State::FieldStart | State::Unquoted if ends_field => State::FieldStart,
                State::FieldStart | State::Unquoted => State::Unquoted,
                State::Quoted if b == b'"' => State::QuoteInQuoted,
                State::Quoted => State::Quoted,
                State::QuoteInQuoted if b == b'"' => State::Quoted,
                State::QuoteInQuoted if ends_field => State::FieldStart,
                State::QuoteInQuoted => State::Unquoted,
            };
        }
        if n < buf.len() {
            return Ok(state == State::Quoted);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_sniffing() {
        assert_eq!(sniff_delimiter("a,b\tc\n", false), b',');
        assert_eq!(sniff_delimiter("\n\na\tb\n", false), b'\t');
        assert_eq!(sniff_delimiter("a;b\n", false), b';');
        assert_eq!(sniff_delimiter("名称\n", false), b',');
        assert_eq!(sniff_delimiter("a,b\tc\n", true), b'\t');
    }

    /// Returns at most `.1` bytes per read, as a stream may.
    struct ShortReads(std::io::Cursor<Vec<u8>>, usize);

    impl Read for ShortReads {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = buf.len().min(self.1);
            self.0.read(&mut buf[..n])
        }
    }

    impl Seek for ShortReads {
        fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
            self.0.seek(pos)
        }
    }

    #[test]
    fn short_reads_give_the_same_table() {
        // Found by fuzzing: UTF-16 text whose first character is another
        // BOM, read a few bytes at a time, came out as an empty file.
        let mut bytes = vec![0xfe, 0xff];
        for unit in "\u{feff}名称,代码\n甲,001\n".encode_utf16() {
            bytes.extend_from_slice(&unit.to_be_bytes());
        }
        for chunk in [1, 2, 3, 5, 1 << 20] {
            let reader = ShortReads(std::io::Cursor::new(bytes.clone()), chunk);
            let mut table = crate::Table::from_reader("upload.csv", reader).unwrap();
            assert_eq!(table.headers(), ["名称", "代码"], "reads of {chunk} bytes");
            let rows: Vec<_> = table.records().map(|r| r.unwrap().to_vec()).collect();
            assert_eq!(rows, [["甲", "001"]], "reads of {chunk} bytes");
        }
    }

    #[test]
    fn quote_automaton() {
        let open = |s: &str| ends_in_quotes(&mut s.as_bytes(), b',', b'\n').unwrap();
        assert!(!open("a,\"b\"\n"));
        assert!(!open("a,\"b\"\"c\",d"));
        assert!(!open("5\"寸,x\n"));
        assert!(open("a,\"b\nc,d\n"));
        assert!(open("\"abc"));
        assert!(!open("\"ab\"c\"d,e"));
    }
}
