//! Accounts, sign-in, sessions and the append-only audit trail.
//!
//! Passwords are kept as argon2id PHC strings, hashed and checked on tokio's blocking
//! pool, a few at a time (see [`hash_password_async`]), never on a request thread. A
//! session cookie carries a random 256-bit token; only its SHA-256 is stored, with
//! the session's CSRF token, when it began (12 hours end it) and the time it was
//! last used (30 minutes idle end it).
//!
//! Wrong passwords are throttled, never locked out: after a few failures in a row an
//! account makes further attempts wait, longer each time (`users.locked_until` is the
//! end of that wait), but the wait binds only attempts from an address that has
//! failed recently itself. So a stranger who keeps failing on `admin` slows the
//! guessing down without keeping the real admin, at another desk, out.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use liancha_domain::auth::{
    Principal, Role, SESSION_IDLE_MINUTES, SESSION_MAX_HOURS, account_wait, check_password,
};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use liancha_domain::org::DivisionCode;

mod edit;
pub use edit::UserChange;

use crate::BeginWrite;
use crate::{County, Result, Store, StoreError, with_pool};

/// Who did something, as the audit trail names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub username: String,
}

impl Actor {
    /// The command line or another process acting without an account.
    pub fn system(name: &str) -> Self {
        Actor {
            user_id: None,
            username: name.into(),
        }
    }
}

impl From<&Principal> for Actor {
    fn from(p: &Principal) -> Self {
        Actor {
            user_id: Some(p.user_id),
            username: p.username.clone(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewUser {
    /// The county the account works in, or the prefecture or province office.
    pub division: DivisionCode,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub department: Option<String>,
    pub township: Option<String>,
    pub inspector_id: Option<String>,
    pub password: String,
    /// Make the user choose a new password at first sign-in.
    pub must_change_password: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub division: DivisionCode,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub department: Option<String>,
    pub township: Option<String>,
    pub inspector_id: Option<String>,
    pub must_change_password: bool,
    pub locked_until: Option<DateTime<Utc>>,
    pub disabled: bool,
}

impl User {
    pub fn principal(&self) -> Principal {
        Principal {
            user_id: self.id,
            division: self.division.clone(),
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            role: self.role,
            department: self.department.clone(),
            township: self.township.clone(),
            inspector_id: self.inspector_id.clone(),
        }
    }
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    division: String,
    username: String,
    display_name: String,
    role: String,
    department: Option<String>,
    township: Option<String>,
    inspector_id: Option<String>,
    must_change_password: bool,
    locked_until: Option<DateTime<Utc>>,
    disabled: bool,
    password_hash: String,
    failed_logins: i32,
}

const USER_SELECT: &str = "SELECT id, division, username, display_name, role, department, township, inspector_id, \
     must_change_password, locked_until, disabled, password_hash, failed_logins FROM users";

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<User> {
        Ok(User {
            role: Role::from_code(&r.role).ok_or_else(|| StoreError::corrupt(&r.role))?,
            division: DivisionCode::parse(&r.division).map_err(StoreError::corrupt)?,
            id: r.id,
            username: r.username,
            display_name: r.display_name,
            department: r.department,
            township: r.township,
            inspector_id: r.inspector_id,
            must_change_password: r.must_change_password,
            locked_until: r.locked_until,
            disabled: r.disabled,
        })
    }
}

/// Why a sign-in was refused. Unknown user, disabled account, an account that makes
/// attempts wait and a wrong password all read the same, take the same time (a
/// password check against a real or a dummy hash) and leave one audit entry, so the
/// answer does not tell which usernames exist or what state they are in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("用户名或密码错误（连续输错后须稍候再试）")]
    BadCredentials,
}

/// Where a sign-in attempt comes from, as far as throttling cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Address {
    /// No failed attempt from this address lately: a right password signs in even
    /// while the account makes other addresses wait.
    Clean,
    /// This address failed lately, or is not known: the account's wait applies.
    Suspect,
}

/// A new session: the cookie's token (shown once) and the session's CSRF token.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub user: User,
    pub token: String,
    pub csrf_token: String,
}

