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
    /// The database named at start could not be opened; `reason` says why in words an
    /// operator can act on (missing directory, no permission, server not running…).
    #[error("无法打开数据库 {url}：{reason}（{source}）")]
    Open {
        url: String,
        reason: String,
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
    /// The input is refused: nothing was changed. `field` names the form field to
    /// blame, when one is (the form shows the message beside it).
    #[error("{message}")]
    Invalid {
        field: Option<&'static str>,
        message: String,
    },
    /// The record is not in a state that allows the action (a task already sealed, a
    /// visit already approved): nothing was changed.
    #[error("{0}")]
    WrongState(String),
    /// Someone else changed the record since the page was loaded (or the same form
    /// was posted twice): nothing was changed.
    #[error("{0}")]
    Conflict(String),
    #[error("数据库中保存的值无法识别：{0}")]
    Corrupt(String),
}

impl StoreError {
    /// Refused input, not tied to one field.
    pub fn invalid(message: impl Into<String>) -> Self {
        StoreError::Invalid {
            field: None,
            message: message.into(),
        }
    }

    /// Refused input, blamed on the form field `field`.
    pub fn invalid_field(field: &'static str, message: impl Into<String>) -> Self {
        StoreError::Invalid {
            field: Some(field),
            message: message.into(),
        }
    }

    /// A refused input without a field of its own, blamed on `field`.
    pub fn on_field(self, field: &'static str) -> Self {
        match self {
            StoreError::Invalid {
                field: None,
                message,
            } => StoreError::Invalid {
                field: Some(field),
                message,
            },
            e => e,
        }
    }
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
        let reason = open_reason(url, &source);
        // Never echo a password from the URL.
        let url = match (url.find("://"), url.rfind('@')) {
            (Some(s), Some(at)) if at > s => format!("{}://…@{}", &url[..s], &url[at + 1..]),
            _ => url.to_string(),
        };
        StoreError::Open {
            url,
            reason,
            source,
        }
    }

    pub(crate) fn corrupt(what: impl fmt::Display) -> Self {
        StoreError::Corrupt(what.to_string())
    }
}

/// Why a database could not be opened, from the error and, for a SQLite file, from
/// what the file system says about its path.
fn open_reason(url: &str, e: &sqlx::Error) -> String {
    use std::io::ErrorKind;
    let code = match e {
        sqlx::Error::Database(d) => d.code().map(|c| c.into_owned()),
        _ => None,
    };
    if let sqlx::Error::Io(io) = e {
        return match io.kind() {
            ErrorKind::ConnectionRefused => {
                "数据库服务器拒绝连接：服务未启动，或主机、端口有误".into()
            }
            ErrorKind::TimedOut => "连接数据库服务器超时：请检查主机地址和网络".into(),
            ErrorKind::NotFound => "找不到数据库服务器（主机名无法解析或套接字不存在）".into(),
            ErrorKind::PermissionDenied => "没有访问数据库的权限".into(),
            _ => format!("无法连接数据库服务器：{io}"),
        };
    }
    match code.as_deref() {
        Some("3D000") => return "数据库不存在：请先创建（createdb）".into(),
        Some("28P01") | Some("28000") => return "用户名或密码错误，或该用户无权连接".into(),
        Some("53300") => return "数据库服务器连接数已满".into(),
        Some("57P03") => return "数据库服务器正在启动或关闭".into(),
        _ => {}
    }
    if matches!(e, sqlx::Error::PoolTimedOut) {
        return "连接数据库服务器超时：服务未启动，或主机、端口有误".into();
    }
    if url.starts_with("postgres") {
        return "无法连接数据库服务器".into();
    }
    let file = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    // `?mode=ro` and other options are not part of the file name.
    let path = std::path::Path::new(file.split('?').next().unwrap_or(file));
    match code.as_deref().and_then(sqlite_primary) {
        Some(26) => return "该文件不是 liancha 的 SQLite 数据库文件".into(),
        Some(11) => return "数据库文件已损坏：请从备份恢复".into(),
        Some(13) => return "磁盘已满".into(),
        Some(8) => return "数据库文件或目录只读".into(),
        _ => {}
    }
    let dir = match path.parent() {
        Some(d) if d.as_os_str().is_empty() => std::path::Path::new("."),
        Some(d) => d,
        None => std::path::Path::new("."),
    };
    match std::fs::metadata(dir) {
        Err(_) => return format!("目录 {} 不存在", dir.display()),
        Ok(m) if !m.is_dir() => return format!("{} 不是目录", dir.display()),
        Ok(m) if m.permissions().readonly() => {
            return format!("目录 {} 只读，无法创建数据库文件", dir.display());
        }
        Ok(_) => {}
    }
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
    {
        Err(io) if io.kind() == ErrorKind::PermissionDenied => {
            format!("没有读写数据库文件 {} 的权限", path.display())
        }
        Err(io) if io.kind() == ErrorKind::NotFound => {
            format!(
                "无法在目录 {} 中创建数据库文件（权限不足？）",
                dir.display()
            )
        }
        Ok(f) if f.metadata().is_ok_and(|m| m.is_dir()) => format!("{} 是目录", path.display()),
        _ => "无法打开数据库文件".into(),
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn an_unopenable_database_names_the_reason() {
        let dir = std::env::temp_dir().join(format!("liancha-open-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = format!("sqlite://{}/no/such/dir/x.db", dir.display());
        let e = crate::Store::open(&missing)
            .await
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("不存在"), "{e}");
        let junk = dir.join("junk.db");
        std::fs::write(&junk, vec![b'x'; 4096]).unwrap();
        let e = crate::Store::open(&format!("sqlite://{}", junk.display()))
            .await
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("不是 liancha 的 SQLite"), "{e}");
        // Nothing listens on port 1.
        let e = crate::Store::open("postgres://u:secret@127.0.0.1:1/x")
            .await
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("拒绝连接"), "{e}");
        assert!(!e.contains("secret"), "{e}");
        let admin = crate::testing::postgres_admin_url();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        let e = crate::Store::open(&format!("{base}/liancha_no_such_db"))
            .await
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("数据库不存在"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
