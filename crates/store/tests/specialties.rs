//! Specialties in the draw (liancha-draw/2, docs/draw-v2.md), on SQLite and on
//! PostgreSQL: an item that requires 特种设备 makes every team hold a 特种设备
//! inspector; too few holders refuse the seal and change nothing; a substitution
//! never takes the team's only specialist away; v1 tasks stay v1.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use liancha_domain::Domain;
use liancha_domain::workflow::{SourceDecl, TaskMode, TaskState};
use liancha_store::accounts::Actor;
use liancha_store::demo::{self, DemoSize};
use liancha_store::tasks::{NewTask, QuotaSpec, TaskScopeFilter};
use liancha_store::{Store, StoreError};

liancha_store::on_both_engines!(teams_hold_the_required_specialty);

/// 2026-11-26 10:00 Beijing time.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
}

fn task(items: &[&str], team_count: u32) -> NewTask {
    NewTask {
        year: 2026,
        title: "工贸企业特种设备与安全生产联合抽查".into(),
        domain: Domain::Market,
        mode: TaskMode::Comprehensive,
        lead_department: "amr".into(),
        items: items.iter().map(|s| (*s).to_string()).collect(),
        scope: TaskScopeFilter::default(),
        quotas: QuotaSpec::Count([2, 2, 2, 2]),
        team_count,
        team_size: 2,
        avoid_same_township: false,
        inspection_start: today(),
        inspection_end: today() + Duration::days(30),
        plan_entry_id: None,
    }
}

