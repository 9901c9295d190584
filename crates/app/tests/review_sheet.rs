//! The reviewer's sheet on both engines: every assigned visit with each item's
//! result, the filters recounted from what was entered, a return from the sheet, and
//! who reads it.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use liancha_app::review_sheet::SheetFilter;
use liancha_app::{App, AppError, Context};
use liancha_domain::InspectionMethod;
use liancha_domain::workflow::{ResultCategory, SourceDecl, VisitState};
use liancha_store::Store;
use liancha_store::results::ItemResult;
use liancha_store::tasks::QuotaSpec;

mod common;

liancha_store::on_both_engines!(the_sheet_shows_every_visit_and_counts_what_it_filters);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

async fn ctx(store: &Store, name: &str) -> Context {
    common::ctx(store, name, t0() + Duration::minutes(10)).await
}

fn result(code: &str, category: ResultCategory, findings: &str) -> ItemResult {
    ItemResult {
        item_code: code.into(),
        categories: vec![category],
        methods: vec![InspectionMethod::OnSite],
        findings: findings.into(),
    }
}

async fn the_sheet_shows_every_visit_and_counts_what_it_filters(store: &Store) {
    let mouding = common::demo_county(store, 60, 140, t0()).await;
    let app = App::new(store.clone());
    let coordinator = ctx(store, "bianban").await;
    let amr = ctx(store, "amr-admin").await;
    let agri = ctx(store, "agri-admin").await;
    let id = mouding
        .create_task(
            &common::joint_task("审核表用例", QuotaSpec::Count([2, 2, 2, 2]), today()),
            &coordinator.actor(),
            t0(),
        )
        .await
        .unwrap();
    let v = mouding.task_or_404(id).await.unwrap().version;
    let dice = SourceDecl::other("掷骰", t0() + Duration::minutes(5)).unwrap();
    let sealing = Context::new(coordinator.principal.clone(), t0());
    liancha_store::testing::approve(&mouding, id, v, t0()).await;
    app.commit(&sealing, id, v, &[dice], true).await.unwrap();
    let v = mouding.task_or_404(id).await.unwrap().version;
    app.draw(&coordinator, id, v, &["1 2 3".into()], true)
        .await
        .unwrap();
    liancha_store::testing::check_in_all(&mouding, id, chrono::Utc::now()).await;
    let mut visits = mouding.visits(id).await.unwrap();
    visits.sort_by_key(|v| v.draw_order);
    let assigned: Vec<String> = visits
        .iter()
        .filter(|v| v.team_no.is_some())
        .map(|v| v.entity_id.clone())
        .collect();
    assert!(assigned.len() >= 3, "{assigned:?}");

    // Visit 0: both departments, no problem (submitted). Visit 1: both, a market
    // problem (submitted). Visit 2: only agriculture's item (still pending).
    let on = Some(today());
    let ok = ResultCategory::NoProblem;
    app.record_results(
        &amr,
        id,
        &assigned[0],
        on,
        &[result("SC-001", ok, "")],
        None,
    )
    .await
    .unwrap();
    app.record_results(
        &agri,
        id,
        &assigned[0],
        on,
        &[result("NY-001", ok, "")],
        None,
    )
    .await
    .unwrap();
    app.record_results(
        &amr,
        id,
        &assigned[1],
        on,
        &[result("SC-001", ResultCategory::NotDisclosed, "未公示年报")],
        None,
    )
    .await
    .unwrap();
    app.record_results(
        &agri,
        id,
        &assigned[1],
        on,
        &[result("NY-001", ok, "")],
        None,
    )
    .await
    .unwrap();
    app.record_results(
        &agri,
        id,
        &assigned[2],
        on,
        &[result("NY-001", ok, "")],
        None,
    )
    .await
    .unwrap();

    let sheet = app.review_sheet(&amr, id, SheetFilter::All).await.unwrap();
    assert_eq!(sheet.lines.len(), assigned.len(), "every assigned visit");
    assert_eq!(sheet.review_department.as_deref(), Some("amr"));
    let count = |f: SheetFilter| sheet.counts.iter().find(|(g, _)| *g == f).unwrap().1;
    assert_eq!(count(SheetFilter::All), assigned.len());
    assert_eq!(count(SheetFilter::Problems), 1);
    assert_eq!(count(SheetFilter::Submitted), 2);
    assert_eq!(count(SheetFilter::Open), assigned.len() - 2);
    assert_eq!(count(SheetFilter::Returned), 0);
    // Each line lists the task's items in order, with what was entered.
    let line = sheet
        .lines
        .iter()
        .find(|l| l.visit.entity_id == assigned[1])
        .unwrap();
    assert!(line.has_problem && line.returnable);
    assert_eq!(line.results[0].0, "SC-001");
    assert_eq!(line.results[0].1.as_ref().unwrap().findings, "未公示年报");
    let partial = sheet
        .lines
        .iter()
        .find(|l| l.visit.entity_id == assigned[2])
        .unwrap();
    assert!(partial.results[0].1.is_none() && partial.results[1].1.is_some());
    assert!(!partial.returnable, "only a submitted visit is returned");
    assert!(partial.risk_class.is_some());

    let problems = app
        .review_sheet(&amr, id, SheetFilter::Problems)
        .await
        .unwrap();
    assert_eq!(problems.lines.len(), 1);
    assert_eq!(problems.lines[0].visit.entity_id, assigned[1]);

    // From household to household: the previous and next visits in draw order.
    let view = app.visit_view(&amr, id, &assigned[1]).await.unwrap();
    assert_eq!(view.previous.map(|p| p.0), Some(assigned[0].clone()));
    assert_eq!(view.next.map(|p| p.0), Some(assigned[2].clone()));
    let first = app.visit_view(&amr, id, &assigned[0]).await.unwrap();
    assert!(first.previous.is_none());
    let last = app
        .visit_view(&amr, id, assigned.last().unwrap())
        .await
        .unwrap();
    assert!(last.next.is_none());
    // The next household still to enter skips the submitted ones, and starts from the
    // first again past the last; it is not repeated when it is simply the next.
    assert_eq!(first.next.map(|p| p.0), Some(assigned[1].clone()));
    assert_eq!(first.next_open.map(|p| p.0), Some(assigned[2].clone()));
    assert_eq!(
        view.next_open, None,
        "visit 2 is both the next and the next open"
    );
    if assigned.len() > 3 {
        assert_eq!(last.next_open.map(|p| p.0), Some(assigned[2].clone()));
    }
    // A department entering paper forms skips households where its own items are in
    // (visit 2 waits only for the market's item).
    let agri_first = app.visit_view(&agri, id, &assigned[0]).await.unwrap();
    assert_eq!(
        agri_first.next_open.map(|p| p.0),
        assigned.get(3).cloned(),
        "visit 2 holds agriculture's result already"
    );

    // Returned from the sheet: the filters follow.
    app.return_visit(&amr, id, &assigned[1], "请补充整改期限")
        .await
        .unwrap();
    let returned = app
        .review_sheet(&amr, id, SheetFilter::Returned)
        .await
        .unwrap();
    assert_eq!(returned.lines.len(), 1);
    assert_eq!(returned.lines[0].visit.state, VisitState::Returned);
    assert!(!returned.lines[0].returnable);

    // The coordinator and the oversight office read it; they review nothing.
    for name in ["bianban", "duchashi"] {
        let sheet = app
            .review_sheet(&ctx(store, name).await, id, SheetFilter::All)
            .await
            .unwrap();
        assert_eq!(sheet.review_department, None, "{name}");
        assert!(sheet.lines.iter().all(|l| !l.returnable));
    }
    // An inspector sees their own team's visits on the task page, not the sheet.
    let inspector = ctx(store, "inspector").await;
    let r = app.review_sheet(&inspector, id, SheetFilter::All).await;
    assert!(matches!(r, Err(AppError::Forbidden)), "{r:?}");
}