/// An entry of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub county: String,
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub username: String,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub task_id: Option<i64>,
    pub before_value: Option<String>,
    pub after_value: Option<String>,
}

/// What to append to the audit trail.
#[derive(Debug, Clone)]
pub struct Audit<'a> {
    pub action: &'a str,
    pub object_type: &'a str,
    pub object_id: String,
    pub task_id: Option<i64>,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl<'a> Audit<'a> {
    pub fn new(action: &'a str, object_type: &'a str, object_id: impl ToString) -> Self {
        Audit {
            action,
            object_type,
            object_id: object_id.to_string(),
            task_id: None,
            before: None,
            after: None,
        }
    }
    pub fn task(mut self, id: i64) -> Self {
        self.task_id = Some(id);
        self
    }
    pub fn before(mut self, v: impl serde::Serialize) -> Self {
        self.before = serde_json::to_string(&v).ok();
        self
    }
    pub fn after(mut self, v: impl serde::Serialize) -> Self {
        self.after = serde_json::to_string(&v).ok();
        self
    }
}

/// Appends one audit entry of `$county`'s trail (a [`crate::County`]) inside the
/// caller's transaction (`$tx`: `&mut *tx`), as the next link of the county's hash
/// chain (see `liancha_domain::audit_chain`). The chain's head row is locked until
/// the transaction ends: a county's audited changes take their links in the order
/// they commit. Evaluates to `Result<(), sqlx::Error>`.
#[macro_export]
#[doc(hidden)]
macro_rules! append_audit {
    ($county:expr, $tx:expr, $actor:expr, $now:expr, $audit:expr) => {{
        let a: &$crate::accounts::Audit = &$audit;
        let actor: &$crate::accounts::Actor = $actor;
        let at = liancha_domain::audit_chain::micros($now);
        async {
            let id: i64 = $county.query_scalar(
                "INSERT INTO audit_log (county, at, user_id, username, action, object_type, object_id, task_id, before_value, after_value) \
                 VALUES ($C, $1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(at)
            .bind(actor.user_id)
            .bind(&actor.username)
            .bind(a.action)
            .bind(a.object_type)
            .bind(&a.object_id)
            .bind(a.task_id)
            .bind(&a.before)
            .bind(&a.after)
            .fetch_one($tx)
            .await?;
            let (seq, prev): (i64, Vec<u8>) = $county.query_as(
                "INSERT INTO audit_heads (county, seq, hash) VALUES ($C, 0, $1) \
                 ON CONFLICT (county) DO UPDATE SET seq = audit_heads.seq + 1 RETURNING seq, hash",
            )
            .bind(liancha_domain::audit_chain::GENESIS.to_vec())
            .fetch_one($tx)
            .await?;
            let hash = liancha_domain::audit_chain::link(&prev, &liancha_domain::audit_chain::Linked {
                county: $county.code().as_str(),
                at,
                user_id: actor.user_id,
                username: &actor.username,
                action: a.action,
                object_type: a.object_type,
                object_id: &a.object_id,
                task_id: a.task_id,
                before: a.before.as_deref(),
                after: a.after.as_deref(),
            });
            $county.query("INSERT INTO audit_chain (county, seq, audit_id, hash) VALUES ($C, $1, $2, $3)")
                .bind(seq).bind(id).bind(hash.to_vec()).execute($tx).await?;
            $county.query("UPDATE audit_heads SET hash = $1 WHERE county = $C")
                .bind(hash.to_vec()).execute($tx).await?;
            Ok::<(), sqlx::Error>(())
        }
        .await
    }};
}

pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::invalid(format!("密码处理失败：{e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Password hashes computed at once: one core fewer than the machine has (one at
/// least), so pages keep a core while sign-ins queue. Each takes ~20 MiB and tens of
/// milliseconds of CPU; the web layer bounds how many may wait.
pub fn hashing_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
}

fn hashing_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| tokio::sync::Semaphore::new(hashing_threads()))
}

async fn on_hashing_pool<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let _permit = hashing_permits()
        .acquire()
        .await
        .map_err(|_| StoreError::invalid("密码处理失败"))?;
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::invalid(format!("密码处理失败：{e}")))
}

