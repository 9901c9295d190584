//! The public search over published results (一公开): by USCC and by a substring of
//! the entity's name, over `public_results`, a projection written when a task is
//! published. Both engines index the name's bigrams as tokens (SQLite in FTS5,
//! PostgreSQL in a GIN index over an array), look up a query's rarest bigrams and
//! confirm the whole sequence; see [`liancha_domain::search`].

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use liancha_domain::search::{ResultQuery, name_grams};
use liancha_domain::workflow::ResultCategory;

use crate::BeginWrite;
use crate::{County, Engine, Result, Store, with_pool};

/// One published inspection as the public sees it: who, in which task, when, and
/// the categories found (never the findings text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicResult {
    pub id: i64,
    /// The county that published it (its division code).
    pub county: String,
    pub task_id: i64,
    pub task_title: String,
    pub entity_id: String,
    pub entity_name: String,
    pub township: String,
    pub departments: Vec<String>,
    pub inspected_on: Option<NaiveDate>,
    pub published_at: DateTime<Utc>,
    pub problems: bool,
    pub categories: Vec<ResultCategory>,
}

/// A page of results, newest first, and where the next page starts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResultPage {
    pub rows: Vec<PublicResult>,
    /// Pass as `before` for the next page; `None` on the last page.
    pub next: Option<i64>,
}

type Row = (
    i64,
    String,
    i64,
    String,
    String,
    String,
    String,
    String,
    Option<NaiveDate>,
    DateTime<Utc>,
    bool,
    String,
);

const COLUMNS: &str = "id, county, task_id, task_title, entity_id, entity_name, township, departments, \
                       inspected_on, published_at, problems, categories";

fn split(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').filter(|x| !x.is_empty())
}

fn page(mut rows: Vec<Row>, limit: usize) -> ResultPage {
    let more = rows.len() > limit;
    rows.truncate(limit);
    let rows: Vec<PublicResult> = rows
        .into_iter()
        .map(
            |(
                id,
                county,
                task_id,
                task_title,
                entity_id,
                entity_name,
                township,
                departments,
                inspected_on,
                published_at,
                problems,
                categories,
            )| PublicResult {
                departments: split(&departments).map(str::to_string).collect(),
                categories: split(&categories)
                    .filter_map(ResultCategory::from_code)
                    .collect(),
                id,
                county,
                task_id,
                task_title,
                entity_id,
                entity_name,
                township,
                inspected_on,
                published_at,
                problems,
            },
        )
        .collect();
    ResultPage {
        next: if more {
            rows.last().map(|r| r.id)
        } else {
            None
        },
        rows,
    }
}

/// Bigram counts as last read from `public_result_bigrams`. Emptied now and then so
/// that the counts follow what is published and the cache stays small.
#[derive(Debug)]
pub(crate) struct BigramCache {
    counts: BTreeMap<String, i64>,
    /// About how many rows are published.
    total: Option<i64>,
    since: std::time::Instant,
}

impl Default for BigramCache {
    fn default() -> Self {
        BigramCache {
            counts: BTreeMap::new(),
            total: None,
            since: std::time::Instant::now(),
        }
    }
}

impl BigramCache {
    const LIFETIME: std::time::Duration = std::time::Duration::from_secs(600);
    const MAX_ENTRIES: usize = 200_000;

    fn expire(&mut self) {
        if self.since.elapsed() > Self::LIFETIME || self.counts.len() > Self::MAX_ENTRIES {
            *self = BigramCache::default();
        }
    }

    fn remember(&mut self, read: &[(String, i64)]) {
        for (bigram, rows) in read {
            self.counts.insert(bigram.clone(), *rows);
        }
    }
}

/// Pages of name searches, for one version of the published results: a new
/// version empties it, and so does growing past `MAX_ROWS` rows in all (a crawler
/// asking for every name), which bounds its memory to some 10 MB.
#[derive(Debug, Default)]
pub(crate) struct PageCache {
    version: i64,
    pages: BTreeMap<(String, i64, i64), ResultPage>,
    rows: usize,
}

impl PageCache {
    const MAX_ROWS: usize = 20_000;

