use std::fmt;

/// One problem in one cell of an imported file, as a clerk would look for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub file: String,
    /// 1-based row as Excel shows it (the header is row 1).
    pub row: u64,
    /// Column letter (A, B, … AA) and header, when the problem is in one cell.
    pub column: Option<(String, String)>,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some((letter, header)) => write!(
                f,
                "{} 第 {} 行 {} 列（{}）：{}",
                self.file, self.row, letter, header, self.reason
            ),
            None => write!(f, "{} 第 {} 行：{}", self.file, self.row, self.reason),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("无法打开数据库 {url}：{source}")]
    Open {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("数据库结构升级失败：{0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("数据库错误：{0}")]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Sheet(#[from] liancha_sheet::SheetError),
    /// The file was refused: nothing from it was imported.
    #[error("{}", import_message(.errors, *.more))]
    Import { errors: Vec<RowError>, more: u64 },
    #[error("未找到：{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("数据库中保存的值无法识别：{0}")]
    Corrupt(String),
}

fn import_message(errors: &[RowError], more: u64) -> String {
    let mut s = String::from("导入失败，未导入任何记录：");
    for e in errors {
        s.push('\n');
        s.push_str(&e.to_string());
    }
    if more > 0 {
        s.push_str(&format!("\n……另有 {more} 处错误未列出"));
    }
    s
}

impl StoreError {
    pub(crate) fn open(url: &str, source: sqlx::Error) -> Self {
        // Never echo a password from the URL.
        let url = match (url.find("://"), url.rfind('@')) {
            (Some(s), Some(at)) if at > s => format!("{}://…@{}", &url[..s], &url[at + 1..]),
            _ => url.to_string(),
        };
        StoreError::Open { url, source }
    }

    pub(crate) fn corrupt(what: impl fmt::Display) -> Self {
        StoreError::Corrupt(what.to_string())
    }
}
