//! The review use cases decide who enters, returns, approves and publishes, on both
//! engines: a refusal is a structured error and changes nothing.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use liancha_app::{App, AppError, Context};
use liancha_domain::auth::Role;
use liancha_domain::workflow::{ResultCategory, SourceDecl, TaskMode, VisitState};
use liancha_domain::{Domain, InspectionMethod};
use liancha_store::Store;
use liancha_store::demo::{self, DemoSize};
use liancha_store::results::ItemResult;
use liancha_store::tasks::{NewTask, QuotaSpec, TaskScopeFilter};

liancha_store::on_both_engines!(who_enters_reviews_and_publishes);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

async fn ctx(store: &Store, name: &str) -> Context {
    let u = store.user_by_name(name).await.unwrap().unwrap();
    Context::new(u.principal(), t0() + Duration::minutes(10))
}

fn ok(code: &str) -> ItemResult {
    ItemResult {
        item_code: code.into(),
        categories: vec![ResultCategory::NoProblem],
        methods: vec![InspectionMethod::OnSite],
        findings: String::new(),
    }
}

async fn who_enters_reviews_and_publishes(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    demo::load(
        store,
        DemoSize {
            legal_persons: 60,
            individuals: 140,
        },
        &|_, _| {},
    )
    .await
    .unwrap();
    demo::accounts(store, t0()).await.unwrap();
    let app = App::new(store.clone());
    let coordinator = ctx(store, "bianban").await;
    let amr = ctx(store, "amr-admin").await;
    let agri = ctx(store, "agri-admin").await;
    let id = mouding
        .create_task(
            &NewTask {
                year: 2026,
                title: "审核用例".into(),
                domain: Domain::Market,
                mode: TaskMode::Comprehensive,
                lead_department: "amr".into(),
                items: vec!["SC-001".into(), "NY-001".into()],
                scope: TaskScopeFilter::default(),
                quotas: QuotaSpec::Count([1, 1, 1, 1]),
                team_count: 2,
                team_size: 2,
                avoid_same_township: false,
                inspection_start: today(),
                inspection_end: today() + Duration::days(30),
                plan_entry_id: None,
            },
            &coordinator.actor(),
            t0(),
        )
        .await
        .unwrap();
    let v = mouding.task_or_404(id).await.unwrap().version;
    let dice = SourceDecl::other("掷骰", t0() + Duration::minutes(5)).unwrap();
    let sealing = Context::new(coordinator.principal.clone(), t0());
    liancha_store::testing::approve(&mouding, id, v, t0()).await;
    // Only the managing department or the coordinator seals and draws.
    let r = app
        .commit(&agri, id, v, std::slice::from_ref(&dice), true)
        .await;
    assert!(matches!(r, Err(AppError::Forbidden)), "{r:?}");
    // Sealing cannot be undone: without the clerk's confirmation it is refused.
    let r = app
        .commit(&sealing, id, v, std::slice::from_ref(&dice), false)
        .await;
    assert!(
        matches!(&r, Err(AppError::Invalid { field: Some(f), .. }) if f == "confirm"),
        "{r:?}"
    );
    assert_eq!(
        mouding.task_or_404(id).await.unwrap().version,
        v,
        "nothing changed"
    );
    // drand alone would let anyone compute the draw before the visits.
    let beacon = SourceDecl::drand(SourceDecl::drand_round_after(t0() + Duration::minutes(5)));
    let r = app
        .commit(&sealing, id, v, std::slice::from_ref(&beacon), true)
        .await;
    assert!(
        matches!(&r, Err(AppError::Invalid { field: Some(f), .. }) if f == "other_source"),
        "{r:?}"
    );
    assert_eq!(mouding.task_or_404(id).await.unwrap().version, v);
    app.commit(&sealing, id, v, &[dice], true).await.unwrap();
    let v = mouding.task_or_404(id).await.unwrap().version;
    let r = app.draw(&agri, id, v, &["2 7 1 8".into()], true).await;
    assert!(matches!(r, Err(AppError::Forbidden)), "{r:?}");
    app.draw(&coordinator, id, v, &["2 7 1 8".into()], true)
        .await
        .unwrap();
    liancha_store::testing::check_in_all(&mouding, id, chrono::Utc::now()).await;
    let r = app.cancel(&coordinator, id, v, "重复").await;
    assert!(
        matches!(r, Err(AppError::Conflict(_))),
        "a stale version: {r:?}"
    );
    let members = mouding.team_members(id).await.unwrap();
    let visits = mouding.visits(id).await.unwrap();
    let visit = visits.iter().find(|v| v.team_no.is_some()).unwrap();
    let entity = visit.entity_id.clone();

    // Each department's admin sees its own items on the form.
    let view = app.visit_view(&amr, id, &entity).await.unwrap();
    assert!(view.editable);
    assert_eq!(view.entry_items, ["SC-001"]);
    assert_eq!(view.review_department.as_deref(), Some("amr"));
    // The agriculture admin posting a market item: forbidden, nothing saved.
    let audit_before = mouding.audit_for_task(id).await.unwrap().len();
    let r = app
        .record_results(
            &agri,
            id,
            &entity,
            Some(today()),
            &[ok("SC-001"), ok("NY-001")],
            None,
        )
        .await;
    assert!(matches!(r, Err(AppError::Forbidden)), "{r:?}");
    assert!(mouding.visit_results(id, &entity).await.unwrap().is_empty());
    assert_eq!(
        mouding.audit_for_task(id).await.unwrap().len(),
        audit_before
    );
    // A missing date names its field.
    let r = app
        .record_results(&amr, id, &entity, None, &[ok("SC-001")], None)
        .await;
    assert!(
        matches!(&r, Err(AppError::Invalid { field: Some(f), .. }) if f == "inspected_on"),
        "{r:?}"
    );
    // Department by department: pending after the first, submitted after the second.
    let s = app
        .record_results(&amr, id, &entity, Some(today()), &[ok("SC-001")], None)
        .await
        .unwrap();
    assert_eq!(s, VisitState::Pending);
    let s = app
        .record_results(&agri, id, &entity, Some(today()), &[ok("NY-001")], None)
        .await
        .unwrap();
    assert_eq!(s, VisitState::Submitted);
    assert!(!app.visit_view(&amr, id, &entity).await.unwrap().editable);

    // An inspector of another team cannot open the visit; one of its team can.
    let inspector = store.user_by_name("inspector").await.unwrap().unwrap();
    let as_member = |inspector_id: &str| {
        let mut p = inspector.principal();
        assert_eq!(p.role, Role::Inspector);
        p.inspector_id = Some(inspector_id.into());
        Context::new(p, coordinator.now)
    };
    let outsider = members
        .iter()
        .find(|m| Some(m.team_no) != visit.team_no)
        .unwrap();
    let insider = members
        .iter()
        .find(|m| Some(m.team_no) == visit.team_no)
        .unwrap();
    let r = app
        .visit_access(&as_member(&outsider.inspector_id), id, &entity)
        .await;
    assert!(matches!(r, Err(AppError::Forbidden)), "{r:?}");
    let view = app
        .visit_view(&as_member(&insider.inspector_id), id, &entity)
        .await
        .unwrap();
    assert_eq!(view.entry_items, ["SC-001", "NY-001"]);
    assert!(!view.editable, "already submitted");
    let r = app.visit_access(&amr, id, "91532323000000000X").await;
    assert!(matches!(r, Err(AppError::NotFound(_))), "{r:?}");

    // Reviewing is a department's; publishing the lead department's.
    let r = app
        .approve_results(&as_member(&insider.inspector_id), id, true)
        .await;
    assert!(matches!(r, Err(AppError::Forbidden)), "{r:?}");
    let version = mouding.task_or_404(id).await.unwrap().version;
    let r = app.publish(&agri, id, version, true).await;
    assert!(matches!(r, Err(AppError::Forbidden)), "{r:?}");
    // Publishing before every visit is in and approved is refused.
    let r = app.publish(&amr, id, version, true).await;
    assert!(matches!(r, Err(AppError::Invalid { .. })), "{r:?}");
    // A stale version is a conflict.
    let r = app.publish(&amr, id, version - 1, true).await;
    assert!(matches!(r, Err(AppError::Conflict(_))), "{r:?}");

    // The other visits: one entity refuses the inspection of both departments.
    let refused = |code: &str| ItemResult {
        item_code: code.into(),
        categories: vec![ResultCategory::Obstructed],
        methods: vec![InspectionMethod::OnSite],
        findings: "拒绝检查".into(),
    };
    let rest: Vec<String> = visits
        .iter()
        .filter(|v| v.team_no.is_some() && v.entity_id != entity)
        .map(|v| v.entity_id.clone())
        .collect();
    let obstructing = rest[0].clone();
    for e in &rest {
        let (sc, ny) = if *e == obstructing {
            (refused("SC-001"), refused("NY-001"))
        } else {
            (ok("SC-001"), ok("NY-001"))
        };
        app.record_results(&amr, id, e, Some(today()), &[sc], None)
            .await
            .unwrap();
        app.record_results(&agri, id, e, Some(today()), &[ny], None)
            .await
            .unwrap();
    }
    let r = app.approve_results(&amr, id, false).await;
    assert!(
        matches!(r, Err(AppError::Invalid { .. })),
        "unconfirmed: {r:?}"
    );
    assert!(
        mouding
            .reviews(id)
            .await
            .unwrap()
            .iter()
            .all(|r| r.approved_at.is_none())
    );
    app.approve_results(&amr, id, true).await.unwrap();
    app.approve_results(&agri, id, true).await.unwrap();
    let version = mouding.task_or_404(id).await.unwrap().version;
    let r = app.publish(&amr, id, version, false).await;
    assert!(
        matches!(r, Err(AppError::Invalid { .. })),
        "unconfirmed: {r:?}"
    );
    app.publish(&amr, id, version, true).await.unwrap();
    // One case per department, each naming its item; one blacklist proposal naming
    // both, for the lead department to decide.
    let follow_ups = mouding.follow_ups(None, true).await.unwrap();
    let mut summary: Vec<(String, Vec<String>)> = follow_ups
        .iter()
        .filter(|f| f.entity_id == obstructing)
        .map(|f| (f.department.clone(), f.items.clone()))
        .collect();
    summary.sort();
    assert_eq!(
        summary,
        [
            ("agri".to_string(), vec!["NY-001".to_string()]),
            ("amr".to_string(), vec!["SC-001".to_string()]),
        ]
    );
    let proposals = mouding.credit_proposals(None).await.unwrap();
    assert_eq!(proposals.len(), 1, "{proposals:?}");
    assert_eq!(proposals[0].entity_id, obstructing);
    assert_eq!(proposals[0].items, ["NY-001", "SC-001"]);
    assert_eq!(proposals[0].department, "amr");

    // Each department works its own follow-ups and decides its proposals.
    use liancha_app::follow_up::{FollowUpChange, department_view};
    let amr_case = follow_ups
        .iter()
        .find(|f| f.entity_id == obstructing && f.department == "amr")
        .unwrap();
    let close = || FollowUpChange::Close {
        note: "已立案".into(),
        confirmed: true,
    };
    let r = app.change_follow_up(&agri, amr_case.id, close()).await;
    assert!(matches!(r, Err(AppError::Forbidden)), "{r:?}");
    // 办结 is final: unconfirmed, it is refused and the follow-up stays open.
    let r = app
        .change_follow_up(
            &amr,
            amr_case.id,
            FollowUpChange::Close {
                note: "已立案".into(),
                confirmed: false,
            },
        )
        .await;
    assert!(
        matches!(&r, Err(AppError::Invalid { field, .. }) if field.as_deref() == Some("confirm")),
        "unconfirmed close: {r:?}"
    );
    assert_eq!(
        mouding.follow_up(amr_case.id).await.unwrap().unwrap().state,
        amr_case.state
    );
    app.change_follow_up(&amr, amr_case.id, close())
        .await
        .unwrap();
    let r = app.change_follow_up(&amr, amr_case.id, close()).await;
    assert!(
        matches!(r, Err(AppError::Invalid { .. })),
        "closed once: {r:?}"
    );
    let r = app
        .decide_credit(&agri, proposals[0].id, true, "", true)
        .await;
    assert!(matches!(r, Err(AppError::Forbidden)), "{r:?}");
    let r = app
        .decide_credit(&amr, proposals[0].id, true, "", false)
        .await;
    assert!(
        matches!(r, Err(AppError::Invalid { .. })),
        "unconfirmed: {r:?}"
    );
    // 不予列入 is as final as 列入: unconfirmed, the proposal stays proposed.
    let r = app
        .decide_credit(&amr, proposals[0].id, false, "证据不足", false)
        .await;
    assert!(
        matches!(&r, Err(AppError::Invalid { field, .. }) if field.as_deref() == Some("confirm")),
        "unconfirmed rejection: {r:?}"
    );
    assert_eq!(
        mouding
            .credit_proposal(proposals[0].id)
            .await
            .unwrap()
            .unwrap()
            .state,
        proposals[0].state
    );
    app.decide_credit(&amr, proposals[0].id, true, "", true)
        .await
        .unwrap();
    assert!(
        mouding
            .entity(&obstructing)
            .await
            .unwrap()
            .unwrap()
            .blacklisted
    );
    let r = app.decide_credit(&amr, 999_999, true, "", true).await;
    assert!(matches!(r, Err(AppError::NotFound(_))), "{r:?}");
    assert_eq!(department_view(&amr).unwrap().as_deref(), Some("amr"));
    assert_eq!(department_view(&coordinator).unwrap(), None);
    assert!(matches!(
        department_view(&as_member(&insider.inspector_id)),
        Err(AppError::Forbidden)
    ));
}
