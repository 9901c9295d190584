//! The organisation tree of the installation (see `liancha_domain::org`).

use liancha_domain::org::{Division, DivisionCode, Level, check_new_divisions};

use crate::BeginWrite;
use crate::accounts::{Actor, Audit, NewUser, check_new_user, hash_password_async, insert_user};
use crate::{Result, Store, StoreError, append_audit, with_pool};

impl Store {
    /// Every division, provinces first, then by code.
    pub async fn divisions(&self) -> Result<Vec<Division>> {
        let rows: Vec<(String, String)> = with_pool!(self, p =>
            sqlx::query_as("SELECT code, name FROM divisions ORDER BY code").fetch_all(p).await)?;
        rows.into_iter()
            .map(|(code, name)| {
                Ok(Division {
                    code: DivisionCode::parse(&code).map_err(StoreError::corrupt)?,
                    name,
                })
            })
            .collect()
    }

    pub async fn counties(&self) -> Result<Vec<Division>> {
        Ok(self
            .divisions()
            .await?
            .into_iter()
            .filter(|d| d.level() == Level::County)
            .collect())
    }

    /// The division with `code`, if the installation has it.
    pub async fn division(&self, code: &DivisionCode) -> Result<Option<Division>> {
        let row: Option<String> = with_pool!(self, p =>
            sqlx::query_scalar("SELECT name FROM divisions WHERE code = $1")
                .bind(code.as_str()).fetch_optional(p).await)?;
        Ok(row.map(|name| Division {
            code: code.clone(),
            name,
        }))
    }

    /// Adds divisions, parents before children, all or none, each with its audit entry.
    /// The tree is checked inside the transaction that writes it, so two clerks adding
    /// the same county at once cannot both succeed.
    pub async fn add_divisions(
        &self,
        divisions: &[Division],
        actor: &Actor,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let divisions: Vec<Division> = divisions
            .iter()
            .map(|d| Division {
                code: d.code.clone(),
                name: d.name.trim().to_string(),
            })
            .collect();
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            // Adders of the tree are serialised before they read it: SQLite by taking
            // its write lock (a write statement, even one that changes nothing),
            // PostgreSQL by a table lock that conflicts with itself.
            let serialise = match self.engine() {
                crate::Engine::Sqlite => "UPDATE divisions SET name = name WHERE code = ''",
                crate::Engine::Postgres => "LOCK TABLE divisions IN SHARE ROW EXCLUSIVE MODE",
            };
            sqlx::query(serialise).execute(&mut *tx).await?;
            let rows: Vec<(String, String)> =
                sqlx::query_as("SELECT code, name FROM divisions").fetch_all(&mut *tx).await?;
            let existing: Vec<Division> = rows
                .into_iter()
                .filter_map(|(code, name)| Some(Division { code: DivisionCode::parse(&code).ok()?, name }))
                .collect();
            check_new_divisions(&existing, &divisions).map_err(StoreError::invalid)?;
            for d in &divisions {
                sqlx::query("INSERT INTO divisions (code, name, level, parent) VALUES ($1, $2, $3, $4)")
                    .bind(d.code.as_str())
                    .bind(&d.name)
                    .bind(d.level().code())
                    .bind(d.code.parent().map(|c| c.as_str().to_string()))
                    .execute(&mut *tx)
                    .await?;
                // The office above records the new division; a province records itself.
                let office = self.county(&d.code.parent().unwrap_or_else(|| d.code.clone()));
                append_audit!(office, &mut *tx, actor, now, Audit::new("division.add", "division", d.code.as_str())
                    .after(serde_json::json!({ "name": d.name, "level": d.level().code() })))?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
    }

    /// Adds one division below existing ones and, for a county, its first
    /// administrator: both or neither, in one transaction, each with its audit entry.
    /// The account is checked (username, name, password) before anything is written.
    pub async fn add_division_with_admin(
        &self,
        division: &Division,
        admin: Option<&NewUser>,
        actor: &Actor,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let d = Division {
            code: division.code.clone(),
            name: division.name.trim().to_string(),
        };
        let checked = match admin {
            None => None,
            Some(u) => {
                if u.division != d.code || u.role != liancha_domain::auth::Role::Admin {
                    return Err(StoreError::invalid(
                        "首个管理员须是新建行政区划的系统管理员",
                    ));
                }
                let (username, name) = check_new_user(u)?;
                Some((
                    u,
                    username.to_string(),
                    name.to_string(),
                    hash_password_async(&u.password).await?,
                ))
            }
        };
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let serialise = match self.engine() {
                crate::Engine::Sqlite => "UPDATE divisions SET name = name WHERE code = ''",
                crate::Engine::Postgres => "LOCK TABLE divisions IN SHARE ROW EXCLUSIVE MODE",
            };
            sqlx::query(serialise).execute(&mut *tx).await?;
            let rows: Vec<(String, String)> =
                sqlx::query_as("SELECT code, name FROM divisions").fetch_all(&mut *tx).await?;
            let existing: Vec<Division> = rows
                .into_iter()
                .filter_map(|(code, name)| Some(Division { code: DivisionCode::parse(&code).ok()?, name }))
                .collect();
            check_new_divisions(&existing, std::slice::from_ref(&d)).map_err(StoreError::invalid)?;
            sqlx::query("INSERT INTO divisions (code, name, level, parent) VALUES ($1, $2, $3, $4)")
                .bind(d.code.as_str())
                .bind(&d.name)
                .bind(d.level().code())
                .bind(d.code.parent().map(|c| c.as_str().to_string()))
                .execute(&mut *tx)
                .await?;
            let office = self.county(&d.code.parent().unwrap_or_else(|| d.code.clone()));
            append_audit!(office, &mut *tx, actor, now, Audit::new("division.add", "division", d.code.as_str())
                .after(serde_json::json!({ "name": d.name, "level": d.level().code() })))?;
            if let Some((u, username, name, hash)) = &checked {
                insert_user!(self, tx, u, username.as_str(), name.as_str(), hash, actor, now);
            }
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
    }
}
