//! An administrator's changes to an existing account: its name and role bindings, a
//! new initial password, disabling. Each in one transaction with its audit entry on
//! the trail of the account's division.

use chrono::{DateTime, Utc};
use liancha_domain::auth::{Role, check_password};
use liancha_domain::org::DivisionCode;

use super::{Actor, Audit, hash_password_async};
use crate::BeginWrite;
use crate::{Result, Store, StoreError, with_pool};

/// What an administrator may change of an account; its username and division stay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserChange {
    pub display_name: String,
    pub role: Role,
    pub department: Option<String>,
    pub township: Option<String>,
    pub inspector_id: Option<String>,
}

impl Store {
    /// Refuses role bindings that do not fit: a department for exactly the roles that
    /// work in one, a township for township staff, an inspector of the account's own
    /// department for an inspector, each existing in the account's division.
    pub(crate) async fn check_bindings(
        &self,
        division: &DivisionCode,
        role: Role,
        department: Option<&str>,
        township: Option<&str>,
        inspector_id: Option<&str>,
    ) -> Result<()> {
        let needs_department = matches!(
            role,
            Role::DepartmentAdmin | Role::DepartmentHead | Role::Inspector
        );
        if needs_department != department.is_some() {
            return Err(StoreError::invalid(if needs_department {
                format!("「{}」账号须指定所属部门", role.label())
            } else {
                format!("「{}」账号不属于某一部门，请把部门选为“—”", role.label())
            }));
        }
        if (role == Role::Township) != township.is_some() {
            return Err(StoreError::invalid(if role == Role::Township {
                "乡镇工作人员账号须指定乡镇".to_string()
            } else {
                format!("「{}」账号不属于某一乡镇，请把乡镇选为“—”", role.label())
            }));
        }
        if (role == Role::Inspector) != inspector_id.is_some() {
            return Err(StoreError::invalid(if role == Role::Inspector {
                "执法检查人员账号须关联执法人员名录中的编号"
            } else {
                "只有执法检查人员账号关联执法人员编号，请清空该项"
            }));
        }
        if self.division(division).await?.is_none() {
            return Err(StoreError::invalid(format!("行政区划 {division} 不存在")));
        }
        let home = self.county(division);
        if let Some(t) = township
            && !home.townships().await?.iter().any(|x| x.name == t)
        {
            return Err(StoreError::invalid(format!("乡镇「{t}」不存在")));
        }
        if let Some(code) = department
            && !home.departments().await?.iter().any(|d| d.code == code)
        {
            return Err(StoreError::invalid(format!("部门「{code}」不存在")));
        }
        if let Some(id) = inspector_id {
            match home.inspector(id).await? {
                Some(i) if Some(i.department.as_str()) == department => {}
                Some(_) => {
                    return Err(StoreError::invalid(format!("执法人员 {id} 不属于所选部门")));
                }
                None => return Err(StoreError::invalid(format!("执法人员名录中没有编号 {id}"))),
            }
        }
        Ok(())
    }

