//! The open-data API (`/api/v1/…`) over real HTTP, on both engines: every endpoint's
//! status and shape, paging, ETag and 304, the CSV and XLSX downloads, the OpenAPI
//! document and the docs page, and above all that nothing unpublished or staff-only
//! ever appears in any response.

use std::collections::BTreeSet;
use std::io::Cursor;

use chrono::{Duration, Utc};
use liancha_domain::workflow::{ResultCategory, SourceDecl, TaskMode, WitnessRole};
use liancha_domain::{Domain, InspectionMethod, Item};
use liancha_store::accounts::Actor;
use liancha_store::demo::DemoSize;
use liancha_store::results::ItemResult;
use liancha_store::tasks::{NewTask, QuotaSpec, TaskScopeFilter};
use liancha_store::{Engine, Store};
use serde_json::Value;

/// Every string planted where the public must never see it starts with this.
const LEAK: &str = "LEAK";

mod common;
use common::Server;

async fn start(engine: Engine) -> (Server, Store) {
    let size = DemoSize {
        legal_persons: 100,
        individuals: 300,
    };
    // The per-address download limit is tested in staff.rs; these tests download a lot.
    let no_limits = liancha_web::limits::Limits {
        search_per_minute: 0,
        download_per_minute: 0,
        trust_forwarded_for: false,
    };
    let srv = common::start(engine, size, true, Some(no_limits)).await;
    let store = srv.store();
    (srv, store)
}

struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }
}

impl Server {
    async fn fetch(&self, path: &str) -> Reply {
        self.get_with(path, &[]).await
    }

    async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Reply {
        let mut req = self.http.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let r = req.send().await.unwrap();
        Reply {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.bytes().await.unwrap().to_vec(),
        }
    }

    /// GET that must answer 200 with JSON.
    async fn json(&self, path: &str) -> Value {
        let r = self.fetch(path).await;
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert!(
            r.header("content-type").starts_with("application/json"),
            "{path}"
        );
        r.json()
    }

    /// GET that must fail with this status and a JSON `{error}` in Chinese.
    async fn error(&self, path: &str, status: u16) -> String {
        let r = self.fetch(path).await;
        assert_eq!(r.status, status, "{path}: {}", r.text());
        let v = r.json();
        let msg = v["error"].as_str().unwrap_or_else(|| panic!("{path}: {v}"));
        assert!(
            msg.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{path}: {msg}"
        );
        msg.to_string()
    }
}

/// What the fixture made, for the tests to look at.
struct World {
    srv: Server,
    /// The demo county's handle, on a store that lives as long as the test run.
    mouding: liancha_store::County<'static>,
    published: i64,
    draft: i64,
    committed: i64,
    drawn: i64,
    /// An entity with published results, on the abnormal list.
    listed: String,
    plan: i64,
}

impl World {
    /// Drops a PostgreSQL test database (SQLite's goes with its directory).
    async fn finish(self) {
        self.srv.db.finish().await;
    }
}

