//! The public credit lists over real HTTP, on both engines: one list at a time, a
//! page of 50, filtered by name, code or township, every row counted from the store.

use liancha_domain::workflow::CreditList;
use liancha_store::Engine;
use liancha_store::demo::DemoSize;

mod common;

fn rows(page: &str) -> Vec<&str> {
    page.match_indices("<td class=\"id\" data-label=\"代码\"><a href=\"/c/532323/entities/")
        .map(|(at, m)| {
            let id = &page[at + m.len()..];
            &id[..id.find('"').unwrap()]
        })
        .collect()
}

async fn lists_are_paged_and_filtered(engine: Engine) {
    let size = DemoSize {
        legal_persons: 1500,
        individuals: 1500,
    };
    let srv = common::start(engine, size, false, None).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let abnormal = mouding.listed_entities(CreditList::Abnormal).await.unwrap();
    let blacklist = mouding
        .listed_entities(CreditList::Blacklist)
        .await
        .unwrap();
    assert!(
        abnormal.len() > 50,
        "the demo lists enough for two pages: {}",
        abnormal.len()
    );

    let (status, page) = srv.get("", "/c/532323/lists").await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("经营异常名录（{} 户）", abnormal.len())));
    assert!(page.contains(&format!("严重违法失信名单（{} 户）", blacklist.len())));
    let first = rows(&page);
    assert_eq!(first.len(), 50);
    let ids: Vec<&str> = abnormal.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(first, ids[..50]);
    let pages = abnormal.len().div_ceil(50);
    assert!(page.contains(&format!("第 1 / {pages} 页")));

    // Every page in turn holds the rest, in order.
    let mut seen: Vec<String> = first.iter().map(|s| s.to_string()).collect();
    for p in 2..=pages {
        let (_, page) = srv
            .get("", &format!("/c/532323/lists?list=abnormal&page={p}"))
            .await;
        seen.extend(rows(&page).iter().map(|s| s.to_string()));
    }
    assert_eq!(seen, ids);

    // The other list, and a filter by township and by part of the name.
    let (_, page) = srv.get("", "/c/532323/lists?list=blacklist").await;
    assert_eq!(rows(&page).len(), blacklist.len().min(50));
    let liancha_store::results::ListedEntity {
        id, name, township, ..
    } = &abnormal[3];
    let part: String = name.chars().skip(3).take(3).collect();
    let want: Vec<&str> = abnormal
        .iter()
        .filter(|e| e.name.contains(&part) && &e.township == township)
        .map(|e| e.id.as_str())
        .collect();
    let (_, page) = srv
        .get(
            "",
            &format!(
                "/c/532323/lists?list=abnormal&q={}&township={}",
                common::url_encode(&part),
                common::url_encode(township)
            ),
        )
        .await;
    assert_eq!(rows(&page), want);
    assert!(want.contains(&id.as_str()));
    let (_, page) = srv
        .get("", &format!("/c/532323/lists?q={}", &id[..12]))
        .await;
    assert!(
        rows(&page).contains(&id.as_str()),
        "by the code's beginning"
    );
    // Downloads of the whole list are linked from the page.
    assert!(page.contains("href=\"/api/v1/lists/abnormal.csv?county=532323\""));
    // A page past the end is the last one; nonsense is the first.
    let (status, page) = srv.get("", "/c/532323/lists?page=99999").await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("第 {pages} / {pages} 页")));
    let (status, _) = srv.get("", "/c/532323/lists?page=x&list=%00").await;
    assert_eq!(status, 200);
    srv.db.finish().await;
}

#[tokio::test]
async fn lists_are_paged_and_filtered_sqlite() {
    lists_are_paged_and_filtered(Engine::Sqlite).await;
}

#[tokio::test]
async fn lists_are_paged_and_filtered_postgres() {
    lists_are_paged_and_filtered(Engine::Postgres).await;
}
