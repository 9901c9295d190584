//! What the benchmark seeds share (`public_seed`, `province_seed`): a small
//! deterministic generator, the joint tasks they publish, a task written as
//! publication leaves it, the projection and index upkeep, and the lookup files the
//! load generator reads.

use std::io::Write;
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use liancha_store::{Store, with_pool};

pub type Error = Box<dyn std::error::Error>;

pub struct Lcg(pub u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// (lead department, second department, an item of each, title)
pub const JOINT: &[(&str, &str, &str, &str, &str)] = &[
    (
        "amr",
        "agri",
        "SC-001",
        "NY-001",
        "农资经营主体跨部门联合抽查",
    ),
    (
        "amr",
        "health",
        "SC-002",
        "WS-001",
        "餐饮及公共场所跨部门联合抽查",
    ),
    (
        "amr",
        "emergency",
        "SC-003",
        "YJ-001",
        "危险化学品经营单位联合抽查",
    ),
    ("amr", "culture", "SC-004", "WL-001", "文化娱乐场所联合抽查"),
];

/// Unique, in the notice's alphabet (no 0/O, 1/I/L).
pub fn check_code(mut n: u64) -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut s = Vec::with_capacity(8);
    for _ in 0..8 {
        s.push(ALPHABET[(n % 31) as usize]);
        n /= 31;
    }
    String::from_utf8(s).unwrap()
}

/// A joint task as publication leaves it.
pub struct PublishedTask<'a> {
    pub county: &'a str,
    pub year: i32,
    pub title: &'a str,
    /// Which of [`JOINT`]: lead and second department, an item of each.
    pub joint: (&'a str, &'a str, &'a str, &'a str),
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub published: DateTime<Utc>,
    pub by: i64,
    pub team_count: i32,
    /// Visits are dealt to teams 1..=teams in turn.
    pub teams: usize,
    /// Visits are spread over this many days from the start.
    pub days: usize,
    pub scope: &'a str,
    /// (entity, check code, a problem found)
    pub visits: &'a [(&'a str, String, bool)],
}

/// Writes the task, its items, visits, both items' results and both departments'
/// approvals in one transaction, `chunk` visits per statement.
pub async fn insert_published_task(
    store: &Store,
    t: &PublishedTask<'_>,
    chunk: usize,
) -> Result<(), Error> {
    let (lead, other, item_a, item_b) = t.joint;
    with_pool!(store, p => {
        let mut tx = p.begin().await?;
        let task_id: i64 = sqlx::query_scalar(
            "INSERT INTO tasks (county, year, title, domain, mode, lead_department, state, scope, team_count, team_size, \
             avoid_same_township, inspection_start, inspection_end, created_by, created_at, committed_at, drawn_at, published_at) \
             VALUES ($1, $2, $3, 'market', 'comprehensive', $4, 'published', $5, $6, 2, TRUE, $7, $8, $9, $10, $10, $10, $11) RETURNING id")
            .bind(t.county).bind(t.year).bind(t.title).bind(lead).bind(t.scope).bind(t.team_count)
            .bind(t.start).bind(t.end).bind(t.by).bind(t.created_at).bind(t.published)
            .fetch_one(&mut *tx).await?;
        for (position, item) in [item_a, item_b].into_iter().enumerate() {
            sqlx::query("INSERT INTO task_items (county, task_id, item_code, position) VALUES ($1, $2, $3, $4)")
                .bind(t.county).bind(task_id).bind(item).bind(position as i32).execute(&mut *tx).await?;
        }
        for (c, rows) in t.visits.chunks(chunk).enumerate() {
            let mut sql = String::from("INSERT INTO visits (county, task_id, entity_id, draw_order, team_no, state, check_code, inspected_on) VALUES ");
            for r in 0..rows.len() {
                if r > 0 { sql.push(','); }
                let b = r * 5;
                sql.push_str(&format!("($1, $2, ${}, ${}, ${}, 'published', ${}, ${})", b + 3, b + 4, b + 5, b + 6, b + 7));
            }
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(t.county).bind(task_id);
            for (k, (entity, code, _)) in rows.iter().enumerate() {
                q = q.bind(*entity).bind((c * chunk + k) as i32).bind((k % t.teams + 1) as i32)
                    .bind(code).bind(t.start + Duration::days((k % t.days) as i64));
            }
            q.execute(&mut *tx).await?;
            let mut sql = String::from("INSERT INTO results (county, task_id, entity_id, item_code, categories, methods) VALUES ");
            for r in 0..rows.len() * 2 {
                if r > 0 { sql.push(','); }
                let b = r * 3;
                sql.push_str(&format!("($1, $2, ${}, ${}, ${}, 'on-site')", b + 3, b + 4, b + 5));
            }
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(t.county).bind(task_id);
            for (entity, _, problem) in rows {
                q = q.bind(*entity).bind(item_a).bind(if *problem { "corrected" } else { "none" });
                q = q.bind(*entity).bind(item_b).bind("none");
            }
            q.execute(&mut *tx).await?;
        }
        for dept in [lead, other] {
            sqlx::query("INSERT INTO reviews (county, task_id, department, approved_by, approved_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(t.county).bind(task_id).bind(dept).bind(t.by).bind(t.published).execute(&mut *tx).await?;
        }
        tx.commit().await?;
    });
    Ok(())
}

/// Builds the public projection of every published task through the code that
/// publication uses, then tidies the search index as a quiet night would.
pub async fn project_and_tidy(store: &Store, started: Instant) -> Result<(), Error> {
    let t = Instant::now();
    let projected = store.project_missing_published().await?;
    eprintln!("projection: {projected} rows in {:.1?}", t.elapsed());
    let t = Instant::now();
    with_pool!(store, p => {
        match store.engine() {
            liancha_store::Engine::Sqlite => {
                // Merge the index's segments, as a quiet night's automerge would. No
                // ANALYZE: liancha never runs it, and with STAT4 statistics SQLite
                // prepares a statement again whenever a bound value could change its plan.
                sqlx::query("INSERT INTO public_results_fts (public_results_fts) VALUES ('optimize')").execute(p).await?;
            }
            liancha_store::Engine::Postgres => {
                sqlx::query("VACUUM ANALYZE").execute(p).await?;
            }
        }
    });
    eprintln!(
        "optimize/analyze in {:.1?}; total {:.1?}",
        t.elapsed(),
        started.elapsed()
    );
    Ok(())
}

/// `uscc.txt` (a search by each code) and `names.txt` (by each name query, percent
/// encoded) in `out`.
pub fn write_lookup_files(
    out: &std::path::Path,
    ids: &[String],
    names: &[String],
) -> Result<(), Error> {
    let mut f = std::fs::File::create(out.join("uscc.txt"))?;
    for id in ids {
        writeln!(f, "/public/results?q={id}")?;
    }
    let mut f = std::fs::File::create(out.join("names.txt"))?;
    for q in names {
        let enc: String = q.bytes().map(|b| format!("%{b:02X}")).collect();
        writeln!(f, "/public/results?q={enc}")?;
    }
    eprintln!("lookups written to {} ({} codes)", out.display(), ids.len());
    Ok(())
}
