//! Official numbers (发文字号), on both engines: a department sets its 机关代字 and
//! agency code; a published plan, a sealed task and each drawn visit's notice get
//! the next number of the year, gapless, a refused step taking none, and two
//! sealings at once never the same one.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use liancha_app::plans::{NewPlan, NewPlanEntry};
use liancha_app::{App, AppError};
use liancha_domain::Domain;
use liancha_domain::workflow::SourceDecl;
use liancha_store::Store;
use liancha_store::numbers::DepartmentIssuer;
use liancha_store::tasks::QuotaSpec;

mod common;
use common::ctx;

liancha_store::on_both_engines!(
    plans_tasks_and_notices_are_numbered,
    two_sealings_at_once_take_two_numbers
);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap()
}

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
}

fn dice() -> Vec<SourceDecl> {
    vec![SourceDecl::other("公证员现场掷骰", t0() + Duration::minutes(5)).unwrap()]
}

async fn plans_tasks_and_notices_are_numbered(store: &Store) {
    let mouding = common::demo_county(store, 30, 30, t0()).await;
    let app = App::new(store.clone());
    let amr = ctx(store, "amr-admin", t0()).await;
    let agri = ctx(store, "agri-admin", t0()).await;
    let bianban = ctx(store, "bianban", t0()).await;

    // A department sets its own; a bad word or code is refused, nothing written.
    let before = app.issuers(&amr).await.unwrap();
    let mut mine = before
        .iter()
        .find(|i| i.department == "amr")
        .unwrap()
        .clone();
    assert_eq!(mine.task_word, "牟市监抽", "the demo's");
    for (field, bad) in [
        (
            "plan_word",
            DepartmentIssuer {
                plan_word: "牟市监〔2026〕".into(),
                ..mine.clone()
            },
        ),
        (
            "agency_code",
            DepartmentIssuer {
                agency_code: "1234".into(),
                ..mine.clone()
            },
        ),
    ] {
        match app.set_issuer(&amr, &bad).await {
            Err(AppError::Invalid { field: Some(f), .. }) => assert_eq!(f, field),
            other => panic!("expected a refusal of {field}, got {other:?}"),
        }
    }
    assert!(matches!(
        app.set_issuer(&agri, &mine).await,
        Err(AppError::Forbidden)
    ));
    assert_eq!(app.issuers(&amr).await.unwrap(), before);
    mine.plan_word = " 牟市监计 ".into();
    app.set_issuer(&amr, &mine).await.unwrap();
    let saved = app.issuers(&amr).await.unwrap();
    assert_eq!(
        saved
            .iter()
            .find(|i| i.department == "amr")
            .unwrap()
            .plan_word,
        "牟市监计"
    );

    // A word is one department's own.
    let mut theirs = saved
        .iter()
        .find(|i| i.department == "agri")
        .unwrap()
        .clone();
    theirs.task_word = "牟市监抽".into();
    let admin = ctx(store, "admin", t0()).await;
    match app.set_issuer(&admin, &theirs).await {
        Err(AppError::Invalid {
            field: Some(f),
            message,
        }) => {
            assert_eq!(f, "task_word");
            assert!(
                message.contains("已由牟定县市场监督管理局使用"),
                "{message}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }

    // Plans: numbered when published, in the year of issue (GB/T 9704), whatever
    // year they plan.
    let mut plans = Vec::new();
    for (year, title) in [(2027, "甲计划"), (2028, "乙计划")] {
        let id = app
            .create_plan(
                &bianban,
                &NewPlan {
                    year,
                    domain: Domain::Market,
                    title: title.into(),
                    lead_department: "amr".into(),
                    departments: vec!["agri".into()],
                },
            )
            .await
            .unwrap();
        plans.push(id);
    }
    // Refused (no entries yet): takes no number.
    assert!(app.publish_plan(&bianban, plans[0]).await.is_err());
    for id in &plans {
        app.add_plan_entry(
            &bianban,
            *id,
            &NewPlanEntry {
                month: 3,
                title: "食品经营者联合抽查".into(),
                items: vec!["SC-001".into()],
                scope: "全县".into(),
            },
        )
        .await
        .unwrap();
    }
    app.publish_plan(&bianban, plans[1]).await.unwrap();
    app.publish_plan(&bianban, plans[0]).await.unwrap();
    for (id, number) in [
        (plans[1], "牟市监计〔2026〕1号"),
        (plans[0], "牟市监计〔2026〕2号"),
    ] {
        assert_eq!(
            mouding.annual_plan(id).await.unwrap().unwrap().number,
            number
        );
    }

    // Tasks: numbered when sealed; a seal refused (before anything is written)
    // takes none.
    let task = |title: &str, quotas| common::joint_task(title, quotas, start());
    let hand = mouding
        .create_task(
            &task("未声明随机源", QuotaSpec::RuleBook),
            &bianban.actor(),
            t0(),
        )
        .await
        .unwrap();
    assert!(
        mouding
            .commit_task(hand, 1, &[], &bianban.actor(), t0())
            .await
            .is_err()
    );
    assert_eq!(mouding.task_or_404(hand).await.unwrap().number, "");
    let mut sealed = Vec::new();
    for title in ["一", "二"] {
        let id = mouding
            .create_task(&task(title, QuotaSpec::RuleBook), &bianban.actor(), t0())
            .await
            .unwrap();
        liancha_store::testing::approve(&mouding, id, 1, t0()).await;
        mouding
            .commit_task(id, 1, &dice(), &bianban.actor(), t0())
            .await
            .unwrap();
        sealed.push(mouding.task_or_404(id).await.unwrap());
    }
    assert_eq!(sealed[0].number, "牟市监抽〔2026〕1号");
    assert_eq!(sealed[1].number, "牟市监抽〔2026〕2号");
    // The national code: agency, the day sealed (Beijing), the day's sequence.
    let agency = &mine.agency_code;
    assert_eq!(agency.len(), 18);
    assert_eq!(sealed[0].national_code, format!("{agency}20261126001"));
    assert_eq!(sealed[1].national_code, format!("{agency}20261126002"));

    // Notices: at the draw, each visit a team makes, in draw order.
    let drawn = &sealed[0];
    mouding
        .reveal_and_draw(
            drawn.id,
            drawn.version,
            &["6 2 3".into()],
            &bianban.actor(),
            t0() + Duration::minutes(6),
        )
        .await
        .unwrap();
    let visits = mouding.visits(drawn.id).await.unwrap();
    let numbered: Vec<&str> = visits
        .iter()
        .filter(|v| v.team_no.is_some())
        .map(|v| v.notice_number.as_str())
        .collect();
    assert!(!numbered.is_empty());
    let expected: Vec<String> = (1..=numbered.len())
        .map(|n| format!("牟市监检通〔2026〕{n}号"))
        .collect();
    assert_eq!(numbered, expected);
    assert!(
        visits
            .iter()
            .filter(|v| v.team_no.is_none())
            .all(|v| v.notice_number.is_empty())
    );

    // Kinds that share a word share its sequence: no number twice.
    let mut shared = mine.clone();
    shared.task_word = "牟市监计".into();
    app.set_issuer(&amr, &shared).await.unwrap();
    let id = mouding
        .create_task(
            &task("同一代字", QuotaSpec::RuleBook),
            &bianban.actor(),
            t0(),
        )
        .await
        .unwrap();
    liancha_store::testing::approve(&mouding, id, 1, t0()).await;
    mouding
        .commit_task(id, 1, &dice(), &bianban.actor(), t0())
        .await
        .unwrap();
    assert_eq!(
        mouding.task_or_404(id).await.unwrap().number,
        "牟市监计〔2026〕3号"
    );

    // A department without a word: not numbered, and nothing is said to be.
    let mut none = shared.clone();
    none.task_word = String::new();
    none.agency_code = String::new();
    app.set_issuer(&amr, &none).await.unwrap();
    let id = mouding
        .create_task(&task("三", QuotaSpec::RuleBook), &bianban.actor(), t0())
        .await
        .unwrap();
    liancha_store::testing::approve(&mouding, id, 1, t0()).await;
    mouding
        .commit_task(id, 1, &dice(), &bianban.actor(), t0())
        .await
        .unwrap();
    let t = mouding.task_or_404(id).await.unwrap();
    assert_eq!((t.number.as_str(), t.national_code.as_str()), ("", ""));
}

/// Two coordinators seal two tasks of one department at the same moment: each
/// gets its own number, the two consecutive.
async fn two_sealings_at_once_take_two_numbers(store: &Store) {
    let mouding = common::demo_county(store, 20, 20, t0()).await;
    let bianban = ctx(store, "bianban", t0()).await;
    let mut all = Vec::new();
    for round in 0..4 {
        let mut ids = Vec::new();
        for side in ["甲", "乙"] {
            ids.push(
                mouding
                    .create_task(
                        &common::joint_task(
                            &format!("{round}{side}"),
                            QuotaSpec::RuleBook,
                            start(),
                        ),
                        &bianban.actor(),
                        t0(),
                    )
                    .await
                    .unwrap(),
            );
        }
        for id in &ids {
            liancha_store::testing::approve(&mouding, *id, 1, t0()).await;
        }
        let actor = bianban.actor();
        let sources = dice();
        let (a, b) = tokio::join!(
            mouding.commit_task(ids[0], 1, &sources, &actor, t0()),
            mouding.commit_task(ids[1], 1, &sources, &actor, t0()),
        );
        a.unwrap();
        b.unwrap();
        for id in ids {
            all.push(mouding.task_or_404(id).await.unwrap().number);
        }
    }
    all.sort_by_key(|n| {
        n.trim_start_matches("牟市监抽〔2026〕")
            .trim_end_matches('号')
            .parse::<u32>()
            .unwrap()
    });
    let expected: Vec<String> = (1..=8).map(|n| format!("牟市监抽〔2026〕{n}号")).collect();
    assert_eq!(all, expected);
}
