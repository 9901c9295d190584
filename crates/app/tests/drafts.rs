//! 暂存: a result form saved on the way is its author's alone, only where they may
//! enter results, and gone once their results are in; on both engines.

mod common;

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use liancha_app::{App, AppError};
use liancha_domain::InspectionMethod;
use liancha_domain::workflow::{ResultCategory, SourceDecl};
use liancha_store::Store;
use liancha_store::results::ItemResult;
use liancha_store::tasks::QuotaSpec;

liancha_store::on_both_engines!(a_draft_is_its_authors_until_the_results_are_in);

fn item(code: &str, categories: Vec<ResultCategory>, findings: &str) -> ItemResult {
    ItemResult {
        item_code: code.into(),
        categories,
        methods: vec![InspectionMethod::OnSite],
        findings: findings.into(),
    }
}

async fn a_draft_is_its_authors_until_the_results_are_in(store: &Store) {
    let t0 = Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
    let county = common::demo_county(store, 60, 140, t0).await;
    let app = App::new(store.clone());
    let coordinator = common::ctx(store, "bianban", t0).await;
    let amr = common::ctx(store, "amr-admin", t0 + Duration::hours(1)).await;
    let agri = common::ctx(store, "agri-admin", t0 + Duration::hours(1)).await;
    let id = app
        .create_task(
            &coordinator,
            &common::joint_task("暂存用例", QuotaSpec::Count([1, 1, 1, 1]), today),
        )
        .await
        .unwrap();
    let v = county.task_or_404(id).await.unwrap().version;
    liancha_store::testing::approve(&county, id, v, t0).await;
    let dice = SourceDecl::other("掷骰", t0 + Duration::minutes(5)).unwrap();
    app.commit(&coordinator, id, v, &[dice], true)
        .await
        .unwrap();
    let v = county.task_or_404(id).await.unwrap().version;
    let later = common::ctx(store, "bianban", t0 + Duration::minutes(10)).await;
    app.draw(&later, id, v, &["4 2".into()], true)
        .await
        .unwrap();
    liancha_store::testing::check_in_all(&county, id, chrono::Utc::now()).await;
    let visits = county.visits(id).await.unwrap();
    let entity = visits
        .iter()
        .find(|v| v.team_no.is_some())
        .unwrap()
        .entity_id
        .clone();

    // Half filled: no category yet, a finding begun. Saved as it stands.
    let half = vec![item("SC-001", vec![], "营业执照未")];
    // The check points answered so far are kept too, only those of amr's own items.
    let answers = std::collections::BTreeMap::from([
        (
            "YYZZ".to_string(),
            liancha_domain::check_points::Answer::Fail,
        ),
        (
            "NY-ONLY".to_string(),
            liancha_domain::check_points::Answer::Pass,
        ),
    ]);
    app.save_draft(&amr, id, &entity, "2026-11-2", &half, &answers)
        .await
        .unwrap();
    let d = app.own_draft(&amr, id, &entity).await.unwrap().unwrap();
    assert_eq!(
        d.answers,
        std::collections::BTreeMap::from([(
            "YYZZ".to_string(),
            liancha_domain::check_points::Answer::Fail
        )])
    );
    assert_eq!(
        (d.inspected_on.as_str(), d.results.clone()),
        ("2026-11-2", half.clone())
    );
    // Another department's admin has none, and cannot save one for amr's item.
    assert!(app.own_draft(&agri, id, &entity).await.unwrap().is_none());
    let r = app
        .save_draft(
            &agri,
            id,
            &entity,
            "",
            &[item("SC-001", vec![], "")],
            &Default::default(),
        )
        .await;
    assert!(matches!(r, Err(AppError::Forbidden)), "{r:?}");
    // An over-long finding is refused beside its item.
    let long = "字".repeat(2_001);
    let r = app
        .save_draft(
            &amr,
            id,
            &entity,
            "",
            &[item("SC-001", vec![], &long)],
            &Default::default(),
        )
        .await;
    assert!(
        matches!(&r, Err(AppError::Invalid { field: Some(f), .. }) if f == "findings_SC-001"),
        "{r:?}"
    );
    // A repeated box is kept once.
    let twice = vec![ItemResult {
        categories: vec![ResultCategory::NoProblem; 3],
        methods: vec![InspectionMethod::OnSite; 2],
        ..item("SC-001", vec![], "")
    }];
    app.save_draft(&amr, id, &entity, "", &twice, &Default::default())
        .await
        .unwrap();
    let d = app.own_draft(&amr, id, &entity).await.unwrap().unwrap();
    assert_eq!(
        (d.results[0].categories.len(), d.results[0].methods.len()),
        (1, 1)
    );
    // A second save replaces the first.
    let fuller = vec![item(
        "SC-001",
        vec![ResultCategory::Corrected],
        "营业执照未悬挂，已改正",
    )];
    app.save_draft(
        &amr,
        id,
        &entity,
        "2026-11-26",
        &fuller,
        &Default::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        app.own_draft(&amr, id, &entity)
            .await
            .unwrap()
            .unwrap()
            .results,
        fuller
    );
    // The results entered: amr's draft has served; agri's draft stays agri's.
    app.save_draft(
        &agri,
        id,
        &entity,
        "",
        &[item("NY-001", vec![], "")],
        &Default::default(),
    )
    .await
    .unwrap();
    // A colleague of amr's admin also left a draft of SC-001: it must not come back
    // over the results once they are entered.
    let colleague = store
        .create_user(
            &liancha_store::accounts::NewUser {
                division: county.code().clone(),
                username: "amr-clerk".into(),
                display_name: "市场监管局 录入员".into(),
                role: liancha_domain::auth::Role::DepartmentAdmin,
                department: Some("amr".into()),
                township: None,
                inspector_id: None,
                password: "Liancha#2026-clerk".into(),
                must_change_password: false,
            },
            &liancha_store::accounts::Actor::system("test"),
            t0,
        )
        .await
        .unwrap();
    let clerk = common::ctx(store, "amr-clerk", t0 + Duration::hours(1)).await;
    assert_eq!(clerk.principal.user_id, colleague);
    app.save_draft(&clerk, id, &entity, "", &half, &Default::default())
        .await
        .unwrap();
    app.record_results(&amr, id, &entity, Some(today), &fuller, None)
        .await
        .unwrap();
    assert!(app.own_draft(&amr, id, &entity).await.unwrap().is_none());
    assert!(
        app.own_draft(&clerk, id, &entity).await.unwrap().is_none(),
        "a colleague's draft of the items entered is gone too"
    );
    assert!(app.own_draft(&agri, id, &entity).await.unwrap().is_some());
    app.record_results(
        &agri,
        id,
        &entity,
        Some(today),
        &[item("NY-001", vec![ResultCategory::NoProblem], "")],
        None,
    )
    .await
    .unwrap();
    // Submitted: nothing more to save.
    let r = app
        .save_draft(&amr, id, &entity, "", &fuller, &Default::default())
        .await;
    assert!(matches!(r, Err(AppError::WrongState(_))), "{r:?}");
}