async fn teams_hold_the_required_specialty(store: &Store) {
    let mouding = liancha_store::testing::mouding_county(store).await;
    demo::load(
        store,
        DemoSize {
            legal_persons: 120,
            individuals: 380,
        },
        &|_, _| {},
    )
    .await
    .unwrap();
    demo::accounts(store, t0()).await.unwrap();
    let u = store.user_by_name("bianban").await.unwrap().unwrap();
    let coordinator: Actor = (&u.principal()).into();
    let now = t0();

    // The demo's SC-004 requires 特种设备; some market inspectors hold it.
    let item = mouding.item("SC-004").await.unwrap().unwrap();
    assert_eq!(item.specialty.as_deref(), Some("特种设备"));
    let holders: Vec<String> = mouding
        .inspectors(Some("amr"))
        .await
        .unwrap()
        .into_iter()
        .filter(|i| i.is_available_on(today() + Duration::days(30)))
        .filter(|i| i.specialties.iter().any(|s| s == "特种设备"))
        .map(|i| i.id)
        .collect();
    assert!(holders.len() >= 2, "{holders:?}");

    // More teams than holders: the seal is refused, and nothing changes.
    let too_many = u32::try_from(holders.len()).unwrap() + 1;
    let id = mouding
        .create_task(&task(&["SC-004", "YJ-002"], too_many), &coordinator, now)
        .await
        .unwrap();
    let before = mouding.task_or_404(id).await.unwrap();
    liancha_store::testing::approve(&mouding, id, before.version, now).await;
    let audit_before = mouding.audit_for_task(id).await.unwrap().len();
    let dice = SourceDecl::other("公证员现场掷骰（5 枚）", now + Duration::minutes(5)).unwrap();
    match mouding
        .commit_task(
            id,
            before.version,
            std::slice::from_ref(&dice),
            &coordinator,
            now,
        )
        .await
    {
        Err(StoreError::Invalid { message, .. }) => {
            assert!(message.contains("“特种设备”"), "{message}");
            assert!(
                message.contains(&format!("只有 {} 名", holders.len())),
                "{message}"
            );
            assert!(
                message.contains(&format!("至少需要 {too_many} 名")),
                "{message}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let after = mouding.task_or_404(id).await.unwrap();
    assert_eq!(after.state, TaskState::Draft);
    assert_eq!(after.version, before.version);
    assert_eq!(after.plan_digest, None);
    assert_eq!(
        mouding.audit_for_task(id).await.unwrap().len(),
        audit_before
    );

    // Two teams: sealed as a v2 plan that names only the specialty the draw needs.
    let id = mouding
        .create_task(&task(&["SC-004", "YJ-002"], 2), &coordinator, now)
        .await
        .unwrap();
    let t = mouding.task_or_404(id).await.unwrap();
    liancha_store::testing::approve(&mouding, id, t.version, now).await;
    assert_eq!(t.specialties(), ["特种设备"]);
    mouding
        .commit_task(
            id,
            t.version,
            std::slice::from_ref(&dice),
            &coordinator,
            now,
        )
        .await
        .unwrap();
    let plan_json = mouding.plan_json(id).await.unwrap().unwrap();
    let plan = liancha_draw::Plan::parse(plan_json.as_bytes()).unwrap();
    assert_eq!(plan.format(), liancha_draw::FORMAT_V2);
    assert_eq!(plan.teams.as_ref().unwrap().specialties, ["特种设备"]);
    assert!(
        plan.inspectors
            .iter()
            .all(|i| i.specialties.is_empty() || i.specialties == ["特种设备"])
    );
    let in_plan: Vec<&str> = plan
        .inspectors
        .iter()
        .filter(|i| !i.specialties.is_empty())
        .map(|i| i.id.as_str())
        .collect();
    assert_eq!(in_plan.len(), holders.len());

    // The draw: every team holds one; the record is v2 and verifies.
    let t = mouding.task_or_404(id).await.unwrap();
    let later = now + Duration::minutes(6);
    mouding
        .reveal_and_draw(id, t.version, &["3 1 4 1 5".into()], &coordinator, later)
        .await
        .unwrap();
    let record = mouding.draw_record(id).await.unwrap().unwrap();
    assert!(
        record.contains("\"format\": \"liancha-draw/2\""),
        "{record:.200}"
    );
    let summary = liancha_draw::verify_record(record.as_bytes()).unwrap();
    assert_eq!(summary.teams, 2);
    let members = mouding.team_members(id).await.unwrap();
    for team in 1..=2 {
        let ids: Vec<&str> = members
            .iter()
            .filter(|m| m.team_no == team && m.active)
            .map(|m| m.inspector_id.as_str())
            .collect();
        assert!(
            ids.iter().any(|m| holders.iter().any(|h| h == m)),
            "{ids:?}"
        );
    }

    // The team's only specialist falls ill: the replacement holds 特种设备 too.
    let (team, only) = (1..=2)
        .find_map(|team| {
            let held: Vec<&str> = members
                .iter()
                .filter(|m| m.team_no == team && m.active)
                .map(|m| m.inspector_id.as_str())
                .filter(|m| holders.iter().any(|h| h == m))
                .collect();
            (held.len() == 1).then(|| (team, held[0].to_string()))
        })
        .expect("a team with exactly one specialist");
    let t = mouding.task_or_404(id).await.unwrap();
    let new = mouding
        .substitute_inspector(id, t.version, &only, "因病住院", &coordinator, later)
        .await
        .unwrap();
    assert!(holders.contains(&new), "{new} does not hold 特种设备");
    let now_members = mouding.team_members(id).await.unwrap();
    assert!(
        now_members
            .iter()
            .any(|m| m.team_no == team && m.active && m.inspector_id == new)
    );

    // A task without such an item stays liancha-draw/1, byte for byte as before.
    let id = mouding
        .create_task(&task(&["SC-001", "YJ-002"], 2), &coordinator, now)
        .await
        .unwrap();
    let t = mouding.task_or_404(id).await.unwrap();
    liancha_store::testing::approve(&mouding, id, t.version, now).await;
    assert!(t.specialties().is_empty());
    mouding
        .commit_task(
            id,
            t.version,
            std::slice::from_ref(&dice),
            &coordinator,
            now,
        )
        .await
        .unwrap();
    let plan_json = mouding.plan_json(id).await.unwrap().unwrap();
    assert!(!plan_json.contains("specialties"), "{plan_json:.300}");
    assert_eq!(
        liancha_draw::Plan::parse(plan_json.as_bytes())
            .unwrap()
            .format(),
        liancha_draw::FORMAT_V1
    );
}