/// [`hash_password`] on the blocking pool.
pub async fn hash_password_async(password: &str) -> Result<String> {
    let password = password.to_string();
    on_hashing_pool(move || hash_password(&password)).await?
}

/// Checks a password on the blocking pool.
async fn verify_password_async(password: &str, hash: &str) -> Result<bool> {
    let (password, hash) = (password.to_string(), hash.to_string());
    on_hashing_pool(move || verify_password(&password, &hash)).await
}

/// A random token, 256 bits, URL-safe hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    liancha_draw::hex::encode(&b)
}

fn token_hash(token: &str) -> String {
    liancha_draw::hex::encode(&Sha256::digest(token.as_bytes()))
}

/// What every new account must be, whatever else it needs: a username of letters,
/// digits and `._-`, a name, a password by the rule. Returns the trimmed username and
/// name.
pub(crate) fn check_new_user(u: &NewUser) -> Result<(&str, &str)> {
    let username = u.username.trim();
    if username.is_empty()
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(StoreError::invalid("用户名只能由字母、数字和 . _ - 组成"));
    }
    crate::posted("用户名", username, liancha_domain::text::CODE)?;
    let display_name = crate::posted("姓名", u.display_name.trim(), liancha_domain::text::NAME)?;
    if display_name.is_empty() {
        return Err(StoreError::invalid("姓名：请填写"));
    }
    check_password(username, &u.password).map_err(|e| StoreError::invalid(e.to_string()))?;
    Ok((username, display_name))
}

