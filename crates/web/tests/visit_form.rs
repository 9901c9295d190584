//! The result form over real HTTP, on both engines: a refused form comes back on the
//! visit page with every error beside its item, what was ticked kept, nothing saved.

use liancha_store::Engine;
use liancha_store::demo::{DEMO_PASSWORD, DemoSize};

mod common;

async fn every_error_beside_its_item(engine: Engine) {
    let size = DemoSize {
        legal_persons: 60,
        individuals: 140,
    };
    let srv = common::start(engine, size, true, None).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let (task, _) =
        liancha_store::testing::county_wide_task(&store, &mouding, "bianban", "amr-admin").await;
    let pending = mouding
        .visits(task)
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.team_no.is_some() && v.state == liancha_domain::workflow::VisitState::Pending)
        .expect("a visit without results")
        .entity_id;
    let amr = srv.login("amr-admin", DEMO_PASSWORD).await.unwrap();

    // Each team prints its own pile: one notice and one form per visit of the team.
    let visits = mouding.visits(task).await.unwrap();
    let assigned = |team: Option<i32>| {
        visits
            .iter()
            .filter(|v| v.team_no.is_some() && (team.is_none() || v.team_no == team))
            .count()
    };
    for (query, team) in [("?team=1", Some(1)), ("?team=2", Some(2)), ("", None)] {
        for doc in ["notices", "forms"] {
            let (status, page) = srv
                .get(&amr.cookie, &format!("/staff/tasks/{task}/{doc}{query}"))
                .await;
            assert_eq!(status, 200);
            assert_eq!(
                page.matches("<section class=\"document\">").count(),
                assigned(team),
                "{doc}{query}"
            );
        }
    }
    assert!(assigned(Some(1)) > 0 && assigned(Some(1)) < assigned(None));
    let path = format!("/staff/tasks/{task}/visits/{pending}");
    let nothing_saved = || async {
        mouding
            .visit_results(task, &pending)
            .await
            .unwrap()
            .is_empty()
    };
    let (status, page) = srv
        .post(
            &amr,
            &path,
            &[
                ("inspected_on", ""),
                ("cat_SC-001", "none"),
                ("cat_SC-001", "obstructed"),
                ("method_SC-001", "on-site"),
                ("cat_SC-002", "corrected"),
                ("findings_SC-002", "已当场整改"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("退出"), "the staff layout, not an error page");
    assert!(page.contains("未保存，请按提示修改（共 3 处）"), "{page}");
    assert!(page.contains("请填写检查日期"));
    assert!(page.contains("<p class=\"field-error\">「未发现问题」不能与其他检查结果同时选择</p>"));
    assert!(page.contains("<p class=\"field-error\">请选择检查方式</p>"));
    // What was entered stays on the form.
    assert!(page.contains("已当场整改"));
    assert!(
        page.contains("name=\"cat_SC-002\" value=\"corrected\" checked"),
        "{page}"
    );
    assert!(nothing_saved().await, "nothing saved");

    // A date after today is said beside the date, with the form's other errors.
    let (status, page) = srv
        .post(
            &amr,
            &path,
            &[
                ("inspected_on", "2099-03-01"),
                ("cat_SC-001", "none"),
                ("method_SC-001", "on-site"),
                ("cat_SC-002", "none"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("未保存，请按提示修改（共 2 处）"), "{page}");
    let date_label = page
        .split("<label>检查日期")
        .nth(1)
        .and_then(|rest| rest.split("</label>").next())
        .expect("the date field");
    assert!(date_label.contains("aria-invalid=\"true\""), "{date_label}");
    assert!(date_label.contains("与今天"), "{date_label}");
    assert!(nothing_saved().await, "nothing saved");

    // 「均未发现问题」 over a ticked problem: refused beside the button, nothing saved.
    let (status, page) = srv
        .post(
            &amr,
            &path,
            &[
                (
                    "inspected_on",
                    &liancha_domain::calendar::today_in_china().to_string(),
                ),
                ("cat_SC-001", "obstructed"),
                ("all_clear", "yes"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("已勾选其他检查结果，不能一键标为未发现问题"),
        "{page}"
    );
    assert!(nothing_saved().await, "nothing saved");

    // And without a problem ticked, every item of the department is cleared at once.
    let (status, _) = srv
        .post(
            &amr,
            &path,
            &[
                (
                    "inspected_on",
                    &liancha_domain::calendar::today_in_china().to_string(),
                ),
                ("all_clear", "yes"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let saved = mouding.visit_results(task, &pending).await.unwrap();
    assert_eq!(saved.keys().collect::<Vec<_>>(), ["SC-001", "SC-002"]);
    assert!(
        saved
            .values()
            .all(|r| r.categories == [liancha_domain::workflow::ResultCategory::NoProblem])
    );
    srv.db.finish().await;
}

/// 检查要点: the form asks each of the department's points; 「按要点填入结果」 fills
/// each item's result from the answers (citing the clause) and saves nothing; the
/// printed record form asks a point two departments' items share once.
async fn check_points_drive_the_form(engine: Engine) {
    let size = DemoSize {
        legal_persons: 60,
        individuals: 140,
    };
    let srv = common::start(engine, size, true, None).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    // The agriculture item shares the licence point with SC-001.
    let mut shared = liancha_store::demo::check_points()
        .into_iter()
        .find(|p| p.item == "SC-001" && p.code == "YYZZ")
        .unwrap();
    shared.item = "NY-001".into();
    shared.clause = "《农药管理条例》第二十四条".into();
    mouding.put_check_points("NY-001", &[shared]).await.unwrap();
    let (task, _) =
        liancha_store::testing::county_wide_task(&store, &mouding, "bianban", "amr-admin").await;
    let pending = mouding
        .visits(task)
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.team_no.is_some() && v.state == liancha_domain::workflow::VisitState::Pending)
        .expect("a visit without results")
        .entity_id;
    let amr = srv.login("amr-admin", DEMO_PASSWORD).await.unwrap();
    let path = format!("/staff/tasks/{task}/visits/{pending}");
    let nothing_saved = || async {
        mouding
            .visit_results(task, &pending)
            .await
            .unwrap()
            .is_empty()
    };

    // The market regulator's own items: four points, each with its three answers.
    let (status, page) = srv.get(&amr.cookie, &path).await;
    assert_eq!(status, 200);
    assert!(page.contains("检查要点（一表通查，共 4 项）"), "{page}");
    for code in ["YYZZ", "DSYYZZ", "NB", "NBZS"] {
        assert_eq!(
            page.matches(&format!("name=\"pt_{code}\"")).count(),
            3,
            "{code}"
        );
    }

    // Half answered: the others are named, the answer given stays, nothing saved.
    let today = liancha_domain::calendar::today_in_china().to_string();
    let (status, page) = srv
        .post(
            &amr,
            &path,
            &[
                ("inspected_on", &today),
                ("pt_YYZZ", "fail"),
                ("propose", "yes"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert_eq!(page.matches("请选择“符合”“不符合”或“不涉及”").count(), 3);
    assert!(
        page.contains("name=\"pt_YYZZ\" value=\"fail\" checked"),
        "{page}"
    );
    assert!(nothing_saved().await);

    // All answered: each item's result proposed, the failed point's clause cited.
    let (status, page) = srv
        .post(
            &amr,
            &path,
            &[
                ("inspected_on", &today),
                ("pt_YYZZ", "fail"),
                ("pt_DSYYZZ", "na"),
                ("pt_NB", "pass"),
                ("pt_NBZS", "pass"),
                ("propose", "yes"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("已按检查要点填入以下检查结果"), "{page}");
    assert!(
        page.contains("name=\"cat_SC-001\" value=\"corrected\" checked"),
        "{page}"
    );
    assert!(
        page.contains("name=\"cat_SC-002\" value=\"none\" checked"),
        "{page}"
    );
    assert!(page.contains(
        "营业执照未置于住所或主要经营场所醒目位置（《中华人民共和国市场主体登记管理条例》第三十六条）"
    ));
    assert!(nothing_saved().await, "a proposal saves nothing");

    // 暂存 keeps the answers with the form: the page brings them back.
    let (status, _) = srv
        .post(
            &amr,
            &path,
            &[
                ("inspected_on", &today),
                ("pt_NB", "fail"),
                ("draft", "yes"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (_, page) = srv.get(&amr.cookie, &path).await;
    assert!(
        page.contains("name=\"pt_NB\" value=\"fail\" checked"),
        "{page}"
    );
    assert!(nothing_saved().await, "a draft is no result");

    // An answer the form never offers is refused, nothing saved.
    let (status, _) = srv
        .post(&amr, &path, &[("pt_YYZZ", "maybe"), ("propose", "yes")])
        .await;
    assert_eq!(status, 422);
    assert!(nothing_saved().await);

    // The printed record form of the whole team asks the shared point once, with
    // both departments' clauses.
    let (status, page) = srv
        .get(&amr.cookie, &format!("/staff/tasks/{task}/forms?team=1"))
        .await;
    assert_eq!(status, 200);
    let documents = page.matches("<section class=\"document\">").count();
    assert!(documents > 0);
    assert_eq!(
        page.matches("营业执照是否置于住所或者主要经营场所的醒目位置")
            .count(),
        documents
    );
    assert!(
        page.contains("（牟定县市场监督管理局、牟定县农业农村局共用）"),
        "{page}"
    );
    assert!(page.contains("《农药管理条例》第二十四条"));
    srv.db.finish().await;
}

#[tokio::test]
async fn check_points_drive_the_form_sqlite() {
    check_points_drive_the_form(Engine::Sqlite).await;
}

#[tokio::test]
async fn check_points_drive_the_form_postgres() {
    check_points_drive_the_form(Engine::Postgres).await;
}

#[tokio::test]
async fn every_error_beside_its_item_sqlite() {
    every_error_beside_its_item(Engine::Sqlite).await;
}

#[tokio::test]
async fn every_error_beside_its_item_postgres() {
    every_error_beside_its_item(Engine::Postgres).await;
}