    fn get(&mut self, version: i64, key: &(String, i64, i64)) -> Option<ResultPage> {
        if version != self.version {
            return None;
        }
        self.pages.get(key).cloned()
    }

    fn put(&mut self, version: i64, key: (String, i64, i64), found: ResultPage) {
        // A search that read an older version than the cache holds is not kept.
        if version < self.version {
            return;
        }
        // A page costs one row when empty, so that empty answers count too.
        let cost = found.rows.len().max(1);
        if version > self.version || self.rows + cost > Self::MAX_ROWS {
            self.pages.clear();
            self.rows = 0;
            self.version = version;
        }
        self.rows += cost;
        if let Some(old) = self.pages.insert(key, found) {
            self.rows -= old.rows.len().max(1);
        }
    }
}

/// PostgreSQL's choices, with costs counted in rows of a walk down the primary key
/// (about 0.2 µs each on the benchmark machine). A query whose rarest bigram promises
/// a page within this many walked rows walks first, at most `WALK_ROWS` of them.
const WALK_FIRST: i64 = 2_000;
const WALK_ROWS: i64 = 4_000;
/// More matching names than this and a search walks the newest rows.
const MAX_NAMES: usize = 1_000;
/// Looking up one name's newest ids costs about as much as walking 20 rows; each id
/// read there a quarter of one.
const NAME_COST: i64 = 20;
const ID_COST_DIVISOR: i64 = 4;

/// How PostgreSQL reaches the rows of the names that match a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameWay {
    /// Down the primary key from the newest row, keeping the rows whose name matches.
    Walk,
    /// Each matching name's newest rows, merged.
    ByNames,
}

/// Whether the rarest bigram of a query is common enough that the newest rows
/// should fill a page within `WALK_FIRST` rows.
fn walk_first(total: i64, rarest_rows: i64, fetch: i64) -> bool {
    rarest_rows > 0 && fetch.saturating_mul(total) / rarest_rows <= WALK_FIRST
}

/// The cheaper way to a page of `fetch` rows, given the matching names as
/// `(id, rows)`, and `total` published rows. A walk reads about `fetch × total ÷
/// matching rows` rows; the names each cost a lookup and up to `fetch` ids.
fn choose_way(total: i64, fetch: i64, names: &[(i64, i64)]) -> NameWay {
    if names.len() > MAX_NAMES {
        return NameWay::Walk;
    }
    let matching: i64 = names.iter().map(|n| n.1).sum::<i64>().max(1);
    let walk = fetch.saturating_mul(total.max(1)) / matching;
    let by_names: i64 = names
        .iter()
        .map(|n| NAME_COST + n.1.min(fetch) / ID_COST_DIVISOR)
        .sum();
    if walk < by_names {
        NameWay::Walk
    } else {
        NameWay::ByNames
    }
}

/// Most rows one page may ask for.
pub const MAX_PAGE: usize = 100;

impl Store {
    /// Published results matching `query`, newest first, `limit` at a time; `before`
    /// is the `next` of the previous page.
    pub async fn search_published(
        &self,
        query: &ResultQuery,
        before: Option<i64>,
        limit: usize,
    ) -> Result<ResultPage> {
        self.search_published_by(query, before, limit, None).await
    }

    /// [`Store::search_published`] with PostgreSQL's way to a name's rows forced, so
    /// that tests can check every way gives the same pages. SQLite has one way.
    #[doc(hidden)]
    pub async fn search_published_by(
        &self,
        query: &ResultQuery,
        before: Option<i64>,
        limit: usize,
        way: Option<NameWay>,
    ) -> Result<ResultPage> {
        let limit = limit.clamp(1, MAX_PAGE);
        let before = before.unwrap_or(i64::MAX);
        let fetch = (limit + 1) as i64;
        let rows: Vec<Row> = match query {
            ResultQuery::EntityId(id) => {
                let sql = format!(
                    "SELECT {COLUMNS} FROM public_results WHERE entity_id = $1 AND id < $2 \
                     ORDER BY id DESC LIMIT {fetch}"
                );
                with_pool!(self, p => sqlx::query_as(crate::dynamic(&sql))
                    .bind(id).bind(before).fetch_all(p).await)?
            }
            ResultQuery::Name { grams } => {
                // A name's page is worth keeping: many visitors ask for the same few
                // words (「农资」, a township), and finding them is the costly part. Kept
                // for the version of the published results it was read at, so a
                // publication or a correction is seen at once.
                // A test forcing PostgreSQL's way reads, never keeps.
                let kept = match way {
                    None => Some((
                        self.public_results_version().await?,
                        (grams.clone(), before, fetch),
                    )),
                    Some(_) => None,
                };
                let pages = || self.pages.lock().unwrap_or_else(|e| e.into_inner());
                if let Some((version, key)) = &kept
                    && let Some(hit) = pages().get(*version, key)
                {
                    return Ok(hit);
                }
                let rows = match self.engine() {
                    Engine::Sqlite => self.search_name_sqlite(grams, before, fetch).await?,
                    Engine::Postgres => {
                        self.search_name_postgres(grams, before, fetch, way).await?
                    }
                };
                let found = page(rows, limit);
                if let Some((version, key)) = kept {
                    pages().put(version, key, found.clone());
                }
                return Ok(found);
            }
        };
        Ok(page(rows, limit))
    }