fn spec(title: &str, items: &[&str], plan_entry_id: Option<i64>) -> NewTask {
    let today = liancha_domain::calendar::today_in_china();
    NewTask {
        year: chrono::Datelike::year(&today),
        title: title.into(),
        domain: Domain::Market,
        mode: TaskMode::Comprehensive,
        lead_department: "amr".into(),
        items: items.iter().map(|s| s.to_string()).collect(),
        scope: TaskScopeFilter::default(),
        quotas: QuotaSpec::Count([1, 1, 1, 1]),
        team_count: 2,
        team_size: 2,
        avoid_same_township: false,
        inspection_start: today,
        inspection_end: today + Duration::days(20),
        plan_entry_id,
    }
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

async fn actor(store: &Store, name: &str) -> Actor {
    (&store.user_by_name(name).await.unwrap().unwrap().principal()).into()
}

/// A published plan; a published task (from the plan) with results, witnesses and
/// attachments public and private; a draft, a committed and a drawn-but-unpublished
/// task; a draft item; inspectors whose phone and certificate numbers are markers.
async fn world(engine: Engine) -> World {
    let (srv, store) = start(engine).await;
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let coordinator = actor(&store, "bianban").await;
    let amr = actor(&store, "amr-admin").await;
    let agri = actor(&store, "agri-admin").await;
    let now = Utc::now();
    let today = liancha_domain::calendar::today_in_china();
    let year = chrono::Datelike::year(&today);

    mouding
        .put_items(&[Item {
            code: "SC-LEAK-9".into(),
            name: "LEAK 草稿事项".into(),
            legal_basis: "LEAK 草稿依据".into(),
            department: "amr".into(),
            content: "LEAK 草稿内容".into(),
            methods: vec![InspectionMethod::OnSite],
            authority: "LEAK".into(),
            entity_types: vec![],
            published: false,
            ..Item::default()
        }])
        .await
        .unwrap();
    let inspectors: Vec<_> = mouding
        .inspectors(None)
        .await
        .unwrap()
        .into_iter()
        .enumerate()
        .map(|(n, mut i)| {
            i.phone = Some(format!("LEAK-PHONE-{n}"));
            i.certificate_no = format!("LEAK-CERT-{n}");
            i
        })
        .collect();
    mouding.put_inspectors(&inspectors).await.unwrap();

    let plan = mouding
        .create_annual_plan(
            year,
            Domain::Market,
            "市场监管领域年度抽查计划",
            "amr",
            &["agri".to_string()],
            &coordinator,
            now,
        )
        .await
        .unwrap();
    let entry = mouding
        .add_plan_entry(
            plan,
            3,
            "食品经营联合抽查",
            &["SC-001".to_string(), "NY-001".to_string()],
            "全县食品经营者",
            &coordinator,
            now,
        )
        .await
        .unwrap();
    mouding
        .publish_annual_plan(plan, &coordinator, now)
        .await
        .unwrap();

    let published = mouding
        .create_task(
            &spec("已公示的联合抽查", &["SC-001", "NY-001"], Some(entry)),
            &coordinator,
            now,
        )
        .await
        .unwrap();
    let drawn = mouding
        .create_task(
            &spec("LEAK 已抽取未公示的抽查", &["SC-002"], Some(entry)),
            &coordinator,
            now,
        )
        .await
        .unwrap();
    let committed = mouding
        .create_task(
            &spec("LEAK 方案已封存的抽查", &["SC-002"], None),
            &coordinator,
            now,
        )
        .await
        .unwrap();
    let draft = mouding
        .create_task(&spec("LEAK 草稿任务", &["SC-001"], None), &coordinator, now)
        .await
        .unwrap();
    for t in [published, drawn, committed] {
        let v = mouding.task_or_404(t).await.unwrap().version;
        liancha_store::testing::approve(&mouding, t, v, now).await;
        mouding
            .commit_task(
                t,
                v,
                &[SourceDecl::other("掷骰", now + Duration::seconds(1)).unwrap()],
                &coordinator,
                now,
            )
            .await
            .unwrap();
    }
    for t in [published, drawn] {
        let v = mouding.task_or_404(t).await.unwrap().version;
        mouding
            .reveal_and_draw(
                t,
                v,
                &["4".into()],
                &coordinator,
                now + Duration::seconds(2),
            )
            .await
            .unwrap();
        liancha_store::testing::check_in_all(&mouding, t, now).await;
    }
    mouding
        .add_witness(
            published,
            "王见证",
            WitnessRole::Press,
            "县融媒体中心",
            &coordinator,
            now,
        )
        .await
        .unwrap();
    mouding
        .add_witness(
            drawn,
            "LEAK 见证人",
            WitnessRole::Other,
            "LEAK",
            &coordinator,
            now,
        )
        .await
        .unwrap();
    use liancha_domain::attachment::AttachmentPurpose;
    for (task, name, public) in [
        (published, "抽取现场公开照片.png", true),
        (published, "LEAK-private-ceremony.png", false),
        (drawn, "LEAK-drawn-task-public.png", true),
    ] {
        mouding
            .add_attachment(
                task,
                None,
                AttachmentPurpose::Ceremony,
                name,
                PNG,
                public,
                &coordinator,
                now,
            )
            .await
            .unwrap();
    }

    let visits = mouding.visits(published).await.unwrap();
    let assigned: Vec<_> = visits.iter().filter(|v| v.team_no.is_some()).collect();
    assert!(assigned.len() >= 2, "the draw assigns visits");
    mouding
        .add_attachment(
            published,
            Some(&assigned[0].entity_id),
            AttachmentPurpose::Result,
            "LEAK-private-result.pdf",
            b"%PDF-1.7\nLEAK",
            false,
            &amr,
            now,
        )
        .await
        .unwrap();
    for (n, v) in assigned.iter().enumerate() {
        let category = if n == 0 {
            ResultCategory::Unreachable
        } else {
            ResultCategory::NoProblem
        };
        let results = ["SC-001", "NY-001"].map(|code| ItemResult {
            item_code: code.into(),
            categories: vec![category],
            methods: vec![InspectionMethod::OnSite],
            findings: "LEAK 内部备注：线索来自举报人张某".into(),
        });
        mouding
            .record_results(published, &v.entity_id, today, &results, &amr, now)
            .await
            .unwrap();
    }
    mouding
        .approve_results(published, "amr", &amr, now)
        .await
        .unwrap();
    mouding
        .approve_results(published, "agri", &agri, now)
        .await
        .unwrap();
    let v = mouding.task_or_404(published).await.unwrap().version;
    mouding
        .publish_task(published, v, &coordinator, now)
        .await
        .unwrap();
    let proposal = mouding
        .credit_proposals(Some("amr"))
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.entity_id == assigned[0].entity_id)
        .unwrap()
        .id;
    mouding
        .decide_credit_proposal(proposal, true, "", &amr, now)
        .await
        .unwrap();

    // The drawn task's results are in, but never reviewed or published.
    for v in mouding
        .visits(drawn)
        .await
        .unwrap()
        .iter()
        .filter(|v| v.team_no.is_some())
    {
        let results = [ItemResult {
            item_code: "SC-002".into(),
            categories: vec![ResultCategory::Corrected],
            methods: vec![InspectionMethod::Documentary],
            findings: "LEAK 未公示任务的检查情况".into(),
        }];
        mouding
            .record_results(drawn, &v.entity_id, today, &results, &amr, now)
            .await
            .unwrap();
    }

    let forever: &'static Store = Box::leak(Box::new(store.clone()));
    let mouding = liancha_store::testing::mouding_county(forever).await;
    World {
        mouding,
        srv,
        published,
        draft,
        committed,
        drawn,
        listed: assigned[0].entity_id.clone(),
        plan,
    }
}

