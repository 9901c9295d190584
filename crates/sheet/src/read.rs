//! The reading side: [`Table`], its [`Record`]s and [`Column`] lookup.

use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::Path;

use crate::delimited::Delimited;
use crate::encoding::TextEncoding;
use crate::error::SheetError;
use crate::text::{column_letter, header_key};
use crate::workbook::{self, Content, WorkbookSource};

pub(crate) trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// Type-erased input: a file on disk or an upload held in memory. Seekable
/// because encoding sniffing reads ahead and then starts over.
pub(crate) type RawSource = Box<dyn ReadSeek + Send>;

/// An opened table file: its header row, and the data rows still to read.
///
/// Opening reads only as much as needed to find the header; the data rows
/// are produced by [`Table::records`] one at a time, so a CSV file of any size
/// is read in constant memory. .xlsx and .xlsb worksheets are streamed too;
/// .xls and .ods are parsed whole by calamine, which has no streaming reader
/// for them.
pub struct Table {
    file: String,
    header: Vec<String>,
    keys: Vec<String>,
    header_row: u64,
    /// 0-based sheet column of cell index 0, for column letters: a worksheet
    /// whose used range starts at column B still reports “B 列”.
    first_col: usize,
    source: Source,
}

enum Source {
    Delimited(Box<Delimited>),
    Workbook(Box<WorkbookSource>),
}

/// The kind of file, by extension. Decided by name rather than content
/// because the name is what the clerk chose, and an error can then say
/// which type was expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Delimited { prefer_tab: bool },
    Workbook,
}

fn kind_of(file: &str) -> Result<Kind, SheetError> {
    let ext = Path::new(file)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "csv" | "txt" => Ok(Kind::Delimited { prefer_tab: false }),
        "tsv" | "tab" => Ok(Kind::Delimited { prefer_tab: true }),
        "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" => Ok(Kind::Workbook),
        _ => Err(SheetError::UnsupportedFormat {
            file: file.to_owned(),
            extension: if ext.is_empty() {
                "没有扩展名".to_owned()
            } else {
                format!(".{ext}")
            },
        }),
    }
}

fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

impl Table {
    /// Opens a .csv/.tsv/.txt or .xlsx/.xlsm/.xls/.xlsb/.ods file. For
    /// workbooks the first visible worksheet is read.
    pub fn open(path: impl AsRef<Path>) -> Result<Table, SheetError> {
        Self::open_path(path.as_ref(), None)
    }

    /// Opens a workbook and reads the named worksheet. For delimited files
    /// the sheet name is ignored: they have only one table.
    pub fn open_sheet(path: impl AsRef<Path>, sheet: &str) -> Result<Table, SheetError> {
        Self::open_path(path.as_ref(), Some(sheet))
    }

    /// Reads a table from memory or any seekable stream, e.g. an upload.
    /// `file_name` decides the format by its extension and is the name used
    /// in error messages.
    pub fn from_reader<R>(file_name: &str, reader: R) -> Result<Table, SheetError>
    where
        R: Read + Seek + Send + 'static,
    {
        let kind = kind_of(file_name)?;
        Self::from_source(file_name, kind, Box::new(reader), None)
    }

    fn open_path(path: &Path, sheet: Option<&str>) -> Result<Table, SheetError> {
        let file = display_name(path);
        let kind = kind_of(&file)?;
        let handle = File::open(path).map_err(|e| SheetError::io(&file, e))?;
        Self::from_source(&file, kind, Box::new(handle), sheet)
    }

    fn from_source(
        file: &str,
        kind: Kind,
        raw: RawSource,
        sheet: Option<&str>,
    ) -> Result<Table, SheetError> {
        let source = open_source(file, kind, raw, sheet)?;
        let mut table = Table {
            file: file.to_owned(),
            header: Vec::new(),
            keys: Vec::new(),
            header_row: 0,
            first_col: 0,
            source,
        };
        if let Source::Workbook(w) = &table.source {
            table.first_col = w.first_col();
        }
        let header = match table.next_record() {
            Some(Ok(record)) => record,
            Some(Err(e)) => return Err(e),
            None => {
                return Err(SheetError::Empty {
                    file: file.to_owned(),
                });
            }
        };
        table.header_row = header.row();
        table.header = header.iter().map(str::to_owned).collect();
        // Trailing blank header cells are formatting left-overs, not columns.
        while table.header.last().is_some_and(String::is_empty) {
            table.header.pop();
        }
        table.keys = table.header.iter().map(|h| header_key(h)).collect();
        table.check_duplicates()?;
        Ok(table)
    }