/// Adds an account inside the caller's transaction, refusing a username that is
/// taken, with its audit entry on the trail of the account's division.
macro_rules! insert_user {
    ($store:expr, $tx:expr, $u:expr, $username:expr, $display_name:expr, $hash:expr, $actor:expr, $now:expr) => {{
        let u: &$crate::accounts::NewUser = $u;
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
            .bind($username)
            .fetch_optional(&mut *$tx)
            .await?;
        if exists.is_some() {
            return Err(StoreError::invalid(format!("用户名「{}」已存在", $username)));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO users (division, username, display_name, role, department, township, inspector_id, \
             password_hash, must_change_password, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(u.division.as_str())
        .bind($username)
        .bind($display_name)
        .bind(u.role.code())
        .bind(&u.department)
        .bind(&u.township)
        .bind(&u.inspector_id)
        .bind($hash)
        .bind(u.must_change_password)
        .bind($now)
        .fetch_one(&mut *$tx)
        .await?;
        let home = $store.county(&u.division);
        append_audit!(home, &mut *$tx, $actor, $now, Audit::new("user.create", "user", $username).after(serde_json::json!({
            "role": u.role.code(), "department": u.department, "township": u.township, "inspector": u.inspector_id,
        })))?;
        id
    }};
}
pub(crate) use insert_user;

impl Store {
    /// Creates an account after checking its role's bindings and the password rule.
    pub async fn create_user(&self, u: &NewUser, actor: &Actor, now: DateTime<Utc>) -> Result<i64> {
        let (username, display_name) = check_new_user(u)?;
        self.check_bindings(
            &u.division,
            u.role,
            u.department.as_deref(),
            u.township.as_deref(),
            u.inspector_id.as_deref(),
        )
        .await?;
        let hash = hash_password_async(&u.password).await?;
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let id = insert_user!(self, tx, u, username, display_name, &hash, actor, now);
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// The accounts of a division and of every division below it.
    pub async fn users(&self, within: &DivisionCode) -> Result<Vec<User>> {
        let sql = format!("{USER_SELECT} WHERE division LIKE $1 ORDER BY division, role, username");
        let prefix = format!("{}%", within.short());
        let rows: Vec<UserRow> = with_pool!(self, p => sqlx::query_as(crate::dynamic(&sql)).bind(&prefix).fetch_all(p).await)?;
        rows.into_iter().map(User::try_from).collect()
    }

    /// The user names of the accounts that act in `county` (its own, and those of
    /// the offices above it) whose holder's name contains `part`, in any case (at
    /// most 100, in name order): how the log finds "张" or "市场监管局".
    pub async fn usernames_named(&self, part: &str, county: &DivisionCode) -> Result<Vec<String>> {
        let escaped = crate::audit::like_escaped(&part.to_lowercase());
        let parent = county.parent();
        let grandparent = parent.as_ref().and_then(DivisionCode::parent);
        let code = |d: Option<&DivisionCode>| d.map(|d| d.as_str().to_string()).unwrap_or_default();
        Ok(with_pool!(self, p => sqlx::query_scalar(
            "SELECT username FROM users WHERE LOWER(display_name) LIKE $1 ESCAPE '\\' \
             AND (division LIKE $2 OR division = $3 OR division = $4) ORDER BY username LIMIT 100")
            .bind(format!("%{escaped}%"))
            .bind(format!("{}%", county.short()))
            .bind(code(parent.as_ref()))
            .bind(code(grandparent.as_ref()))
            .fetch_all(p).await)?)
    }

    pub async fn user(&self, id: i64) -> Result<Option<User>> {
        let sql = format!("{USER_SELECT} WHERE id = $1");
        let row: Option<UserRow> = with_pool!(self, p => sqlx::query_as(crate::dynamic(&sql)).bind(id).fetch_optional(p).await)?;
        row.map(User::try_from).transpose()
    }

    /// The trail an event without an account belongs to (a sign-in under an unknown
    /// name): the installation's first province. `None` before any division exists,
    /// when no account can exist either.
    async fn top_division(&self) -> Result<Option<DivisionCode>> {
        let code: Option<String> = with_pool!(self, p => sqlx::query_scalar(
            "SELECT code FROM divisions WHERE level = 'province' ORDER BY code LIMIT 1").fetch_optional(p).await)?;
        code.map(|c| DivisionCode::parse(&c).map_err(StoreError::corrupt))
            .transpose()
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        self.user_row(username)
            .await?
            .map(User::try_from)
            .transpose()
    }

    async fn user_row(&self, username: &str) -> Result<Option<UserRow>> {
        let sql = format!("{USER_SELECT} WHERE username = $1");
        Ok(
            with_pool!(self, p => sqlx::query_as(crate::dynamic(&sql)).bind(username.trim()).fetch_optional(p).await)?,
        )
    }

    /// Checks a password from an address that is [`Address::Suspect`]; see
    /// [`Store::login_from`].
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<NewSession, LoginError>> {
        self.login_from(username, password, now, Address::Suspect)
            .await
    }

    /// Checks a password and on success opens a session. Every failure counts against
    /// the account; from the fifth in a row on, the account makes attempts from
    /// suspect addresses wait ([`account_wait`]: 1 minute, then 2, 4 … up to an
    /// hour), refused without a look at the password. A clean address is not held.
    pub async fn login_from(
        &self,
        username: &str,
        password: &str,
        now: DateTime<Utc>,
        address: Address,
    ) -> Result<Result<NewSession, LoginError>> {
        let row = self.user_row(username).await?;
        // Always one real password check, against a dummy hash when there is no
        // account to check: the time does not tell which names exist.
        let hash = row
            .as_ref()
            .filter(|r| !r.disabled)
            .map_or(DUMMY_HASH, |r| r.password_hash.as_str());
        let right = verify_password_async(password, hash).await?;
        let Some(row) = row else {
            // The same one audit write as a wrong password.
            let name: String = username.trim().chars().take(64).collect();
            if let Some(top) = self.top_division().await? {
                self.county(&top)
                    .audit(
                        &Actor::system(&name),
                        now,
                        Audit::new("user.login-failed", "user", &name),
                    )
                    .await?;
            }
            return Ok(Err(LoginError::BadCredentials));
        };
        let actor = Actor {
            user_id: Some(row.id),
            username: row.username.clone(),
        };
        let home = self.county(&DivisionCode::parse(&row.division).map_err(StoreError::corrupt)?);
        let waiting = address == Address::Suspect && row.locked_until.is_some_and(|u| u > now);
        if row.disabled || waiting || !right {
            let (action, failed, wait) = if row.disabled {
                ("user.login-disabled", row.failed_logins, row.locked_until)
            } else if waiting {
                // Not counted again: the wait must not grow while it runs.
                ("user.login-throttled", row.failed_logins, row.locked_until)
            } else {
                let failed = row.failed_logins.saturating_add(1);
                let wait = account_wait(failed as u32).map(|w| now + w);
                (
                    if wait.is_some() {
                        "user.login-throttled"
                    } else {
                        "user.login-failed"
                    },
                    failed,
                    wait.or(row.locked_until),
                )
            };
            with_pool!(self, p => {
                let mut tx = p.begin_write().await?;
                sqlx::query("UPDATE users SET failed_logins = $1, locked_until = $2 WHERE id = $3")
                    .bind(failed).bind(wait).bind(row.id)
                    .execute(&mut *tx).await?;
                append_audit!(home, &mut *tx, &actor, now, Audit::new(action, "user", &row.username))?;
                tx.commit().await?;
            });
            return Ok(Err(LoginError::BadCredentials));
        }
        let token = random_token();
        let csrf_token = random_token();
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
                .bind(row.id).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen) VALUES ($1, $2, $3, $4, $4)")
                .bind(token_hash(&token)).bind(row.id).bind(&csrf_token).bind(now)
                .execute(&mut *tx).await?;
            append_audit!(home, &mut *tx, &actor, now, Audit::new("user.login", "user", &row.username))?;
            tx.commit().await?;
        });
        let mut user = User::try_from(row)?;
        user.locked_until = None;
        Ok(Ok(NewSession {
            user,
            token,
            csrf_token,
        }))
    }

    /// The user and CSRF token of a live session; `None` when unknown, idle too long
    /// or older than its absolute lifetime (such a session is deleted).
    pub async fn session(&self, token: &str, now: DateTime<Utc>) -> Result<Option<(User, String)>> {
        #[derive(sqlx::FromRow)]
        struct S {
            user_id: i64,
            csrf_token: String,
            created_at: DateTime<Utc>,
            last_seen: DateTime<Utc>,
        }
        let th = token_hash(token);
        let s: Option<S> = with_pool!(self, p => sqlx::query_as(
            "SELECT user_id, csrf_token, created_at, last_seen FROM sessions WHERE token_hash = $1")
            .bind(&th).fetch_optional(p).await)?;
        let Some(s) = s else { return Ok(None) };
        if now - s.last_seen > Duration::minutes(SESSION_IDLE_MINUTES)
            || now - s.created_at > Duration::hours(SESSION_MAX_HOURS)
        {
            with_pool!(self, p => sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(&th).execute(p).await.map(|_| ()))?;
            return Ok(None);
        }
        // One write a minute at most, not one per page.
        if now - s.last_seen > Duration::seconds(60) {
            with_pool!(self, p => sqlx::query("UPDATE sessions SET last_seen = $1 WHERE token_hash = $2")
                .bind(now).bind(&th).execute(p).await.map(|_| ()))?;
        }
        let sql = format!("{USER_SELECT} WHERE id = $1");
        let row: Option<UserRow> = with_pool!(self, p => sqlx::query_as(crate::dynamic(&sql)).bind(s.user_id).fetch_optional(p).await)?;
        match row {
            Some(r) if !r.disabled => Ok(Some((User::try_from(r)?, s.csrf_token))),
            _ => Ok(None),
        }
    }

    pub async fn logout(&self, token: &str) -> Result<()> {
        with_pool!(self, p => sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash(token)).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Changes a password after checking the current one; other sessions of the user end.
    pub async fn change_password(
        &self,
        user_id: i64,
        current: &str,
        new: &str,
        keep_session: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let sql = format!("{USER_SELECT} WHERE id = $1");
        let row: UserRow = with_pool!(self, p => sqlx::query_as(crate::dynamic(&sql)).bind(user_id).fetch_optional(p).await)?
            .ok_or_else(|| StoreError::NotFound("用户".into()))?;
        let home = self.county(&DivisionCode::parse(&row.division).map_err(StoreError::corrupt)?);
        // Wrong current passwords count like failed sign-ins: a stolen session does
        // not make a faster way to guess the password.
        if let Some(until) = row.locked_until.filter(|u| *u > now) {
            return Err(StoreError::invalid(format!(
                "当前密码输错次数过多，请在 {} 之后再试",
                liancha_domain::calendar::format_china_time(until)
            )));
        }
        if !verify_password_async(current, &row.password_hash).await? {
            let failed = row.failed_logins.saturating_add(1);
            let wait = account_wait(failed as u32).map(|w| now + w);
            let actor = Actor {
                user_id: Some(row.id),
                username: row.username.clone(),
            };
            with_pool!(self, p => {
                let mut tx = p.begin_write().await?;
                sqlx::query("UPDATE users SET failed_logins = $1, locked_until = $2 WHERE id = $3")
                    .bind(failed).bind(wait.or(row.locked_until)).bind(row.id)
                    .execute(&mut *tx).await?;
                append_audit!(home, &mut *tx, &actor, now, Audit::new("user.password-failed", "user", &row.username))?;
                tx.commit().await?;
            });
            return Err(StoreError::invalid("当前密码不正确"));
        }
        if current == new {
            return Err(StoreError::invalid("新密码不能与当前密码相同"));
        }
        check_password(&row.username, new).map_err(|e| StoreError::invalid(e.to_string()))?;
        let hash = hash_password_async(new).await?;
        let actor = Actor {
            user_id: Some(row.id),
            username: row.username.clone(),
        };
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            sqlx::query("UPDATE users SET password_hash = $1, must_change_password = FALSE, failed_logins = 0, locked_until = NULL WHERE id = $2")
                .bind(&hash).bind(user_id).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                .bind(user_id).bind(token_hash(keep_session)).execute(&mut *tx).await?;
            append_audit!(home, &mut *tx, &actor, now, Audit::new("user.password", "user", &row.username))?;
            tx.commit().await?;
        });
        Ok(())
    }
}

