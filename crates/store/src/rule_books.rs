//! 实施细则 in versions. A change is a new version with the day it takes effect,
//! never an overwrite: a rule book adopted in December applies from January, and a
//! task keeps the version its plan was sealed under. The version in force on a day
//! is the one with the latest effective date on or before it (of two with the same
//! date, the later saved); versions from before versions were kept have no date
//! and are in force until a dated one takes over.

use chrono::{DateTime, NaiveDate, Utc};
use liancha_domain::setup_rows::RuleBookRow;
use liancha_domain::{Domain, RuleBook};

use crate::accounts::{Actor, Audit};
use crate::{BeginWrite, County, Result, StoreError, append_audit, with_pool};

/// What importing a rule-book file does (see [`County::rule_book_changes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleBookChanges {
    /// Domains that had no rule book.
    pub new: u64,
    /// (book, the latest version it follows, from when), one per changed domain.
    pub versions: Vec<(RuleBook, i64, Option<NaiveDate>)>,
}

/// One version of a domain's rule book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleBookVersion {
    pub book: RuleBook,
    /// From 1; 0 for the notice's defaults of a domain that has none.
    pub version: i64,
    /// The first day it applies; `None` for a version from before versions were kept.
    pub effective_from: Option<NaiveDate>,
    pub saved_at: Option<DateTime<Utc>>,
}

impl RuleBookVersion {
    /// Whether another of `versions` is for the same day and saved later: this one
    /// then never applies.
    pub fn is_overtaken(&self, versions: &[RuleBookVersion]) -> bool {
        versions
            .iter()
            .any(|o| o.version > self.version && o.effective_from == self.effective_from)
    }

    /// The version as pages name it: 第 3 版（2027-01-01 起施行）.
    pub fn label(&self) -> String {
        match self.effective_from {
            Some(d) => format!("第 {} 版（{d} 起施行）", self.version),
            None if self.version == 0 => "通知规定的默认值（尚未设置实施细则）".into(),
            None if self.saved_at.is_some() => format!("第 {} 版（首次设置）", self.version),
            None => format!("第 {} 版（启用版本记录前设置）", self.version),
        }
    }
}

type Row = (
    String,
    i64,
    Option<NaiveDate>,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    bool,
    Option<DateTime<Utc>>,
);

const COLUMNS: &str = "domain, version, effective_from, ratio_a_bp, ratio_b_bp, ratio_c_bp, ratio_d_bp, \
     annual_cap, publication_deadline_days, min_team_size, recuse_same_township, saved_at";

/// Newest first: the one in force is the first on or before the day.
const NEWEST_FIRST: &str = " ORDER BY effective_from IS NULL, effective_from DESC, version DESC";

fn version_of(r: Row) -> Result<RuleBookVersion> {
    let (domain, version, effective_from, a, b, c, d, cap, days, size, recuse, saved_at) = r;
    let u =
        |v: i64| u32::try_from(v).map_err(|_| StoreError::corrupt(format!("rule book value {v}")));
    Ok(RuleBookVersion {
        book: RuleBook {
            domain: Domain::from_code(&domain)
                .ok_or_else(|| StoreError::corrupt(format!("rule book domain {domain}")))?,
            ratio_bp: [u(a)?, u(b)?, u(c)?, u(d)?],
            annual_cap: u(cap)?,
            publication_deadline_days: u(days)?,
            min_team_size: u(size)?,
            recuse_same_township: recuse,
        },
        version,
        effective_from,
        saved_at,
    })
}

fn audit_value(r: &RuleBook) -> serde_json::Value {
    serde_json::json!({
        "ratio_bp": r.ratio_bp, "annual_cap": r.annual_cap,
        "publication_deadline_days": r.publication_deadline_days,
        "min_team_size": r.min_team_size, "recuse_same_township": r.recuse_same_township,
    })
}

/// Two saves of the same domain at once: the second finds its version taken.
fn taken(e: StoreError) -> StoreError {
    match e {
        StoreError::Db(sqlx::Error::Database(d))
            if d.code().as_deref() == Some("23505") || d.message().contains("UNIQUE") =>
        {
            StoreError::Conflict(
                "实施细则刚被他人修改，未保存：本页已显示最新的版本，核对后再保存即可".into(),
            )
        }
        e => e,
    }
}

