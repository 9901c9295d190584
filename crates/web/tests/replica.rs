//! The public side on a PostgreSQL streaming replica, as a province runs it: staff
//! pages and writes on the primary, the portal, the open-data API and the search on a
//! hot standby. A publication reaches the standby's portal within the stated lag, and
//! when the primary stops the portal still answers while the staff pages say the
//! database is unavailable (503), never 500.
//!
//! Needs a primary and a standby of its own: `bash scripts/replica-test` makes both
//! (and removes them) and runs this test; it is ignored otherwise.

use std::time::{Duration, Instant};

use chrono::Utc;
use liancha_domain::workflow::{ResultCategory, SourceDecl, TaskMode};
use liancha_domain::{Domain, InspectionMethod};
use liancha_store::Store;
use liancha_store::accounts::Actor;
use liancha_store::demo::{self, DemoSize};
use liancha_store::results::ItemResult;
use liancha_store::tasks::{NewTask, QuotaSpec, TaskScopeFilter};

/// How long a publication may take to reach the standby's portal.
const STATED_LAG: Duration = Duration::from_secs(5);

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} (run bash scripts/replica-test)"))
}

async fn actor(store: &Store, name: &str) -> Actor {
    (&store.user_by_name(name).await.unwrap().unwrap().principal()).into()
}

/// Publishes a one-department task of 牟定县 on the primary; returns its id.
async fn publish(store: &Store) -> i64 {
    let c = liancha_store::testing::mouding_county(store).await;
    let coordinator = actor(store, "bianban").await;
    let amr = actor(store, "amr-admin").await;
    let today = liancha_domain::calendar::today_in_china();
    let now = Utc::now() - chrono::Duration::minutes(5);
    let id = c
        .create_task(
            &NewTask {
                year: chrono::Datelike::year(&today),
                title: "副本公示测试".into(),
                domain: Domain::Market,
                mode: TaskMode::Comprehensive,
                lead_department: "amr".into(),
                items: vec!["SC-001".into()],
                scope: TaskScopeFilter::default(),
                quotas: QuotaSpec::Count([1, 1, 1, 1]),
                team_count: 1,
                team_size: 2,
                avoid_same_township: false,
                inspection_start: today,
                inspection_end: today + chrono::Duration::days(10),
                plan_entry_id: None,
            },
            &coordinator,
            now,
        )
        .await
        .unwrap();
    let v = c.task_or_404(id).await.unwrap().version;
    liancha_store::testing::approve(&c, id, v, now).await;
    let dice = SourceDecl::other("掷骰", now + chrono::Duration::seconds(1)).unwrap();
    c.commit_task(id, v, &[dice], &coordinator, now)
        .await
        .unwrap();
    let v = c.task_or_404(id).await.unwrap().version;
    c.reveal_and_draw(
        id,
        v,
        &["3".into()],
        &coordinator,
        now + chrono::Duration::seconds(2),
    )
    .await
    .unwrap();
    liancha_store::testing::check_in_all(&c, id, now).await;
    for v in c.visits(id).await.unwrap() {
        if v.team_no.is_some() {
            c.record_results(
                id,
                &v.entity_id,
                today,
                &[ItemResult {
                    item_code: "SC-001".into(),
                    categories: vec![ResultCategory::NoProblem],
                    methods: vec![InspectionMethod::OnSite],
                    findings: String::new(),
                }],
                &amr,
                now,
            )
            .await
            .unwrap();
        }
    }
    c.approve_results(id, "amr", &amr, now).await.unwrap();
    let v = c.task_or_404(id).await.unwrap().version;
    c.publish_task(id, v, &coordinator, now).await.unwrap();
    id
}

#[tokio::test]
#[ignore = "needs a primary and a standby: bash scripts/replica-test"]
async fn the_portal_reads_a_replica() {
    let primary = Store::open(&env("LIANCHA_REPLICA_PRIMARY")).await.unwrap();
    demo::load(
        &primary,
        DemoSize {
            legal_persons: 30,
            individuals: 70,
        },
        &|_, _| {},
    )
    .await
    .unwrap();
    demo::accounts(&primary, Utc::now()).await.unwrap();
    let replica = Store::open_replica(&env("LIANCHA_REPLICA_STANDBY"))
        .await
        .unwrap();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = liancha_web::AppState::new(primary.clone()).with_replica(replica.clone());
    let app = liancha_web::router(state);
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap()
    });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: String| {
        let http = http.clone();
        let base = base.clone();
        async move {
            let r = http.get(format!("{base}{path}")).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };

    // The standby is read-only: a write through it is refused by the server.
    let c = replica.county(&liancha_domain::org::DivisionCode::parse("532323").unwrap());
    let refused = c
        .add_township(
            &liancha_domain::Township {
                code: "532323199".into(),
                name: "副本镇".into(),
            },
            &Actor::system("test"),
            Utc::now(),
        )
        .await;
    assert!(refused.is_err(), "{refused:?}");

    let id = publish(&primary).await;
    let published = Instant::now();
    let lag = loop {
        let (status, body) = get(format!("/public/tasks/{id}")).await;
        if status == 200 {
            assert!(body.contains("副本公示测试"), "{body}");
            break published.elapsed();
        }
        assert_eq!(status, 404);
        assert!(
            published.elapsed() < STATED_LAG,
            "the publication did not reach the replica's portal within {STATED_LAG:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    println!("replica: the publication reached the standby's portal in {lag:?}");
    let (status, body) = get("/api/v1/tasks?county=532323".into()).await;
    assert_eq!(status, 200);
    assert!(body.contains("副本公示测试"));

    // The primary stops: the portal keeps answering from the standby, the staff
    // pages say the database cannot be reached.
    let stop = env("LIANCHA_REPLICA_STOP");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&stop)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for path in [
        format!("/public/tasks/{id}"),
        format!("/public/tasks/{id}/record.json"),
        "/public/results?q=%E7%89%9F%E5%AE%9A%E5%8E%BF".to_string(),
        "/api/v1/tasks".to_string(),
        "/c/532323/items".to_string(),
        "/c/532323/tasks".to_string(),
    ] {
        let (status, body) = get(path.clone()).await;
        assert_eq!(status, 200, "{path} with the primary stopped: {body}");
    }
    let r = http
        .post(format!("{base}/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", "liancha_login=x")
        .body("username=bianban&password=x&csrf=x")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        503,
        "signing in needs the primary: unavailable, not a failure"
    );
    assert!(r.headers().get("retry-after").is_some());
}