    /// Grows with every change to the published results, a correction included (a
    /// trigger keeps it, migration 0031/0032): what caches of public figures and
    /// searches are keyed on.
    pub async fn public_results_version(&self) -> Result<i64> {
        const SQL: &str = "SELECT version FROM public_version WHERE id = 1";
        // Read by every public search: on the public connections where there are
        // some, so that visitors never wait for the staff's.
        if let Some(public) = &self.public {
            return Ok(sqlx::query_scalar(SQL).fetch_one(public).await?);
        }
        Ok(with_pool!(self, p => sqlx::query_scalar(SQL).fetch_one(p).await)?)
    }

    /// SQLite: the FTS5 index finds rows holding the query's two rarest bigrams,
    /// newest first, and `instr(grams, …)` keeps those holding the whole sequence; the
    /// cursor stops after `fetch` rows. Looking up every bigram as one phrase costs
    /// a walk through the county-wide bigrams (牟定, 定县) for every query.
    async fn search_name_sqlite(&self, grams: &str, before: i64, fetch: i64) -> Result<Vec<Row>> {
        let Some(counts) = self.bigram_counts(grams).await? else {
            return Ok(Vec::new());
        };
        let rarest = counts
            .iter()
            .take(2)
            .map(|(t, _)| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(" AND ");
        let columns = COLUMNS
            .split(", ")
            .map(|c| format!("p.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        // CROSS JOIN keeps the index as the outer loop, in its rowid order (the index's
        // rowid is -id: ascending is newest first). instr, not LIKE: a bound LIKE
        // pattern makes SQLite prepare the statement again at every execution.
        let sql = format!(
            "SELECT {columns} FROM public_results_fts f CROSS JOIN public_results p ON p.id = -f.rowid \
             WHERE public_results_fts MATCH $1 AND f.rowid > $2 AND instr(p.grams, $3) > 0 \
             ORDER BY f.rowid LIMIT {fetch}"
        );
        Ok(with_pool!(self, p => sqlx::query_as(crate::dynamic(&sql))
            .bind(rarest).bind(before.saturating_neg()).bind(grams).fetch_all(p).await)?)
    }

    /// PostgreSQL: the names first. `public_names` holds each distinct name once (as
    /// bigrams, in a GIN index over the bigram array) with how many rows carry it, and
    /// every row points at its name. A search finds the names holding the query's
    /// rarest bigrams and the whole sequence, then takes the cheaper of two ways to
    /// the newest rows (see [`choose_way`]): each name's newest rows (an index on
    /// `(name_id, id)`, read backwards), or a walk down the primary key from the
    /// newest row. A query whose rarest bigram is common (「牟定县」, 「有限公司」)
    /// walks first: it fills a page from the newest rows at once.
    async fn search_name_postgres(
        &self,
        grams: &str,
        before: i64,
        fetch: i64,
        forced: Option<NameWay>,
    ) -> Result<Vec<Row>> {
        let Some(counts) = self.bigram_counts(grams).await? else {
            return Ok(Vec::new());
        };
        let pg = match (&self.public, self.pool()) {
            (Some(public), _) => public,
            (None, crate::Pool::Postgres(pg)) => pg,
            (None, crate::Pool::Sqlite(_)) => {
                return Err(crate::StoreError::invalid("not a PostgreSQL store"));
            }
        };
        let total = self.published_total().await?;
        let walk = |bound: Option<i64>| {
            let sql = match bound {
                Some(n) => format!(
                    "SELECT {COLUMNS} FROM (SELECT {COLUMNS}, grams FROM public_results WHERE id < $2 \
                     ORDER BY id DESC LIMIT {n}) w WHERE strpos(grams, $1) > 0 ORDER BY id DESC LIMIT {fetch}"
                ),
                None => format!(
                    "SELECT {COLUMNS} FROM public_results WHERE id < $2 AND strpos(grams, $1) > 0 \
                     ORDER BY id DESC LIMIT {fetch}"
                ),
            };
            async move {
                sqlx::query_as::<_, Row>(crate::dynamic(&sql))
                    .bind(grams)
                    .bind(before)
                    .fetch_all(pg)
                    .await
            }
        };
        let rarest_rows = counts.first().map_or(0, |c| c.1);
        if forced.is_none() && walk_first(total, rarest_rows, fetch) {
            let rows = walk(Some(WALK_ROWS)).await?;
            if rows.len() as i64 >= fetch {
                return Ok(rows);
            }
        }
        if forced == Some(NameWay::Walk) {
            return Ok(walk(None).await?);
        }
        let rarest: Vec<&str> = counts.iter().take(3).map(|c| c.0.as_str()).collect();
        let names: Vec<(i64, i64)> = sqlx::query_as(crate::dynamic(&format!(
            "SELECT id, rows FROM public_names WHERE string_to_array(btrim(grams), ' ') @> $1 \
             AND strpos(grams, $2) > 0 LIMIT {}",
            MAX_NAMES + 1
        )))
        .bind(&rarest)
        .bind(grams)
        .fetch_all(pg)
        .await?;
        if names.is_empty() {
            return Ok(Vec::new());
        }
        if forced.unwrap_or_else(|| choose_way(total, fetch, &names)) == NameWay::Walk {
            return Ok(walk(None).await?);
        }
        let ids: Vec<i64> = names.iter().map(|n| n.0).collect();
        // Each name's newest ids from the index alone, then only the page's rows.
        let sql = format!(
            "SELECT {COLUMNS} FROM public_results WHERE id IN (SELECT x.id FROM \
             unnest($1::BIGINT[]) n (id) CROSS JOIN LATERAL (SELECT q.id FROM public_results q \
             WHERE q.name_id = n.id AND q.id < $2 ORDER BY q.id DESC LIMIT {fetch}) x \
             ORDER BY x.id DESC LIMIT {fetch}) ORDER BY id DESC"
        );
        Ok(sqlx::query_as(crate::dynamic(&sql))
            .bind(ids)
            .bind(before)
            .fetch_all(pg)
            .await?)
    }

    /// About how many rows are published (the newest id; ids are handed out in
    /// order), for choosing how to search. Read once per cache lifetime.
    async fn published_total(&self) -> Result<i64> {
        if let Some(n) = self.bigrams.lock().unwrap_or_else(|e| e.into_inner()).total {
            return Ok(n);
        }
        let n: i64 = with_pool!(self, p => sqlx::query_scalar(
            "SELECT COALESCE(MAX(id), 0) FROM public_results").fetch_one(p).await)?;
        self.bigrams.lock().unwrap_or_else(|e| e.into_inner()).total = Some(n);
        Ok(n)
    }

    /// The bigrams of `grams` with how many published rows hold each, rarest first;
    /// `None` when some bigram is in no published name (nothing can match). Counts come
    /// from the cache when it has them all; a bigram it lacks is read and remembered.
    /// An absence is never remembered, since the next publication may bring the bigram.
    async fn bigram_counts(&self, grams: &str) -> Result<Option<Vec<(String, i64)>>> {
        let tokens: BTreeSet<&str> = grams.split_whitespace().collect();
        let mut counts = Vec::with_capacity(tokens.len());
        let mut missing = Vec::new();
        {
            let mut cache = self.bigrams.lock().unwrap_or_else(|e| e.into_inner());
            cache.expire();
            for t in &tokens {
                match cache.counts.get(*t) {
                    Some(n) => counts.push(((*t).to_string(), *n)),
                    None => missing.push(*t),
                }
            }
        }
        if !missing.is_empty() {
            let marks = (1..=missing.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql =
                format!("SELECT bigram, rows FROM public_result_bigrams WHERE bigram IN ({marks})");
            let read: Vec<(String, i64)> = with_pool!(self, p => {
                let mut q = sqlx::query_as(crate::dynamic(&sql));
                for t in &missing {
                    q = q.bind(*t);
                }
                q.fetch_all(p).await
            })?;
            let found = read.len();
            self.bigrams
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remember(&read);
            counts.extend(read);
            if found < missing.len() {
                return Ok(None);
            }
        }
        counts.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        Ok(Some(counts))
    }

    /// How many inspections have been published, for the public statistics.
    pub async fn published_result_count(&self) -> Result<i64> {
        Ok(
            with_pool!(self, p => sqlx::query_scalar("SELECT COUNT(*) FROM public_results")
                .fetch_one(p).await)?,
        )
    }

    /// Writes the public projection of published tasks that lack it: tasks published
    /// before the projection existed. In the order they were published, so that the
    /// projection's ids (newest first on every public list) are the order a
    /// publication at the time would have given them. Returns how many rows were
    /// written.
    pub async fn project_missing_published(&self) -> Result<u64> {
        // The one read across every county's tasks: a start-up repair, not a request.
        let ids: Vec<(String, i64)> = with_pool!(self, p => sqlx::query_as(
            "SELECT t.county, t.id FROM tasks t WHERE t.state = 'published' \
             AND NOT EXISTS (SELECT 1 FROM public_results r WHERE r.county = t.county AND r.task_id = t.id) \
             ORDER BY t.published_at, t.county, t.id")
            .fetch_all(p).await)?;
        let mut written = 0;
        for (county, id) in ids {
            let code = liancha_domain::org::DivisionCode::parse(&county)
                .map_err(crate::StoreError::corrupt)?;
            let c = self.county(&code);
            with_pool!(self, p => {
                let mut tx = p.begin_write().await?;
                written += crate::project_published_task!(c, &mut tx, id);
                tx.commit().await?;
            });
        }
        Ok(written)
    }
}

/// Coverage of one year's published results, for the public statistics page:
/// only what has been published counts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PublicStats {
    pub year: i32,
    /// Years that have published results, newest first.
    pub years: Vec<i32>,
    pub inspections: i64,
    pub with_problems: i64,
    /// Distinct entities inspected.
    pub entities: i64,
    /// Active entities in the directory now.
    pub active_entities: i64,
    /// Per township: inspections, with problems, distinct entities, active entities.
    pub by_township: Vec<(String, i64, i64, i64, i64)>,
    /// Per department code: inspections that covered its items, and with problems.
    pub by_department: Vec<(String, i64, i64)>,
    /// How often each result category was found (an inspection may count in several).
    pub by_category: Vec<(ResultCategory, i64)>,
}

/// The bounds of a calendar year in China time.
fn year_bounds(year: i32) -> (DateTime<Utc>, DateTime<Utc>) {
    let at = |y: i32| {
        NaiveDate::from_ymd_opt(y, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|t| {
                t.and_local_timezone(liancha_domain::calendar::china())
                    .single()
            })
            .map_or(DateTime::<Utc>::MIN_UTC, |t| t.with_timezone(&Utc))
    };
    (at(year), at(year + 1))
}

impl County<'_> {
    /// The county's public statistics of one year (by publication date, China time).
    pub async fn public_stats(&self, year: i32) -> Result<PublicStats> {
        let (from, to) = year_bounds(year);
        let mut stats = PublicStats {
            year,
            ..PublicStats::default()
        };
        let stamps: Vec<DateTime<Utc>> = with_pool!(self, p => self.query_scalar(
            "SELECT published_at FROM tasks WHERE county = $C AND state = 'published' AND published_at IS NOT NULL")
            .fetch_all(p).await)?;
        let years: BTreeSet<i32> = stamps
            .iter()
            .map(|t| liancha_domain::calendar::china_date(*t).year())
            .collect();
        stats.years = years.into_iter().rev().collect();

        let towns: Vec<(String, i64, i64, i64)> = with_pool!(self, p => self.query_as(
            "SELECT township, COUNT(*), SUM(CASE WHEN problems THEN 1 ELSE 0 END), COUNT(DISTINCT entity_id) \
             FROM public_results WHERE county = $C AND published_at >= $1 AND published_at < $2 \
             GROUP BY township ORDER BY township")
            .bind(from).bind(to).fetch_all(p).await)?;
        let active: Vec<(String, i64)> = with_pool!(self, p => self.query_as(
            "SELECT township, COUNT(*) FROM entities WHERE county = $C AND status = 'active' \
             GROUP BY township ORDER BY township")
            .fetch_all(p).await)?;
        let active: BTreeMap<String, i64> = active.into_iter().collect();
        let townships = self.townships().await?;
        for t in &townships {
            let (n, problems, entities) = towns
                .iter()
                .find(|r| r.0 == t.name)
                .map_or((0, 0, 0), |r| (r.1, r.2, r.3));
            stats.by_township.push((
                t.name.clone(),
                n,
                problems,
                entities,
                active.get(&t.name).copied().unwrap_or(0),
            ));
        }
        stats.inspections = towns.iter().map(|r| r.1).sum();
        stats.with_problems = towns.iter().map(|r| r.2).sum();
        stats.active_entities = active.values().sum();
        stats.entities = with_pool!(self, p => self.query_scalar(
            "SELECT COUNT(DISTINCT entity_id) FROM public_results \
             WHERE county = $C AND published_at >= $1 AND published_at < $2")
            .bind(from).bind(to).fetch_one(p).await)?;

        // Few distinct combinations: group in SQL, split here.
        let combos: Vec<(String, String, i64, i64)> = with_pool!(self, p => self.query_as(
            "SELECT departments, categories, COUNT(*), SUM(CASE WHEN problems THEN 1 ELSE 0 END) \
             FROM public_results WHERE county = $C AND published_at >= $1 AND published_at < $2 \
             GROUP BY departments, categories ORDER BY departments, categories")
            .bind(from).bind(to).fetch_all(p).await)?;
        let mut departments: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut categories: BTreeMap<&'static str, (ResultCategory, i64)> = BTreeMap::new();
        for (depts, cats, n, problems) in &combos {
            for d in split(depts) {
                let e = departments.entry(d.to_string()).or_default();
                e.0 += n;
                e.1 += problems;
            }
            for c in split(cats).filter_map(ResultCategory::from_code) {
                categories.entry(c.code()).or_insert((c, 0)).1 += n;
            }
        }
        stats.by_department = departments
            .into_iter()
            .map(|(d, (n, p))| (d, n, p))
            .collect();
        stats.by_category = categories.into_values().collect();
        stats
            .by_category
            .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.code().cmp(b.0.code())));
        Ok(stats)
    }
}

