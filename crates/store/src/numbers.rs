//! Official numbers (发文字号) and the national task code: each department's
//! 机关代字 and agency code, and the counters numbers are taken from, inside the
//! transaction that publishes or seals what they number (see
//! `liancha_domain::numbering`).

use chrono::{DateTime, Utc};
use liancha_domain::numbering::{IssuerWord, NumberKind, agency_code_ok};

use crate::BeginWrite;
use crate::accounts::{Actor, Audit};
use crate::{County, Result, StoreError, append_audit, with_pool};

/// What a department puts on its documents: a 机关代字 per kind (empty: not set,
/// its records are not numbered) and its agency code for the national task code.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct DepartmentIssuer {
    pub department: String,
    pub plan_word: String,
    pub task_word: String,
    pub notice_word: String,
    pub agency_code: String,
}

impl DepartmentIssuer {
    pub fn word(&self, kind: NumberKind) -> &str {
        match kind {
            NumberKind::Plan => &self.plan_word,
            NumberKind::Task => &self.task_word,
            NumberKind::Notice => &self.notice_word,
        }
    }

    /// Refuses a word or code that is not one; names the form's field.
    fn check(&self) -> Result<()> {
        for (kind, field) in [
            (NumberKind::Plan, "plan_word"),
            (NumberKind::Task, "task_word"),
            (NumberKind::Notice, "notice_word"),
        ] {
            let word = self.word(kind);
            if !word.is_empty() {
                IssuerWord::parse(word).map_err(|m| {
                    StoreError::invalid_field(field, format!("{}：{m}", kind.label()))
                })?;
            }
        }
        if !self.agency_code.is_empty() && !agency_code_ok(&self.agency_code) {
            return Err(StoreError::invalid_field(
                "agency_code",
                "机构代码应为 18 位统一社会信用代码或 9 位组织机构代码（数字和大写字母）",
            ));
        }
        Ok(())
    }
}

/// The column of `kind`'s word.
pub(crate) fn word_column(kind: NumberKind) -> &'static str {
    match kind {
        NumberKind::Plan => "plan_word",
        NumberKind::Task => "task_word",
        NumberKind::Notice => "notice_word",
    }
}

/// Takes the next number of `$issuer`'s `$kind` (a `NumberKind`) for `$year` (the
/// year it is issued), in the caller's transaction (`$tx`: `&mut *tx`), if the
/// department set its 机关代字: `Option<String>` (`?` on database errors). The
/// sequence is the word's (GB/T 9704: a number is unique for its 代字 and year):
/// kinds that share a word share it, and a new word starts its own. The counter's
/// row stays locked until the transaction ends, and a rollback gives the number
/// back: gapless.
macro_rules! number_for {
    ($county:expr, $tx:expr, $issuer:expr, $kind:expr, $year:expr) => {{
        let year: i32 = $year;
        $crate::numbers::numbers_for!($county, $tx, $issuer, $kind, year, 1)
            .map(|(word, first)| word.number(year, first as u32))
    }};
}
pub(crate) use number_for;

/// Takes `$count` (≥ 1) numbers in a row, as [`number_for`] takes one:
/// `Option<(IssuerWord, i64)>`, the word and the first of them.
macro_rules! numbers_for {
    ($county:expr, $tx:expr, $issuer:expr, $kind:expr, $year:expr, $count:expr) => {{
        let kind: liancha_domain::numbering::NumberKind = $kind;
        let word: Option<String> = $county
            .query_scalar(&format!(
                "SELECT {} FROM department_issuers WHERE county = $C AND department = $1",
                $crate::numbers::word_column(kind)
            ))
            .bind($issuer)
            .fetch_optional($tx)
            .await?;
        match word
            .filter(|w| !w.is_empty())
            .and_then(|w| liancha_domain::numbering::IssuerWord::parse(&w).ok())
        {
            None => None,
            Some(word) => {
                let year: i32 = $year;
                let count: i64 = $count;
                let last = $crate::numbers::take_next!(
                    $county,
                    $tx,
                    word.as_str(),
                    "word",
                    year.to_string(),
                    count
                );
                Some((word, last - count + 1))
            }
        }
    }};
}
pub(crate) use numbers_for;

/// Moves a counter on by `$count` (created at it) and gives its new value (`i64`).
macro_rules! take_next {
    ($county:expr, $tx:expr, $issuer:expr, $kind:expr, $period:expr, $count:expr) => {{
        let n: i64 = $county
            .query_scalar(
                "INSERT INTO number_counters (county, issuer, kind, period, last) VALUES ($C, $1, $2, $3, $4) \
                 ON CONFLICT (county, issuer, kind, period) DO UPDATE SET last = number_counters.last + excluded.last \
                 RETURNING last",
            )
            .bind($issuer)
            .bind($kind)
            .bind($period)
            .bind($count)
            .fetch_one($tx)
            .await?;
        n
    }};
}
pub(crate) use take_next;

