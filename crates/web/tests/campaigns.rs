//! A campaign (专项整治) set by the prefecture across its counties, on both engines:
//! its coordinator sets it once, each county gets its own draft task led by its own
//! market department, the counties see where their task came from, and the office
//! follows each county's task. A refused form keeps what was typed and writes
//! nothing; nobody but an office's coordinator or administrator sets one.

use liancha_domain::org::DivisionCode;
use liancha_store::Engine;
use liancha_store::demo::DemoSize;
use liancha_store::tasks::TaskFilter;

mod common;

const PASSWORD: &str = liancha_store::demo::DEMO_PASSWORD;

fn form<'a>(title: &'a str, items: &[&'a str], counties: &[&'a str]) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![
        ("title", title),
        ("year", "2026"),
        ("domain", "market"),
        ("tags", ""),
        ("team_count", "2"),
        ("team_size", "2"),
        ("start", "2026-12-10"),
        ("end", "2026-12-31"),
        ("confirm", "yes"),
    ];
    f.extend(items.iter().map(|i| ("items", *i)));
    f.extend(counties.iter().map(|c| ("counties", *c)));
    f
}

async fn campaign_across_counties(engine: Engine) {
    let size = DemoSize {
        legal_persons: 10,
        individuals: 20,
    };
    let srv = common::start(engine, size, true, None).await;
    let store = srv.store();
    let mouding = DivisionCode::parse("532323").unwrap();
    let nanhua = DivisionCode::parse("532324").unwrap();
    let campaign_tasks = async |county: &DivisionCode, id: i64| {
        store
            .county(county)
            .tasks(&TaskFilter {
                campaign: Some(id),
                ..TaskFilter::default()
            })
            .await
            .unwrap()
    };
    let tasks_before = (
        store
            .county(&mouding)
            .tasks(&TaskFilter::default())
            .await
            .unwrap()
            .len(),
        store
            .county(&nanhua)
            .tasks(&TaskFilter::default())
            .await
            .unwrap()
            .len(),
    );

    let zhou = srv.login("zhou-bianban", PASSWORD).await.unwrap();
    let (status, page) = srv.get(&zhou.cookie, "/staff/campaigns").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("尚未下达专项整治"));
    assert!(
        page.contains("value=\"SC-003\"") && page.contains("南华县"),
        "{page}"
    );

    // Refused: no item, no county, an item no county has, a team smaller than the
    // rule book's. Each comes back with what was typed, and nothing is written.
    for (f, why) in [
        (
            form("校园周边食品安全专项整治", &[], &["532323"]),
            "请至少选择一项抽查事项",
        ),
        (
            form("校园周边食品安全专项整治", &["SC-003"], &[]),
            "请至少选择一个县",
        ),
        (
            form(
                "校园周边食品安全专项整治",
                &["SC-999"],
                &["532323", "532324"],
            ),
            "SC-999",
        ),
        (
            form(
                "校园周边食品安全专项整治",
                &["SC-003"],
                &["532323", "532399"],
            ),
            "「532399」不是所辖的县",
        ),
        (
            {
                let mut f = form(
                    "校园周边食品安全专项整治",
                    &["SC-003"],
                    &["532323", "532324"],
                );
                f.retain(|(k, _)| *k != "confirm");
                f
            },
            "请勾选确认：下达后各县（市、区）即各得一项草稿任务，专项不能撤回",
        ),
    ] {
        let (status, body) = srv.post(&zhou, "/staff/campaigns", &f).await;
        assert_eq!(status, 422, "{why}: {body}");
        assert!(body.contains(why), "{why}: {body}");
        assert!(
            body.contains("value=\"校园周边食品安全专项整治\""),
            "kept: {body}"
        );
        assert!(body.contains("role=\"alert\""));
    }
    let mut small = form(
        "校园周边食品安全专项整治",
        &["SC-003"],
        &["532323", "532324"],
    );
    small.retain(|(k, _)| *k != "team_size");
    small.push(("team_size", "1"));
    let (status, body) = srv.post(&zhou, "/staff/campaigns", &small).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("南华县") && body.contains("不能少于"),
        "{body}"
    );
    assert!(
        store
            .campaigns(&DivisionCode::parse("53").unwrap())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        (
            store
                .county(&mouding)
                .tasks(&TaskFilter::default())
                .await
                .unwrap()
                .len(),
            store
                .county(&nanhua)
                .tasks(&TaskFilter::default())
                .await
                .unwrap()
                .len(),
        ),
        tasks_before,
        "a refused campaign writes no task"
    );

    let (status, _) = srv
        .post(
            &zhou,
            "/staff/campaigns",
            &form(
                "校园周边食品安全专项整治",
                &["SC-003", "SC-005"],
                &["532323", "532324"],
            ),
        )
        .await;
    assert_eq!(status, 303);
    let campaigns = store
        .campaigns(&DivisionCode::parse("5323").unwrap())
        .await
        .unwrap();
    assert_eq!(campaigns.len(), 1);
    let campaign = &campaigns[0];
    assert_eq!(campaign.counties, vec![mouding.clone(), nanhua.clone()]);
    for county in [&mouding, &nanhua] {
        let tasks = campaign_tasks(county, campaign.id).await;
        assert_eq!(tasks.len(), 1, "{county}");
        let t = &tasks[0];
        assert_eq!(t.county, county.as_str());
        assert_eq!(t.lead_department, "amr");
        assert_eq!(t.state.code(), "draft");
        assert_eq!(
            t.items.iter().map(|i| i.code.as_str()).collect::<Vec<_>>(),
            ["SC-003", "SC-005"]
        );
        let trail = store.county(county).audit_recent(20).await.unwrap();
        assert!(trail.iter().any(|e| e.action == "task.create"), "{county}");
    }
    let office_trail = store
        .county(&DivisionCode::parse("532300").unwrap())
        .audit_recent(20)
        .await
        .unwrap();
    assert!(office_trail.iter().any(|e| e.action == "campaign.create"));

    // The office follows each county's task.
    let (status, page) = srv
        .get(&zhou.cookie, &format!("/staff/campaigns/{}", campaign.id))
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("牟定县")
            && page.contains("南华县")
            && page.contains("草稿")
            && page.contains("已公示"),
        "{page}"
    );

    // The county sees where its task came from, and works it as its own.
    let admin = srv.login("admin", PASSWORD).await.unwrap();
    let (_, list) = srv.get(&admin.cookie, "/staff/tasks").await;
    assert!(list.contains("上级专项"), "{list}");
    let task = &campaign_tasks(&mouding, campaign.id).await[0];
    let (status, page) = srv
        .get(&admin.cookie, &format!("/staff/tasks/{}", task.id))
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("楚雄彝族自治州下达的「校园周边食品安全专项整治」"),
        "{page}"
    );
    // …and only its own: 南华县's task is not found in 牟定县.
    let other = &campaign_tasks(&nanhua, campaign.id).await[0];
    let (status, _) = srv
        .get(&admin.cookie, &format!("/staff/tasks/{}", other.id))
        .await;
    assert_eq!(status, 404);

    // Nobody else sets one: county roles, the prefecture's oversight office (which
    // reads the campaigns but gets no form).
    for who in ["admin", "bianban", "nh-bianban"] {
        let s = srv.login(who, PASSWORD).await.unwrap();
        let (status, _) = srv.get(&s.cookie, "/staff/campaigns").await;
        assert_eq!(status, 403, "{who}");
        let (status, _) = srv
            .post(
                &s,
                "/staff/campaigns",
                &form("又一个专项", &["SC-003"], &["532323"]),
            )
            .await;
        assert_eq!(status, 403, "{who}");
    }
    let duchashi = srv.login("zhou-duchashi", PASSWORD).await.unwrap();
    let (status, page) = srv.get(&duchashi.cookie, "/staff/campaigns").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("校园周边食品安全专项整治") && !page.contains("action=\"/staff/campaigns\"")
    );
    let (status, _) = srv
        .post(
            &duchashi,
            "/staff/campaigns",
            &form("又一个专项", &["SC-003"], &["532323"]),
        )
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        store
            .campaigns(&DivisionCode::parse("53").unwrap())
            .await
            .unwrap()
            .len(),
        1
    );
    srv.db.finish().await;
}

#[tokio::test]
async fn campaign_across_counties_sqlite() {
    campaign_across_counties(Engine::Sqlite).await;
}

#[tokio::test]
async fn campaign_across_counties_postgres() {
    campaign_across_counties(Engine::Postgres).await;
}
