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

mod seed;

use std::time::Instant;

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc};
use liancha_store::demo::{self, DemoSize};
use liancha_store::tasks::TaskScopeFilter;
use liancha_store::{Store, with_pool};
use seed::{JOINT, Lcg, PublishedTask, check_code};

/// Results per task: a county-wide joint task of a large county.
const PER_TASK: usize = 2_000;
/// Visits per INSERT statement.
const CHUNK: usize = 400;

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
        let rows: Vec<(&str, String, bool)> = chosen
            .into_iter()
            .map(|i| {
                code_no += 1;
                (ids[i].as_str(), check_code(code_no), g.below(100) < 12)
            })
            .collect();
        let task = PublishedTask {
            county: "532323",
            year: start.year(),
            title: &title,
            joint: (lead, other, item_a, item_b),
            start,
            end,
            created_at: published - Duration::days(40),
            published,
            by: admin,
            team_count: 20,
            teams: 1,
            days: 28,
            scope: &scope,
            visits: &rows,
        };
        seed::insert_published_task(store, &task, CHUNK).await?;
        if (t + 1) % 50 == 0 {
            eprintln!("{} / {tasks} tasks in {:.1?}", t + 1, started.elapsed());
        }
    }
    seed::project_and_tidy(store, started).await
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
    let mut lines: Vec<String> = words.iter().map(|w| w.to_string()).collect();
    lines.extend(names);
    seed::write_lookup_files(out, &ids, &lines)
}
