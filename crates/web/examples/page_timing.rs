//! Server time of the staff pages at the demo county's size.
//!
//! Builds a fresh database (SQLite by default, or the PostgreSQL URL given as the
//! first argument) with the demo county (24,000 entities), runs one county-wide
//! two-department task through commit and draw with results for half its visits,
//! then serves it on loopback and times each page.
//!
//!     cargo run --release -p liancha-web --example page_timing
//!     cargo run --release -p liancha-web --example page_timing -- postgres://postgres@127.0.0.1/postgres

use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use liancha_domain::workflow::{ResultCategory, SourceDecl, TaskMode};
use liancha_domain::{Domain, InspectionMethod};
use liancha_store::demo::{self, DemoSize};
use liancha_store::results::ItemResult;
use liancha_store::tasks::{NewTask, QuotaSpec, TaskScopeFilter};
use liancha_store::testing::TestDb;
use liancha_store::{Engine, Store};
use reqwest::redirect::Policy;

const ROUNDS: usize = 20;

async fn prepare(store: &Store) -> (i64, String) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    let t = Instant::now();
    demo::load(store, DemoSize::COUNTY, &|_, _| {})
        .await
        .unwrap();
    demo::accounts(store, Utc::now()).await.unwrap();
    println!("demo county loaded in {:.1} s", t.elapsed().as_secs_f64());
    let coordinator = (&store
        .user_by_name("bianban")
        .await
        .unwrap()
        .unwrap()
        .principal())
        .into();
    let today = liancha_domain::calendar::today_in_china();
    let now = Utc::now();
    let id = mouding
        .create_task(
            &NewTask {
                year: chrono::Datelike::year(&today),
                title: "全县市场监管领域部门联合抽查".into(),
                domain: Domain::Market,
                mode: TaskMode::Comprehensive,
                lead_department: "amr".into(),
                items: vec!["SC-001".into(), "SC-002".into(), "NY-001".into()],
                scope: TaskScopeFilter::default(),
                quotas: QuotaSpec::RuleBook,
                team_count: 5,
                team_size: 2,
                avoid_same_township: true,
                inspection_start: today,
                inspection_end: today + Duration::days(30),
                plan_entry_id: None,
            },
            &coordinator,
            now,
        )
        .await
        .unwrap();
    let v = mouding.task_or_404(id).await.unwrap().version;
    let t = Instant::now();
    let dice = SourceDecl::other("掷骰", now + Duration::seconds(1)).unwrap();
    let c = mouding
        .commit_task(id, v, &[dice], &coordinator, now)
        .await
        .unwrap();
    println!(
        "commit: {} entities in the plan, {:?} excluded, {:.0} ms",
        c.population,
        c.excluded,
        t.elapsed().as_secs_f64() * 1e3
    );
    let v = mouding.task_or_404(id).await.unwrap().version;
    let t = Instant::now();
    let r = mouding
        .reveal_and_draw(
            id,
            v,
            &["6 2 3".into()],
            &coordinator,
            now + Duration::seconds(2),
        )
        .await
        .unwrap();
    println!(
        "draw: {} selected, {} unassigned, {:.0} ms",
        r.result().selected.len(),
        r.result().unassigned.len(),
        t.elapsed().as_secs_f64() * 1e3
    );
    let visits = mouding.visits(id).await.unwrap();
    let amr = (&store
        .user_by_name("amr-admin")
        .await
        .unwrap()
        .unwrap()
        .principal())
        .into();
    let ok = |code: &str| ItemResult {
        item_code: code.into(),
        categories: vec![ResultCategory::NoProblem],
        methods: vec![InspectionMethod::OnSite],
        findings: String::new(),
    };
    for v in visits.iter().filter(|v| v.team_no.is_some()).step_by(2) {
        mouding
            .record_results(
                id,
                &v.entity_id,
                today,
                &[ok("SC-001"), ok("SC-002"), ok("NY-001")],
                &amr,
                now,
            )
            .await
            .unwrap();
    }
    let visit = visits
        .iter()
        .find(|v| v.team_no.is_some())
        .unwrap()
        .entity_id
        .clone();
    (id, visit)
}

async fn login(http: &reqwest::Client, base: &str) -> String {
    let r = http.get(format!("{base}/login")).send().await.unwrap();
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .find_map(|v| {
            v.to_str()
                .ok()?
                .strip_prefix("liancha_login=")
                .map(|s| s.split(';').next().unwrap().to_string())
        })
        .unwrap();
    let body = r.text().await.unwrap();
    let at = body.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = &body[at..at + 64];
    let r = http
        .post(format!("{base}/login"))
        .header("cookie", format!("liancha_login={cookie}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "username=bianban&password=Liancha%232026&csrf={csrf}&next=%2Fstaff"
        ))
        .send()
        .await
        .unwrap();
    r.headers()
        .get_all("set-cookie")
        .iter()
        .find_map(|v| {
            v.to_str()
                .ok()?
                .strip_prefix("liancha_session=")
                .map(|s| s.split(';').next().unwrap().to_string())
        })
        .unwrap()
}

#[tokio::main]
async fn main() {
    let engine = match std::env::args().nth(1) {
        Some(url) => {
            // SAFETY: set before any thread reads the environment.
            unsafe { std::env::set_var("LIANCHA_TEST_PG", url) };
            Engine::Postgres
        }
        None => Engine::Sqlite,
    };
    let db = TestDb::new(engine).await;
    let (task, visit) = prepare(&db.store).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = liancha_web::router(liancha_web::AppState::new(db.store.clone()));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let session = login(&http, &base).await;
    println!(
        "\n{} · {ROUNDS} requests per page, one at a time",
        engine.name()
    );
    println!(
        "{:<44} {:>9} {:>9} {:>9}",
        "page", "median ms", "max ms", "KiB"
    );
    for path in [
        "/staff".to_string(),
        "/staff/tasks".to_string(),
        "/staff/tasks/new".to_string(),
        format!("/staff/tasks/{task}"),
        format!("/staff/tasks/{task}/visits/{visit}"),
        format!("/staff/tasks/{task}/exclusions"),
        format!("/staff/tasks/{task}/notices"),
        "/staff/follow-ups".to_string(),
        "/staff/oversight".to_string(),
        "/staff/oversight/export.xlsx".to_string(),
        "/staff/audit".to_string(),
        "/entities?q=%E5%86%9C%E8%B5%84".to_string(),
    ] {
        let mut times: Vec<StdDuration> = Vec::with_capacity(ROUNDS);
        let mut size = 0;
        for _ in 0..ROUNDS {
            let t = Instant::now();
            let r = http
                .get(format!("{base}{path}"))
                .header("cookie", format!("liancha_session={session}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 200, "{path}");
            size = r.bytes().await.unwrap().len();
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "{:<44} {:>9.1} {:>9.1} {:>9}",
            path,
            times[ROUNDS / 2].as_secs_f64() * 1e3,
            times[ROUNDS - 1].as_secs_f64() * 1e3,
            size / 1024
        );
    }
    db.finish().await;
}
