//! The real server on a random port, against a real database of each engine.

use liancha_store::Engine;
use liancha_store::demo::{self, DemoSize};

mod common;
use common::Server;

async fn start(engine: Engine) -> Server {
    let size = DemoSize {
        legal_persons: 100,
        individuals: 400,
    };
    common::start(engine, size, false, None).await
}

async fn get(s: &Server, path: &str) -> (u16, String, reqwest::header::HeaderMap) {
    let r = reqwest::get(format!("{}{path}", s.base)).await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, r.text().await.unwrap(), headers)
}

async fn headers_of(s: &Server, path: &str) -> reqwest::header::HeaderMap {
    get(s, path).await.2
}

async fn directory_pages(engine: Engine) {
    let s = start(engine).await;
    // The province's portal leads to each county's.
    let (status, body, headers) = get(&s, "/").await;
    assert_eq!(status, 200);
    assert!(
        body.contains(r#"href="/c/532323""#) && body.contains("牟定县"),
        "{body}"
    );
    assert!(
        body.contains(r#"action="/public/results""#),
        "a search box on the home page"
    );
    let (status, body, _) = get(&s, "/c/532323").await;
    assert_eq!(status, 200);
    assert!(body.contains("500</b>检查对象"), "{body}");
    assert!(
        body.contains("5</b>领域实施细则"),
        "counted, one per domain"
    );
    assert!(
        !body.contains("<title>牟定县 · 牟定县"),
        "the county named once"
    );
    // With the trailing slash people write, the same page.
    let (status, slashed, _) = get(&s, "/c/532323/").await;
    assert_eq!(status, 200);
    assert_eq!(slashed, body);
    for odd in ["/c/%0A/", "/c/abc/", "/c/5323231/"] {
        let (status, page, _) = get(&s, odd).await;
        assert_eq!(status, 404, "{odd}: {page}");
    }
    assert!(
        body.contains("牟定县人民政府"),
        "the county's own name in the footer"
    );
    assert!(
        !body.contains("SQLite") && !body.contains("PostgreSQL"),
        "no engine name"
    );
    // Addresses from before the portals ask which county (the demo has two).
    let (status, body, _) = get(&s, "/items?date=2026-01-01").await;
    assert_eq!(status, 200);
    assert!(
        body.contains(r#"href="/c/532323/items?date=2026-01-01""#)
            && body.contains(r#"href="/c/532324/items?date=2026-01-01""#),
        "{body}"
    );
    let (status, body, _) = get(&s, "/c/532324").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("南华县人民政府") && body.contains("龙川镇"),
        "{body}"
    );
    assert!(
        !body.contains("共和镇"),
        "牟定县's townships stay on its own portal"
    );
    let (status, _, _) = get(&s, "/c/999999").await;
    assert_eq!(status, 404);
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );

    let first = &demo::entities(DemoSize {
        legal_persons: 100,
        individuals: 400,
    })[0];
    let (status, body, _) = get(&s, &format!("/entities/{}", first.id)).await;
    assert_eq!(status, 200);
    assert!(body.contains(&first.name));
    // Its industry by name beside the code; its USCC once (no 系统编号 repeating it).
    let industry = first.industry.as_ref().expect("demo entities have one");
    let section = industry.section_label();
    assert!(!section.is_empty());
    assert!(
        body.contains(&format!("{industry}</span> {section}")),
        "{body}"
    );
    assert!(first.uscc.is_some() && !body.contains("系统编号"), "{body}");
    let (_, list, _) = get(&s, "/c/532323/entities").await;
    assert!(
        list.contains("<table class=\"stacked\">"),
        "cards on a phone"
    );
    assert!(
        list.contains(&format!("<span class=\"muted\">{section}</span>")),
        "{list}"
    );

    let (status, body, _) = get(&s, "/c/532323/entities?q=%E5%86%9C%E8%B5%84").await;
    assert_eq!(status, 200);
    // The filters stay in the county's portal.
    assert!(body.contains(r#"action="/c/532323/entities""#), "{body}");
    assert!(body.contains("农资"));

    let (status, body, _) = get(&s, "/c/532323/inspectors").await;
    assert_eq!(status, 200);
    // The public directory names inspectors; their ids, certificate numbers and
    // phones are not public (ids appear only in draw records, for verification).
    for i in demo::inspectors() {
        assert!(body.contains(&i.name));
        assert!(
            !body.contains(i.phone.as_deref().unwrap()),
            "phone numbers are not shown"
        );
        assert!(
            !body.contains(&format!(">{}<", i.certificate_no)),
            "certificate numbers are not shown: {}",
            i.certificate_no
        );
        assert!(
            !body.contains(&format!(">{}<", i.id)),
            "ids are not shown: {}",
            i.id
        );
    }
    assert_eq!(
        headers_of(&s, "/c/532323/inspectors").await["cache-control"],
        "no-store"
    );

    let (status, body, _) = get(&s, "/c/532323/items").await;
    assert_eq!(status, 200);
    assert!(body.contains(r#"action="/c/532323/items""#), "{body}");
    assert!(body.contains("《中华人民共和国食品安全法》"));
    let (status, body, _) = get(&s, "/c/532323/items?date=2001-01-01").await;
    assert_eq!(status, 200);
    assert!(
        body.contains("各部门抽查事项（0 项）"),
        "nothing was published in 2001"
    );
    let (status, body, _) = get(&s, "/c/532323/items?date=not-a-date").await;
    assert_eq!(status, 400);
    assert!(body.contains("不是有效日期"));

    let (status, _, _) = get(&s, "/c/532323/rule-books").await;
    assert_eq!(status, 200);

    // Each list page links its download, and the link gives the file.
    for (page, file) in [
        ("/c/532323/items", "/api/v1/items.xlsx?county=532323"),
        ("/c/532323/items", "/api/v1/joint-lists.csv?county=532323"),
        (
            "/c/532323/items?date=2026-01-01",
            "/api/v1/items.csv?county=532323&amp;on=2026-01-01",
        ),
        ("/c/532323/plans", "/api/v1/plans.xlsx?county=532323"),
        ("/c/532323/tasks", "/api/v1/tasks.csv?county=532323"),
        ("/public/tasks", "/api/v1/tasks.xlsx\""),
    ] {
        let (status, body, _) = get(&s, page).await;
        assert_eq!(status, 200, "{page}");
        assert!(
            body.contains(&format!("href=\"{file}")),
            "{page} links {file}: {body}"
        );
        let url = file.trim_end_matches('"').replace("&amp;", "&");
        let (status, _, headers) = get(&s, &url).await;
        assert_eq!(status, 200, "{url}");
        let kind = headers["content-type"].to_str().unwrap();
        assert!(
            kind.contains("csv") || kind.contains("spreadsheetml"),
            "{url}: {kind}"
        );
    }
    let (status, body, _) = get(&s, "/entities/NOPE").await;
    assert_eq!(status, 404);
    assert!(body.contains("没有编号为 NOPE 的检查对象"));

    // Public pages and files go gzipped to a browser that takes it, and whole.
    for path in ["/c/532323/entities", "/api/v1/items.csv"] {
        let (_, plain, _) = get(&s, path).await;
        let r = s
            .http
            .get(format!("{}{path}", s.base))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["content-encoding"], "gzip", "{path}");
        let packed = r.bytes().await.unwrap();
        assert!(
            packed.len() * 3 < plain.len(),
            "{path}: {} bytes",
            packed.len()
        );
        let mut unpacked = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(&packed[..]),
            &mut unpacked,
        )
        .unwrap();
        assert_eq!(unpacked, plain, "{path}");
    }
    // A gzipped answer is another representation: its own strong ETag, which
    // revalidates as such; the plain one keeps the handler's.
    let fetch = async |gzip: bool, tag: Option<&str>| {
        let mut r = s.http.get(format!("{}/api/v1/items", s.base));
        if gzip {
            r = r.header("accept-encoding", "gzip");
        }
        if let Some(t) = tag {
            r = r.header("if-none-match", t);
        }
        let r = r.send().await.unwrap();
        let tag = r.headers()["etag"].to_str().unwrap().to_string();
        (r.status().as_u16(), tag)
    };
    let (_, plain_tag) = fetch(false, None).await;
    let (_, gzip_tag) = fetch(true, None).await;
    assert!(!plain_tag.contains("-gzip"), "{plain_tag}");
    assert_eq!(
        gzip_tag,
        format!("{}-gzip\"", plain_tag.trim_end_matches('"'))
    );
    assert_eq!(fetch(true, Some(&gzip_tag)).await, (304, gzip_tag.clone()));
    assert_eq!(
        fetch(false, Some(&plain_tag)).await,
        (304, plain_tag.clone())
    );
    s.db.finish().await;
}

#[tokio::test]
async fn directory_pages_sqlite() {
    directory_pages(Engine::Sqlite).await;
}

#[tokio::test]
async fn directory_pages_postgres() {
    directory_pages(Engine::Postgres).await;
}