/// Adds a version in the open transaction `$tx`: the next number, or a conflict
/// when the latest is no longer `$expected` (someone saved meanwhile). Evaluates to
/// the new version's number.
macro_rules! insert_version {
    ($c:expr, $tx:ident, $r:expr, $expected:expr, $effective:expr, $now:expr) => {{
        let r: &RuleBook = $r;
        let expected: i64 = $expected;
        let effective: Option<NaiveDate> = $effective;
        async {
            let latest: i64 = $c
                .query_scalar(
                    "SELECT COALESCE(MAX(version), 0) FROM rule_books WHERE county = $C AND domain = $1",
                )
                .bind(r.domain.code())
                .fetch_one(&mut *$tx)
                .await?;
            if latest != expected {
                return Err(StoreError::Conflict(
                    "实施细则在您打开本页之后已被他人修改，未保存：本页已显示最新的版本，您填写的数值仍在表单中，核对后再保存即可".into(),
                ));
            }
            $c.query(
                "INSERT INTO rule_books (county, domain, version, effective_from, ratio_a_bp, ratio_b_bp, \
                 ratio_c_bp, ratio_d_bp, annual_cap, publication_deadline_days, min_team_size, \
                 recuse_same_township, saved_at) VALUES ($C, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            )
            .bind(r.domain.code())
            .bind(latest + 1)
            .bind(effective)
            .bind(i64::from(r.ratio_bp[0]))
            .bind(i64::from(r.ratio_bp[1]))
            .bind(i64::from(r.ratio_bp[2]))
            .bind(i64::from(r.ratio_bp[3]))
            .bind(i64::from(r.annual_cap))
            .bind(i64::from(r.publication_deadline_days))
            .bind(i64::from(r.min_team_size))
            .bind(r.recuse_same_township)
            .bind($now)
            .execute(&mut *$tx)
            .await?;
            Ok::<i64, StoreError>(latest + 1)
        }
        .await
    }};
}

impl County<'_> {
    /// Every version of a domain's rule book, newest first (by effective date).
    pub async fn rule_book_versions(&self, domain: Domain) -> Result<Vec<RuleBookVersion>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM rule_books WHERE county = $C AND domain = $1{NEWEST_FIRST}"
        );
        let rows: Vec<Row> =
            with_pool!(self, p => self.query_as(&sql).bind(domain.code()).fetch_all(p).await)?;
        rows.into_iter().map(version_of).collect()
    }

    /// The version in force on `day`, or the notice's defaults (version 0) when the
    /// domain has none yet.
    pub async fn rule_book_on(&self, domain: Domain, day: NaiveDate) -> Result<RuleBookVersion> {
        let sql = format!(
            "SELECT {COLUMNS} FROM rule_books WHERE county = $C AND domain = $1 \
             AND (effective_from IS NULL OR effective_from <= $2){NEWEST_FIRST} LIMIT 1"
        );
        let row: Option<Row> = with_pool!(self, p => self.query_as(&sql).bind(domain.code()).bind(day).fetch_optional(p).await)?;
        match row {
            Some(r) => version_of(r),
            None => Ok(RuleBookVersion {
                book: RuleBook::default_for(domain),
                version: 0,
                effective_from: None,
                saved_at: None,
            }),
        }
    }

    /// One version, as a task sealed under it keeps it.
    pub async fn rule_book_version(
        &self,
        domain: Domain,
        version: i64,
    ) -> Result<Option<RuleBookVersion>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM rule_books WHERE county = $C AND domain = $1 AND version = $2"
        );
        let row: Option<Row> = with_pool!(self, p => self.query_as(&sql).bind(domain.code()).bind(version).fetch_optional(p).await)?;
        row.map(version_of).transpose()
    }

    /// The version a task follows: the one its plan was sealed under, or before
    /// sealing (and for tasks sealed before versions were kept) the one in force today.
    pub async fn task_rule_book(&self, task: &crate::tasks::Task) -> Result<RuleBookVersion> {
        match task.rule_book_version {
            Some(0) => {
                return Ok(RuleBookVersion {
                    book: RuleBook::default_for(task.domain),
                    version: 0,
                    effective_from: None,
                    saved_at: None,
                });
            }
            Some(v) => {
                if let Some(kept) = self.rule_book_version(task.domain, v).await? {
                    return Ok(kept);
                }
            }
            None => {}
        }
        self.rule_book_on(task.domain, liancha_domain::calendar::today_in_china())
            .await
    }

    /// The rule book in force today (Beijing time).
    pub async fn rule_book(&self, domain: Domain) -> Result<RuleBook> {
        Ok(self
            .rule_book_on(domain, liancha_domain::calendar::today_in_china())
            .await?
            .book)
    }

    /// Sets a rule book for setup and the demo: the first version, in force from
    /// before any dated one; a later call with other values adds a version in force
    /// from today.
    pub async fn put_rule_book(&self, r: &RuleBook) -> Result<()> {
        r.validate()
            .map_err(|e| StoreError::invalid(e.to_string()))?;
        let current = self.rule_book_versions(r.domain).await?;
        let today = liancha_domain::calendar::today_in_china();
        if !current.is_empty() && self.rule_book_on(r.domain, today).await?.book == *r {
            return Ok(());
        }
        let effective_from = (!current.is_empty()).then(liancha_domain::calendar::today_in_china);
        let expected = current.iter().map(|v| v.version).max().unwrap_or(0);
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            insert_version!(self, tx, r, expected, effective_from, Utc::now())?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
        .map_err(taken)
    }

    /// A new version of a domain's rule book, in force from `effective_from`, with
    /// its audit entry. `expected_version` is the latest version the form showed:
    /// when someone saved another since, nothing is written (a conflict).
    pub async fn save_rule_book(
        &self,
        r: &RuleBook,
        effective_from: NaiveDate,
        expected_version: Option<i64>,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        r.validate()
            .map_err(|e| StoreError::invalid(e.to_string()))?;
        let versions = self.rule_book_versions(r.domain).await?;
        let latest = versions.iter().map(|v| v.version).max().unwrap_or(0);
        let expected = expected_version.unwrap_or(latest);
        let before = self.rule_book_on(r.domain, effective_from).await?;
        if before.book == *r && before.effective_from == Some(effective_from) {
            return Err(StoreError::invalid(
                "没有要保存的修改：该日起施行的实施细则已是这些数值",
            ));
        }
        let mut after = audit_value(r);
        after["effective_from"] = effective_from.to_string().into();
        let audit = Audit::new("rule-book.update", "rule-book", r.domain.code())
            .before(audit_value(&before.book))
            .after(after);
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let version = insert_version!(self, tx, r, expected, Some(effective_from), now)?;
            append_audit!(self, &mut *tx, actor, now, audit)?;
            tx.commit().await?;
            Ok::<_, StoreError>(version)
        })
        .map_err(taken)
    }

    /// What a rule-book file would change: each row whose book differs from the
    /// version in force on its day (today when it gives none) becomes a new version
    /// from that day; a domain with no version yet gets its first (from its day when
    /// given, else from the start). A changed or first row dated in the past or more
    /// than two years ahead is refused, naming the domain: a version in force is
    /// never rewritten.
    ///
    /// The day a book is compared on and the book it is compared with, per row, are
    /// [`County::rule_book_compared`]'s: the preview shows the same.
    pub async fn rule_book_changes(&self, all: &[RuleBookRow]) -> Result<RuleBookChanges> {
        let today = liancha_domain::calendar::today_in_china();
        let mut changes = RuleBookChanges {
            new: 0,
            versions: Vec::new(),
        };
        for r in all {
            r.book
                .validate()
                .map_err(|e| StoreError::invalid(e.to_string()))?;
            let versions = self.rule_book_versions(r.book.domain).await?;
            let latest = versions.iter().map(|v| v.version).max().unwrap_or(0);
            let day = r.effective_from.unwrap_or(today);
            let refused = |m: String| {
                StoreError::invalid_field(
                    "file",
                    format!(
                        "导入失败，未导入任何记录：{}领域的实施细则{m}",
                        r.book.domain.label()
                    ),
                )
            };
            match self.rule_book_compared(r).await? {
                None => {
                    if let Some(d) = r.effective_from
                        && let Some(m) = RuleBook::effective_from_problem(d, today)
                    {
                        return Err(refused(format!("（首个版本）{m}")));
                    }
                    changes.new += 1;
                    changes
                        .versions
                        .push((r.book.clone(), latest, r.effective_from));
                }
                Some(current) if current != r.book => {
                    if let Some(m) = RuleBook::effective_from_problem(day, today) {
                        return Err(refused(format!("与 {day} 施行的版本不同，但{m}")));
                    }
                    changes.versions.push((r.book.clone(), latest, Some(day)));
                }
                Some(_) => {}
            }
        }
        Ok(changes)
    }

    /// The book a file's row is compared with: none when its domain has no version
    /// yet (the row is new), else the book in force on the row's day (today when it
    /// gives none; the notice's defaults when no version is in force that day).
    pub async fn rule_book_compared(&self, r: &RuleBookRow) -> Result<Option<RuleBook>> {
        if self.rule_book_versions(r.book.domain).await?.is_empty() {
            return Ok(None);
        }
        let day = r
            .effective_from
            .unwrap_or_else(liancha_domain::calendar::today_in_china);
        Ok(Some(self.rule_book_on(r.book.domain, day).await?.book))
    }

    /// Sets the rule books of a file, one row a domain, all or none, as
    /// [`County::rule_book_changes`] says. Returns how many domains had none before.
    pub async fn import_rule_books(&self, all: &[RuleBookRow]) -> Result<u64> {
        let RuleBookChanges {
            new,
            versions: changes,
        } = self.rule_book_changes(all).await?;
        let actor = Actor::system("import");
        let now = Utc::now();
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            for (r, expected, effective_from) in &changes {
                insert_version!(self, tx, r, *expected, *effective_from, now)?;
            }
            append_audit!(self, &mut *tx, &actor, now, Audit::new("rule-book.import", "rule-book", self.code())
                .after(serde_json::json!({"rows": all.len(), "updated": changes.len()})))?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
        .map_err(taken)?;
        Ok(new)
    }
}
