//! Per-address rate limits on what costs the server most on the public side: the
//! result search and the downloads (CSV, XLSX, draw records). Pages are not limited.
//!
//! The address is the TCP peer's; behind the TLS proxy that `docs/operations.md`
//! describes every request comes from the proxy, so with `trust_forwarded_for` the
//! last `X-Forwarded-For` entry (the one the proxy appended) is used instead. It is
//! never trusted otherwise: a client could rotate it to escape the limit.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Requests per minute per address, with a burst of the same size; `0` turns a
/// limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub search_per_minute: u32,
    pub download_per_minute: u32,
    pub trust_forwarded_for: bool,
}

impl Default for Limits {
    /// Generous for people (an office behind one NAT address included), tight for a
    /// scraper: a search a second on average, a download every two seconds.
    fn default() -> Self {
        Limits {
            search_per_minute: 60,
            download_per_minute: 30,
            trust_forwarded_for: false,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Search,
    Download,
}

/// Which limit a path falls under, if any.
fn kind(path: &str) -> Option<Kind> {
    if path == "/public/results" || path.starts_with("/api/v1/results") {
        Some(Kind::Search)
    } else if (path.starts_with("/public/") || path.starts_with("/api/"))
        && (path.ends_with(".csv") || path.ends_with(".xlsx") || path.ends_with("/record.json"))
    {
        Some(Kind::Download)
    } else {
        None
    }
}

/// The limiters, shared by every request.
#[derive(Clone)]
pub struct RateLimits {
    search: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
    download: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
    trust_forwarded_for: bool,
}

fn limiter(per_minute: u32) -> Option<Arc<DefaultKeyedRateLimiter<IpAddr>>> {
    NonZeroU32::new(per_minute).map(|n| Arc::new(RateLimiter::keyed(Quota::per_minute(n))))
}

impl RateLimits {
    pub fn new(l: Limits) -> Self {
        RateLimits {
            search: limiter(l.search_per_minute),
            download: limiter(l.download_per_minute),
            trust_forwarded_for: l.trust_forwarded_for,
        }
    }

    fn address(&self, req: &Request) -> IpAddr {
        if self.trust_forwarded_for
            && let Some(ip) = req
                .headers()
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse().ok())
        {
            return ip;
        }
        req.extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits::new(Limits::default())
    }
}

pub async fn enforce(State(limits): State<RateLimits>, req: Request, next: Next) -> Response {
    let limiter = match kind(req.uri().path()) {
        Some(Kind::Search) => limits.search.as_ref(),
        Some(Kind::Download) => limits.download.as_ref(),
        None => None,
    };
    if let Some(limiter) = limiter {
        let ip = limits.address(&req);
        if let Err(not_until) = limiter.check_key(&ip) {
            let wait = not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1);
            return too_many(wait, req.uri().path().starts_with("/api/"));
        }
        // Forget addresses whose bucket has refilled, so the map cannot grow without end.
        if limiter.len() > 100_000 {
            limiter.retain_recent();
        }
    }
    next.run(req).await
}

fn too_many(wait_secs: u64, json: bool) -> Response {
    let mut res = if json {
        (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(serde_json::json!({
                "error": format!("请求过于频繁，请在 {wait_secs} 秒后再试")
            })),
        )
            .into_response()
    } else {
        (
            StatusCode::TOO_MANY_REQUESTS,
            axum::response::Html(page(wait_secs)),
        )
            .into_response()
    };
    // A shared cache must not hand this refusal to other addresses.
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_str(&wait_secs.to_string()).unwrap_or(HeaderValue::from_static("60")),
    );
    res
}

fn page(wait_secs: u64) -> String {
    format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>请求过于频繁</title>\
         <link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main><h1>请求过于频繁</h1>\
         <p>您的查询或下载过于频繁，请在 {wait_secs} 秒后再试。批量获取数据请使用开放数据接口（/api/docs）。</p>\
         </main></body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_paths_are_limited() {
        assert_eq!(kind("/public/results"), Some(Kind::Search));
        assert_eq!(kind("/api/v1/results"), Some(Kind::Search));
        assert_eq!(kind("/api/v1/items.csv"), Some(Kind::Download));
        assert_eq!(kind("/api/v1/lists/abnormal.xlsx"), Some(Kind::Download));
        assert_eq!(kind("/public/tasks/3/record.json"), Some(Kind::Download));
        assert_eq!(kind("/public/tasks/3"), None);
        assert_eq!(kind("/static/app.css"), None);
        assert_eq!(kind("/staff/oversight/export.xlsx"), None);
    }
}
