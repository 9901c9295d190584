//! Server time of the staff pages at the demo county's size.
//!
//! Builds a fresh database (SQLite by default, or the PostgreSQL URL given as the
//! first argument) with the demo county (24,000 entities), runs one county-wide
//! two-department task through commit and draw with results for half its visits,
//! then serves it on loopback and times each page.
//!
//!     cargo run --release -p liancha-web --example page_timing
//!     cargo run --release -p liancha-web --example page_timing -- postgres://postgres@127.0.0.1/postgres

use std::time::Instant;

use chrono::Utc;
use liancha_store::demo::{self, DemoSize};
use liancha_store::testing::TestDb;
use liancha_store::{Engine, Store};
use reqwest::redirect::Policy;

mod common;

const ROUNDS: usize = 20;

async fn prepare(store: &Store) -> (i64, String) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    let t = Instant::now();
    demo::load(store, DemoSize::COUNTY, &|_, _| {})
        .await
        .unwrap();
    demo::accounts(store, Utc::now()).await.unwrap();
    println!("demo county loaded in {:.1} s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    let task =
        liancha_store::testing::county_wide_task(store, &mouding, "bianban", "amr-admin").await;
    println!(
        "county-wide task committed, drawn and half entered in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    task
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
    let session = common::login(&http, &base, "bianban").await;
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
        format!("/staff/tasks/{task}?team=2&sort=township&page=3"),
        format!("/staff/tasks/{task}/visits/{visit}"),
        format!("/staff/tasks/{task}/exclusions"),
        format!("/staff/tasks/{task}/notices"),
        format!("/staff/tasks/{task}/notices?team=1"),
        format!("/staff/tasks/{task}/forms?page=16"),
        format!("/staff/tasks/{task}/review"),
        format!("/staff/tasks/{task}/review?show=submitted"),
        format!("/staff/tasks/{task}/review?format=xlsx"),
        "/staff/follow-ups".to_string(),
        "/staff/oversight".to_string(),
        "/staff/oversight/export.xlsx".to_string(),
        "/staff/audit".to_string(),
        "/staff/audit?what=task.&page=2".to_string(),
        // The actor found by the name the account goes by (市场).
        "/staff/audit?who=%E5%B8%82%E5%9C%BA".to_string(),
        "/c/532323/lists".to_string(),
        "/c/532323/lists?q=%E5%95%86&page=2".to_string(),
        "/entities?q=%E5%86%9C%E8%B5%84".to_string(),
        "/c/532323/announcements".to_string(),
        format!("/public/tasks/{task}"),
    ] {
        let (times, size) = common::time_page(&http, &base, &session, &path, ROUNDS).await;
        println!(
            "{:<44} {:>9.1} {:>9.1} {:>9}",
            path,
            common::ms(times[ROUNDS / 2]),
            common::ms(times[ROUNDS - 1]),
            size / 1024
        );
    }
    db.finish().await;
}
