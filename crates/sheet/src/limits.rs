//! Hard limits on what one imported file may contain.
//!
//! Uploads come from anyone with an account, and a few kilobytes of zip can
//! describe gigabytes of XML or a grid of seventeen billion cells. Every
//! figure here is far above what a county's real lists need (the largest,
//! the entity directory, is tens of thousands of rows by about fifteen
//! columns) and low enough that no input can take more than a few hundred
//! MiB of memory. They live in one place so that the numbers in error
//! messages and in the code cannot drift apart.

/// Columns from the first used column on. The import templates have about
/// fifteen; a table wider than this is a mistake or an attack, and header
/// matching is quadratic in the width.
pub const MAX_COLUMNS: usize = 200;

/// Excel's own worksheet height; a row number beyond it cannot come from
/// Excel or WPS.
pub const MAX_ROWS: u64 = 1_048_576;

/// Excel's own worksheet width (XFD), for the same reason.
pub(crate) const MAX_SHEET_COLUMNS: u64 = 16_384;

/// Non-blank cells in one worksheet: a million rows of twenty columns.
pub const MAX_CELLS: u64 = 20_000_000;

/// Bytes of one CSV record. csv buffers a whole record, so without this one
/// line of a gigabyte would be held in memory. Two hundred cells of two
/// thousand Chinese characters still fit.
pub const MAX_CSV_RECORD_BYTES: u64 = 1 << 20;

/// Decompressed size of the worksheet XML that is read. It is parsed as a
/// stream, so this bounds time, not memory: a million-row export of our own
/// is about 850 MiB.
pub(crate) const MAX_SHEET_PART_BYTES: u64 = 1 << 30;

/// Decompressed size of the shared string table, which the parser keeps in
/// memory whole.
pub(crate) const MAX_SHARED_STRINGS_BYTES: u64 = 128 << 20;

/// Entries of the shared string table; each costs a `String` header besides
/// its text, and the parser reserves room for the count the file declares.
pub(crate) const MAX_SHARED_STRINGS: u64 = 5_000_000;

/// Cell formats in the style table (Excel itself allows 64,000); each one is
/// a few hundred bytes once parsed.
pub(crate) const MAX_CELL_FORMATS: u64 = 65_536;

/// Decompressed size of any other part that is parsed (workbook, styles,
/// relationships, theme, …). Real ones are kilobytes.
pub(crate) const MAX_OTHER_PART_BYTES: u64 = 16 << 20;

/// Sum over all parsed parts, whatever their kind.
pub(crate) const MAX_TOTAL_PART_BYTES: u64 =
    MAX_SHEET_PART_BYTES + MAX_SHARED_STRINGS_BYTES + (64 << 20);

/// Entries in the zip container. Real workbooks have a few dozen.
pub(crate) const MAX_ZIP_ENTRIES: usize = 10_000;

/// Longest stretch of XML between two `<`: one tag or one text node. The
/// XML parser buffers such a stretch whole, so this bounds its buffers. An
/// Excel cell holds at most 32,767 characters, about 160 KiB escaped.
pub(crate) const MAX_XML_TOKEN_BYTES: u64 = 1 << 20;

/// Human-readable byte size for messages.
pub(crate) fn size_text(bytes: u64) -> String {
    if bytes >= 1 << 30 && bytes.is_multiple_of(1 << 30) {
        format!("{} GiB", bytes >> 30)
    } else if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes.div_ceil(1 << 10))
    }
}
