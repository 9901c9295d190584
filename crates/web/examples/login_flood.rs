//! Latency of a staff task page while `/login` is flooded.
//!
//! Serves a small demo county on loopback (SQLite), signs in, then times
//! `GET /staff/tasks/ID` (400 requests, 20 ms apart): first alone, then while
//! `/login` gets wrong passwords at 27 posts a second (the security review's flood),
//! then while 32 clients post as fast as they are answered. Each post comes from
//! another address, the worst case: no per-address limit applies, so every post that
//! gets a hashing slot costs a password hash. Prints p50/p99/max and what the flood
//! got (checked: 401; refused at once: 503).
//!
//!     cargo run --release -p liancha-web --example login_flood

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use liancha_store::demo::{self, DemoSize};
use liancha_store::testing::TestDb;
use liancha_store::{Engine, Store};
use reqwest::redirect::Policy;

const SAMPLES: usize = 400;
/// Clients posting to `/login` at once, each as soon as its last post is answered.
const CLIENTS: u32 = 32;

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn login_form(http: &reqwest::Client, base: &str) -> (String, String) {
    let r = http.get(format!("{base}/login")).send().await.unwrap();
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("liancha_login="))
        .map(|v| v.split(';').next().unwrap().to_string())
        .unwrap();
    let body = r.text().await.unwrap();
    let at = body.find("name=\"csrf\" value=\"").unwrap() + 19;
    (
        cookie,
        body[at..at + body[at..].find('"').unwrap()].to_string(),
    )
}

async fn time_page(http: &reqwest::Client, url: &str, session: &str) -> Vec<Duration> {
    let mut out = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let t = Instant::now();
        let r = http
            .get(url)
            .header("cookie", format!("liancha_session={session}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
        out.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    out.sort();
    out
}

#[tokio::main]
async fn main() {
    let db = TestDb::new(Engine::Sqlite).await;
    let store: Store = db.store.clone();
    demo::load(
        &store,
        DemoSize {
            legal_persons: 2000,
            individuals: 6000,
        },
        &|_, _| {},
    )
    .await
    .unwrap();
    demo::accounts(&store, Utc::now()).await.unwrap();
    let coordinator = (&store
        .user_by_name("bianban")
        .await
        .unwrap()
        .unwrap()
        .principal())
        .into();
    let today = liancha_domain::calendar::today_in_china();
    let task = liancha_store::testing::mouding_county(&store)
        .await
        .create_task(
            &liancha_store::tasks::NewTask {
                year: chrono::Datelike::year(&today),
                title: "联合抽查".into(),
                domain: liancha_domain::Domain::Market,
                mode: liancha_domain::workflow::TaskMode::Comprehensive,
                lead_department: "amr".into(),
                items: vec!["SC-001".into(), "NY-001".into()],
                scope: Default::default(),
                quotas: liancha_store::tasks::QuotaSpec::Count([5, 5, 5, 5]),
                team_count: 2,
                team_size: 2,
                avoid_same_township: false,
                inspection_start: today,
                inspection_end: today + chrono::Duration::days(20),
                plan_entry_id: None,
            },
            &coordinator,
            Utc::now(),
        )
        .await
        .ok();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = liancha_web::AppState::new(store.clone())
        .with_limits(liancha_web::limits::Limits {
            trust_forwarded_for: true,
            ..Default::default()
        })
        .with_login_per_minute(0);
    let app = liancha_web::router(state);
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap()
    });
    let base = format!("http://{addr}");
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let (cookie, csrf) = login_form(&http, &base).await;
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
    assert_eq!(r.status(), 303);
    let session = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("liancha_session="))
        .map(|v| v.split(';').next().unwrap().to_string())
        .unwrap();
    let page = match task {
        Some(id) => format!("/staff/tasks/{id}"),
        None => "/staff/tasks".to_string(),
    };
    let url = format!("{base}{page}");
    time_page(&http, &url, &session).await; // warm up
    let quiet = time_page(&http, &url, &session).await;

    println!(
        "GET {page}: {SAMPLES} requests 20 ms apart per run; {} hashing thread(s)",
        liancha_store::accounts::hashing_threads()
    );
    report("quiet", &quiet, None);
    // The review's flood (27 posts a second), then as fast as 32 clients can post.
    for (label, rate) in [("27 posts/s", Some(27.0)), ("unpaced", None)] {
        let (flooded, counts) = flooded(&http, &url, &session, &base, &cookie, &csrf, rate).await;
        report(label, &flooded, Some(counts));
    }
    db.finish().await;
}

fn report(label: &str, sorted: &[Duration], counts: Option<(f64, [u64; 4])>) {
    print!(
        "{label:>11}: p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
        pct(sorted, 0.5),
        pct(sorted, 0.99),
        pct(sorted, 1.0)
    );
    if let Some((secs, n)) = counts {
        print!(
            "   /login: {:.0} posts/s over {secs:.1} s, {:.1}/s checked (401), {:.0}/s refused at once (503), {} others",
            n.iter().sum::<u64>() as f64 / secs,
            n[0] as f64 / secs,
            n[1] as f64 / secs,
            n[2] + n[3]
        );
    }
    println!();
}

#[allow(clippy::too_many_arguments)]
async fn flooded(
    http: &reqwest::Client,
    url: &str,
    session: &str,
    base: &str,
    cookie: &str,
    csrf: &str,
    rate: Option<f64>,
) -> (Vec<Duration>, (f64, [u64; 4])) {
    let stop = Arc::new(AtomicBool::new(false));
    let counts: Arc<[AtomicU64; 4]> = Arc::new(Default::default());
    let mut flood = Vec::new();
    // Paced: each client posts at rate / CLIENTS a second.
    let gap = rate.map(|r| Duration::from_secs_f64(CLIENTS as f64 / r));
    for c in 0..CLIENTS {
        let (http, base, cookie, csrf) = (
            http.clone(),
            base.to_string(),
            cookie.to_string(),
            csrf.to_string(),
        );
        let (stop, counts) = (stop.clone(), counts.clone());
        flood.push(tokio::spawn(async move {
            let mut n = 0u32;
            if let Some(gap) = gap {
                tokio::time::sleep(gap * c / CLIENTS).await;
            }
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let sent = Instant::now();
                let r = http
                    .post(format!("{base}/login"))
                    .header(
                        "x-forwarded-for",
                        format!("10.{c}.{}.{}", n / 250 % 250, n % 250),
                    )
                    .header("cookie", format!("liancha_login={cookie}"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(format!(
                        "username=admin&password=Guess%230000&csrf={csrf}&next=%2Fstaff"
                    ))
                    .send()
                    .await
                    .unwrap();
                let slot = match r.status().as_u16() {
                    401 => 0,
                    503 => 1,
                    429 => 2,
                    _ => 3,
                };
                counts[slot].fetch_add(1, Ordering::Relaxed);
                if let Some(gap) = gap {
                    tokio::time::sleep(gap.saturating_sub(sent.elapsed())).await;
                }
            }
        }));
    }
    let started = Instant::now();
    let flooded = time_page(http, url, session).await;
    let secs = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for f in flood {
        f.await.unwrap();
    }
    let n = std::array::from_fn(|i| counts[i].load(Ordering::Relaxed));
    (flooded, (secs, n))
}