/// One result row of a published visit, as read for the projection.
pub(crate) type SourceRow = (
    String,
    Option<String>,
    Option<String>,
    Option<NaiveDate>,
    String,
    String,
    String,
    Option<DateTime<Utc>>,
);

pub(crate) const SOURCE_SQL: &str = "SELECT v.entity_id, e.name, e.township, v.inspected_on, i.department, \
     r.categories, t.title, t.published_at FROM visits v \
     JOIN tasks t ON t.county = v.county AND t.id = v.task_id \
     JOIN results r ON r.county = v.county AND r.task_id = v.task_id AND r.entity_id = v.entity_id \
     JOIN items i ON i.county = r.county AND i.code = r.item_code \
     LEFT JOIN entities e ON e.county = v.county AND e.id = v.entity_id \
     WHERE v.county = $C AND v.task_id = $1 AND v.state = 'published' AND t.state = 'published' \
     ORDER BY v.draw_order, v.entity_id, r.item_code";

/// A row of `public_results`, before it has an id.
#[derive(Debug)]
pub(crate) struct Projected {
    pub entity_id: String,
    pub entity_name: String,
    pub township: String,
    pub task_title: String,
    pub departments: String,
    pub inspected_on: Option<NaiveDate>,
    pub published_at: DateTime<Utc>,
    pub problems: bool,
    pub categories: String,
    pub grams: String,
}

