//! The web face of liancha: server-rendered Chinese pages (they work without
//! JavaScript), with the business rules left to the domain and store crates.

use std::net::SocketAddr;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::get;
use liancha_store::Store;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

mod error;
mod pages;

pub use error::WebError;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
}

/// Headers every response carries: no framing, no sniffing, scripts and styles only
/// from this server.
fn security_headers(router: Router) -> Router {
    let headers: [(HeaderName, &'static str); 4] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        ),
    ];
    headers.into_iter().fold(router, |r, (name, value)| {
        r.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ))
    })
}

pub fn router(state: AppState) -> Router {
    let r = Router::new()
        .route("/", get(pages::index))
        .route("/entities", get(pages::entities))
        .route("/entities/{id}", get(pages::entity))
        .route("/inspectors", get(pages::inspectors))
        .route("/items", get(pages::items))
        .route("/rule-books", get(pages::rule_books))
        .route("/static/app.css", get(pages::stylesheet))
        .route("/healthz", get(|| async { "ok" }))
        .fallback(pages::not_found)
        .with_state(state)
        .layer(TraceLayer::new_for_http());
    security_headers(r)
}

/// Serves until the process is stopped. `on_ready` gets the bound address (useful with port 0).
pub async fn serve(
    store: Store,
    addr: SocketAddr,
    on_ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    on_ready(listener.local_addr()?);
    axum::serve(listener, router(AppState { store }))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}
