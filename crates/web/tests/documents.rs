//! A county-wide task's printable documents come in batches: every notice and
//! record form of the pile once, in draw order, 50 a page, the team kept.

use liancha_store::Engine;
use liancha_store::demo::{DEMO_PASSWORD, DemoSize};

mod common;

use common::{pdf_pages, pdf_text};

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

async fn notices_come_as_pdf(engine: Engine) {
    let size = DemoSize {
        legal_persons: 200,
        individuals: 300,
    };
    let srv = common::start(engine, size, true, None).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let (id, entity) =
        liancha_store::testing::county_wide_task(&store, &mouding, "bianban", "amr-admin").await;
    let visit = mouding.visit(id, &entity).await.unwrap().unwrap();
    assert!(!visit.notice_number.is_empty(), "numbered");
    let s = srv.login("amr-admin", DEMO_PASSWORD).await.unwrap();

    // One entity's notice: a real PDF whose text says the number, the entity and
    // its rights.
    let path = format!("/staff/tasks/{id}/notices.pdf?entity={entity}");
    let (status, kind, pdf) = srv.get_bytes(&s.cookie, &path).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(kind, "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdf_text(&pdf);
    let flat = |s: &str| s.split_whitespace().collect::<String>();
    for said in [
        "检查通知书",
        visit.notice_number.as_str(),
        &flat(&visit.entity_name),
        &visit.entity_id,
        &visit.check_code,
        "申请其回避",
        "陈述和申辩",
        "行政复议",
        "营业执照",
        "组长",
    ] {
        assert!(text.contains(said), "{said} in {text}");
    }
    let one = pdf_pages(&pdf);
    assert!((1..=3).contains(&one), "{one} pages");
    // 页码 on every page, as GB/T 9704 sets them: — 1 —, — 2 —, … (the text
    // here is read without its spaces)
    for n in 1..=one {
        assert!(
            text.contains(&format!("—{n}—")),
            "page {n} numbered: {text}"
        );
    }

    // The whole task's: every notice, each from a new page, in one file.
    let mut visits: Vec<_> = mouding
        .visits(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|v| v.team_no.is_some() && v.state.code() != "replaced")
        .collect();
    visits.sort_by_key(|v| v.draw_order);
    let (status, _, all) = srv
        .get_bytes(&s.cookie, &format!("/staff/tasks/{id}/notices.pdf"))
        .await;
    assert_eq!(status, 200);
    let pages = pdf_pages(&all);
    assert!(
        pages >= visits.len() && pages <= 3 * visits.len(),
        "{pages} pages for {} notices",
        visits.len()
    );
    let text = pdf_text(&all);
    for v in &visits {
        assert!(text.contains(&v.notice_number), "{}", v.notice_number);
    }
    // Each notice is a document of its own: its pages numbered from 1.
    assert_eq!(text.matches("—1—").count(), visits.len(), "{text}");
    // A team's: its own entities only.
    let team = visits[0].team_no.unwrap();
    let (_, _, theirs) = srv
        .get_bytes(
            &s.cookie,
            &format!("/staff/tasks/{id}/notices.pdf?team={team}"),
        )
        .await;
    let text = pdf_text(&theirs);
    for v in &visits {
        assert_eq!(
            text.contains(&v.check_code),
            v.team_no == Some(team),
            "{}",
            v.entity_id
        );
    }
    // An inspector prints only the team's own: another team's notices, by team or
    // by entity, are not there for them.
    let members = mouding.team_members(id).await.unwrap();
    let mine = members
        .iter()
        .find(|m| m.active && m.team_no == team)
        .unwrap();
    let other = visits
        .iter()
        .find(|v| v.team_no != Some(team))
        .expect("two teams");
    store
        .create_user(
            &liancha_store::accounts::NewUser {
                division: mouding.code().clone(),
                username: "pdf-inspector".into(),
                display_name: "pdf-inspector".into(),
                role: liancha_domain::auth::Role::Inspector,
                department: Some(mine.department.clone()),
                township: None,
                inspector_id: Some(mine.inspector_id.clone()),
                password: DEMO_PASSWORD.into(),
                must_change_password: false,
            },
            &liancha_store::accounts::Actor::system("test"),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let inspector = srv.login("pdf-inspector", DEMO_PASSWORD).await.unwrap();
    let theirs = other.team_no.unwrap();
    for path in [
        format!("/staff/tasks/{id}/notices.pdf?team={theirs}"),
        format!("/staff/tasks/{id}/notices.pdf?entity={}", other.entity_id),
        format!("/staff/tasks/{id}/forms.pdf?entity={}", other.entity_id),
    ] {
        let (status, _, _) = srv.get_bytes(&inspector.cookie, &path).await;
        assert_eq!(status, 404, "{path}");
    }
    let (status, _, own) = srv
        .get_bytes(&inspector.cookie, &format!("/staff/tasks/{id}/notices.pdf"))
        .await;
    assert_eq!(status, 200);
    let text = pdf_text(&own);
    assert!(!text.contains(&other.check_code));
    // Nor its own visits' codes: the team checks in with the code the entity holds.
    for v in visits.iter().filter(|v| v.team_no == Some(team)) {
        assert!(!text.contains(&v.check_code), "{}", v.entity_id);
    }
    assert!(pdf_text(&own).contains("检查组留存件"));
    assert!(
        text.contains(&format!(
            "组长：{}",
            members
                .iter()
                .filter(|m| m.active && m.team_no == team)
                .min_by_key(|m| m.position)
                .unwrap()
                .name
        )),
        "{text}"
    );
    // A team that is not a number is refused, not read as every team.
    let (status, _, _) = srv
        .get_bytes(
            &s.cookie,
            &format!("/staff/tasks/{id}/notices.pdf?team=abc"),
        )
        .await;
    assert_eq!(status, 400);
    // An entity the task has not drawn: not found.
    let (status, _, _) = srv
        .get_bytes(
            &s.cookie,
            &format!("/staff/tasks/{id}/notices.pdf?entity=NOBODY"),
        )
        .await;
    assert_eq!(status, 404);
    // The HTML notices link to it and say the same things.
    let (_, page) = srv
        .get(&s.cookie, &format!("/staff/tasks/{id}/notices"))
        .await;
    assert!(
        page.contains(&format!("/staff/tasks/{id}/notices.pdf")),
        "{page}"
    );
    assert!(
        page.contains("申请其回避") && page.contains("检查依据"),
        "{page}"
    );
}

#[tokio::test]
async fn notices_come_as_pdf_sqlite() {
    notices_come_as_pdf(Engine::Sqlite).await;
}

#[tokio::test]
async fn notices_come_as_pdf_postgres() {
    notices_come_as_pdf(Engine::Postgres).await;
}

#[tokio::test]
async fn documents_come_in_batches_sqlite() {
    documents_come_in_batches(Engine::Sqlite).await;
}

#[tokio::test]
async fn documents_come_in_batches_postgres() {
    documents_come_in_batches(Engine::Postgres).await;
}
