//! Backups while the installation keeps working.
//!
//! SQLite: `VACUUM INTO` writes a consistent copy of the whole database as of one
//! read transaction; in WAL mode writers go on meanwhile. Restoring is putting the
//! file in place of the database (with the server stopped).
//! PostgreSQL: `pg_dump --format=custom`, which reads one snapshot too; restoring is
//! `pg_restore --dbname=…` into an empty database. The operations guide says more.

use std::path::Path;

use crate::{Result, Store, StoreError, with_pool};

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupOutcome {
    pub bytes: u64,
    /// `VACUUM INTO` or `pg_dump`.
    pub method: &'static str,
}

impl Store {
    /// Writes a consistent copy of the database to `path`, which must not exist yet.
    pub async fn backup(&self, path: &Path) -> Result<BackupOutcome> {
        if path.exists() {
            return Err(StoreError::invalid(format!(
                "备份文件 {} 已存在：请换一个文件名，旧的备份不会被覆盖",
                path.display()
            )));
        }
        let target = path.to_str().ok_or_else(|| {
            StoreError::invalid(format!("备份文件名 {} 不是有效的 UTF-8", path.display()))
        })?;
        let method = match self.engine() {
            crate::Engine::Sqlite => {
                with_pool!(self, p => sqlx::query("VACUUM INTO $1").bind(target).execute(p).await.map(|_| ()))?;
                "VACUUM INTO"
            }
            crate::Engine::Postgres => {
                self.pg_dump(target).await?;
                "pg_dump"
            }
        };
        let bytes = std::fs::metadata(path)
            .map_err(|e| StoreError::invalid(format!("备份文件 {target} 未写成：{e}")))?
            .len();
        Ok(BackupOutcome { bytes, method })
    }

    async fn pg_dump(&self, target: &str) -> Result<()> {
        let out = tokio::process::Command::new("pg_dump")
            .arg("--format=custom")
            .arg("--no-owner")
            .arg(format!("--file={target}"))
            .arg(format!("--dbname={}", self.url))
            .output()
            .await
            .map_err(|e| {
                StoreError::invalid(format!(
                    "无法运行 pg_dump（{e}）：请安装与服务器同版本的 PostgreSQL 客户端（Debian：postgresql-client），\
                     或在数据库服务器上直接运行 pg_dump --format=custom"
                ))
            })?;
        if !out.status.success() {
            let _ = std::fs::remove_file(target);
            return Err(StoreError::invalid(format!(
                "pg_dump 失败：{}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(())
    }
}
