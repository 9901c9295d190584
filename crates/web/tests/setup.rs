//! A new county set up on the web, on both engines: the province's administrator adds
//! it with its first administrator, who signs in, changes the password and sets up
//! the county's townships, departments and rule books. Refused forms come back as the
//! same page with the values kept; nobody else may do any of it.

use liancha_domain::Domain;
use liancha_store::Engine;
use liancha_store::demo::DemoSize;

mod common;
use common::{Session, hidden_csrf};

const PASSWORD: &str = liancha_store::demo::DEMO_PASSWORD;

async fn county_set_up_on_the_web(engine: Engine) {
    let size = DemoSize {
        legal_persons: 10,
        individuals: 20,
    };
    let srv = common::start(engine, size, true, None).await;
    let store = srv.store();
    let province = srv.login("province-admin", PASSWORD).await.unwrap();
    let (status, page) = srv.get(&province.cookie, "/staff/divisions").await;
    assert_eq!(status, 200);
    assert!(page.contains("南华县") && page.contains("532324"), "{page}");

    // Refused: a code outside the province, a taken code, a weak password. Each
    // comes back as the form with what was typed.
    let form = |code: &'static str, name: &'static str, password: &'static str| {
        vec![
            ("code", code),
            ("name", name),
            ("admin_username", "yaoan-admin"),
            ("admin_name", "姚安县 系统管理员"),
            ("admin_password", password),
        ]
    };
    for (code, name, password, why) in [
        ("542300", "某县", "Yaoan#2026x", "只能在 530000 之下"),
        ("532324", "又一个南华县", "Yaoan#2026x", "已存在"),
        ("532325", "姚安县", "short", "至少 8"),
        ("5323251", "姚安县", "Yaoan#2026x", "行政区划代码"),
    ] {
        let (status, body) = srv
            .post(&province, "/staff/divisions", &form(code, name, password))
            .await;
        assert_eq!(status, 422, "{code}: {body}");
        assert!(body.contains(why), "{code}: {body}");
        assert!(
            body.contains(&format!("value=\"{name}\"")),
            "values kept: {body}"
        );
        assert!(body.contains("role=\"alert\""));
    }
    assert!(store.user_by_name("yaoan-admin").await.unwrap().is_none());
    let (status, _) = srv
        .post(
            &province,
            "/staff/divisions",
            &form("532325", "姚安县", "Yaoan#2026x"),
        )
        .await;
    assert_eq!(status, 303);
    assert_eq!(store.counties().await.unwrap().len(), 3);
    // The new county has its portal at once.
    let (status, body) = srv.get("", "/c/532325").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("姚安县人民政府"));

    // Nobody but an office's administrator adds counties.
    for who in ["admin", "zhou-duchashi", "bianban"] {
        let s = srv.login(who, PASSWORD).await.unwrap();
        let (status, _) = srv.get(&s.cookie, "/staff/divisions").await;
        assert_eq!(status, 403, "{who}");
        let (status, _) = srv
            .post(
                &s,
                "/staff/divisions",
                &form("532326", "大姚县", "Dayao#2026x"),
            )
            .await;
        assert_eq!(status, 403, "{who}");
    }

    // The first administrator must change the password before anything else.
    let admin = srv.login("yaoan-admin", "Yaoan#2026x").await.unwrap();
    let (status, _) = srv
        .post(
            &admin,
            "/account/password",
            &[
                ("current", "Yaoan#2026x"),
                ("new", "Yaoan#2027y"),
                ("repeat", "Yaoan#2027y"),
            ],
        )
        .await;
    assert_eq!(status, 303);
    let (status, page) = srv.get(&admin.cookie, "/staff/settings").await;
    assert_eq!(status, 200);
    assert!(page.contains("尚未设置乡镇"), "{page}");
    let admin = Session {
        csrf: hidden_csrf(&page),
        cookie: admin.cookie,
    };

    // A township of another county, then a good one.
    let (status, body) = srv
        .post(
            &admin,
            "/staff/settings/townships",
            &[("code", "532323100"), ("name", "共和镇")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        body.contains("以本县代码 532325 开头") && body.contains("aria-invalid"),
        "{body}"
    );
    assert!(body.contains("value=\"共和镇\""));
    let (status, _) = srv
        .post(
            &admin,
            "/staff/settings/townships",
            &[("code", "532325100"), ("name", "栋川镇")],
        )
        .await;
    assert_eq!(status, 303);
    let (status, body) = srv
        .post(
            &admin,
            "/staff/settings/townships",
            &[("code", "532325101"), ("name", "栋川镇")],
        )
        .await;
    assert_eq!(status, 422, "a name twice: {body}");

    // Departments: a bad code, then one, then the same code renamed.
    let (status, body) = srv
        .post(
            &admin,
            "/staff/settings/departments",
            &[
                ("code", "AMR"),
                ("name", "姚安县市场监督管理局"),
                ("domain", "market"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("部门代码"), "{body}");
    for name in ["姚安县市场监管局", "姚安县市场监督管理局"] {
        let (status, _) = srv
            .post(
                &admin,
                "/staff/settings/departments",
                &[("code", "amr"), ("name", name), ("domain", "market")],
            )
            .await;
        assert_eq!(status, 303);
    }
    let county = store.county(&liancha_domain::org::DivisionCode::parse("532325").unwrap());
    let departments = county.departments().await.unwrap();
    assert_eq!(departments.len(), 1);
    assert_eq!(departments[0].name, "姚安县市场监督管理局");

    // Its numbering (发文字号): a word with the year in it is refused with the
    // values kept; then saved, the page shows the first number it gives.
    let numbering = |task_word: &'static str| {
        vec![
            ("department", "amr"),
            ("plan_word", "姚市监抽计"),
            ("task_word", task_word),
            ("notice_word", "姚市监检通"),
            ("agency_code", ""),
        ]
    };
    let (status, body) = srv
        .post(
            &admin,
            "/staff/settings/numbering",
            &numbering("姚市监〔2026〕"),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("机关代字只能由汉字或字母组成") && body.contains("value=\"姚市监检通\""),
        "{body}"
    );
    assert!(county.issuers().await.unwrap()[0].task_word.is_empty());
    let (status, _) = srv
        .post(&admin, "/staff/settings/numbering", &numbering("姚市监抽"))
        .await;
    assert_eq!(status, 303);
    assert_eq!(county.issuers().await.unwrap()[0].task_word, "姚市监抽");
    let (_, page) = srv.get(&admin.cookie, "/staff/settings").await;
    let year = chrono::Datelike::year(&liancha_domain::calendar::china_date(srv.clock.now()));
    assert!(page.contains(&format!("姚市监抽〔{year}〕1号")), "{page}");

    // A rule book: a ratio over 100% is refused with the values kept; then saved as
    // a version in force from today.
    let china = liancha_domain::calendar::china();
    let today = srv.clock.now().with_timezone(&china).date_naive();
    let from = today.to_string();
    let book = |a: &'static str| {
        vec![
            ("effective_from", from.as_str()),
            ("domain", "market"),
            ("ratio_a", a),
            ("ratio_b", "5"),
            ("ratio_c", "10"),
            ("ratio_d", "20"),
            ("annual_cap", "2"),
            ("deadline_days", "20"),
            ("min_team_size", "2"),
            ("recuse", "yes"),
        ]
    };
    let (status, body) = srv
        .post(&admin, "/staff/settings/rule-books", &book("150"))
        .await;
    assert_eq!(status, 422);
    assert!(
        body.contains("value=\"150\"") && body.contains("抽查比例"),
        "{body}"
    );
    let (status, _) = srv
        .post(&admin, "/staff/settings/rule-books", &book("2.5"))
        .await;
    assert_eq!(status, 303);
    assert_eq!(
        county.rule_book(Domain::Market).await.unwrap().ratio_bp,
        [250, 500, 1000, 2000]
    );
    // The next year's rule book, adopted now: saved as a new version, in force from
    // its day only; the page lists it as waiting. A past day is refused; so is a
    // form showing an older version than the latest (someone saved meanwhile).
    let next = (today + chrono::Days::new(30)).to_string();
    let past = (today - chrono::Days::new(1)).to_string();
    let later = |from: &str, was: &str| -> Vec<(String, String)> {
        book("3")
            .into_iter()
            .filter(|(k, _)| *k != "effective_from")
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .chain([
                ("effective_from".to_string(), from.to_string()),
                ("was_version".to_string(), was.to_string()),
            ])
            .collect()
    };
    let post = async |form: Vec<(String, String)>| {
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        srv.post(&admin, "/staff/settings/rule-books", &pairs).await
    };
    let (status, body) = post(later(&past, "1")).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("施行日期不能早于今天"), "{body}");
    let (status, body) = post(later(&next, "0")).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("已被他人修改"), "{body}");
    let (status, body) = post(later(&next, "1")).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(
        county.rule_book(Domain::Market).await.unwrap().ratio_bp[0],
        250
    );
    let coming = county
        .rule_book_on(Domain::Market, today + chrono::Days::new(30))
        .await
        .unwrap();
    assert_eq!((coming.version, coming.book.ratio_bp[0]), (2, 300));
    let (_, page) = srv.get(&admin.cookie, "/staff/settings").await;
    assert!(
        page.contains(&format!("第 2 版（{next} 起施行）")) && page.contains("待施行"),
        "{page}"
    );
    let (_, public) = srv.get("", "/c/532325/rule-books").await;
    assert!(
        public.contains("已定待施行的版本") && public.contains(&next),
        "{public}"
    );
    let trail = county.audit_recent(100).await.unwrap();
    for action in [
        "township.add",
        "department.add",
        "department.update",
        "rule-book.update",
    ] {
        assert!(trail.iter().any(|e| e.action == action), "{action}");
    }

    // Another county's coordinator reads its own settings and changes none.
    let coordinator = srv.login("bianban", PASSWORD).await.unwrap();
    let (status, page) = srv.get(&coordinator.cookie, "/staff/settings").await;
    assert_eq!(status, 200);
    assert!(page.contains("共和镇") && !page.contains("栋川镇"));
    assert!(!page.contains("action=\"/staff/settings/townships\""));
    let (status, _) = srv
        .post(
            &coordinator,
            "/staff/settings/townships",
            &[("code", "532323199"), ("name", "新镇")],
        )
        .await;
    assert_eq!(status, 403);
    srv.db.finish().await;
}