    fn check_duplicates(&self) -> Result<(), SheetError> {
        for (i, key) in self.keys.iter().enumerate() {
            if key.is_empty() {
                continue;
            }
            if let Some(j) = self.keys[i + 1..].iter().position(|k| k == key) {
                return Err(SheetError::DuplicateHeader {
                    file: self.file.clone(),
                    row: self.header_row,
                    header: self.header[i].clone(),
                    first: self.letter(i),
                    second: self.letter(i + 1 + j),
                });
            }
        }
        Ok(())
    }

    fn letter(&self, index: usize) -> String {
        column_letter(self.first_col + index)
    }

    /// The file name used in messages (no directories).
    pub fn file_name(&self) -> &str {
        &self.file
    }

    /// The header cells, trimmed, in column order. Blank header cells in the
    /// middle are kept as `""` so that indices line up with record cells.
    pub fn headers(&self) -> &[String] {
        &self.header
    }

    /// Excel row number of the header: 1 unless blank rows precede it.
    pub fn header_row(&self) -> u64 {
        self.header_row
    }

    /// The detected text encoding; `None` for workbooks.
    pub fn encoding(&self) -> Option<TextEncoding> {
        match &self.source {
            Source::Delimited(d) => Some(d.encoding()),
            Source::Workbook(_) => None,
        }
    }

    /// The detected separator; `None` for workbooks.
    pub fn delimiter(&self) -> Option<char> {
        match &self.source {
            Source::Delimited(d) => Some(char::from(d.delimiter())),
            Source::Workbook(_) => None,
        }
    }

    /// The worksheet being read; `None` for delimited files.
    pub fn sheet_name(&self) -> Option<&str> {
        match &self.source {
            Source::Delimited(_) => None,
            Source::Workbook(w) => Some(w.sheet_name()),
        }
    }

    /// Finds the column whose header matches any of `aliases`.
    ///
    /// Matching ignores whitespace, ASCII case, full-width forms and
    /// template markers such as `*` or `（必填）`. Aliases are tried in order.
    /// Two different columns matching is an error rather than a silent pick,
    /// because values would land in the wrong field without anyone noticing.
    pub fn find_column(&self, aliases: &[&str]) -> Result<Option<Column>, SheetError> {
        let mut found: Vec<usize> = Vec::new();
        for alias in aliases {
            let key = header_key(alias);
            if key.is_empty() {
                continue;
            }
            for (i, k) in self.keys.iter().enumerate() {
                if *k == key && !found.contains(&i) {
                    found.push(i);
                }
            }
        }
        match found.as_slice() {
            [] => Ok(None),
            [index] => Ok(Some(Column {
                index: *index,
                letter: self.letter(*index),
                header: self.header[*index].clone(),
            })),
            many => Err(SheetError::AmbiguousColumn {
                file: self.file.clone(),
                row: self.header_row,
                name: aliases.first().copied().unwrap_or_default().to_owned(),
                columns: many
                    .iter()
                    .map(|&i| format!("{} 列“{}”", self.letter(i), self.header[i]))
                    .collect(),
            }),
        }
    }

    /// Like [`Table::find_column`], but a missing column is an error whose
    /// message lists the accepted header names.
    pub fn require_column(&self, aliases: &[&str]) -> Result<Column, SheetError> {
        self.find_column(aliases)?
            .ok_or_else(|| SheetError::MissingColumn {
                file: self.file.clone(),
                row: self.header_row,
                name: aliases.first().copied().unwrap_or_default().to_owned(),
                aliases: aliases.iter().map(|a| (*a).to_owned()).collect(),
            })
    }

