//! Campaigns on both engines: one office's campaign is one draft task per county,
//! all or none, each checked as its county's; a county twice or outside the office
//! is refused before anything is written.

use chrono::{NaiveDate, TimeZone, Utc};
use liancha_domain::Domain;
use liancha_domain::org::DivisionCode;
use liancha_store::accounts::Actor;
use liancha_store::campaigns::NewCampaign;
use liancha_store::demo::{self, DemoSize};
use liancha_store::tasks::{QuotaSpec, TaskFilter, TaskScopeFilter};
use liancha_store::{Store, StoreError};

liancha_store::on_both_engines!(a_campaign_is_all_or_none);

fn code(c: &str) -> DivisionCode {
    DivisionCode::parse(c).unwrap()
}

async fn task_count(store: &Store, county: &str) -> usize {
    store
        .county(&code(county))
        .tasks(&TaskFilter::default())
        .await
        .unwrap()
        .len()
}

async fn a_campaign_is_all_or_none(store: &Store) {
    let now = Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap();
    demo::load(
        store,
        DemoSize {
            legal_persons: 10,
            individuals: 20,
        },
        &|_, _| {},
    )
    .await
    .unwrap();
    demo::accounts(store, now).await.unwrap();
    let u = store.user_by_name("zhou-bianban").await.unwrap().unwrap();
    let actor: Actor = (&u.principal()).into();
    let campaign = |counties: &[(&str, &str)]| NewCampaign {
        division: code("532300"),
        year: 2026,
        title: "校园周边食品安全专项整治".into(),
        domain: Domain::Market,
        items: vec!["SC-003".into()],
        scope: TaskScopeFilter::default(),
        quotas: QuotaSpec::RuleBook,
        team_count: 2,
        team_size: 2,
        inspection_start: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
        inspection_end: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        counties: counties
            .iter()
            .map(|(c, lead)| (code(c), lead.to_string()))
            .collect(),
    };
    let before = (
        task_count(store, "532323").await,
        task_count(store, "532324").await,
    );
    for (counties, why) in [
        // 牟定县's task is sound, 南华县's names a department it does not have.
        (
            &[("532323", "amr"), ("532324", "no-such-dept")][..],
            "南华县",
        ),
        (&[("532323", "amr"), ("532323", "amr")][..], "重复"),
        (&[("532323", "amr"), ("530102", "amr")][..], "不在"),
        (&[("532300", "amr")][..], "不在"),
        (&[][..], "至少选择一个县"),
    ] {
        let refused = store
            .create_campaign(&campaign(counties), &actor, now)
            .await;
        assert!(
            matches!(&refused, Err(StoreError::Invalid { message: m, .. }) if m.contains(why)),
            "{why}: {refused:?}"
        );
    }
    assert!(store.campaigns(&code("53")).await.unwrap().is_empty());
    assert_eq!(
        (
            task_count(store, "532323").await,
            task_count(store, "532324").await
        ),
        before,
        "a refused campaign writes no task"
    );

    let id = store
        .create_campaign(
            &campaign(&[("532323", "amr"), ("532324", "amr")]),
            &actor,
            now,
        )
        .await
        .unwrap();
    assert_eq!(task_count(store, "532323").await, before.0 + 1);
    assert_eq!(task_count(store, "532324").await, before.1 + 1);
    let c = store.campaign(id).await.unwrap().unwrap();
    assert_eq!(c.counties, [code("532323"), code("532324")]);
    assert_eq!(c.title, "校园周边食品安全专项整治");
    // The province sees its prefecture's campaign; another prefecture does not.
    assert_eq!(store.campaigns(&code("53")).await.unwrap().len(), 1);
    assert!(store.campaigns(&code("5301")).await.unwrap().is_empty());
}