    /// Changes an account's name and role bindings. Nobody changes their own role or
    /// department (an administrator cannot demote themselves out of this page); a
    /// new role takes effect at the account's next request. `expected` is the account
    /// as the administrator's form showed it: if someone changed it since, nothing
    /// is written (a conflict), rather than their change being overwritten unseen.
    pub async fn update_user(
        &self,
        user_id: i64,
        expected: Option<&UserChange>,
        change: &UserChange,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let display_name = crate::posted(
            "姓名",
            change.display_name.trim(),
            liancha_domain::text::NAME,
        )?;
        if display_name.is_empty() {
            return Err(StoreError::invalid("姓名：请填写"));
        }
        let before = self
            .user(user_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("用户 {user_id}")))?;
        if actor.user_id == Some(user_id)
            && (before.role, &before.department) != (change.role, &change.department)
        {
            return Err(StoreError::invalid("不能更改自己账号的角色或部门"));
        }
        self.check_bindings(
            &before.division,
            change.role,
            change.department.as_deref(),
            change.township.as_deref(),
            change.inspector_id.as_deref(),
        )
        .await?;
        let home = self.county(&before.division);
        let json = |name: &str,
                    role: Role,
                    department: &Option<String>,
                    township: &Option<String>,
                    inspector: &Option<String>| {
            serde_json::json!({
                "display_name": name, "role": role.code(), "department": department,
                "township": township, "inspector": inspector,
            })
        };
        let audit = Audit::new("user.update", "user", &before.username)
            .before(json(
                &before.display_name,
                before.role,
                &before.department,
                &before.township,
                &before.inspector_id,
            ))
            .after(json(
                display_name,
                change.role,
                &change.department,
                &change.township,
                &change.inspector_id,
            ));
        let was = expected.cloned().unwrap_or_else(|| UserChange {
            display_name: before.display_name.clone(),
            role: before.role,
            department: before.department.clone(),
            township: before.township.clone(),
            inspector_id: before.inspector_id.clone(),
        });
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            // The row as the form showed it, or nothing: a concurrent edit is not
            // overwritten.
            let done = sqlx::query("UPDATE users SET display_name = $1, role = $2, department = $3, township = $4, inspector_id = $5 \
                 WHERE id = $6 AND display_name = $7 AND role = $8 \
                 AND COALESCE(department, '') = $9 AND COALESCE(township, '') = $10 AND COALESCE(inspector_id, '') = $11")
                .bind(display_name).bind(change.role.code()).bind(&change.department)
                .bind(&change.township).bind(&change.inspector_id).bind(user_id)
                .bind(&was.display_name).bind(was.role.code())
                .bind(was.department.clone().unwrap_or_default())
                .bind(was.township.clone().unwrap_or_default())
                .bind(was.inspector_id.clone().unwrap_or_default())
                .execute(&mut *tx).await?;
            if done.rows_affected() != 1 {
                return Err(StoreError::Conflict(
                    "该账号在您打开本页之后已被他人修改，未保存：请刷新页面，核对后重新修改".into(),
                ));
            }
            crate::append_audit!(home, &mut *tx, actor, now, audit)?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Sets a new initial password for someone who forgot theirs: they must choose
    /// their own at the next sign-in; their sessions end and a wait is cleared.
    pub async fn reset_password(
        &self,
        user_id: i64,
        password: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if actor.user_id == Some(user_id) {
            return Err(StoreError::invalid("自己的密码请在“修改密码”中更改"));
        }
        let user = self
            .user(user_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("用户 {user_id}")))?;
        check_password(&user.username, password).map_err(|e| StoreError::invalid(e.to_string()))?;
        let hash = hash_password_async(password).await?;
        let home = self.county(&user.division);
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            sqlx::query("UPDATE users SET password_hash = $1, must_change_password = TRUE, failed_logins = 0, locked_until = NULL WHERE id = $2")
                .bind(&hash).bind(user_id).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            crate::append_audit!(home, &mut *tx, actor, now, Audit::new("user.password-reset", "user", &user.username))?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Disables or re-enables an account; disabling ends its sessions, enabling
    /// also clears a lockout.
    pub async fn set_user_disabled(
        &self,
        user_id: i64,
        disabled: bool,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        if actor.user_id == Some(user_id) && disabled {
            return Err(StoreError::invalid("不能停用自己的账号"));
        }
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row: Option<(String, String)> = sqlx::query_as("SELECT username, division FROM users WHERE id = $1")
                .bind(user_id).fetch_optional(&mut *tx).await?;
            let Some((name, division)) = row else { return Err(StoreError::NotFound(format!("用户 {user_id}"))) };
            let home = self.county(&DivisionCode::parse(&division).map_err(StoreError::corrupt)?);
            sqlx::query("UPDATE users SET disabled = $1, failed_logins = 0, locked_until = NULL WHERE id = $2")
                .bind(disabled).bind(user_id).execute(&mut *tx).await?;
            if disabled {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            }
            crate::append_audit!(home, &mut *tx, actor, now, Audit::new(if disabled { "user.disable" } else { "user.enable" }, "user", &name))?;
            tx.commit().await?;
        });
        Ok(())
    }
}