/// Every list endpoint (JSON), without query.
fn list_paths(w: &World) -> Vec<String> {
    vec![
        "/api/v1/items".into(),
        "/api/v1/joint-lists".into(),
        "/api/v1/rule-books".into(),
        "/api/v1/plans".into(),
        "/api/v1/tasks".into(),
        format!("/api/v1/tasks/{}/results", w.published),
        format!("/api/v1/entities/{}/results", w.listed),
        "/api/v1/lists/abnormal".into(),
        "/api/v1/lists/blacklist".into(),
    ]
}

/// Every list that has CSV and XLSX downloads, without extension.
fn download_bases(w: &World) -> Vec<String> {
    list_paths(w)
        .into_iter()
        .filter(|p| p != "/api/v1/rule-books")
        .collect()
}

fn assert_page(v: &Value, path: &str) {
    assert!(v["items"].is_array(), "{path}: {v}");
    assert!(v["page"].as_u64().is_some(), "{path}");
    assert!(v["per_page"].as_u64().is_some(), "{path}");
    assert!(v["total"].as_u64().is_some(), "{path}");
}

fn xlsx_rows(body: &[u8]) -> Vec<Vec<calamine::Data>> {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(body.to_vec())).expect("a readable XLSX");
    let range = book
        .worksheet_range_at(0)
        .expect("a worksheet")
        .expect("readable");
    range.rows().map(|r| r.to_vec()).collect()
}