/// Folds a published task's result rows (one per item) into one row per visit.
pub(crate) fn project(rows: Vec<SourceRow>) -> Vec<Projected> {
    let mut out: Vec<Projected> = Vec::new();
    let mut departments: BTreeSet<String> = BTreeSet::new();
    let mut categories: BTreeMap<&'static str, ResultCategory> = BTreeMap::new();
    let finish = |p: &mut Projected,
                  departments: &mut BTreeSet<String>,
                  categories: &mut BTreeMap<&'static str, ResultCategory>| {
        p.departments = std::mem::take(departments)
            .into_iter()
            .collect::<Vec<_>>()
            .join(",");
        p.problems = categories.values().any(|c| c.is_problem());
        p.categories = std::mem::take(categories)
            .into_keys()
            .collect::<Vec<_>>()
            .join(",");
    };
    for (entity_id, name, township, inspected_on, department, cats, title, published_at) in rows {
        if out.last().is_none_or(|p| p.entity_id != entity_id) {
            if let Some(p) = out.last_mut() {
                finish(p, &mut departments, &mut categories);
            }
            let entity_name = name.unwrap_or_else(|| entity_id.clone());
            out.push(Projected {
                grams: name_grams(&entity_name),
                entity_name,
                entity_id,
                township: township.unwrap_or_default(),
                task_title: title,
                departments: String::new(),
                inspected_on,
                published_at: published_at.unwrap_or_default(),
                problems: false,
                categories: String::new(),
            });
        }
        departments.insert(department);
        for c in split(&cats).filter_map(ResultCategory::from_code) {
            categories.insert(c.code(), c);
        }
    }
    if let Some(p) = out.last_mut() {
        finish(p, &mut departments, &mut categories);
    }
    out
}

