//! The one error type of the crate.
//!
//! Every message is written for a county clerk, not for a developer: it is
//! Chinese, it names the file as the clerk uploaded it (not a server-side
//! temporary path), and where it can it names the row the way Excel numbers it
//! and says what to do next. The web layer shows `to_string()` verbatim.

use std::io;

use crate::encoding::TextEncoding;

/// Anything that can go wrong while reading or writing a table.
///
/// The enum is `non_exhaustive` so that new, more precise diagnoses can be
/// added without breaking the crates that map these errors to HTTP answers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SheetError {
    /// The operating system refused to open, read or write the file.
    #[error("无法读取文件 {file}：{source}")]
    Io {
        file: String,
        #[source]
        source: io::Error,
    },

    /// The extension is not one we know how to read or write.
    #[error("文件 {file} 的类型不受支持（{extension}）：请使用 .xlsx、.xls 或 .csv 文件")]
    UnsupportedFormat { file: String, extension: String },

    /// No non-empty row at all, so there is not even a header.
    #[error("文件 {file} 是空的：没有找到表头行（第一个非空行应当是列名）")]
    Empty { file: String },

    /// Bytes that are not valid in the encoding the file was detected to be in.
    #[error(
        "文件 {file} 第 {row} 行：含有无法识别的字符（按 {encoding} 编码读取失败）。\
         请用 Excel 打开该文件，另存为 .xlsx 或“CSV UTF-8（逗号分隔）”后重新导入"
    )]
    Encoding {
        file: String,
        row: u64,
        encoding: TextEncoding,
    },

    /// The CSV structure itself is broken, e.g. a quote that is never closed.
    #[error("文件 {file} 第 {row} 行：CSV 格式错误，{reason}")]
    MalformedCsv {
        file: String,
        row: u64,
        reason: String,
    },

    /// Two header cells mean the same column, so values could go to either.
    #[error(
        "文件 {file} 第 {row} 行（表头）：列名“{header}”在 {first} 列和 {second} 列重复出现，\
         请删除或改名其中一列"
    )]
    DuplicateHeader {
        file: String,
        row: u64,
        header: String,
        first: String,
        second: String,
    },

    /// A column the caller needs is not in the header.
    #[error(
        "文件 {file}：第 {row} 行的表头中找不到“{name}”列（可接受的列名：{}）。\
         表头必须是表格的第一个非空行，如果上面有标题行请删除",
        .aliases.join("、")
    )]
    MissingColumn {
        file: String,
        row: u64,
        name: String,
        aliases: Vec<String>,
    },

    /// Several header cells match the aliases of one column, e.g. both
    /// “统一社会信用代码” and “USCC” are present.
    #[error(
        "文件 {file} 第 {row} 行（表头）：有多列都可以当作“{name}”：{}，请只保留一列",
        .columns.join("、")
    )]
    AmbiguousColumn {
        file: String,
        row: u64,
        name: String,
        columns: Vec<String>,
    },

    /// calamine could not make sense of the workbook.
    #[error("无法打开 Excel 文件 {file}：{reason}")]
    Workbook { file: String, reason: String },

    /// The bytes are not a workbook at all: random data, a truncated
    /// upload, a zip that holds no workbook.
    #[error(
        "无法打开 Excel 文件 {file}：不是有效的 Excel 文件（{reason}）。\
         请用 Excel 或 WPS 打开确认后另存为 .xlsx 再导入"
    )]
    NotExcel { file: String, reason: String },

    /// The file is bigger, wider or more deeply compressed than any real
    /// list; see the crate's `limits` module for the figures.
    #[error(
        "文件 {file} 超出了导入的上限：{reason}。\
         请删除多余的内容或拆分成几个文件后再导入"
    )]
    TooLarge { file: String, reason: String },

    /// A non-blank cell beyond the widest table accepted.
    #[error(
        "文件 {file} 第 {row} 行的 {column} 列还有内容，而表格最多只能有 {limit} 列：\
         请删除多余的列（导入只需要模板中的列）后再导入"
    )]
    TooManyColumns {
        file: String,
        row: u64,
        column: String,
        limit: usize,
    },

    /// One CSV record longer than the reader is willing to buffer.
    #[error(
        "文件 {file} 第 {row} 行超过了单行 {limit} 的长度上限。\
         请检查该行，常见原因是某个英文双引号 \" 没有配对"
    )]
    RecordTooLong {
        file: String,
        row: u64,
        limit: String,
    },

    /// A workbook without a single visible worksheet.
    #[error("Excel 文件 {file} 中没有可读取的工作表")]
    NoSheets { file: String },

    /// The caller asked for a worksheet by name and it is not there.
    #[error("Excel 文件 {file} 中没有名为“{sheet}”的工作表")]
    SheetNotFound { file: String, sheet: String },

    /// More rows than one Excel worksheet can hold.
    #[error(
        "写入文件 {file} 失败：数据超过 Excel 单个工作表 {limit} 行的上限，请分批导出或改用 CSV"
    )]
    TooManyRows { file: String, limit: u64 },

    /// Any other failure while producing a file.
    #[error("写入文件 {file} 失败：{reason}")]
    Write { file: String, reason: String },
}

impl SheetError {
    /// The file name as shown to the clerk.
    pub fn file(&self) -> &str {
        match self {
            SheetError::Io { file, .. }
            | SheetError::UnsupportedFormat { file, .. }
            | SheetError::Empty { file }
            | SheetError::Encoding { file, .. }
            | SheetError::MalformedCsv { file, .. }
            | SheetError::DuplicateHeader { file, .. }
            | SheetError::MissingColumn { file, .. }
            | SheetError::AmbiguousColumn { file, .. }
            | SheetError::Workbook { file, .. }
            | SheetError::NotExcel { file, .. }
            | SheetError::TooLarge { file, .. }
            | SheetError::TooManyColumns { file, .. }
            | SheetError::RecordTooLong { file, .. }
            | SheetError::NoSheets { file }
            | SheetError::SheetNotFound { file, .. }
            | SheetError::TooManyRows { file, .. }
            | SheetError::Write { file, .. } => file,
        }
    }

    /// The Excel-style row number the error is about, when there is one, so
    /// that callers can sort or group import problems by row.
    pub fn row(&self) -> Option<u64> {
        match self {
            SheetError::Encoding { row, .. }
            | SheetError::MalformedCsv { row, .. }
            | SheetError::DuplicateHeader { row, .. }
            | SheetError::MissingColumn { row, .. }
            | SheetError::AmbiguousColumn { row, .. }
            | SheetError::TooManyColumns { row, .. }
            | SheetError::RecordTooLong { row, .. } => Some(*row),
            _ => None,
        }
    }

    pub(crate) fn io(file: &str, source: io::Error) -> Self {
        SheetError::Io {
            file: file.to_owned(),
            source,
        }
    }
}
