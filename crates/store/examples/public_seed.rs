//! Fills a database for the public-search benchmark (`scripts/bench-public`): a demo
//! directory of 200,000 entities and a history of published joint tasks whose
//! visits hold N published results (default 1,000,000), then builds the public
//! projection through the same code that publication uses. Writes the lookups the
//! load generator asks for (`uscc.txt`, `names.txt`) into OUT_DIR.
//!
//! cargo run --release -p liancha-store --example public_seed -- DB_URL OUT_DIR [N]
//!
//! A database that already holds N published results is kept (only the lookup files
//! are written again), so repeated benchmark runs skip the filling.

use std::io::Write;
use std::time::Instant;

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use liancha_store::demo::{self, DemoSize};
use liancha_store::tasks::TaskScopeFilter;
use liancha_store::{Store, with_pool};

/// Results per task: a county-wide joint task of a large county.
const PER_TASK: usize = 2_000;
/// Visits per INSERT statement.
const CHUNK: usize = 400;

struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// (lead department, second department, item of each, title)
const JOINT: &[(&str, &str, &str, &str, &str)] = &[
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

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "public_seed DB_URL OUT_DIR [N]";
    let url = args.next().ok_or(usage)?;
    let out = std::path::PathBuf::from(args.next().ok_or(usage)?);
    let n: usize = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    std::fs::create_dir_all(&out)?;
    let store = Store::open(&url).await?;
    let have = store.published_result_count().await?;
    if have as usize >= n {
        eprintln!("{url}: {have} published results already; keeping them");
    } else {
        if have > 0
            || liancha_store::testing::mouding_county(&store)
                .await
                .counts()
                .await?
                .entities
                > 0
        {
            return Err(format!("{url} is neither empty nor filled: use an empty database").into());
        }
        fill(&store, n).await?;
    }
    write_lookups(&store, &out).await?;
    Ok(())
}

