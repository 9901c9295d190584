//! The one way this project writes CSV, for file exports and HTTP downloads
//! alike: UTF-8 with a BOM, CRLF, and text that a spreadsheet would run as a
//! formula neutralised.
//!
//! CSV injection: Excel, WPS and LibreOffice evaluate a cell that starts with
//! `=`, `+`, `-` or `@` (and, after their own trimming, a tab or CR) as a
//! formula, which can fetch URLs or, through DDE, start programs on the
//! clerk's machine. Entity names and results are typed by other people and
//! some are downloaded by anyone from the public API. Following OWASP, such
//! text gets a leading `'`, which spreadsheets show as plain text, and the
//! field is quoted so that the prefix and the value stay one cell.
//!
//! Numbers the program itself writes as numbers ([`CsvWriter::number`], and
//! integer columns of [`crate::TableWriter`] whose value parses as one) are
//! left alone: a lone integer such as `-3` cannot carry a formula, and
//! prefixing it would turn a count into text. Everything else, ids and names
//! included, is text and is neutralised even when it merely looks numeric.

use std::borrow::Cow;
use std::io::{self, Write};

/// First characters that make a spreadsheet evaluate a cell.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// `value` as it must be written to CSV so that no spreadsheet evaluates it.
///
/// Text that already starts with quotes before such a character gets one
/// more, so that [`restore_neutralised`] on import gives back exactly the
/// value exported.
pub fn neutralise_formula(value: &str) -> Cow<'_, str> {
    if value.trim_start_matches('\'').starts_with(FORMULA_START) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// Undoes [`neutralise_formula`] when reading CSV, so that a list exported
/// and imported back is unchanged. (XLSX exports are not neutralised, their
/// cells being typed strings, so workbook cells are read as they are.) The value stays inert: it is stored as data
/// and neutralised again on the next export.
pub(crate) fn restore_neutralised(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest) if rest.trim_start_matches('\'').starts_with(FORMULA_START) => rest,
        _ => value,
    }
}

/// A CSV writer that applies [`neutralise_formula`] to every text field.
///
/// Written by hand rather than with the csv crate because a neutralised
/// field must always be quoted while others are quoted only when they need
/// it (separator, quote or line break inside), which the crate's quote
/// styles cannot express; quoting everything would change every download.
pub struct CsvWriter<W: Write> {
    out: W,
    fields_in_row: usize,
    last_was_empty: bool,
}

impl<W: Write> CsvWriter<W> {
    /// Writes the BOM (Excel on Chinese Windows reads a CSV without one as
    /// GBK and garbles every Chinese character) and returns the writer.
    pub fn new(mut out: W) -> io::Result<Self> {
        out.write_all(b"\xef\xbb\xbf")?;
        Ok(CsvWriter {
            out,
            fields_in_row: 0,
            last_was_empty: false,
        })
    }

    /// One text field of the current row.
    pub fn text(&mut self, value: &str) -> io::Result<()> {
        match neutralise_formula(value) {
            Cow::Borrowed(v) => self.field(v, false),
            Cow::Owned(v) => self.field(&v, true),
        }
    }

    /// One integer field of the current row, written as a number.
    pub fn number(&mut self, value: i64) -> io::Result<()> {
        self.field(&value.to_string(), false)
    }

    fn field(&mut self, value: &str, force_quotes: bool) -> io::Result<()> {
        if self.fields_in_row > 0 {
            self.out.write_all(b",")?;
        }
        self.fields_in_row += 1;
        self.last_was_empty = value.is_empty();
        let quote = force_quotes
            || value
                .bytes()
                .any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n'));
        if !quote {
            return self.out.write_all(value.as_bytes());
        }
        self.out.write_all(b"\"")?;
        let mut parts = value.split('"');
        if let Some(first) = parts.next() {
            self.out.write_all(first.as_bytes())?;
        }
        for part in parts {
            self.out.write_all(b"\"\"")?;
            self.out.write_all(part.as_bytes())?;
        }
        self.out.write_all(b"\"")
    }

    /// Ends the current row.
    pub fn end_row(&mut self) -> io::Result<()> {
        // A row of one empty field would read back as a blank line.
        if self.fields_in_row == 1 && self.last_was_empty {
            self.out.write_all(b"\"\"")?;
        }
        self.fields_in_row = 0;
        self.out.write_all(b"\r\n")
    }

    /// A whole row of text fields.
    pub fn text_row<I>(&mut self, cells: I) -> io::Result<()>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        for cell in cells {
            self.text(cell.as_ref())?;
        }
        self.end_row()
    }

    /// Flushes and returns the destination.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(rows: &[&[&str]]) -> String {
        let mut w = CsvWriter::new(Vec::new()).unwrap();
        for row in rows {
            w.text_row(*row).unwrap();
        }
        String::from_utf8(w.into_inner().unwrap()[3..].to_vec()).unwrap()
    }

    #[test]
    fn fields_are_quoted_when_needed_and_when_neutralised() {
        assert_eq!(csv(&[&["名称", "代码"]]), "名称,代码\r\n");
        assert_eq!(
            csv(&[&["a,b", "say \"hi\"", "two\nlines"]]),
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
        );
        assert_eq!(csv(&[&["=1+1", "x"]]), "\"'=1+1\",x\r\n");
        assert_eq!(csv(&[&[""], &["", ""]]), "\"\"\r\n,\r\n");
    }

    #[test]
    fn formula_starts_are_prefixed() {
        for bad in [
            "=1+1",
            "+1",
            "-1+cmd|' /C calc'!A0",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(neutralise_formula(bad), format!("'{bad}"));
        }
        assert_eq!(neutralise_formula("'=quoted"), "''=quoted");
        for good in ["共和镇", "1+1", "'", "' x", " =x", ""] {
            assert_eq!(neutralise_formula(good), good);
        }
        for value in ["=1+1", "-", "'=already", "''-x", "共和镇", "'", "'a"] {
            assert_eq!(restore_neutralised(&neutralise_formula(value)), value);
        }
    }
}