/// How many of the rows have each bigram in their name.
pub(crate) fn bigram_counts(rows: &[Projected]) -> Vec<(String, i64)> {
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for r in rows {
        let distinct: BTreeSet<&str> = r.grams.split_whitespace().collect();
        for b in distinct {
            *counts.entry(b).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .map(|(b, n)| (b.to_string(), n))
        .collect()
}

pub(crate) fn bigram_upsert_sql(rows: usize) -> String {
    let values = (0..rows)
        .map(|r| format!("(${}, ${})", 2 * r + 1, 2 * r + 2))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO public_result_bigrams (bigram, rows) VALUES {values} \
         ON CONFLICT (bigram) DO UPDATE SET rows = public_result_bigrams.rows + excluded.rows"
    )
}

/// Rows per INSERT statement: 10 parameters each, well under either engine's limit.
pub(crate) const INSERT_CHUNK: usize = 500;

pub(crate) fn insert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO public_results (county, task_id, entity_id, entity_name, township, task_title, \
         departments, inspected_on, published_at, problems, categories, grams) VALUES ",
    );
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        let b = r * 10;
        sql.push_str(&format!(
            "($C, $1, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
            b + 2,
            b + 3,
            b + 4,
            b + 5,
            b + 6,
            b + 7,
            b + 8,
            b + 9,
            b + 10,
            b + 11
        ));
    }
    sql
}