/// A county's administrator keeps its joint item lists: adds one, is refused one
/// naming an item the county lacks (the form kept, nothing written), edits one by
/// its code; a coordinator reads them and changes none.
async fn joint_lists_on_the_web(engine: Engine) {
    let size = DemoSize {
        legal_persons: 10,
        individuals: 20,
    };
    let srv = common::start(engine, size, true, None).await;
    let store = srv.store();
    let code = liancha_domain::org::DivisionCode::parse("532323").unwrap();
    let mouding = store.county(&code);
    let lists_before = mouding.joint_item_lists(false).await.unwrap();
    let admin = srv.login("admin", PASSWORD).await.unwrap();
    let (status, page) = srv.get(&admin.cookie, "/staff/settings").await;
    assert_eq!(status, 200);
    assert!(page.contains("LC-market") && page.contains("action=\"/staff/settings/joint-lists\""));
    let form = |code: &'static str, items: &[&'static str]| {
        let mut f = vec![
            ("code", code),
            ("name", "校园周边食品安全联合抽查事项清单"),
            ("domain", "market"),
            ("lead_department", "amr"),
            ("published", "yes"),
        ];
        f.extend(items.iter().map(|i| ("items", *i)));
        f
    };
    let (status, body) = srv
        .post(
            &admin,
            "/staff/settings/joint-lists",
            &form("LC-SCHOOL", &["SC-003", "ZZ-999"]),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("ZZ-999") && body.contains("role=\"alert\""),
        "{body}"
    );
    assert!(
        body.contains("value=\"LC-SCHOOL\"") && body.contains("value=\"SC-003\" checked"),
        "kept: {body}"
    );
    assert_eq!(mouding.joint_item_lists(false).await.unwrap(), lists_before);
    let (status, _) = srv
        .post(
            &admin,
            "/staff/settings/joint-lists",
            &form("LC-SCHOOL", &["SC-003", "SC-005"]),
        )
        .await;
    assert_eq!(status, 303);
    let saved = mouding.joint_item_lists(false).await.unwrap();
    let school = saved.iter().find(|l| l.code == "LC-SCHOOL").unwrap();
    assert_eq!(school.items, ["SC-003", "SC-005"]);
    assert!(school.published);
    // Edited by its code: the form comes filled in, the code fixed.
    let (status, page) = srv
        .get(&admin.cookie, "/staff/settings?list=LC-SCHOOL")
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("修改清单 LC-SCHOOL") && page.contains("value=\"SC-005\" checked"),
        "{page}"
    );
    let mut edit = form("LC-SCHOOL", &["SC-005"]);
    edit.retain(|(k, _)| *k != "published");
    edit.push(("editing", "yes"));
    let (status, _) = srv.post(&admin, "/staff/settings/joint-lists", &edit).await;
    assert_eq!(status, 303);
    let saved = mouding.joint_item_lists(false).await.unwrap();
    let school = saved.iter().find(|l| l.code == "LC-SCHOOL").unwrap();
    assert_eq!(
        (school.items.as_slice(), school.published),
        (&["SC-005".to_string()][..], false)
    );
    let trail = mouding.audit_recent(10).await.unwrap();
    assert!(trail.iter().any(|e| e.action == "joint-list.add"));
    assert!(trail.iter().any(|e| e.action == "joint-list.update"));
    // The coordinator reads the lists and changes none.
    let coordinator = srv.login("bianban", PASSWORD).await.unwrap();
    let (_, page) = srv.get(&coordinator.cookie, "/staff/settings").await;
    assert!(page.contains("LC-SCHOOL") && !page.contains("action=\"/staff/settings/joint-lists\""));
    let (status, _) = srv
        .post(
            &coordinator,
            "/staff/settings/joint-lists",
            &form("LC-X", &["SC-003"]),
        )
        .await;
    assert_eq!(status, 403);
    srv.db.finish().await;
}

#[tokio::test]
async fn joint_lists_on_the_web_sqlite() {
    joint_lists_on_the_web(Engine::Sqlite).await;
}

#[tokio::test]
async fn joint_lists_on_the_web_postgres() {
    joint_lists_on_the_web(Engine::Postgres).await;
}

#[tokio::test]
async fn county_set_up_on_the_web_sqlite() {
    county_set_up_on_the_web(Engine::Sqlite).await;
}

#[tokio::test]
async fn county_set_up_on_the_web_postgres() {
    county_set_up_on_the_web(Engine::Postgres).await;
}
