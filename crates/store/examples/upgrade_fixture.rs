//! Writes a database at the current schema, with a county's work in every state, for
//! the upgrade test (`tests/upgrade.rs`) of a later schema.
//!
//! cargo run -p liancha-store --example upgrade_fixture -- sqlite FILE
//! cargo run -p liancha-store --example upgrade_fixture -- postgres FILE
//!
//! The SQLite fixture is the database file itself (`VACUUM INTO`); the PostgreSQL one
//! is `pg_dump --format=custom`. The committed fixtures were made at the commit that
//! their README names; running this again later makes a fixture of the later schema.

use std::path::PathBuf;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use liancha_domain::workflow::{ResultCategory, SourceDecl, TargetedSource, TaskMode};
use liancha_domain::{Domain, InspectionMethod};
use liancha_store::accounts::Actor;
use liancha_store::demo::{self, DemoSize};
use liancha_store::results::{ItemResult, NewTargeted};
use liancha_store::tasks::{NewTask, QuotaSpec, TaskScopeFilter};
use liancha_store::testing::TestDb;
use liancha_store::{Engine, Store};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

async fn actor(store: &Store, name: &str) -> Actor {
    let u = store.user_by_name(name).await.unwrap().unwrap();
    (&u.principal()).into()
}

fn result(code: &str, category: ResultCategory, findings: &str) -> ItemResult {
    ItemResult {
        item_code: code.into(),
        categories: vec![category],
        methods: vec![InspectionMethod::OnSite],
        findings: findings.into(),
    }
}

/// A task taken to `stage`: 0 draft, 1 committed, 2 drawn, 3 published, 4 cancelled
/// after its commit.
async fn task(store: &Store, n: i32, stage: u8) -> i64 {
    let mouding = liancha_store::testing::mouding_county(store).await;
    let coordinator = actor(store, "bianban").await;
    let amr = actor(store, "amr-admin").await;
    let agri = actor(store, "agri-admin").await;
    let now = t0() + Duration::hours(n as i64);
    let id = mouding
        .create_task(
            &NewTask {
                year: 2026,
                title: format!("2026年第{n}批部门联合抽查"),
                domain: Domain::Market,
                mode: TaskMode::Comprehensive,
                lead_department: "amr".into(),
                items: vec!["SC-001".into(), "NY-001".into()],
                scope: TaskScopeFilter::default(),
                quotas: QuotaSpec::Count([1, 1, 1, 1]),
                team_count: 2,
                team_size: 2,
                avoid_same_township: true,
                inspection_start: today(),
                inspection_end: today() + Duration::days(30),
                plan_entry_id: None,
            },
            &coordinator,
            now,
        )
        .await
        .unwrap();
    if stage == 0 {
        return id;
    }
    let v = mouding.task_or_404(id).await.unwrap().version;
    liancha_store::testing::approve(&mouding, id, v, now).await;
    let dice = SourceDecl::other("公证员现场掷骰（5 枚）", now + Duration::minutes(5)).unwrap();
    mouding
        .commit_task(id, v, &[dice], &coordinator, now)
        .await
        .unwrap();
    let v = mouding.task_or_404(id).await.unwrap().version;
    if stage == 4 {
        mouding
            .cancel_task(id, v, "上级部署专项检查，本批合并", &coordinator, now)
            .await
            .unwrap();
        return id;
    }
    if stage == 1 {
        return id;
    }
    let later = now + Duration::minutes(10);
    mouding
        .reveal_and_draw(id, v, &[format!("3 1 4 1 {n}")], &coordinator, later)
        .await
        .unwrap();
    if stage == 2 {
        return id;
    }
    liancha_store::testing::check_in_all(&mouding, id, chrono::Utc::now()).await;
    let visits: Vec<String> = mouding
        .visits(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|v| v.team_no.is_some())
        .map(|v| v.entity_id)
        .collect();
    for (i, e) in visits.iter().enumerate() {
        let first = if i == 0 {
            result("SC-001", ResultCategory::Obstructed, "拒绝提供进货台账")
        } else {
            result("SC-001", ResultCategory::NoProblem, "")
        };
        mouding
            .record_results(
                id,
                e,
                today(),
                &[first, result("NY-001", ResultCategory::NoProblem, "")],
                &amr,
                later,
            )
            .await
            .unwrap();
    }
    mouding
        .return_visit(id, &visits[1], "amr", "请补充检查方式说明", &amr, later)
        .await
        .unwrap();
    mouding
        .record_results(
            id,
            &visits[1],
            today(),
            &[
                result("SC-001", ResultCategory::NoProblem, "现场核查经营场所"),
                result("NY-001", ResultCategory::NoProblem, ""),
            ],
            &amr,
            later,
        )
        .await
        .unwrap();
    mouding
        .approve_results(id, "amr", &amr, later)
        .await
        .unwrap();
    mouding
        .approve_results(id, "agri", &agri, later)
        .await
        .unwrap();
    let v = mouding.task_or_404(id).await.unwrap().version;
    mouding
        .publish_task(id, v, &coordinator, later)
        .await
        .unwrap();
    id
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (engine, out) = match args.as_slice() {
        [e, f] if e == "sqlite" => (Engine::Sqlite, PathBuf::from(f)),
        [e, f] if e == "postgres" => (Engine::Postgres, PathBuf::from(f)),
        _ => {
            eprintln!("usage: upgrade_fixture sqlite|postgres FILE");
            std::process::exit(2);
        }
    };
    let db = TestDb::new(engine).await;
    let store = db.store.clone();
    demo::load(
        &store,
        DemoSize {
            legal_persons: 60,
            individuals: 140,
        },
        &|_, _| {},
    )
    .await
    .unwrap();
    demo::accounts(&store, t0()).await.unwrap();
    for (n, stage) in [(1, 3), (2, 3), (3, 2), (4, 1), (5, 4), (6, 0)] {
        task(&store, n, stage).await;
    }
    let amr = actor(&store, "amr-admin").await;
    let entity = demo::entities(DemoSize {
        legal_persons: 60,
        individuals: 140,
    })[5]
        .id
        .clone();
    liancha_store::testing::mouding_county(&store)
        .await
        .record_targeted(
            &NewTargeted {
                check_in: liancha_store::results::TargetedCheckIn::Paper {
                    reason: "按纸质记录补录".into(),
                },
                entity_id: entity,
                department: "amr".into(),
                source: TargetedSource::Complaint,
                document_ref: "牟市监投〔2026〕12号".into(),
                inspected_on: today(),
                items: vec!["SC-001".into()],
                findings: "投诉核查：未发现问题".into(),
            },
            &amr,
            t0(),
        )
        .await
        .unwrap();
    let out_abs = std::path::absolute(&out).unwrap();
    let written = store.backup(&out_abs).await.unwrap();
    eprintln!("{} bytes by {}", written.bytes, written.method);
    db.finish().await;
}