/// The national task code for a task of `$department` sealed on `$day`, if the
/// department set its agency code: `Option<String>`.
macro_rules! national_code_for {
    ($county:expr, $tx:expr, $department:expr, $day:expr) => {{
        let agency: Option<String> = $county
            .query_scalar(
                "SELECT agency_code FROM department_issuers WHERE county = $C AND department = $1",
            )
            .bind($department)
            .fetch_optional($tx)
            .await?;
        match agency.filter(|a| liancha_domain::numbering::agency_code_ok(a)) {
            None => None,
            Some(agency) => {
                let day: chrono::NaiveDate = $day;
                let n = $crate::numbers::take_next!(
                    $county,
                    $tx,
                    &agency,
                    "national",
                    day.format("%Y%m%d").to_string(),
                    1i64
                );
                Some(liancha_domain::numbering::national_task_code(
                    &agency, day, n as u32,
                ))
            }
        }
    }};
}
pub(crate) use national_code_for;

impl County<'_> {
    /// Every department's numbering, in department order; a department that set
    /// nothing has an empty one.
    pub async fn issuers(&self) -> Result<Vec<DepartmentIssuer>> {
        let set: Vec<DepartmentIssuer> = with_pool!(self, p => self.query_as(
            "SELECT department, plan_word, task_word, notice_word, agency_code FROM department_issuers \
             WHERE county = $C ORDER BY department")
            .fetch_all(p).await)?;
        Ok(self
            .departments()
            .await?
            .into_iter()
            .map(|d| {
                set.iter()
                    .find(|i| i.department == d.code)
                    .cloned()
                    .unwrap_or(DepartmentIssuer {
                        department: d.code,
                        ..Default::default()
                    })
            })
            .collect())
    }

    /// The last number each 机关代字 gave in `year`, by word: the next is one more.
    pub async fn last_numbers(&self, year: i32) -> Result<std::collections::BTreeMap<String, i64>> {
        let rows: Vec<(String, i64)> = with_pool!(self, p => self.query_as(
            "SELECT issuer, last FROM number_counters WHERE county = $C AND kind = 'word' AND period = $1")
            .bind(year.to_string()).fetch_all(p).await)?;
        Ok(rows.into_iter().collect())
    }

    /// Sets a department's numbering, with its audit entry. Numbers already given
    /// stay as they are; the next ones use the new words.
    pub async fn set_issuer(
        &self,
        issuer: &DepartmentIssuer,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let issuer = DepartmentIssuer {
            department: issuer.department.clone(),
            plan_word: issuer.plan_word.trim().to_string(),
            task_word: issuer.task_word.trim().to_string(),
            notice_word: issuer.notice_word.trim().to_string(),
            agency_code: issuer.agency_code.trim().to_ascii_uppercase(),
        };
        issuer.check()?;
        let value = |i: &DepartmentIssuer| {
            serde_json::json!({"plan_word": i.plan_word, "task_word": i.task_word,
                "notice_word": i.notice_word, "agency_code": i.agency_code})
        };
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let known: i64 = self.query_scalar("SELECT COUNT(*) FROM departments WHERE county = $C AND code = $1")
                .bind(&issuer.department).fetch_one(&mut *tx).await?;
            if known == 0 {
                return Err(StoreError::NotFound(format!("部门 {}", issuer.department)));
            }
            let before: Option<DepartmentIssuer> = self.query_as(
                "SELECT department, plan_word, task_word, notice_word, agency_code FROM department_issuers \
                 WHERE county = $C AND department = $1")
                .bind(&issuer.department).fetch_optional(&mut *tx).await?;
            if before.as_ref() == Some(&issuer) {
                return Ok(());
            }
            // A word is one department's: two sharing it would share its sequence.
            let others: Vec<DepartmentIssuer> = self.query_as(
                "SELECT department, plan_word, task_word, notice_word, agency_code FROM department_issuers \
                 WHERE county = $C AND department <> $1")
                .bind(&issuer.department).fetch_all(&mut *tx).await?;
            for (kind, field) in [
                (NumberKind::Plan, "plan_word"),
                (NumberKind::Task, "task_word"),
                (NumberKind::Notice, "notice_word"),
            ] {
                let word = issuer.word(kind);
                if let Some(other) = others.iter().find(|o| {
                    !word.is_empty() && NumberKind::ALL.iter().any(|k| o.word(*k) == word)
                }) {
                    let name: String = self.query_scalar("SELECT name FROM departments WHERE county = $C AND code = $1")
                        .bind(&other.department).fetch_one(&mut *tx).await?;
                    return Err(StoreError::invalid_field(field, format!(
                        "机关代字「{word}」已由{name}使用；各部门用各自的代字，文号才不会重复")));
                }
            }
            self.query(
                "INSERT INTO department_issuers (county, department, plan_word, task_word, notice_word, agency_code) \
                 VALUES ($C, $1, $2, $3, $4, $5) ON CONFLICT (county, department) DO UPDATE SET \
                 plan_word = excluded.plan_word, task_word = excluded.task_word, \
                 notice_word = excluded.notice_word, agency_code = excluded.agency_code")
                .bind(&issuer.department).bind(&issuer.plan_word).bind(&issuer.task_word)
                .bind(&issuer.notice_word).bind(&issuer.agency_code)
                .execute(&mut *tx).await?;
            append_audit!(self, &mut *tx, actor, now, Audit::new("department.numbering", "department", &issuer.department)
                .before(before.as_ref().map(value)).after(value(&issuer)))?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
    }
}
