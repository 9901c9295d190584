//! The draw preview on both engines: the numbers shown before sealing are the sealed
//! plan's, and the draw takes exactly the quota of each risk class; an inspector sees
//! no preview before publication.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use liancha_app::App;
use liancha_domain::Domain;
use liancha_domain::workflow::SourceDecl;
use liancha_store::Store;
use liancha_store::tasks::QuotaSpec;

mod common;
use common::ctx;

liancha_store::on_both_engines!(the_preview_is_what_the_draw_takes);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

async fn the_preview_is_what_the_draw_takes(store: &Store) {
    let mouding = common::demo_county(store, 80, 220, t0()).await;
    let app = App::new(store.clone());
    let coordinator = ctx(store, "bianban", t0()).await;
    // The rule book's ratios: 3% of A rounds up, D may be taken whole.
    let id = mouding
        .create_task(
            &common::joint_task("预览用例", QuotaSpec::RuleBook, today()),
            &coordinator.actor(),
            t0(),
        )
        .await
        .unwrap();
    let (task, scope) = app.task_access(&coordinator, id).await.unwrap();
    let draft = app
        .draw_preview(&coordinator, &task, &scope)
        .await
        .unwrap()
        .expect("a draft is previewed");
    assert!(!draft.frozen);
    assert!(draft.population > 0 && draft.quota > 0, "{draft:?}");
    assert_eq!(
        draft.population,
        draft.strata.iter().map(|s| s.population).sum::<u64>()
    );
    // The rule book's ratios, rounded up per class, never above the class.
    let rules = mouding.rule_book(Domain::Market).await.unwrap();
    for (line, bp) in draft.strata.iter().zip(rules.ratio_bp) {
        let want = (line.population * u64::from(bp))
            .div_ceil(10_000)
            .min(line.population);
        assert_eq!(line.quota, want, "{line:?}");
    }

    let dice = SourceDecl::other("掷骰", t0() + Duration::minutes(5)).unwrap();
    let v = task.version;
    liancha_store::testing::approve(&mouding, id, v, t0()).await;
    app.commit(&coordinator, id, v, &[dice], true)
        .await
        .unwrap();
    let (task, scope) = app.task_access(&coordinator, id).await.unwrap();
    let sealed = app
        .draw_preview(&coordinator, &task, &scope)
        .await
        .unwrap()
        .expect("a sealed task shows its plan");
    assert!(sealed.frozen);
    assert_eq!(
        sealed.strata, draft.strata,
        "what was previewed is what was sealed"
    );
    assert_eq!(sealed.excluded, draft.excluded);

    let later = ctx(store, "bianban", t0() + Duration::minutes(10)).await;
    app.draw(&later, id, task.version, &["3 1 4 1".into()], true)
        .await
        .unwrap();
    let record =
        liancha_draw::Record::parse(mouding.draw_record(id).await.unwrap().unwrap().as_bytes())
            .unwrap();
    let mut drawn: BTreeMap<String, u64> = BTreeMap::new();
    for s in &record.result().selected {
        *drawn.entry(s.stratum.clone()).or_default() += 1;
    }
    for line in &sealed.strata {
        assert_eq!(
            drawn.get(line.class.code()).copied().unwrap_or(0),
            line.quota,
            "{line:?}"
        );
    }

    // An inspector reads only their team's visits before publication: no preview.
    let inspector = ctx(store, "inspector", t0()).await;
    let (task, scope) = app.task_access(&coordinator, id).await.unwrap();
    let r = app.draw_preview(&inspector, &task, &scope).await;
    assert!(
        matches!(r, Ok(None) | Err(liancha_app::AppError::Forbidden)),
        "{r:?}"
    );
}
