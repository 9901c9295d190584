//! The real server on a random port, against a fresh demo county in a real database
//! of one engine: shared by the web integration tests.

// Each test file is its own crate and uses only part of this.
#![allow(dead_code)]

use chrono::Utc;
use liancha_store::demo::{self, DemoSize};
use liancha_store::testing::TestDb;
use liancha_store::{Engine, Store};
use reqwest::redirect::Policy;

pub struct Server {
    pub base: String,
    /// Follows no redirects, so tests see each 303 themselves.
    pub http: reqwest::Client,
    pub db: TestDb,
    /// The server's clock: tests move it forward.
    pub clock: liancha_web::Clock,
}

impl Server {
    pub fn store(&self) -> Store {
        self.db.store.clone()
    }
}

/// A county of `size`, with one demo account per role when `accounts`; the public
/// rate limits are `limits`, or the server's defaults.
pub async fn start(
    engine: Engine,
    size: DemoSize,
    accounts: bool,
    limits: Option<liancha_web::limits::Limits>,
) -> Server {
    start_with(engine, size, accounts, limits, |s| s).await
}

/// A county of 2,000 entities with its demo year behind it (tasks in every state,
/// published results, follow-ups, listings), and the demo accounts; the inspector's
/// is for a member of the task under way, as `liancha demo` makes it.
pub async fn start_with_year(engine: Engine) -> Server {
    let size = DemoSize {
        legal_persons: 600,
        individuals: 1_400,
    };
    let srv = start(engine, size, false, None).await;
    let store = srv.store();
    let mouding = liancha_store::testing::mouding(&store).await;
    demo::accounts_with(&store, Utc::now(), std::slice::from_ref(&mouding))
        .await
        .unwrap();
    let app = liancha_app::App::new(store);
    liancha_app::demo::year(&app, &mouding, liancha_domain::calendar::today_in_china())
        .await
        .unwrap();
    srv
}

/// [`start`], with the app's state adjusted by `adjust` (hashing slots, sign-in limits).
pub async fn start_with(
    engine: Engine,
    size: DemoSize,
    accounts: bool,
    limits: Option<liancha_web::limits::Limits>,
    adjust: impl FnOnce(liancha_web::AppState) -> liancha_web::AppState,
) -> Server {
    let db = TestDb::new(engine).await;
    demo::load(&db.store, size, &|_, _| {}).await.unwrap();
    if accounts {
        demo::accounts(&db.store, Utc::now()).await.unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut state = liancha_web::AppState::new(db.store.clone());
    if let Some(limits) = limits {
        state = state.with_limits(limits);
    }
    let state = adjust(state);
    let clock = state.clock.clone();
    let app = liancha_web::router(state);
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap()
    });
    Server {
        base: format!("http://{addr}"),
        http: reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap(),
        db,
        clock,
    }
}

pub fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.strip_prefix(&format!("{name}="))
                .map(|rest| rest.split(';').next().unwrap_or("").to_string())
        })
}

