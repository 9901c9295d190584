//! The county scope: the one way to county-owned rows.
//!
//! Every table that belongs to a county has `county` as the first column of its key,
//! and every foreign key between such tables carries it (migration 0009), so a row can
//! never point into another county. What remains is that every statement reading or
//! writing such rows names the county, and names the right one. That is bound here,
//! once: [`Store::county`] gives a [`County`] handle, the methods that touch
//! county-owned rows live on it and nowhere else, and they build their statements only
//! through [`County::query`], [`County::query_as`] and [`County::query_scalar`], which
//! bind the handle's code as `$1`. A statement is written with `$C` for the county and
//! its own parameters numbered from `$1`, as if the county were not there; it is
//! renumbered here (`$C` → `$1`, `$n` → `$n+1`). A statement that does not mention
//! `$C` is refused before it reaches the database, so forgetting the county is a
//! failed test, not a leak. Code without a handle cannot name a task, a visit or an
//! entity at all: the application layer makes handles from a request's context
//! (`liancha_app::Context`), for the county the principal works in or may read.

use liancha_domain::org::DivisionCode;
use sqlx::{AssertSqlSafe, Database, Encode, Type};

use crate::{Pool, Store};

/// The rows of one county (or of one prefecture or province office, whose own
/// departments and audit trail are keyed the same way). Cheap to make and to copy.
#[derive(Debug, Clone)]
pub struct County<'s> {
    pub(crate) store: &'s Store,
    code: DivisionCode,
}

impl Store {
    /// The handle of `code`'s rows. Whether the caller may use it is the application
    /// layer's decision (see the module's documentation).
    pub fn county(&self, code: &DivisionCode) -> County<'_> {
        County {
            store: self,
            code: code.clone(),
        }
    }
}

/// `sql` with `$C` as `$1` and every other `$n` as `$n+1`.
///
/// Only `$` followed by `C` or digits is rewritten; statements never hold `$` in a
/// literal (values are bound). A statement without `$C` is not a county statement:
/// it is returned as `None` and refused by the caller.
pub fn renumber(sql: &str) -> Option<String> {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut scoped = false;
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('C')
            && !tail.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        {
            out.push_str("$1");
            scoped = true;
            rest = tail;
            continue;
        }
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            out.push('$');
            rest = after;
            continue;
        }
        let n: u32 = after[..digits].parse().ok()?;
        out.push('$');
        out.push_str(&(n + 1).to_string());
        rest = &after[digits..];
    }
    out.push_str(rest);
    scoped.then_some(out)
}

/// A statement that does not name its county never runs: it is replaced by one that
/// fails, so the mistake shows as an error in the first test that reaches it.
fn scoped(sql: &str) -> String {
    renumber(sql).unwrap_or_else(|| {
        debug_assert!(false, "county statement without $C: {sql}");
        tracing::error!(sql, "county statement without $C refused");
        "SELECT county_scope_missing_from_statement".into()
    })
}

/// A statement of `county`'s rows, for the engine-specific writers a [`County`] makes
/// (they outlive the borrow of the handle); everything else goes through the handle.
pub(crate) fn query_in<'q, DB>(
    county: &DivisionCode,
    sql: &str,
) -> sqlx::query::Query<'q, DB, <DB as Database>::Arguments>
where
    DB: Database,
    String: Encode<'q, DB> + Type<DB>,
{
    sqlx::query(AssertSqlSafe(scoped(sql))).bind(county.as_str().to_string())
}

/// [`query_in`] mapping rows to `O`.
pub(crate) fn query_as_in<'q, DB, O>(
    county: &DivisionCode,
    sql: &str,
) -> sqlx::query::QueryAs<'q, DB, O, <DB as Database>::Arguments>
where
    DB: Database,
    O: for<'r> sqlx::FromRow<'r, DB::Row>,
    String: Encode<'q, DB> + Type<DB>,
{
    sqlx::query_as(AssertSqlSafe(scoped(sql))).bind(county.as_str().to_string())
}

/// [`query_in`] taking the first column of each row.
pub(crate) fn query_scalar_in<'q, DB, O>(
    county: &DivisionCode,
    sql: &str,
) -> sqlx::query::QueryScalar<'q, DB, O, <DB as Database>::Arguments>
where
    DB: Database,
    (O,): for<'r> sqlx::FromRow<'r, DB::Row>,
    String: Encode<'q, DB> + Type<DB>,
{
    sqlx::query_scalar(AssertSqlSafe(scoped(sql))).bind(county.as_str().to_string())
}

impl<'s> County<'s> {
    pub fn code(&self) -> &DivisionCode {
        &self.code
    }

    pub fn store(&self) -> &'s Store {
        self.store
    }

    /// For [`crate::with_pool!`]: the handle runs on its store's pool.
    pub fn pool(&self) -> &'s Pool {
        self.store.pool()
    }

    pub fn engine(&self) -> crate::Engine {
        self.store.engine()
    }

    /// A statement of this county: `$C` is the county, `$1` … the statement's own.
    pub(crate) fn query<'q, DB>(
        &self,
        sql: &str,
    ) -> sqlx::query::Query<'q, DB, <DB as Database>::Arguments>
    where
        DB: Database,
        String: Encode<'q, DB> + Type<DB>,
    {
        query_in(&self.code, sql)
    }

    /// [`County::query`] mapping rows to `O`.
    pub(crate) fn query_as<'q, DB, O>(
        &self,
        sql: &str,
    ) -> sqlx::query::QueryAs<'q, DB, O, <DB as Database>::Arguments>
    where
        DB: Database,
        O: for<'r> sqlx::FromRow<'r, DB::Row>,
        String: Encode<'q, DB> + Type<DB>,
    {
        query_as_in(&self.code, sql)
    }

    /// [`County::query`] taking the first column of each row.
    pub(crate) fn query_scalar<'q, DB, O>(
        &self,
        sql: &str,
    ) -> sqlx::query::QueryScalar<'q, DB, O, <DB as Database>::Arguments>
    where
        DB: Database,
        (O,): for<'r> sqlx::FromRow<'r, DB::Row>,
        String: Encode<'q, DB> + Type<DB>,
    {
        query_scalar_in(&self.code, sql)
    }
}

#[cfg(test)]
mod tests {
    use super::renumber;

    #[test]
    fn the_county_is_first_and_the_rest_follow() {
        assert_eq!(
            renumber("SELECT x FROM t WHERE county = $C AND id = $1 AND v = $2").as_deref(),
            Some("SELECT x FROM t WHERE county = $1 AND id = $2 AND v = $3")
        );
        assert_eq!(
            renumber("INSERT INTO t (county, a) VALUES ($C, $1) ON CONFLICT DO NOTHING").as_deref(),
            Some("INSERT INTO t (county, a) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        );
        assert_eq!(
            renumber("a = $C AND b = $9 AND c = $10 AND d = $C").as_deref(),
            Some("a = $1 AND b = $10 AND c = $11 AND d = $1")
        );
    }

    #[test]
    fn a_statement_without_its_county_is_refused() {
        assert_eq!(renumber("SELECT * FROM tasks WHERE id = $1"), None);
        assert_eq!(renumber("SELECT $Cx FROM t"), None);
    }
}
