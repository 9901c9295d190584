//! Every page of the demo county with its year behind it, as each role reaches it:
//! starting from the home page (the public) or the staff home (each demo account),
//! every link a page shows is followed, and every page it leads to must answer 200
//! with content, never a refusal, an error page or an empty 牟定县 list. Links of one
//! shape (the same path with other ids) are followed twice, not for every id.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use liancha_store::Engine;
use liancha_store::demo::{DEMO_PASSWORD, DemoSize};

mod common;
use common::Server;

#[tokio::test]
async fn every_page_of_every_role_sqlite() {
    every_page_of_every_role(Engine::Sqlite).await;
}

#[tokio::test]
async fn every_page_of_every_role_postgres() {
    every_page_of_every_role(Engine::Postgres).await;
}

/// What an empty page of 牟定县 says: with a year behind it, none of these may show.
const EMPTY: &[&str] = &[
    "暂无已公示的任务",
    "暂无已公示的抽查结果",
    "暂无已公布的计划",
    "暂无计划。",
    "暂无任务。",
];

/// What the walk visited: path → status, and the pages it found empty.
#[derive(Default)]
struct Walk {
    pages: BTreeMap<String, u16>,
    problems: Vec<String>,
}

/// The shape of a link: its path with every segment holding a digit as `#`, and the
/// names of its query parameters.
fn shape(url: &str) -> String {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let mut out: String = path
        .split('/')
        .map(|seg| {
            if seg.chars().any(|c| c.is_ascii_digit()) {
                "#"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    let mut keys: Vec<&str> = query
        .split('&')
        .filter_map(|kv| kv.split('=').next())
        .filter(|k| !k.is_empty())
        .collect();
    keys.sort_unstable();
    if !keys.is_empty() {
        out.push('?');
        out.push_str(&keys.join("&"));
    }
    out
}

fn links(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(at) = rest.find("href=\"") {
        rest = &rest[at + 6..];
        let Some(end) = rest.find('"') else { break };
        let href = rest[..end].replace("&amp;", "&");
        rest = &rest[end..];
        let href = href.split('#').next().unwrap_or_default().to_string();
        if href.starts_with('/')
            && !href.starts_with("//")
            && !href.starts_with("/static/")
            && !href.starts_with("/logout")
        {
            out.push(href);
        }
    }
    out
}

/// The text of the page's `<main>` (of its `<body>` for a printed document), tags
/// left out.
fn main_text(body: &str) -> Option<String> {
    let (open, close) = if body.contains("<main") {
        ("<main", "</main>")
    } else {
        ("<body", "</body>")
    };
    let start = body.find(open)?;
    let end = body[start..].find(close)? + start;
    let mut text = String::new();
    let mut in_tag = false;
    for c in body[start..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag && !c.is_whitespace() => text.push(c),
            _ => {}
        }
    }
    Some(text)
}

/// Follows redirects as a browser does, keeping the county an office above counties
/// chose (`county`, its cookie's value).
async fn get(
    s: &Server,
    cookie: Option<&str>,
    county: &mut Option<String>,
    path: &str,
) -> (u16, String, String) {
    let mut path = path.to_string();
    for _ in 0..4 {
        let mut req = s.http.get(format!("{}{path}", s.base));
        if let Some(c) = cookie {
            let mut jar = format!("liancha_session={c}");
            if let Some(code) = county {
                jar.push_str(&format!("; liancha_county={code}"));
            }
            req = req.header("cookie", jar);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        if let Some(code) = common::set_cookie(&r, "liancha_county") {
            *county = Some(code);
        }
        if (300..400).contains(&status) {
            path = r.headers()["location"].to_str().unwrap().to_string();
            continue;
        }
        let kind = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        return (status, kind, r.text().await.unwrap_or_default());
    }
    panic!("{path}: too many redirects");
}

async fn walk(s: &Server, cookie: Option<&str>, start: &[&str]) -> Walk {
    let mut w = Walk::default();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut shapes: BTreeMap<String, usize> = BTreeMap::new();
    // Each link is followed in the county its page was shown in, as a click would be.
    let mut queue: VecDeque<(String, String, Option<String>)> = start
        .iter()
        .map(|s| (s.to_string(), String::new(), None))
        .collect();
    while let Some((path, from, mut county)) = queue.pop_front() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let n = shapes.entry(shape(&path)).or_default();
        *n += 1;
        if *n > 2 {
            continue;
        }
        let (status, kind, body) = get(s, cookie, &mut county, &path).await;
        w.pages.insert(path.clone(), status);
        if status != 200 {
            w.problems
                .push(format!("{path} (linked from {from}): {status}"));
            continue;
        }
        // The API's own documentation page is Swagger UI's, not ours.
        if !kind.starts_with("text/html") || path.starts_with("/api/") {
            continue;
        }
        match main_text(&body) {
            Some(t) if t.chars().count() >= 10 => {}
            _ => w.problems.push(format!("{path}: no content")),
        }
        if body.contains("未能完成") {
            w.problems.push(format!("{path}: an error page"));
        }
        // 南华县 has its directories only.
        if !path.contains("532324") && county.as_deref() != Some("532324") {
            for e in EMPTY.iter().filter(|e| body.contains(*e)) {
                w.problems.push(format!("{path}: says {e}"));
            }
        }
        queue.extend(
            links(&body)
                .into_iter()
                .map(|l| (l, path.clone(), county.clone())),
        );
    }
    w
}

async fn every_page_of_every_role(engine: Engine) {
    let s = common::start(
        engine,
        DemoSize {
            legal_persons: 600,
            individuals: 1_400,
        },
        false,
        // One address walks every role's downloads: the public limits are not tested here.
        Some(liancha_web::limits::Limits {
            search_per_minute: 0,
            download_per_minute: 0,
            trust_forwarded_for: false,
        }),
    )
    .await;
    // As `liancha demo` makes them: the county's inspector gets its account once on a
    // team of the task under way.
    let app = liancha_app::App::new(s.store());
    let store = s.store();
    let mouding = liancha_store::testing::mouding_county(&store).await;
    let today = liancha_domain::calendar::today_in_china();
    liancha_store::demo::accounts_with(
        &store,
        liancha_app::demo::opened(today),
        std::slice::from_ref(mouding.code()),
    )
    .await
    .unwrap();
    let year = liancha_app::demo::year(&app, mouding.code(), today)
        .await
        .unwrap();
    assert!(year.inspector.is_some());

    let public = walk(&s, None, &["/", "/c/532323"]).await;
    assert!(public.problems.is_empty(), "public: {:#?}", public.problems);
    assert!(
        public.pages.len() >= 20,
        "public: {:?}",
        public.pages.keys()
    );
    println!("public: {} pages", public.pages.len());

    // A published task's results, counted from the rows: all, and only problems.
    let tasks = mouding.tasks(&Default::default()).await.unwrap();
    for t in tasks.iter().filter(|t| t.published_at.is_some()) {
        let rows = mouding.published_results_of_task(t.id).await.unwrap();
        let entities: BTreeSet<&str> = rows.iter().map(|r| r.entity_id.as_str()).collect();
        let problems: BTreeSet<&str> = rows
            .iter()
            .filter(|r| r.categories.iter().any(|c| c.is_problem()))
            .map(|r| r.entity_id.as_str())
            .collect();
        let line = "<td data-label=\"检查对象\">";
        let (status, _, all) = get(&s, None, &mut None, &format!("/public/tasks/{}", t.id)).await;
        assert_eq!(status, 200);
        assert!(
            all.contains(&format!(
                "检查结果（{} 户，发现问题 {} 户）",
                entities.len(),
                problems.len()
            )),
            "task {}",
            t.id
        );
        assert_eq!(all.matches(line).count(), entities.len().min(50));
        let (_, _, only) = get(
            &s,
            None,
            &mut None,
            &format!("/public/tasks/{}?show=problems", t.id),
        )
        .await;
        assert_eq!(only.matches(line).count(), problems.len(), "task {}", t.id);
        for e in &problems {
            assert!(
                only.contains(&format!("/entities/{e}\"")),
                "task {}: {e}",
                t.id
            );
        }
        assert!(!only.contains("各事项均未发现问题"));
    }

    for user in [
        "admin",
        "bianban",
        "amr-admin",
        "agri-admin",
        "health-admin",
        "inspector",
        "duchashi",
        "gonghe",
        "zhou-duchashi",
        "zhou-bianban",
        "province-admin",
    ] {
        let session = s.login(user, DEMO_PASSWORD).await.unwrap();
        let w = walk(&s, Some(&session.cookie), &["/staff"]).await;
        assert!(w.problems.is_empty(), "{user}: {:#?}", w.problems);
        assert!(w.pages.len() >= 5, "{user}: {:?}", w.pages.keys());
        println!("{user}: {} pages", w.pages.len());
    }
}