    /// The data rows after the header, blank rows skipped.
    ///
    /// An `Err` item ends the iteration: after a structural or encoding
    /// error nothing later in the file can be trusted.
    pub fn records(&mut self) -> Records<'_> {
        Records { table: self }
    }

    fn next_record(&mut self) -> Option<Result<Record, SheetError>> {
        match &mut self.source {
            Source::Delimited(d) => d.next_record(),
            Source::Workbook(w) => w.next_record(),
        }
    }
}

fn open_source(
    file: &str,
    kind: Kind,
    mut raw: RawSource,
    sheet: Option<&str>,
) -> Result<Source, SheetError> {
    let io_err = |e| SheetError::io(file, e);
    let mut magic = [0u8; 8];
    let n = crate::encoding::read_full(&mut raw, &mut magic).map_err(io_err)?;
    raw.seek(SeekFrom::Start(0)).map_err(io_err)?;
    // A workbook renamed to .csv is still a workbook; reading its zip bytes
    // as text would only produce a baffling encoding error.
    if kind == Kind::Workbook || workbook::is_workbook(&magic[..n]) {
        let mut bytes = Vec::new();
        raw.read_to_end(&mut bytes).map_err(io_err)?;
        return Ok(match workbook::sniff(file, &bytes)? {
            Content::Workbook => {
                Source::Workbook(Box::new(WorkbookSource::open(file, bytes, sheet)?))
            }
            // Old government systems export tab-separated text under an
            // .xls name; Excel opens it, so we do too.
            Content::Text => Source::Delimited(Box::new(Delimited::open(
                file,
                Box::new(Cursor::new(bytes)),
                true,
            )?)),
        });
    }
    let prefer_tab = matches!(kind, Kind::Delimited { prefer_tab: true });
    Ok(Source::Delimited(Box::new(Delimited::open(
        file, raw, prefer_tab,
    )?)))
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("file", &self.file)
            .field("header", &self.header)
            .field("header_row", &self.header_row)
            .field("encoding", &self.encoding())
            .field("delimiter", &self.delimiter())
            .field("sheet", &self.sheet_name())
            .finish_non_exhaustive()
    }
}

/// Iterator over the data rows of a [`Table`].
pub struct Records<'a> {
    table: &'a mut Table,
}

impl Iterator for Records<'_> {
    type Item = Result<Record, SheetError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.table.next_record()
    }
}

/// A column found in the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    index: usize,
    letter: String,
    header: String,
}

impl Column {
    /// Index into [`Record`] cells.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Excel's column name, e.g. `C`, for messages.
    pub fn letter(&self) -> &str {
        &self.letter
    }

    /// The header text as written in the file (which may differ from the
    /// alias that matched it).
    pub fn header(&self) -> &str {
        &self.header
    }

    /// Excel cell reference such as `C12`, for messages.
    pub fn cell_ref(&self, row: u64) -> String {
        format!("{}{}", self.letter, row)
    }
}

/// One data row.
///
/// Cells live in one `String` with end offsets instead of a `Vec<String>`:
/// two allocations per row instead of one per cell matters at a million
/// rows.
#[derive(Clone, PartialEq, Eq)]
pub struct Record {
    row: u64,
    text: String,
    ends: Vec<usize>,
}

impl Record {
    pub(crate) fn new(row: u64, text: String, ends: Vec<usize>) -> Self {
        Record { row, text, ends }
    }

    /// Excel row number: the header is usually row 1, so the first data row
    /// is 2, and blank rows in between are counted as Excel shows them.
    pub fn row(&self) -> u64 {
        self.row
    }

    /// Number of cells present in this row (rows may be shorter or longer
    /// than the header).
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the row has no cells at all (never true for rows returned by
    /// [`Table::records`], which skips blank rows).
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The trimmed cell at `index`, or `None` past the end of the row.
    pub fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)?;
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        Some(&self.text[start..end])
    }

    /// The cell in `column`; `""` when the row stops short of it, which is
    /// how a spreadsheet shows it too.
    pub fn cell(&self, column: &Column) -> &str {
        self.get(column.index).unwrap_or("")
    }

    /// All cells in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.ends.len()).map(|i| self.get(i).unwrap_or(""))
    }

    /// The cells as owned strings.
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }
}

impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Record")
            .field("row", &self.row)
            .field("cells", &self.iter().collect::<Vec<_>>())
            .finish()
    }
}
