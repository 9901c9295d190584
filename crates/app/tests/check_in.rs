//! 扫码入企 on both engines: the team checks in with the entity's code before it
//! enters results; a department's paper entry without a check-in says why; the
//! entity rates the visit and complains through the code, the oversight office
//! reads and answers; the dashboard's list of visits not checked in.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use liancha_app::{App, AppError, Context};
use liancha_domain::InspectionMethod;
use liancha_domain::auth::Role;
use liancha_domain::check_in::{CheckInMode, Location, MAX_COMPLAINTS_PER_VISIT};
use liancha_domain::workflow::{ResultCategory, SourceDecl, VisitState};
use liancha_store::Store;
use liancha_store::results::ItemResult;
use liancha_store::tasks::QuotaSpec;

mod common;

liancha_store::on_both_engines!(checked_in_before_results_and_the_entity_speaks);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

fn ok(code: &str) -> ItemResult {
    ItemResult {
        item_code: code.into(),
        categories: vec![ResultCategory::NoProblem],
        methods: vec![InspectionMethod::OnSite],
        findings: String::new(),
    }
}

async fn checked_in_before_results_and_the_entity_speaks(store: &Store) {
    let mouding = common::demo_county(store, 60, 140, t0()).await;
    let app = App::new(store.clone());
    let at = t0() + Duration::minutes(10);
    let coordinator = common::ctx(store, "bianban", at).await;
    let amr = common::ctx(store, "amr-admin", at).await;
    let agri = common::ctx(store, "agri-admin", at).await;
    let oversight = common::ctx(store, "duchashi", at).await;
    let id = mouding
        .create_task(
            &common::joint_task("扫码入企用例", QuotaSpec::Count([2, 2, 2, 2]), today()),
            &coordinator.actor(),
            t0(),
        )
        .await
        .unwrap();
    let v = mouding.task_or_404(id).await.unwrap().version;
    liancha_store::testing::approve(&mouding, id, v, t0()).await;
    let dice = SourceDecl::other("掷骰", t0() + Duration::minutes(5)).unwrap();
    app.commit(
        &Context::new(coordinator.principal.clone(), t0()),
        id,
        v,
        &[dice],
        true,
    )
    .await
    .unwrap();
    let v = mouding.task_or_404(id).await.unwrap().version;
    app.draw(&coordinator, id, v, &["1 2 3".into()], true)
        .await
        .unwrap();
    let mut visits = mouding.visits(id).await.unwrap();
    visits.sort_by_key(|v| v.draw_order);
    let assigned: Vec<_> = visits.iter().filter(|v| v.team_no.is_some()).collect();
    let (visit, paper) = (assigned[0], assigned[1]);
    let members = mouding.team_members(id).await.unwrap();
    let team: Vec<_> = members
        .iter()
        .filter(|m| m.active && Some(m.team_no) == visit.team_no)
        .collect();
    let outsider = members
        .iter()
        .find(|m| Some(m.team_no) != visit.team_no)
        .unwrap();
    let inspector = store.user_by_name("inspector").await.unwrap().unwrap();
    let as_member = |inspector_id: &str| {
        let mut p = inspector.principal();
        assert_eq!(p.role, Role::Inspector);
        p.inspector_id = Some(inspector_id.into());
        Context::new(p, at)
    };
    let me = as_member(&team[0].inspector_id);
    let both = [ok("SC-001"), ok("NY-001")];

    // The team cannot enter results before checking in.
    let r = app
        .record_results(&me, id, &visit.entity_id, Some(today()), &both, None)
        .await;
    assert!(
        matches!(&r, Err(AppError::WrongState(m)) if m.contains("签到")),
        "{r:?}"
    );
    // Only the team checks in, with the entity's code, and two inspectors at least.
    let present = [team[1].inspector_id.clone()];
    for (who, code, present) in [
        (&amr, visit.check_code.as_str(), &present[..]),
        (
            &as_member(&outsider.inspector_id),
            visit.check_code.as_str(),
            &present[..],
        ),
    ] {
        let r = app
            .check_in(who, id, &visit.entity_id, code, present, None)
            .await;
        assert!(matches!(r, Err(AppError::Forbidden)), "{r:?}");
    }
    let r = app
        .check_in(&me, id, &visit.entity_id, &paper.check_code, &present, None)
        .await;
    assert!(
        matches!(&r, Err(AppError::Invalid { field: Some(f), .. }) if f == "code"),
        "{r:?}"
    );
    let r = app
        .check_in(&me, id, &visit.entity_id, &visit.check_code, &[], None)
        .await;
    assert!(
        matches!(&r, Err(AppError::Invalid { field: Some(f), .. }) if f == "present"),
        "{r:?}"
    );
    let stranger = [outsider.inspector_id.clone()];
    let r = app
        .check_in(
            &me,
            id,
            &visit.entity_id,
            &visit.check_code,
            &stranger,
            None,
        )
        .await;
    assert!(
        matches!(&r, Err(AppError::Invalid { field: Some(f), .. }) if f == "present"),
        "{r:?}"
    );
    assert!(
        app.check_ins(&me, id, &visit.entity_id)
            .await
            .unwrap()
            .is_empty()
    );
    let place = Location::parse("25.312345", "101.546789", "18").unwrap();
    app.check_in(
        &me,
        id,
        &visit.entity_id,
        &visit.check_code,
        &present,
        place,
    )
    .await
    .unwrap();
    let ins = app.check_ins(&amr, id, &visit.entity_id).await.unwrap();
    assert_eq!(ins.len(), 1);
    assert_eq!(ins[0].mode, CheckInMode::Code);
    assert_eq!(
        ins[0].inspectors,
        format!("{}、{}", team[0].name, team[1].name)
    );
    assert_eq!(ins[0].location, place);
    let state = app
        .record_results(&me, id, &visit.entity_id, Some(today()), &both, None)
        .await
        .unwrap();
    assert_eq!(state, VisitState::Submitted);

    // A department entering a paper record of a visit never checked in says why;
    // the reason is kept as the visit's check-in, and the next department's entry
    // needs none.
    assert!(
        app.needs_paper_reason(&amr, id, &paper.entity_id)
            .await
            .unwrap()
    );
    for reason in [None, Some("  ")] {
        let r = app
            .record_results(
                &amr,
                id,
                &paper.entity_id,
                Some(today()),
                &[ok("SC-001")],
                reason,
            )
            .await;
        assert!(r.is_err(), "{r:?}");
    }
    assert!(
        mouding
            .visit_results(id, &paper.entity_id)
            .await
            .unwrap()
            .is_empty()
    );
    app.record_results(
        &amr,
        id,
        &paper.entity_id,
        Some(today()),
        &[ok("SC-001")],
        Some("现场无信号，按纸质记录补录"),
    )
    .await
    .unwrap();
    assert!(
        !app.needs_paper_reason(&agri, id, &paper.entity_id)
            .await
            .unwrap()
    );
    app.record_results(
        &agri,
        id,
        &paper.entity_id,
        Some(today()),
        &[ok("NY-001")],
        None,
    )
    .await
    .unwrap();
    let ins = mouding.check_ins(id, &paper.entity_id).await.unwrap();
    assert_eq!(ins.len(), 1);
    assert_eq!(ins[0].mode, CheckInMode::Paper);
    assert_eq!(ins[0].note, "现场无信号，按纸质记录补录");

    // The dashboard flags the paper entry, not the visit checked in on the spot,
    // nor visits still within their period.
    let (n, unchecked) = app.unchecked_visits(&oversight, 2026).await.unwrap();
    assert_eq!(n, 1);
    assert_eq!(unchecked[0].entity_id, paper.entity_id);
    assert_eq!(
        unchecked[0].paper_reason.as_deref(),
        Some("现场无信号，按纸质记录补录")
    );
    // After the period, visits never checked in are flagged too.
    let task = mouding.task_or_404(id).await.unwrap();
    let late = Context::new(
        oversight.principal.clone(),
        Utc.from_utc_datetime(
            &(task.inspection_end + Duration::days(1))
                .and_hms_opt(4, 0, 0)
                .unwrap(),
        ),
    );
    let (n, _) = app.unchecked_visits(&late, 2026).await.unwrap();
    assert_eq!(n as usize, assigned.len() - 1);
    let r = app.unchecked_visits(&amr, 2026).await;
    assert!(matches!(r, Err(AppError::Forbidden)), "{r:?}");

    // The entity rates the visit after the check-in, and complains, anonymously
    // or not; the oversight office reads and answers.
    let now = at + Duration::hours(1);
    let r = app.rate_visit(&assigned[2].check_code, "5", "", now).await;
    assert!(
        matches!(r, Err(AppError::WrongState(_))),
        "not checked in: {r:?}"
    );
    let r = app.rate_visit(&visit.check_code, "6", "", now).await;
    assert!(matches!(r, Err(AppError::Invalid { .. })), "{r:?}");
    let r = app.rate_visit("NOSUCHCODE", "5", "", now).await;
    assert!(matches!(r, Err(AppError::NotFound(_))), "{r:?}");
    app.rate_visit(
        &format!(" {} ", visit.check_code.to_lowercase()),
        "1",
        "",
        now,
    )
    .await
    .unwrap();
    app.rate_visit(&visit.check_code, "2", "等了很久", now)
        .await
        .unwrap();
    app.rate_visit(&visit.check_code, "4", "检查规范", now)
        .await
        .unwrap();
    // Every rating is kept: a second one does not replace the first.
    assert_eq!(
        mouding
            .visit_ratings_count(id, &visit.entity_id)
            .await
            .unwrap(),
        3
    );
    let (n, stars, listed) = app.ratings(&oversight, 2026).await.unwrap();
    assert_eq!((n, stars), (3, 1 + 2 + 4));
    assert_eq!(
        (listed[0].stars, listed[0].comment.as_str()),
        (4, "检查规范")
    );
    let r = app
        .complain(&visit.check_code, "没出示证件", false, "", now)
        .await;
    assert!(
        matches!(r, Err(AppError::Invalid { .. })),
        "no contact: {r:?}"
    );
    app.complain(
        &visit.check_code,
        "检查人员没有出示执法证件",
        true,
        "不会记录",
        now,
    )
    .await
    .unwrap();
    let named = app
        .complain(
            &visit.check_code,
            "重复检查",
            false,
            "王经理 13800000000",
            now,
        )
        .await
        .unwrap();
    for _ in 2..MAX_COMPLAINTS_PER_VISIT {
        app.complain(&visit.check_code, "再次反映", true, "", now)
            .await
            .unwrap();
    }
    let r = app
        .complain(&visit.check_code, "又一次", true, "", now)
        .await;
    assert!(matches!(r, Err(AppError::Conflict(_))), "{r:?}");
    let complaints = app.complaints(&oversight, 2026).await.unwrap();
    assert_eq!(complaints.len() as i64, MAX_COMPLAINTS_PER_VISIT);
    assert!(complaints.iter().all(|c| !c.handled()));
    let anonymous = complaints
        .iter()
        .find(|c| c.text == "检查人员没有出示执法证件")
        .unwrap();
    assert_eq!(anonymous.contact, None, "anonymous keeps no contact");
    let r = app.complaints(&amr, 2026).await;
    assert!(matches!(r, Err(AppError::Forbidden)), "{r:?}");
    let r = app.handle_complaint(&coordinator, named, "已核实").await;
    assert!(matches!(r, Err(AppError::Forbidden)), "{r:?}");
    let r = app.handle_complaint(&oversight, named, " ").await;
    assert!(matches!(r, Err(AppError::Invalid { .. })), "{r:?}");
    app.handle_complaint(&oversight, named, "已约谈检查组，重复检查属实，已通报")
        .await
        .unwrap();
    let r = app.handle_complaint(&oversight, named, "再办一次").await;
    assert!(matches!(r, Err(AppError::WrongState(_))), "{r:?}");
    let handled = app
        .complaints(&oversight, 2026)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.id == named)
        .unwrap();
    assert!(handled.handled());
    assert_eq!(handled.reply, "已约谈检查组，重复检查属实，已通报");

    // The entity's year: this visit among its inspections.
    let year = mouding
        .entity_inspections(&visit.entity_id, 2026, id)
        .await
        .unwrap();
    assert!(
        year.iter()
            .any(|i| i.task_id == Some(id) && i.on == Some(today()))
    );
}