pub fn hidden_csrf(body: &str) -> String {
    let at = body
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token");
    let rest = &body[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

pub fn url_encode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

pub fn encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let enc = |s: &str| {
                s.bytes()
                    .map(|b| match b {
                        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                            (b as char).to_string()
                        }
                        _ => format!("%{b:02X}"),
                    })
                    .collect::<String>()
            };
            format!("{}={}", enc(k), enc(v))
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A signed-in browser: its session cookie and the session's CSRF token.
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

impl Server {
    pub async fn login(&self, user: &str, password: &str) -> Result<Session, u16> {
        let r = self
            .http
            .get(format!("{}/login", self.base))
            .send()
            .await
            .unwrap();
        let login_cookie = set_cookie(&r, "liancha_login").unwrap();
        let csrf = hidden_csrf(&r.text().await.unwrap());
        let r = self
            .http
            .post(format!("{}/login", self.base))
            .header("cookie", format!("liancha_login={login_cookie}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode(&[
                ("username", user),
                ("password", password),
                ("csrf", &csrf),
                ("next", "/staff"),
            ]))
            .send()
            .await
            .unwrap();
        if r.status().as_u16() != 303 {
            return Err(r.status().as_u16());
        }
        let cookie = set_cookie(&r, "liancha_session").unwrap();
        assert!(
            r.headers()["set-cookie"]
                .to_str()
                .unwrap()
                .contains("HttpOnly"),
            "session cookie is HttpOnly"
        );
        let mut page = self.get(&cookie, "/staff").await;
        if page.0 == 303 {
            // First sign-in: the password must be changed before anything else.
            page = self.get(&cookie, "/account/password").await;
        }
        assert_eq!(page.0, 200, "{}", page.1);
        Ok(Session {
            csrf: hidden_csrf(&page.1),
            cookie,
        })
    }

    pub async fn get(&self, cookie: &str, path: &str) -> (u16, String) {
        let (status, _, body) = self.get_bytes(cookie, path).await;
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// A download: status, content type and bytes.
    pub async fn get_bytes(&self, cookie: &str, path: &str) -> (u16, String, Vec<u8>) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", format!("liancha_session={cookie}"))
            .send()
            .await
            .unwrap();
        let kind = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        (r.status().as_u16(), kind, r.bytes().await.unwrap().to_vec())
    }

    pub async fn upload(
        &self,
        s: &Session,
        task: i64,
        fields: &[(&str, &str)],
        file: (&str, &[u8]),
    ) -> (u16, String) {
        self.upload_to(s, &format!("/staff/tasks/{task}/attachments"), fields, file)
            .await
    }

    pub async fn upload_to(
        &self,
        s: &Session,
        path: &str,
        fields: &[(&str, &str)],
        file: (&str, &[u8]),
    ) -> (u16, String) {
        let boundary = "liancha-test-boundary";
        let mut body = Vec::new();
        // The token goes in the query string, as the forms' action carries it: the
        // server checks it before reading the body.
        for &(k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n", file.0).as_bytes(),
        );
        body.extend_from_slice(file.1);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let r = self
            .http
            .post(format!("{}{path}?csrf={}", self.base, s.csrf))
            .header("cookie", format!("liancha_session={}", s.cookie))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    pub async fn post(&self, s: &Session, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let (status, _, body) = self.post_bytes(s, path, form).await;
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// [`Server::post`], answered with its content type and bytes (a download).
    #[allow(dead_code)]
    pub async fn post_bytes(
        &self,
        s: &Session,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, String, Vec<u8>) {
        let mut pairs = vec![("csrf", s.csrf.as_str())];
        pairs.extend_from_slice(form);
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", format!("liancha_session={}", s.cookie))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode(&pairs))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let kind = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        (status, kind, r.bytes().await.unwrap().to_vec())
    }
}

/// The message beside form field `name` on a page: after its control, before its
/// label closes.
pub fn field_error<'a>(page: &'a str, name: &str) -> Option<&'a str> {
    let at = page.find(&format!("name=\"{name}\""))?;
    let rest = &page[at..];
    let close = rest.find("</label>")?;
    let m = rest[..close].find("class=\"field-error\">")?;
    let text = &rest[m + "class=\"field-error\">".len()..close];
    Some(&text[..text.find('<').unwrap_or(text.len())])
}

/// The first sheet of a workbook, as the text of its cells.
pub fn xlsx_rows(body: &[u8]) -> Vec<Vec<String>> {
    xlsx_sheet(body, 0)
}

/// Sheet `n` of a workbook, as the text of its cells.
pub fn xlsx_sheet(body: &[u8], n: usize) -> Vec<Vec<String>> {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(body.to_vec()))
        .expect("a readable XLSX");
    let range = book
        .worksheet_range_at(n)
        .expect("a worksheet")
        .expect("readable");
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    calamine::Data::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

/// What poppler's `tool` (pdftotext, pdfinfo) says of a PDF.
pub fn poppler(tool: &str, pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.pdf");
    std::fs::write(&path, pdf).unwrap();
    let mut cmd = std::process::Command::new(tool);
    cmd.arg(&path);
    if tool == "pdftotext" {
        cmd.arg("-");
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{tool}: {e} (poppler-utils)"));
    assert!(out.status.success(), "{tool}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The text of a PDF, without the spaces and line breaks of its layout.
pub fn pdf_text(pdf: &[u8]) -> String {
    poppler("pdftotext", pdf).split_whitespace().collect()
}

pub fn pdf_pages(pdf: &[u8]) -> usize {
    let info = poppler("pdfinfo", pdf);
    let line = info.lines().find(|l| l.starts_with("Pages:")).unwrap();
    line["Pages:".len()..].trim().parse().unwrap()
}
