//! The item list kept on the web, on both engines: a department admin drafts a new
//! item from the form, sees a refused field beside it (nothing written), publishes
//! the draft with a reason and the public list shows it with its attributes;
//! another department reads it without a form; an inspector has no form at all;
//! the 编办 approves a changed joint item list before the public sees it.

use liancha_store::Engine;
use liancha_store::demo::DemoSize;

mod common;
use common::field_error;

const PASSWORD: &str = liancha_store::demo::DEMO_PASSWORD;

async fn items_kept_on_the_web(engine: Engine) {
    let size = DemoSize {
        legal_persons: 10,
        individuals: 10,
    };
    let srv = common::start(engine, size, true, None).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let amr = srv.login("amr-admin", PASSWORD).await.unwrap();
    let agri = srv.login("agri-admin", PASSWORD).await.unwrap();
    let inspector = srv.login("inspector", PASSWORD).await.unwrap();
    let county = mouding.code().to_string();

    // The list, filtered; the demo's key items are marked.
    let (status, page) = srv
        .get(&agri.cookie, "/staff/items?category=key&state=x&page=-1")
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("/staff/items/SC-003") && !page.contains("/staff/items/SC-001"),
        "{page}"
    );
    assert!(
        page.contains("新增事项"),
        "agri keeps its own items: {page}"
    );
    let (status, page) = srv.get(&inspector.cookie, "/staff/items/new").await;
    assert_eq!(status, 403, "{page}");

    let form = |frequency: &'static str| {
        vec![
            ("code", "SC-010"),
            ("name", "网络交易平台经营者的检查"),
            ("legal_basis", "《中华人民共和国电子商务法》第二十七条"),
            ("department", "amr"),
            ("methods", "online"),
            ("methods", "documentary"),
            ("category", "key"),
            ("ratio", "6.5"),
            ("frequency", frequency),
            ("cooperating", "health"),
            ("national_code", "JC-DS-0001"),
        ]
    };
    // A frequency above the market rule book's cap: refused beside its field.
    let (status, page) = srv.post(&amr, "/staff/items", &form("每年5次")).await;
    assert_eq!(status, 422, "{page}");
    let err = field_error(&page, "frequency").expect("beside the field");
    assert!(err.contains("年度抽查上限"), "{err}");
    assert!(
        page.contains("网络交易平台经营者的检查"),
        "typed values kept"
    );
    assert!(mouding.item_draft("SC-010").await.unwrap().is_none());
    // Two refused fields: each message beside its own.
    let mut two = form("每年5次");
    two.retain(|(k, _)| *k != "ratio");
    two.push(("ratio", "0"));
    let (status, page) = srv.post(&amr, "/staff/items", &two).await;
    assert_eq!(status, 422, "{page}");
    let ratio = field_error(&page, "ratio").expect("beside 抽查比例");
    let frequency = field_error(&page, "frequency").expect("beside 抽查频次");
    assert!(
        ratio.contains("抽查比例") && !ratio.contains("年度抽查上限"),
        "{ratio}"
    );
    assert!(frequency.contains("年度抽查上限"), "{frequency}");
    // Another department cannot draft the market regulator's item.
    let (status, _) = srv.post(&agri, "/staff/items", &form("1")).await;
    assert_eq!(status, 403);

    let (status, page) = srv.post(&amr, "/staff/items", &form("1")).await;
    assert_eq!(status, 303, "{page}");
    let (_, page) = srv.get(&amr.cookie, "/staff/items/SC-010").await;
    assert!(
        page.contains("草稿待发布") && page.contains("发布原因"),
        "{page}"
    );
    let public = format!("/c/{county}/items");
    let (_, list) = srv.get("", &public).await;
    assert!(!list.contains("SC-010"), "a draft is not public");

    let revision = mouding
        .item_draft("SC-010")
        .await
        .unwrap()
        .unwrap()
        .revision
        .to_string();
    let (status, page) = srv
        .post(
            &amr,
            "/staff/items/SC-010",
            &[
                ("action", "publish"),
                ("revision", &revision),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(status, 422, "{page}");
    assert!(field_error(&page, "reason").is_some(), "{page}");
    let (status, page) = srv
        .post(
            &amr,
            "/staff/items/SC-010",
            &[
                ("action", "publish"),
                ("revision", &revision),
                ("reason", "新增电商事项"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{page}");
    let (_, list) = srv.get("", &public).await;
    assert!(
        list.contains("SC-010") && list.contains("不低于 6.5%") && list.contains("JC-DS-0001"),
        "{list}"
    );
    // The open data carries the attributes.
    let (_, json) = srv
        .get("", &format!("/api/v1/items?county={county}&q=SC-010"))
        .await;
    assert!(
        json.contains("\"ratio_bp\":650") && json.contains("\"frequency\":1"),
        "{json}"
    );

    // Another department reads it, with no form; its history names the reason.
    let (status, page) = srv.get(&agri.cookie, "/staff/items/SC-010").await;
    assert_eq!(status, 200);
    assert!(
        !page.contains("保存草稿") && page.contains("新增电商事项"),
        "{page}"
    );

    // A stale withdrawal (version 0) changes nothing: 409.
    let (status, _) = srv
        .post(
            &amr,
            "/staff/items/SC-010",
            &[("action", "withdraw"), ("version", "0"), ("reason", "测试")],
        )
        .await;
    assert_eq!(status, 409);
    assert!(mouding.item("SC-010").await.unwrap().unwrap().published);

    // Joint lists: a changed list waits for the 编办.
    let admin = srv.login("admin", PASSWORD).await.unwrap();
    let bianban = srv.login("bianban", PASSWORD).await.unwrap();
    let mut list = mouding.joint_item_lists(true).await.unwrap()[0].clone();
    list.items.truncate(1);
    let mut pairs = vec![
        ("code", list.code.as_str()),
        ("editing", "yes"),
        ("name", list.name.as_str()),
        ("domain", list.domain.code()),
        ("lead_department", list.lead_department.as_str()),
        ("published", "yes"),
    ];
    for i in &list.items {
        pairs.push(("items", i.as_str()));
    }
    let (status, page) = srv
        .post(&admin, "/staff/settings/joint-lists", &pairs)
        .await;
    assert_eq!(status, 303, "{page}");
    let (_, public_page) = srv.get("", &public).await;
    assert!(!public_page.contains(&list.name), "{public_page}");
    let (_, page) = srv.get(&admin.cookie, "/staff/joint-lists").await;
    assert!(
        page.contains("待编办审定") && !page.contains("审定并公布"),
        "{page}"
    );
    let (_, page) = srv.get(&bianban.cookie, "/staff/joint-lists").await;
    assert!(page.contains("审定并公布"), "{page}");
    let revision = mouding
        .joint_list_approvals()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.code == list.code)
        .unwrap()
        .revision
        .to_string();
    let approve = format!("/staff/joint-lists/{}/approve", list.code);
    let (status, _) = srv.post(&admin, &approve, &[("revision", &revision)]).await;
    assert_eq!(status, 403);
    let (status, page) = srv
        .post(&bianban, &approve, &[("revision", &revision)])
        .await;
    assert_eq!(status, 303, "{page}");
    let (_, public_page) = srv.get("", &public).await;
    assert!(public_page.contains(&list.name), "{public_page}");
    let (_, log) = srv.get(&admin.cookie, "/staff/audit?what=item.").await;
    assert!(
        log.contains("发布抽查事项") && log.contains("新增电商事项"),
        "{log}"
    );

    // A template's examples are the clerk's county's own: 南华县 sees 南华县.
    let nh = srv.login("nh-admin", PASSWORD).await.unwrap();
    for kind in ["items", "entities", "inspectors"] {
        let (status, _, bytes) = srv
            .get_bytes(&nh.cookie, &format!("/staff/import/template/{kind}.xlsx"))
            .await;
        assert_eq!(status, 200);
        let text: String = common::xlsx_sheet(&bytes, 1)
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("|");
        assert!(text.contains("南华县"), "{kind}: {text}");
        assert!(!text.contains("牟定"), "{kind}: {text}");
    }
}

/// The task and follow-up lists of a demo year: searched, sorted, exported as the
/// page shows them.
async fn lists_searched_and_exported(engine: Engine) {
    let srv = common::start_with_year(engine).await;
    let bianban = srv.login("bianban", PASSWORD).await.unwrap();
    let amr = srv.login("amr-admin", PASSWORD).await.unwrap();
    let (status, page) = srv
        .get(&bianban.cookie, "/staff/tasks?sort=deadline&year=x")
        .await;
    assert_eq!(status, 200, "{page}");
    let shown = |page: &str| -> usize {
        let at = page.find("共 ").expect("a count") + "共 ".len();
        page[at..].split(' ').next().unwrap().parse().unwrap()
    };
    let all = shown(&page);
    assert!(all > 0, "{page}");
    let (status, _, csv) = srv
        .get_bytes(
            &bianban.cookie,
            "/staff/tasks/export?sort=deadline&format=csv",
        )
        .await;
    assert_eq!(status, 200);
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("\u{feff}编号,任务,年度"), "{csv}");
    assert_eq!(csv.lines().count(), all + 1, "{csv}");
    let (_, page) = srv
        .get(&bianban.cookie, "/staff/tasks?state=published")
        .await;
    let published = shown(&page);
    assert!(published < all, "{page}");
    let (_, _, csv) = srv
        .get_bytes(
            &bianban.cookie,
            "/staff/tasks/export?state=published&format=csv",
        )
        .await;
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count(), published + 1);
    assert!(csv.lines().skip(1).all(|l| l.contains("已公示")), "{csv}");
    // Each sealed task with its number and national code.
    assert!(
        csv.lines()
            .skip(1)
            .all(|l| l.contains("抽〔") && l.contains("号,11532323")),
        "{csv}"
    );
    let (status, page) = srv
        .get(&amr.cookie, "/staff/follow-ups?state=open&sort=due")
        .await;
    assert_eq!(status, 200, "{page}");
    let open = shown(&page);
    let (status, _, csv) = srv
        .get_bytes(
            &amr.cookie,
            "/staff/follow-ups/export?state=open&format=csv",
        )
        .await;
    assert_eq!(status, 200);
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count(), open + 1, "{csv}");
    // Plans: a row per planned task, as the page's search finds them.
    let (status, page) = srv
        .get(&bianban.cookie, "/staff/plans?state=published")
        .await;
    assert_eq!(status, 200, "{page}");
    let plans = shown(&page);
    assert!(plans > 0, "{page}");
    let (status, _, csv) = srv
        .get_bytes(
            &bianban.cookie,
            "/staff/plans/export?state=published&format=csv",
        )
        .await;
    assert_eq!(status, 200);
    let csv = String::from_utf8(csv).unwrap();
    assert!(
        csv.starts_with("\u{feff}计划编号,年度,领域,计划名称"),
        "{csv}"
    );
    assert!(csv.lines().count() > plans, "{csv}");
    assert!(csv.lines().skip(1).all(|l| l.contains("已公布")), "{csv}");
    assert!(csv.lines().skip(1).all(|l| l.contains("抽计〔")), "{csv}");
    let (_, page) = srv.get(&bianban.cookie, "/staff/plans?year=1999").await;
    assert_eq!(shown(&page), 0);
    assert!(page.contains("没有符合条件的计划"), "{page}");
    let (_, _, csv) = srv
        .get_bytes(&bianban.cookie, "/staff/plans/export?year=1999&format=csv")
        .await;
    assert_eq!(String::from_utf8(csv).unwrap().lines().count(), 1);
}

#[tokio::test]
async fn lists_searched_and_exported_sqlite() {
    lists_searched_and_exported(Engine::Sqlite).await;
}

#[tokio::test]
async fn lists_searched_and_exported_postgres() {
    lists_searched_and_exported(Engine::Postgres).await;
}

#[tokio::test]
async fn items_kept_on_the_web_sqlite() {
    items_kept_on_the_web(Engine::Sqlite).await;
}

#[tokio::test]
async fn items_kept_on_the_web_postgres() {
    items_kept_on_the_web(Engine::Postgres).await;
}
