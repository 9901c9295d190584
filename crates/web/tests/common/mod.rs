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