async fn fill(store: &Store, n: usize) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let size = DemoSize {
        legal_persons: 28_000,
        individuals: 172_000,
    };
    demo::load(store, size, &|_, _| {}).await?;
    demo::accounts(store, Utc::now()).await?;
    let ids: Vec<String> = demo::entities(size).into_iter().map(|e| e.id).collect();
    eprintln!(
        "directory: {} entities in {:.1?}",
        ids.len(),
        started.elapsed()
    );
    let admin: i64 = with_pool!(store, p => sqlx::query_scalar("SELECT id FROM users WHERE username = 'admin'").fetch_one(p).await)?;
    let scope = serde_json::to_string(&TaskScopeFilter::default())?;
    let mut g = Lcg(0x7075_626c_6963);
    let tasks = n.div_ceil(PER_TASK);
    let mut code_no: u64 = 0;
    for t in 0..tasks {
        let visits = PER_TASK.min(n - t * PER_TASK);
        // Spread over 2019–2026, oldest first, so newer tasks get larger ids.
        let start = NaiveDate::from_ymd_opt(2019, 3, 1).unwrap()
            + Duration::days((t * 2_800 / tasks) as i64);
        let end = start + Duration::days(30);
        let published = Utc
            .from_local_datetime(&(end + Duration::days(20)).and_hms_opt(2, 0, 0).unwrap())
            .unwrap();
        let (lead, other, item_a, item_b, title) = JOINT[t % JOINT.len()];
        let title = format!("{}年第{}批{title}", start.year(), t / JOINT.len() + 1);
        // Distinct entities within a task.
        let mut chosen = std::collections::BTreeSet::new();
        while chosen.len() < visits {
            chosen.insert(g.below(ids.len()));
        }
        let chosen: Vec<usize> = chosen.into_iter().collect();
        let rows: Vec<(String, String, bool)> = chosen
            .iter()
            .map(|&i| {
                code_no += 1;
                (ids[i].clone(), check_code(code_no), g.below(100) < 12)
            })
            .collect();
        with_pool!(store, p => {
            let mut tx = p.begin().await?;
            let task_id: i64 = sqlx::query_scalar(
                "INSERT INTO tasks (county, year, title, domain, mode, lead_department, state, scope, team_count, team_size, \
                 avoid_same_township, inspection_start, inspection_end, created_by, created_at, committed_at, drawn_at, published_at) \
                 VALUES ('532323', $1, $2, 'market', 'comprehensive', $3, 'published', $4, 20, 2, TRUE, $5, $6, $7, $8, $8, $8, $9) RETURNING id")
                .bind(start.year()).bind(&title).bind(lead).bind(&scope).bind(start).bind(end)
                .bind(admin).bind(published - Duration::days(40)).bind(published)
                .fetch_one(&mut *tx).await?;
            for (position, item) in [item_a, item_b].into_iter().enumerate() {
                sqlx::query("INSERT INTO task_items (county, task_id, item_code, position) VALUES ('532323', $1, $2, $3)")
                    .bind(task_id).bind(item).bind(position as i32).execute(&mut *tx).await?;
            }
            for (c, chunk) in rows.chunks(CHUNK).enumerate() {
                let mut sql = String::from("INSERT INTO visits (county, task_id, entity_id, draw_order, team_no, state, check_code, inspected_on) VALUES ");
                for r in 0..chunk.len() {
                    if r > 0 { sql.push(','); }
                    let b = r * 4;
                    sql.push_str(&format!("('532323', $1, ${}, ${}, 1, 'published', ${}, ${})", b + 2, b + 3, b + 4, b + 5));
                }
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(task_id);
                for (k, (entity, code, _)) in chunk.iter().enumerate() {
                    q = q.bind(entity).bind((c * CHUNK + k) as i32).bind(code).bind(start + Duration::days((k % 28) as i64));
                }
                q.execute(&mut *tx).await?;
                let mut sql = String::from("INSERT INTO results (county, task_id, entity_id, item_code, categories, methods) VALUES ");
                for r in 0..chunk.len() * 2 {
                    if r > 0 { sql.push(','); }
                    let b = r * 3;
                    sql.push_str(&format!("('532323', $1, ${}, ${}, ${}, 'on-site')", b + 2, b + 3, b + 4));
                }
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(task_id);
                for (entity, _, problem) in chunk {
                    q = q.bind(entity).bind(item_a).bind(if *problem { "corrected" } else { "none" });
                    q = q.bind(entity).bind(item_b).bind("none");
                }
                q.execute(&mut *tx).await?;
            }
            for dept in [lead, other] {
                sqlx::query("INSERT INTO reviews (county, task_id, department, approved_by, approved_at) VALUES ('532323', $1, $2, $3, $4)")
                    .bind(task_id).bind(dept).bind(admin).bind(published).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        if (t + 1) % 50 == 0 {
            eprintln!("{} / {tasks} tasks in {:.1?}", t + 1, started.elapsed());
        }
    }
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

/// Unique, in the notice's alphabet (no 0/O, 1/I/L).
fn check_code(mut n: u64) -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut s = Vec::with_capacity(8);
    for _ in 0..8 {
        s.push(ALPHABET[(n % 31) as usize]);
        n /= 31;
    }
    String::from_utf8(s).unwrap()
}

/// 1,000 USCCs that have published results, and name queries as the public types
/// them: two-character trade and product words, township names, the county's name
/// (every row matches), and whole names (few rows match).
async fn write_lookups(
    store: &Store,
    out: &std::path::Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let ids: Vec<String> = with_pool!(store, p => sqlx::query_scalar(
        "SELECT entity_id FROM public_results WHERE id % 997 = 0 ORDER BY id LIMIT 1000").fetch_all(p).await)?;
    let names: Vec<String> = with_pool!(store, p => sqlx::query_scalar(
        "SELECT entity_name FROM public_results WHERE id % 4999 = 0 ORDER BY id LIMIT 100").fetch_all(p).await)?;
    let mut f = std::fs::File::create(out.join("uscc.txt"))?;
    for id in &ids {
        writeln!(f, "/public/results?q={id}")?;
    }
    let words = [
        "农资",
        "兴旺",
        "鑫源",
        "便利店",
        "餐馆",
        "共和镇",
        "新桥镇",
        "牟定县",
        "专业合作社",
        "有限公司",
        "彝乡",
        "美容美发",
        "汽车修理",
        "加油站",
        "网吧",
        "庆丰",
        "小吃",
        "药店",
        "化佛",
        "五金",
    ];
    let mut f = std::fs::File::create(out.join("names.txt"))?;
    let mut lines = Vec::new();
    for w in words {
        lines.push(w.to_string());
    }
    lines.extend(names);
    for q in lines {
        let enc: String = q.bytes().map(|b| format!("%{b:02X}")).collect();
        writeln!(f, "/public/results?q={enc}")?;
    }
    eprintln!("lookups written to {}", out.display());
    Ok(())
}