impl County<'_> {
    /// Appends one entry on its own (for actions that change nothing else).
    pub async fn audit(&self, actor: &Actor, now: DateTime<Utc>, a: Audit<'_>) -> Result<()> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            append_audit!(self, &mut *tx, actor, now, a)?;
            tx.commit().await?;
        });
        Ok(())
    }
}

/// A valid argon2id hash of a random password, for constant-time refusals.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$4O2J8VDoZ2bTNGzVQLMHYTUeTkPbaEs3rTLBtROyy4Q";

impl County<'_> {
    /// Replaces one year's holidays and exchanged working days (lines of
    /// `DATE off|work NAME`), as the State Council's notice for that year says.
    pub async fn replace_calendar_year(
        &self,
        year: i32,
        text: &str,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        use chrono::Datelike;
        let cal = liancha_domain::calendar::WorkCalendar::parse(text)
            .map_err(|e| StoreError::invalid(e.to_string()))?;
        let days: Vec<_> = cal.days().map(|(d, k, n)| (d, k, n.to_string())).collect();
        if let Some((d, _, _)) = days.iter().find(|(d, _, _)| d.year() != year) {
            return Err(StoreError::invalid(format!("{d} 不属于 {year} 年")));
        }
        if days.is_empty() {
            return Err(StoreError::invalid("没有任何日期"));
        }
        let first = chrono::NaiveDate::from_ymd_opt(year, 1, 1)
            .ok_or_else(|| StoreError::invalid("年度不正确"))?;
        let last = chrono::NaiveDate::from_ymd_opt(year, 12, 31)
            .ok_or_else(|| StoreError::invalid("年度不正确"))?;
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            self.query("DELETE FROM calendar_days WHERE county = $C AND day BETWEEN $1 AND $2").bind(first).bind(last).execute(&mut *tx).await?;
            for (d, k, n) in &days {
                let kind = match k { liancha_domain::calendar::DayKind::Off => "off", liancha_domain::calendar::DayKind::Work => "work" };
                self.query("INSERT INTO calendar_days (county, day, kind, name) VALUES ($C, $1, $2, $3)")
                    .bind(d).bind(kind).bind(n).execute(&mut *tx).await?;
            }
            append_audit!(self, &mut *tx, actor, now, Audit::new("calendar.replace", "calendar", year).after(serde_json::json!({"days": days.len()})))?;
            tx.commit().await?;
        });
        Ok(days.len())
    }
}