fn cell_text(c: &calamine::Data) -> String {
    match c {
        calamine::Data::String(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn lists_have_their_shape_and_pages(engine: Engine) {
    let w = world(engine).await;
    let srv = &w.srv;
    for path in list_paths(&w) {
        let v = srv.json(&path).await;
        assert_page(&v, &path);
        assert_eq!(v["page"], 1, "{path}");
        assert_eq!(v["per_page"], 100, "{path}");
        assert_eq!(
            v["total"].as_u64().unwrap(),
            v["items"].as_array().unwrap().len() as u64,
            "{path}: all on one page"
        );
    }

    // Items: published only, with legal basis, department named, methods labelled.
    let items = srv.json("/api/v1/items?per_page=1000").await;
    let all = items["items"].as_array().unwrap();
    assert!(!all.is_empty());
    let sc1 = all.iter().find(|i| i["code"] == "SC-001").unwrap();
    assert!(!sc1["legal_basis"].as_str().unwrap().is_empty());
    assert_eq!(sc1["department"]["code"], "amr");
    assert!(sc1["department"]["name"].as_str().unwrap().contains("市场"));
    assert!(sc1["methods"][0]["label"].as_str().is_some());
    let codes: Vec<(&str, &str)> = all
        .iter()
        .map(|i| {
            (
                i["county"]["code"].as_str().unwrap(),
                i["code"].as_str().unwrap(),
            )
        })
        .collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted, "items in county, then code order");
    assert_eq!(sc1["county"]["code"], "532323");
    assert_eq!(sc1["county"]["name"], "牟定县");

    // The county filter: a county, a prefecture, a code the installation lacks.
    let nanhua = srv.json("/api/v1/items?county=532324&per_page=1000").await;
    let n = nanhua["items"].as_array().unwrap();
    assert!(!n.is_empty() && n.iter().all(|i| i["county"]["code"] == "532324"));
    assert!(
        n[0]["department"]["name"]
            .as_str()
            .unwrap()
            .starts_with("南华县")
    );
    for prefecture in ["5323", "532300", "53"] {
        let both = srv
            .json(&format!("/api/v1/items?county={prefecture}&per_page=1000"))
            .await;
        assert_eq!(
            both["total"].as_u64().unwrap(),
            all.len() as u64,
            "{prefecture}"
        );
    }
    for unknown in ["532399", "99", "6501"] {
        let none = srv.json(&format!("/api/v1/tasks?county={unknown}")).await;
        assert_eq!(none["total"], 0, "{unknown}");
    }
    for bad in ["5", "532", "abcdef", "5323231", "%20532323"] {
        srv.error(&format!("/api/v1/items?county={bad}"), 400).await;
    }

    // Paging: pages of two add up to the whole list, in the same order.
    let mut paged = Vec::new();
    for page in 1.. {
        let v = srv
            .json(&format!("/api/v1/items?page={page}&per_page=2"))
            .await;
        assert_eq!(v["per_page"], 2);
        assert_eq!(v["page"], page);
        assert_eq!(v["total"].as_u64().unwrap(), all.len() as u64);
        let got = v["items"].as_array().unwrap().clone();
        if got.is_empty() {
            break;
        }
        assert!(got.len() <= 2);
        paged.extend(got);
    }
    assert_eq!(&paged, all);
    let beyond = srv.json("/api/v1/tasks?page=999").await;
    assert_eq!(beyond["items"].as_array().unwrap().len(), 0);
    assert_eq!(beyond["total"], 1);

    // The list as published on a day: nothing was published before today.
    let today = liancha_domain::calendar::today_in_china();
    let then = srv.json("/api/v1/items?on=2000-01-01").await;
    assert_eq!(then["total"], 0);
    let now = srv
        .json(&format!("/api/v1/items?on={today}&per_page=1000"))
        .await;
    assert_eq!(now["items"], items["items"]);

    // Bad parameters: 400 with a Chinese message, no panic.
    for bad in [
        "/api/v1/items?page=0",
        "/api/v1/items?page=-1",
        "/api/v1/items?page=abc",
        "/api/v1/items?per_page=0",
        "/api/v1/items?per_page=1001",
        "/api/v1/tasks?per_page=x",
        "/api/v1/items?on=2026-13-01",
        "/api/v1/items?on=yesterday",
        "/api/v1/items.csv?on=2026-02-30",
        "/api/v1/lists/abnormal?page=99999999999999999999",
    ] {
        srv.error(bad, 400).await;
    }
    let msg = srv.error("/api/v1/items?page=0", 400).await;
    assert!(msg.contains("page"), "{msg}");
    srv.error("/api/v1/no-such-thing", 404).await;

    // Joint lists and rule books.
    let lists = srv.json("/api/v1/joint-lists").await;
    let first = &lists["items"][0];
    assert!(first["domain"]["label"].as_str().is_some());
    assert!(first["items"][0]["code"].as_str().is_some());
    let books = srv.json("/api/v1/rule-books").await;
    assert_eq!(books["total"], 2 * Domain::ALL.len(), "each county's");
    let one = srv.json("/api/v1/rule-books?county=532323").await;
    assert_eq!(one["total"], Domain::ALL.len());
    let market = books["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["domain"]["code"] == "market")
        .unwrap();
    assert_eq!(market["ratios"].as_array().unwrap().len(), 4);
    assert!(
        market["ratios"][0]["ratio_percent"]
            .as_str()
            .unwrap()
            .ends_with('%')
    );

    // The plan, with the published task made from it and not the drawn one.
    let plans = srv.json("/api/v1/plans").await;
    assert_eq!(plans["total"], 1);
    let plan = &plans["items"][0];
    assert_eq!(plan["id"], w.plan);
    assert_eq!(plan["domain"]["label"], "市场监管");
    assert!(plan["published_at"].as_str().unwrap().ends_with("+08:00"));
    assert_eq!(
        plan["entries"][0]["published_tasks"],
        serde_json::json!([w.published])
    );
    assert!(plan["entries"][0]["items"][0]["name"].as_str().is_some());

    // Tasks: the published one only.
    let tasks = srv.json("/api/v1/tasks").await;
    assert_eq!(tasks["total"], 1);
    assert_eq!(tasks["items"][0]["id"], w.published);
    assert_eq!(tasks["items"][0]["title"], "已公示的联合抽查");

    // Lists: the confirmed listing is there.
    let abnormal = srv.json("/api/v1/lists/abnormal?per_page=1000").await;
    assert!(
        abnormal["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["entity_id"] == w.listed.as_str())
    );
    w.finish().await;
}

async fn published_task_detail_and_results(engine: Engine) {
    let w = world(engine).await;
    let srv = &w.srv;
    let d = srv.json(&format!("/api/v1/tasks/{}", w.published)).await;
    assert_eq!(d["task"]["id"], w.published);
    assert_eq!(d["task"]["mode"]["code"], "comprehensive");
    assert_eq!(d["task"]["items"].as_array().unwrap().len(), 2);
    let record: Value =
        serde_json::from_str(&w.mouding.draw_record(w.published).await.unwrap().unwrap()).unwrap();
    assert_eq!(d["draw"]["seed"], record["seed"]);
    assert_eq!(d["draw"]["plan_digest"], record["plan_digest"]);
    assert_eq!(d["draw"]["sources"][0]["text"], "掷骰");
    assert_eq!(d["draw"]["sources"][0]["revealed"], "4");
    // The record link works.
    let rec = srv.fetch(d["draw"]["record_url"].as_str().unwrap()).await;
    assert_eq!(rec.status, 200);

    // Teams: names and departments, exactly the active members.
    let members: Vec<_> = w
        .mouding
        .team_members(w.published)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.active)
        .collect();
    let teams = d["teams"].as_array().unwrap();
    let shown: usize = teams
        .iter()
        .map(|t| t["members"].as_array().unwrap().len())
        .sum();
    assert_eq!(shown, members.len());
    for t in teams {
        for m in t["members"].as_array().unwrap() {
            let keys: BTreeSet<&str> = m.as_object().unwrap().keys().map(|k| k.as_str()).collect();
            assert_eq!(keys, BTreeSet::from(["name", "department"]));
            assert!(
                members
                    .iter()
                    .any(|x| x.name == m["name"].as_str().unwrap())
            );
        }
    }
    assert_eq!(d["witnesses"][0]["name"], "王见证");
    assert_eq!(d["witnesses"][0]["role"]["label"], "新闻媒体");
    let files = d["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 1, "only the public attachment: {files:?}");
    assert_eq!(files[0]["filename"], "抽取现场公开照片.png");
    assert_eq!(files[0]["purpose"]["code"], "ceremony");

    // Results of the task: categories and methods labelled, no findings.
    let r = srv
        .json(&format!(
            "/api/v1/tasks/{}/results?per_page=1000",
            w.published
        ))
        .await;
    let results = r["items"].as_array().unwrap();
    let visits = w.mouding.visits(w.published).await.unwrap();
    let assigned = visits.iter().filter(|v| v.team_no.is_some()).count();
    assert_eq!(results.len(), assigned * 2, "one row per entity and item");
    let unreachable = results
        .iter()
        .find(|x| x["entity_id"] == w.listed.as_str())
        .unwrap();
    assert_eq!(
        unreachable["categories"][0]["label"],
        "通过登记的住所（经营场所）无法联系"
    );
    assert_eq!(unreachable["methods"][0]["code"], "on-site");
    let keys: BTreeSet<&str> = unreachable
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert!(!keys.contains("findings"));
    let page = srv
        .json(&format!(
            "/api/v1/tasks/{}/results?per_page=1&page=2",
            w.published
        ))
        .await;
    assert_eq!(page["items"][0], results[1]);
    assert_eq!(page["total"], results.len());

    // The search: by USCC and by two characters of the name, newest first, in pages.
    let found = srv.json(&format!("/api/v1/results?q={}", w.listed)).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    assert_eq!(found["items"][0]["task_id"], w.published);
    assert_eq!(found["items"][0]["problems"], true);
    assert!(found["items"][0].get("findings").is_none());
    let all = srv
        .json("/api/v1/results?q=%E7%89%9F%E5%AE%9A%E5%8E%BF&limit=100")
        .await;
    assert_eq!(all["items"].as_array().unwrap().len(), assigned);
    assert_eq!(all["next"], Value::Null);
    let first = srv
        .json("/api/v1/results?q=%E7%89%9F%E5%AE%9A%E5%8E%BF&limit=1")
        .await;
    let next = first["next"].as_i64().unwrap();
    let second = srv
        .json(&format!(
            "/api/v1/results?q=%E7%89%9F%E5%AE%9A%E5%8E%BF&limit=1&before={next}"
        ))
        .await;
    assert_eq!(second["items"][0], all["items"][1]);
    for bad in [
        "/api/v1/results?q=%E5%BA%97",
        "/api/v1/results?q=",
        "/api/v1/results?q=%E5%86%9C%E8%B5%84&limit=0",
        "/api/v1/results?q=%E5%86%9C%E8%B5%84&limit=+5",
        "/api/v1/results?q=%E5%86%9C%E8%B5%84&before=1.5",
        "/api/v1/items?page=+1",
        "/api/v1/items?page=%201",
        "/api/v1/items?page=",
        "/api/v1/items?page=1000001",
        "/api/v1/items?per_page=1001",
        "/api/v1/items?on=2026-3-1",
        "/api/v1/items?on=%202026-03-01",
        "/api/v1/items?on=2026-02-30",
    ] {
        assert_eq!(srv.fetch(bad).await.status, 400, "{bad}");
    }
    assert_eq!(srv.fetch("/api/v1/items?page=1000000").await.status, 200);
    assert_eq!(srv.fetch("/api/v1/items?on=2026-02-28").await.status, 200);
    // A query of the documented shape (2 to 40 characters) is answered, with the
    // reason when it cannot match anything.
    for (q, why) in [
        ("%21%21", "请输入"),
        ("a%21", "至少"),
        ("91532323MA6K0000X1", "校验码"),
    ] {
        let r = srv.json(&format!("/api/v1/results?q={q}")).await;
        assert_eq!(r["items"], serde_json::json!([]), "{q}");
        assert!(r["notice"].as_str().unwrap().contains(why), "{q}: {r}");
    }
    assert_eq!(all["notice"], serde_json::Value::Null);

    // The entity's results: the published task's, not the drawn one's.
    let e = srv
        .json(&format!("/api/v1/entities/{}/results", w.listed))
        .await;
    assert_eq!(e["total"], 2);
    assert!(
        e["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["task_id"] == w.published)
    );
    srv.error("/api/v1/entities/NO-SUCH-ENTITY/results", 404)
        .await;
    srv.error("/api/v1/entities/NO-SUCH-ENTITY/results.csv", 404)
        .await;

    // Any task that is not published is simply not there.
    for id in [
        w.draft.to_string(),
        w.committed.to_string(),
        w.drawn.to_string(),
        "999999".to_string(),
        "abc".to_string(),
    ] {
        for suffix in ["", "/results", "/results.csv", "/results.xlsx"] {
            srv.error(&format!("/api/v1/tasks/{id}{suffix}"), 404).await;
        }
    }
    w.finish().await;
}

async fn etag_and_not_modified(engine: Engine) {
    let w = world(engine).await;
    let srv = &w.srv;
    let mut paths = list_paths(&w);
    paths.push(format!("/api/v1/tasks/{}", w.published));
    paths.push("/api/openapi.json".into());
    for base in download_bases(&w) {
        paths.push(format!("{base}.csv"));
        paths.push(format!("{base}.xlsx"));
    }
    for path in &paths {
        let r = srv.fetch(path).await;
        assert_eq!(r.status, 200, "{path}");
        let tag = r.header("etag");
        assert!(
            tag.starts_with('"') && tag.ends_with('"') && tag.len() == 66,
            "{path}: strong SHA-256 ETag, got {tag:?}"
        );
        assert_eq!(r.header("cache-control"), "public, max-age=60", "{path}");
        // The same request gives the same bytes and tag (XLSX included).
        let again = srv.fetch(path).await;
        assert_eq!(again.header("etag"), tag, "{path}: stable ETag");
        let not_modified = srv.get_with(path, &[("if-none-match", &tag)]).await;
        assert_eq!(not_modified.status, 304, "{path}");
        assert!(not_modified.body.is_empty(), "{path}: 304 has no body");
        assert_eq!(not_modified.header("etag"), tag);
        assert_eq!(not_modified.header("cache-control"), "public, max-age=60");
        let other = srv
            .get_with(path, &[("if-none-match", "\"something-else\"")])
            .await;
        assert_eq!(other.status, 200, "{path}");
        assert_eq!(other.body, r.body);
    }
    // A list of tags, a weak form, and `*` also match.
    let tag = srv.fetch("/api/v1/items").await.header("etag");
    for inm in [format!("\"x\", {tag}"), format!("W/{tag}"), "*".to_string()] {
        let r = srv
            .get_with("/api/v1/items", &[("if-none-match", &inm)])
            .await;
        assert_eq!(r.status, 304, "{inm}");
    }
    // A different page is a different body and a different tag.
    let p2 = srv.fetch("/api/v1/items?per_page=1&page=2").await;
    assert_ne!(p2.header("etag"), tag);
    // Errors are never stored by a cache (a task's 404 ends when it is published),
    // carry no tag and never turn into 304.
    let missing = srv.fetch("/api/v1/tasks/999999").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("cache-control"), "no-store");
    assert!(missing.header("etag").is_empty());
    let again = srv
        .get_with("/api/v1/tasks/999999", &[("if-none-match", "*")])
        .await;
    assert_eq!(again.status, 404);
    let refused = srv.fetch("/api/v1/items?page=0").await;
    assert_eq!(refused.status, 400, "{}", refused.text());
    assert_eq!(refused.header("cache-control"), "no-store");
    w.finish().await;
}

async fn downloads_are_csv_with_bom_and_xlsx_with_text_ids(engine: Engine) {
    let w = world(engine).await;
    let srv = &w.srv;
    for base in download_bases(&w) {
        let csv = srv.fetch(&format!("{base}.csv")).await;
        assert_eq!(csv.status, 200, "{base}.csv: {}", csv.text());
        assert_eq!(csv.header("content-type"), "text/csv; charset=utf-8");
        let cd = csv.header("content-disposition");
        assert!(
            cd.starts_with("attachment; filename=\"liancha-")
                && cd.contains(".csv\"; filename*=UTF-8''")
                && cd.ends_with(".csv"),
            "{base}: {cd}"
        );
        assert!(csv.body.starts_with(b"\xEF\xBB\xBF"), "{base}: BOM");
        let text = String::from_utf8(csv.body[3..].to_vec()).expect("UTF-8");
        let header = text.lines().next().unwrap();
        assert!(
            header
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{base}: Chinese header {header}"
        );

        let xlsx = srv.fetch(&format!("{base}.xlsx")).await;
        assert_eq!(xlsx.status, 200, "{base}.xlsx");
        assert_eq!(
            xlsx.header("content-type"),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
        assert!(xlsx.header("content-disposition").contains(".xlsx"));
        let rows = xlsx_rows(&xlsx.body);
        let xlsx_header: Vec<String> = rows[0].iter().map(cell_text).collect();
        assert_eq!(
            xlsx_header.join(","),
            header,
            "{base}: same columns in CSV and XLSX"
        );
        assert_eq!(
            rows.len() - 1,
            csv::ReaderBuilder::new()
                .from_reader(text.as_bytes())
                .records()
                .count(),
            "{base}: same rows in CSV and XLSX"
        );
    }

    // The USCC of the listed entity, intact as text, in CSV and XLSX.
    let uscc = &w.listed;
    assert_eq!(uscc.len(), 18, "demo entities have a USCC: {uscc}");
    for base in [
        "/api/v1/lists/abnormal".to_string(),
        format!("/api/v1/tasks/{}/results", w.published),
        format!("/api/v1/entities/{}/results", w.listed),
    ] {
        let csv = srv.fetch(&format!("{base}.csv")).await;
        let text = String::from_utf8(csv.body[3..].to_vec()).unwrap();
        let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let col = reader
            .headers()
            .unwrap()
            .iter()
            .position(|h| h == "统一社会信用代码")
            .expect("a USCC column");
        assert!(
            reader
                .records()
                .any(|r| r.unwrap().get(col) == Some(uscc.as_str())),
            "{base}.csv has {uscc}"
        );
        let rows = xlsx_rows(&srv.fetch(&format!("{base}.xlsx")).await.body);
        let col = rows[0]
            .iter()
            .position(|c| cell_text(c) == "统一社会信用代码")
            .unwrap();
        assert!(
            rows[1..]
                .iter()
                .any(|r| r[col] == calamine::Data::String(uscc.clone())),
            "{base}.xlsx has {uscc} as a string cell"
        );
        // Every id in that column is a string cell, even all-digit ones.
        assert!(
            rows[1..]
                .iter()
                .all(|r| matches!(r[col], calamine::Data::String(_))),
            "{base}.xlsx: ids are text"
        );
    }
    let csv = srv.fetch("/api/v1/items.csv").await;
    let text = String::from_utf8(csv.body[3..].to_vec()).unwrap();
    assert!(text.starts_with("事项编码,抽查事项,抽查依据,抽查主体"));
    w.finish().await;
}

async fn openapi_lists_every_path_and_docs_work_offline(engine: Engine) {
    let w = world(engine).await;
    let srv = &w.srv;
    let spec = srv.json("/api/openapi.json").await;
    assert!(spec["openapi"].as_str().unwrap().starts_with('3'));
    let paths: BTreeSet<String> = spec["paths"].as_object().unwrap().keys().cloned().collect();
    let mut expected: BTreeSet<String> = BTreeSet::new();
    for p in [
        "/api/v1/items",
        "/api/v1/joint-lists",
        "/api/v1/plans",
        "/api/v1/tasks",
        "/api/v1/tasks/{id}/results",
        "/api/v1/entities/{id}/results",
        "/api/v1/lists/abnormal",
        "/api/v1/lists/blacklist",
    ] {
        expected.insert(p.to_string());
        expected.insert(format!("{p}.csv"));
        expected.insert(format!("{p}.xlsx"));
    }
    expected.insert("/api/v1/rule-books".into());
    expected.insert("/api/v1/results".into());
    expected.insert("/api/v1/tasks/{id}".into());
    expected.insert("/api/v1/announcements".into());
    expected.insert("/api/v1/announcements/{id}".into());
    assert_eq!(paths, expected);
    for schema in [
        "ItemsPage",
        "TaskDetail",
        "ResultOut",
        "ErrorBody",
        "AnnouncementOut",
    ] {
        assert!(
            spec["components"]["schemas"][schema].is_object(),
            "schema {schema}"
        );
    }
    // Every documented path answers (ids filled in).
    for p in &paths {
        let path = p
            .replace("/tasks/{id}", &format!("/tasks/{}", w.published))
            .replace(
                "/announcements/{id}",
                &format!("/announcements/{}", w.published),
            )
            .replace("/entities/{id}", &format!("/entities/{}", w.listed))
            .replace(
                "/api/v1/results",
                &format!("/api/v1/results?q={}", w.listed),
            );
        assert_eq!(srv.fetch(&path).await.status, 200, "{path}");
    }

    // The docs page: a redirect to the slash form, then Swagger UI from this server.
    let r = srv.fetch("/api/docs").await;
    assert!((300..400).contains(&r.status), "{}", r.status);
    assert_eq!(r.header("location"), "/api/docs/");
    let page = srv.fetch("/api/docs/").await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").starts_with("text/html"));
    let html = page.text();
    assert!(html.contains("swagger-ui"), "{html}");
    for tag in html
        .split('<')
        .filter(|t| t.starts_with("script") || t.starts_with("link"))
    {
        assert!(
            !tag.contains("http://") && !tag.contains("https://") && !tag.contains("//cdn"),
            "external asset: <{tag}"
        );
    }
    for asset in [
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "swagger-initializer.js",
    ] {
        assert!(html.contains(asset), "the page loads {asset}");
        let r = srv.fetch(&format!("/api/docs/{asset}")).await;
        assert_eq!(r.status, 200, "{asset}");
    }
    // The page's policy: the site's, plus exactly Swagger UI's logo stylesheet by hash.
    let csp = page.header("content-security-policy");
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(!csp.contains("unsafe"), "{csp}");
    // The logo (an inline SVG) is drawn by the standalone preset.
    let bundle = srv
        .fetch("/api/docs/swagger-ui-standalone-preset.js")
        .await
        .text();
    let at = bundle
        .find(".logo_small_svg__cls-2{")
        .expect("Swagger UI's logo stylesheet");
    let logo_style = &bundle[at..at + bundle[at..].find('"').unwrap()];
    let hash = {
        use sha2::Digest;
        base64(&sha2::Sha256::digest(logo_style.as_bytes()))
    };
    assert!(
        csp.contains(&format!("style-src 'self' 'sha256-{hash}';")),
        "update DOCS_CSP in api/docs.rs for the logo style {logo_style:?}: {csp}"
    );
    // Everywhere else, the site's strict policy.
    let api = srv.fetch("/api/v1/items").await;
    assert!(
        api.header("content-security-policy")
            .contains("style-src 'self'; script-src 'self'")
    );

    let init = srv.fetch("/api/docs/swagger-initializer.js").await.text();
    assert!(init.contains("/api/openapi.json"), "{init}");
    assert!(init.contains("\"validatorUrl\": \"none\""), "{init}");
    w.finish().await;
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Collects every string a response shows: the body for JSON and CSV, every cell
/// for XLSX (its text is compressed inside the file).
fn visible_text(path: &str, r: &Reply) -> String {
    if file_kind(path) == Some("xlsx") && r.status == 200 {
        xlsx_rows(&r.body)
            .iter()
            .flatten()
            .map(cell_text)
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        r.text()
    }
}

/// `csv` or `xlsx` for a download path (query string ignored).
fn file_kind(path: &str) -> Option<&str> {
    let path = path.split('?').next().unwrap_or(path);
    path.rsplit_once('.')
        .map(|(_, ext)| ext)
        .filter(|e| *e == "csv" || *e == "xlsx")
}

fn json_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Number(n) => out.push(n.to_string()),
        Value::Array(a) => a.iter().for_each(|x| json_strings(x, out)),
        Value::Object(o) => {
            for (k, x) in o {
                out.push(k.clone());
                json_strings(x, out);
            }
        }
        _ => {}
    }
}

async fn nothing_unpublished_leaks(engine: Engine) {
    let w = world(engine).await;
    let srv = &w.srv;
    let mut paths = Vec::new();
    for p in list_paths(&w) {
        paths.push(p.clone());
        paths.push(format!("{p}?per_page=1000"));
    }
    for base in download_bases(&w) {
        paths.push(format!("{base}.csv"));
        paths.push(format!("{base}.xlsx"));
    }
    let today = liancha_domain::calendar::today_in_china();
    paths.push(format!("/api/v1/items?on={today}&per_page=1000"));
    paths.push(format!("/api/v1/items.csv?on={today}"));
    paths.push(format!("/api/v1/tasks/{}", w.published));
    paths.push("/api/openapi.json".into());
    // Every entity that was in any task, published or not.
    let mut entities: BTreeSet<String> = BTreeSet::new();
    for t in [w.published, w.drawn] {
        for v in w.mouding.visits(t).await.unwrap() {
            entities.insert(v.entity_id);
        }
    }
    for e in &entities {
        paths.push(format!("/api/v1/entities/{e}/results"));
        paths.push(format!("/api/v1/entities/{e}/results.csv"));
        paths.push(format!("/api/v1/entities/{e}/results.xlsx"));
    }
    for t in [w.draft, w.committed, w.drawn] {
        paths.push(format!("/api/v1/tasks/{t}"));
        paths.push(format!("/api/v1/tasks/{t}/results"));
    }
    let mut inspector_ids: BTreeSet<String> = BTreeSet::new();
    for t in [w.published, w.drawn] {
        for m in w.mouding.team_members(t).await.unwrap() {
            inspector_ids.insert(m.inspector_id);
        }
    }
    assert!(!inspector_ids.is_empty());

    for path in &paths {
        let r = srv.fetch(path).await;
        assert!(r.status == 200 || r.status == 404, "{path}: {}", r.status);
        let text = visible_text(path, &r);
        if let Some(at) = text.find(LEAK) {
            let from = text[..at]
                .char_indices()
                .rev()
                .nth(60)
                .map_or(0, |(i, _)| i);
            let to = (at + 80).min(text.len());
            let to = (to..=text.len())
                .find(|i| text.is_char_boundary(*i))
                .unwrap();
            panic!("{path} shows something unpublished: …{}…", &text[from..to]);
        }
        for word in [
            "内部备注",
            "举报人",
            "findings",
            "phone",
            "certificate",
            "inspector_id",
        ] {
            assert!(!text.contains(word), "{path} shows {word}");
        }
        // No value (JSON string, CSV or XLSX cell) is an inspector's id.
        let values: Vec<String> = if file_kind(path).is_some() && r.status == 200 {
            text.split(['\n', ',', '\r']).map(str::to_string).collect()
        } else {
            let mut out = Vec::new();
            json_strings(&r.json(), &mut out);
            out
        };
        for v in &values {
            assert!(
                !inspector_ids.contains(v.trim_matches('"')),
                "{path} shows the inspector id {v}"
            );
        }
    }

    // A sealed task is announced (its title is public from the commit on), but
    // never what was drawn: no entity, no inspector, no draft.
    let drawn_entities: BTreeSet<String> = w
        .mouding
        .visits(w.drawn)
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.entity_id)
        .collect();
    assert!(!drawn_entities.is_empty());
    for path in [
        "/api/v1/announcements?per_page=1000".to_string(),
        format!("/api/v1/announcements/{}", w.drawn),
        format!("/api/v1/announcements/{}", w.committed),
        format!("/public/tasks/{}", w.drawn),
        format!("/public/tasks/{}", w.committed),
    ] {
        let r = srv.fetch(&path).await;
        assert_eq!(r.status, 200, "{path}");
        let text = String::from_utf8_lossy(&r.body).to_string();
        assert!(!text.contains("LEAK 草稿任务"), "{path} shows the draft");
        for e in &drawn_entities {
            assert!(!text.contains(e.as_str()), "{path} shows the drawn {e}");
        }
        for i in &inspector_ids {
            assert!(!text.contains(&format!("\"{i}\"")), "{path} shows {i}");
            assert!(!text.contains(&format!(">{i}<")), "{path} shows {i}");
        }
        for word in ["内部备注", "举报人", "findings", "phone"] {
            assert!(!text.contains(word), "{path} shows {word}");
        }
    }
    for path in [
        format!("/api/v1/announcements/{}", w.draft),
        format!("/public/tasks/{}", w.draft),
    ] {
        assert_eq!(srv.fetch(&path).await.status, 404, "{path}");
    }

    // The staff pages still have what the API must leave out: the markers were real.
    let inspectors = w.mouding.inspectors(None).await.unwrap();
    assert!(inspectors[0].phone.as_deref().unwrap().starts_with(LEAK));
    let results = w
        .mouding
        .visit_results(w.published, &w.listed)
        .await
        .unwrap();
    assert!(results.values().all(|r| r.findings.starts_with(LEAK)));
    assert!(
        w.mouding
            .attachments(w.published)
            .await
            .unwrap()
            .iter()
            .any(|a| !a.public && a.filename.starts_with(LEAK))
    );
    assert!(
        w.mouding
            .items(false)
            .await
            .unwrap()
            .iter()
            .any(|i| !i.published && i.name.starts_with(LEAK))
    );
    w.finish().await;
}

macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(liancha_store::Engine::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name(liancha_store::Engine::Postgres).await;
                }
            )*
        }
    };
}

on_both_engines!(
    lists_have_their_shape_and_pages,
    published_task_detail_and_results,
    etag_and_not_modified,
    downloads_are_csv_with_bom_and_xlsx_with_text_ids,
    openapi_lists_every_path_and_docs_work_offline,
    nothing_unpublished_leaks,
);
