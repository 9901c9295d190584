//! A county-wide task's printable documents come in batches: every notice and
//! record form of the pile once, in draw order, 50 a page, the team kept.

use liancha_store::Engine;
use liancha_store::demo::{DEMO_PASSWORD, DemoSize};

mod common;

/// Documents a page (the server's batch).
const PER: usize = 50;

/// The check codes of the documents on a page, in order.
fn codes(page: &str) -> Vec<String> {
    let marker = if page.contains("检查记录表</h1>") {
        "核验码 <b class=\"id\">"
    } else {
        "核验码：<b class=\"id big\">"
    };
    page.split(marker)
        .skip(1)
        .map(|rest| rest[..rest.find('<').unwrap()].to_string())
        .collect()
}

async fn documents_come_in_batches(engine: Engine) {
    let size = DemoSize {
        legal_persons: 1_500,
        individuals: 2_500,
    };
    let srv = common::start(engine, size, true, None).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let (id, _) =
        liancha_store::testing::county_wide_task(&store, &mouding, "bianban", "amr-admin").await;
    let mut visits: Vec<_> = mouding
        .visits(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|v| v.team_no.is_some() && v.state.code() != "replaced")
        .collect();
    visits.sort_by_key(|v| v.draw_order);
    assert!(
        visits.len() > PER,
        "{} visits: more than one batch",
        visits.len()
    );
    let s = srv.login("amr-admin", DEMO_PASSWORD).await.unwrap();

    let mut all = Vec::new();
    let pages = visits.len().div_ceil(PER);
    for page in 1..=pages {
        let path = format!("/staff/tasks/{id}/notices?page={page}");
        let (status, body) = srv.get(&s.cookie, &path).await;
        assert_eq!(status, 200);
        assert!(
            body.contains(&format!("共 {} 份，分 {pages} 批打印", visits.len())),
            "{body}"
        );
        let batch = codes(&body);
        assert_eq!(
            batch.len(),
            if page < pages {
                PER
            } else {
                visits.len() - PER * (pages - 1)
            }
        );
        all.extend(batch);
    }
    let expected: Vec<String> = visits.iter().map(|v| v.check_code.clone()).collect();
    assert_eq!(all, expected, "every notice once, in draw order");
    // A page past the end is the last one.
    let (_, body) = srv
        .get(&s.cookie, &format!("/staff/tasks/{id}/notices?page=999"))
        .await;
    assert_eq!(codes(&body).len(), expected.len() - PER * (pages - 1));

    // One team's pile (the largest) holds only its visits, and its batch links
    // keep the team.
    let mut teams: Vec<i32> = visits.iter().filter_map(|v| v.team_no).collect();
    teams.sort_unstable();
    teams.dedup();
    let size = |t: i32| visits.iter().filter(|v| v.team_no == Some(t)).count();
    let team = teams.into_iter().max_by_key(|t| size(*t)).unwrap();
    let (_, body) = srv
        .get(&s.cookie, &format!("/staff/tasks/{id}/forms?team={team}"))
        .await;
    let mine: Vec<String> = visits
        .iter()
        .filter(|v| v.team_no == Some(team))
        .take(PER)
        .map(|v| v.check_code.clone())
        .collect();
    assert_eq!(codes(&body), mine);
    let next = format!("href=\"/staff/tasks/{id}/forms?team={team}&#38;page=2\"");
    assert_eq!(body.contains(&next), size(team) > PER, "{body}");
}

#[tokio::test]
async fn documents_come_in_batches_sqlite() {
    documents_come_in_batches(Engine::Sqlite).await;
}

#[tokio::test]
async fn documents_come_in_batches_postgres() {
    documents_come_in_batches(Engine::Postgres).await;
}