/// Writes the public projection of one published task inside the caller's
/// transaction (`$tx`: `&mut Transaction` of either engine); evaluates to the number
/// of rows written. A macro so that each engine's arm of `with_pool!` gets code
/// compiled against its own driver.
#[macro_export]
#[doc(hidden)]
macro_rules! project_published_task {
    ($county:expr, $tx:expr, $task_id:expr) => {{
        let task_id: i64 = $task_id;
        let rows: Vec<$crate::search::SourceRow> = $county
            .query_as($crate::search::SOURCE_SQL)
            .bind(task_id)
            .fetch_all(&mut **$tx)
            .await?;
        let projected = $crate::search::project(rows);
        let mut written = 0u64;
        for chunk in projected.chunks($crate::search::INSERT_CHUNK) {
            let sql = $crate::search::insert_sql(chunk.len());
            let mut q = $county.query(&sql).bind(task_id);
            for p in chunk {
                q = q
                    .bind(&p.entity_id)
                    .bind(&p.entity_name)
                    .bind(&p.township)
                    .bind(&p.task_title)
                    .bind(&p.departments)
                    .bind(p.inspected_on)
                    .bind(p.published_at)
                    .bind(p.problems)
                    .bind(&p.categories)
                    .bind(&p.grams);
            }
            written += q.execute(&mut **$tx).await?.rows_affected();
        }
        let counts = $crate::search::bigram_counts(&projected);
        for chunk in counts.chunks($crate::search::INSERT_CHUNK) {
            let sql = $crate::search::bigram_upsert_sql(chunk.len());
            let mut q = sqlx::query($crate::dynamic(&sql));
            for (bigram, n) in chunk {
                q = q.bind(bigram).bind(*n);
            }
            q.execute(&mut **$tx).await?;
        }
        written
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_page_is_for_its_version_only() {
        let page = |next| ResultPage { rows: vec![], next };
        let key = |q: &str| (q.to_string(), i64::MAX, 21);
        let mut c = PageCache::default();
        c.put(5, key("农资"), page(Some(1)));
        assert_eq!(c.get(5, &key("农资")), Some(page(Some(1))));
        assert_eq!(c.get(5, &key("牟定")), None);
        // Published or corrected since: read again.
        assert_eq!(c.get(6, &key("农资")), None);
        // A search that read the older version does not overwrite the newer.
        c.put(6, key("牟定"), page(Some(2)));
        c.put(5, key("农资"), page(Some(3)));
        assert_eq!(c.get(6, &key("农资")), None);
        assert_eq!(c.get(6, &key("牟定")), Some(page(Some(2))));
        // Bounded: a crawler asking for every name empties it instead of growing it.
        for n in 0..PageCache::MAX_ROWS + 10 {
            c.put(6, key(&n.to_string()), page(None));
        }
        assert!(c.rows <= PageCache::MAX_ROWS);
        assert_eq!(c.rows, c.pages.len());
    }

    #[test]
    fn ways_to_a_name_search() {
        // 1,000,000 rows; a whole name: one name with 185 rows.
        assert_eq!(choose_way(1_000_000, 21, &[(1, 185)]), NameWay::ByNames);
        // 「加油站」: 168 names, 6,843 rows: walking 3,069 rows beats 168 lookups.
        let names: Vec<(i64, i64)> = (0..168).map(|i| (i, 40 + i % 2)).collect();
        assert_eq!(choose_way(1_000_000, 21, &names), NameWay::Walk);
        // A name in a county of unique names: a few rows, found by its name.
        assert_eq!(choose_way(1_000_000, 21, &[(7, 3)]), NameWay::ByNames);
        // More names than a search looks up: walk.
        let many: Vec<(i64, i64)> = (0..=MAX_NAMES as i64).map(|i| (i, 1)).collect();
        assert_eq!(choose_way(1_000_000, 21, &many), NameWay::Walk);
        // 「牟定县」 is in every row, 「有限公司」 in 12%: walk first; 「农小」 in 0.3%: not.
        assert!(walk_first(1_000_000, 1_000_000, 21));
        assert!(walk_first(1_000_000, 120_018, 21));
        assert!(!walk_first(1_000_000, 3_245, 21));
        assert!(!walk_first(1_000_000, 0, 21));
    }

    #[test]
    fn one_row_per_visit_with_sorted_departments_and_categories() {
        let at = Utc::now();
        let row = |e: &str, d: &str, c: &str| -> SourceRow {
            (
                e.into(),
                Some(format!("牟定县{e}店")),
                Some("共和镇".into()),
                None,
                d.into(),
                c.into(),
                "联查".into(),
                Some(at),
            )
        };
        let p = project(vec![
            row("A", "amr", "none"),
            row("A", "agri", "corrected,none"),
            row("B", "amr", "none"),
        ]);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].departments, "agri,amr");
        assert_eq!(p[0].categories, "corrected,none");
        assert!(p[0].problems);
        assert!(!p[1].problems);
        assert_eq!(p[1].grams, name_grams("牟定县B店"));
        assert_eq!(insert_sql(2).matches('$').count(), 24);
        assert!(insert_sql(2).ends_with("$12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"));
    }
}
