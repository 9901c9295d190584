//! Staff pages at a province's scale (`scripts/bench-province`), against a database
//! `province_seed` filled: 129 counties, 5,000,000 entities, a year of published
//! tasks. 牟定县 (40,000 entities) also gets a county-wide task committed, drawn and
//! half entered, once (kept for later runs). Serves the database on loopback and
//! times, one request at a time: a county's task list, task page and dashboard as
//! its coordinator, and 楚雄州's dashboard and home over its ten counties as the
//! prefecture's oversight office.
//!
//!     cargo run --release -p liancha-web --example province_timing -- DB_URL [ROUNDS]

use liancha_domain::org::DivisionCode;
use liancha_store::Store;
use liancha_store::tasks::TaskFilter;
use reqwest::redirect::Policy;

mod common;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("province_timing DB_URL [ROUNDS]")?;
    let rounds: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(20);
    let store = Store::open(&url).await?;
    let code = DivisionCode::parse("532323")?;
    let mouding = store.county(&code);
    let existing = mouding
        .tasks(&TaskFilter::default())
        .await?
        .into_iter()
        .find(|t| t.title == "全县市场监管领域部门联合抽查");
    let (task, visit) = match existing {
        Some(t) => {
            let visit = mouding
                .visits(t.id)
                .await?
                .into_iter()
                .find(|v| v.team_no.is_some())
                .ok_or("the task has no assigned visit")?
                .entity_id;
            (t.id, visit)
        }
        None => {
            let t = std::time::Instant::now();
            let made =
                liancha_store::testing::county_wide_task(&store, &mouding, "bianban", "amr-admin")
                    .await;
            eprintln!(
                "county-wide task committed, drawn and half entered in {:.1} s",
                t.elapsed().as_secs_f64()
            );
            made
        }
    };
    let visits = mouding.visits(task).await?.len();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = liancha_web::router(liancha_web::AppState::new(store.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()?;
    let county = common::login(&http, &base, "bianban").await;
    let prefecture = common::login(&http, &base, "zhou-duchashi").await;

    println!(
        "\n{} · {rounds} requests per page, one at a time (牟定县's task: {visits} visits)",
        store.engine().name()
    );
    println!(
        "{:<52} {:>9} {:>9} {:>7} {:>7}",
        "page", "median ms", "max ms", "KiB", "target"
    );
    let pages = [
        (
            "县 · 任务列表 /staff/tasks",
            &county,
            "/staff/tasks".to_string(),
            100.0,
        ),
        (
            "县 · 任务页",
            &county,
            format!("/staff/tasks/{task}"),
            100.0,
        ),
        (
            "县 · 检查对象（录入结果）",
            &county,
            format!("/staff/tasks/{task}/visits/{visit}"),
            100.0,
        ),
        (
            "县 · 监督看板 /staff/oversight",
            &county,
            "/staff/oversight".to_string(),
            100.0,
        ),
        (
            "州 · 工作台（10 县并列）/staff",
            &prefecture,
            "/staff".to_string(),
            300.0,
        ),
        (
            "州 · 监督看板（10 县汇总与并列）",
            &prefecture,
            "/staff/oversight".to_string(),
            300.0,
        ),
    ];
    let mut missed = 0;
    for (name, session, path, target) in pages {
        let (times, size) = common::time_page(&http, &base, session, &path, rounds).await;
        let (median, max) = (common::ms(times[rounds / 2]), common::ms(times[rounds - 1]));
        if max > target {
            missed += 1;
        }
        println!(
            "{:<52} {:>9.1} {:>9.1} {:>7} {:>6.0}{}",
            name,
            median,
            max,
            size / 1024,
            target,
            if max > target { " ✗" } else { "" }
        );
    }
    if missed > 0 {
        println!("{missed} page(s) over target");
    }
    Ok(())
}
