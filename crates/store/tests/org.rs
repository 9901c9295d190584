//! The organisation tree on both engines: built from the top, all or nothing, audited,
//! and safe when two administrators add the same county at once.

use chrono::{TimeZone, Utc};
use liancha_domain::org::{Division, DivisionCode, Level};
use liancha_store::accounts::Actor;
use liancha_store::{Store, StoreError};

liancha_store::on_both_engines!(tree_is_built_from_the_top, one_of_two_adders_wins);

fn div(code: &str, name: &str) -> Division {
    Division {
        code: DivisionCode::parse(code).unwrap(),
        name: name.into(),
    }
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap()
}

async fn tree_is_built_from_the_top(store: &Store) {
    let admin = Actor::system("province-admin");
    assert!(store.divisions().await.unwrap().is_empty());
    // A county before its prefecture: refused, and nothing of the batch is written.
    let refused = store
        .add_divisions(
            &[div("53", "云南省"), div("532323", "牟定县")],
            &admin,
            now(),
        )
        .await;
    assert!(
        matches!(&refused, Err(StoreError::Invalid { message: m, .. }) if m.contains("尚未建立")),
        "{refused:?}"
    );
    assert!(store.divisions().await.unwrap().is_empty());
    store
        .add_divisions(
            &[
                div("53", "云南省"),
                div("5323", "楚雄彝族自治州"),
                div("532323", " 牟定县 "),
                div("532324", "南华县"),
            ],
            &admin,
            now(),
        )
        .await
        .unwrap();
    let counties = store.counties().await.unwrap();
    assert_eq!(
        counties.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
        ["牟定县", "南华县"]
    );
    assert!(counties.iter().all(|d| d.level() == Level::County));
    let mouding = store
        .division(&DivisionCode::parse("532323").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mouding.government(), "牟定县人民政府");
    for (bad, why) in [
        (div("532324", "南华"), "已存在"),
        (div("532325", "南华县"), "已有名为"),
        (div("532425", "某县"), "尚未建立"),
    ] {
        let r = store.add_divisions(&[bad], &admin, now()).await;
        assert!(
            matches!(&r, Err(StoreError::Invalid { message: m, .. }) if m.contains(why)),
            "{why}: {r:?}"
        );
    }
    assert_eq!(store.divisions().await.unwrap().len(), 4);
    // Each addition is on the trail of the office above it (a province on its own).
    let mut added = 0;
    for office in ["53", "5323"] {
        let log = store
            .county(&DivisionCode::parse(office).unwrap())
            .audit_recent(100)
            .await
            .unwrap();
        added += log.iter().filter(|e| e.action == "division.add").count();
    }
    assert_eq!(added, 4, "one entry per division added, none for a refusal");
}

async fn one_of_two_adders_wins(store: &Store) {
    let admin = Actor::system("province-admin");
    store
        .add_divisions(
            &[div("53", "云南省"), div("5323", "楚雄彝族自治州")],
            &admin,
            now(),
        )
        .await
        .unwrap();
    for n in 0..10 {
        let code = format!("5323{:02}", 30 + n);
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(2));
        let run = |name: &'static str| {
            let store = store.clone();
            let barrier = barrier.clone();
            let code = code.clone();
            tokio::spawn(async move {
                let admin = Actor::system(name);
                barrier.wait().await;
                store
                    .add_divisions(&[div(&code, &format!("试验县{code}"))], &admin, now())
                    .await
            })
        };
        let (a, b) = (run("a"), run("b"));
        let (a, b) = (a.await.unwrap(), b.await.unwrap());
        assert!(a.is_ok() != b.is_ok(), "exactly one wins: {a:?} {b:?}");
        for r in [a, b] {
            if let Err(e) = r {
                assert!(
                    matches!(e, StoreError::Invalid { .. }),
                    "a clear refusal: {e:?}"
                );
            }
        }
    }
    assert_eq!(store.counties().await.unwrap().len(), 10);
}
