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
    Db(sqlx::Error),
    /// Another writer holds the database (an import, a backup) longer than a request
    /// may wait: nothing was changed and the same request can be sent again later.
    #[error("数据库正忙（可能正在导入或备份），本次操作未生效，请 {retry_after} 秒后重试")]
    Busy { retry_after: u32 },
    /// The disk holding the database is full: nothing was changed.
    #[error("服务器磁盘已满，本次操作未生效，请联系系统管理员")]
    DiskFull,
    /// The database refuses writes (read-only file or mount, a standby server).
    #[error("数据库处于只读状态，本次操作未生效，请联系系统管理员")]
    ReadOnly,
    #[error(transparent)]
    Sheet(#[from] liancha_sheet::SheetError),
    /// The file was refused: nothing from it was imported.
    #[error("{}", import_message(.errors, *.more))]
    Import { errors: Vec<RowError>, more: u64 },
    #[error("未找到：{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    /// Someone else changed the record since the page was loaded (or the same form
    /// was posted twice): nothing was changed.
    #[error("{0}")]
    Conflict(String),
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

impl From<sqlx::Error> for StoreError {
    /// Conditions an operator or a user can act on get their own variant, so that
    /// they are reported as what they are instead of as a generic failure.
    fn from(e: sqlx::Error) -> Self {
        // Every connection is taken, typically by writers waiting behind an import.
        if matches!(e, sqlx::Error::PoolTimedOut) {
            return StoreError::Busy { retry_after: 30 };
        }
        if let sqlx::Error::Database(d) = &e {
            let code = d.code();
            match code.as_deref() {
                // SQLite primary result codes (extended codes keep them in the low byte).
                Some(c) if sqlite_primary(c) == Some(5) || sqlite_primary(c) == Some(6) => {
                    return StoreError::Busy { retry_after: 30 };
                }
                Some(c) if sqlite_primary(c) == Some(13) => return StoreError::DiskFull,
                Some(c) if sqlite_primary(c) == Some(8) => return StoreError::ReadOnly,
                // PostgreSQL SQLSTATE: disk_full, read_only_sql_transaction, lock_not_available.
                Some("53100") => return StoreError::DiskFull,
                Some("25006") => return StoreError::ReadOnly,
                Some("55P03") => return StoreError::Busy { retry_after: 30 },
                _ => {}
            }
            // SQLite reports some of these without a code on the error object.
            let m = d.message();
            if m.contains("database or disk is full") {
                return StoreError::DiskFull;
            }
            if m.contains("attempt to write a readonly database") {
                return StoreError::ReadOnly;
            }
            if m.contains("database is locked") {
                return StoreError::Busy { retry_after: 30 };
            }
        }
        StoreError::Db(e)
    }
}

/// SQLite's primary result code from the (possibly extended) code sqlx reports:
/// SQLite's codes are decimals of at most four digits whose low byte is the primary
/// code; PostgreSQL's SQLSTATEs are always five characters and are left alone.
fn sqlite_primary(code: &str) -> Option<i64> {
    if code.len() >= 5 {
        return None;
    }
    code.parse::<i64>().ok().map(|c| c & 0xff)
}

impl StoreError {
    /// The version check of a task failed: someone else's change came first.
    pub(crate) fn stale() -> Self {
        StoreError::Conflict(
            "任务已被修改（可能是表单重复提交或他人同时操作），本次操作未生效，请刷新后重试".into(),
        )
    }

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
