//! Per-address rate limits on what costs the server most: the result search and the
//! check-code lookup, the downloads (CSV, XLSX, draw records), and sign-in posts
//! (each costs a password hash). Other pages are not limited. Failed sign-ins are
//! throttled per address besides, with growing waits ([`LoginThrottle`]).
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
    Login,
}

/// Sign-in posts per minute per address, by default: more than a person mistyping,
/// far fewer than a flood.
pub const LOGIN_PER_MINUTE: u32 = 30;

/// Whether requests to `path` count against a per-address budget.
pub(crate) fn is_rate_limited(method: &axum::http::Method, path: &str) -> bool {
    kind(method, path).is_some()
}

/// Which limit a request falls under, if any.
fn kind(method: &axum::http::Method, path: &str) -> Option<Kind> {
    if path == "/login" && method == axum::http::Method::POST {
        Some(Kind::Login)
    } else if path == "/public/results"
        || path.starts_with("/api/v1/results")
        || path == "/check"
        || path.starts_with("/check/")
    {
        // The check-code lookup answers for any code, and its rating and complaint
        // forms take posts without an account: limited like the search, so codes
        // cannot be tried at speed nor the forms flooded.
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
    login: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
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
            login: limiter(LOGIN_PER_MINUTE),
            trust_forwarded_for: l.trust_forwarded_for,
        }
    }

    /// Sign-in posts per minute per address; `0` for no limit.
    pub fn with_login_per_minute(mut self, per_minute: u32) -> Self {
        self.login = limiter(per_minute);
        self
    }

    fn address(&self, req: &Request) -> IpAddr {
        self.address_of(
            req.headers(),
            req.extensions().get::<ConnectInfo<SocketAddr>>(),
        )
    }

    /// The client's address: the TCP peer's, or the proxy's last `X-Forwarded-For`
    /// entry when that is trusted.
    pub(crate) fn address_of(
        &self,
        headers: &axum::http::HeaderMap,
        peer: Option<&ConnectInfo<SocketAddr>>,
    ) -> IpAddr {
        if self.trust_forwarded_for
            && let Some(ip) = headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse().ok())
        {
            return ip;
        }
        peer.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
    }
}

/// The client's address of a request, as the rate limits see it.
pub struct ClientIp(pub IpAddr);

impl axum::extract::FromRequestParts<crate::AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        s: &crate::AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(s.limits.address_of(
            &parts.headers,
            parts.extensions.get::<ConnectInfo<SocketAddr>>(),
        )))
    }
}

/// Failed sign-ins per address: the first few are free, then each further attempt
/// from the address waits 2 s, 4 s, 8 s … up to 15 minutes. An address's count is
/// forgotten an hour after its last failure, or on a successful sign-in. Times come
/// from the app's clock, so tests can move them.
#[derive(Clone, Default)]
pub struct LoginThrottle(Arc<std::sync::Mutex<std::collections::HashMap<IpAddr, Failures>>>);

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    last: chrono::DateTime<chrono::Utc>,
}

/// Failures an address has before its attempts wait.
pub const ADDRESS_FREE_FAILURES: u32 = 5;
const ADDRESS_MAX_WAIT_SECS: i64 = 15 * 60;
const ADDRESS_MEMORY_MINUTES: i64 = 60;

/// The wait after `count` failures in a row from one address.
fn address_wait(count: u32) -> Option<chrono::Duration> {
    let over = count.checked_sub(ADDRESS_FREE_FAILURES)?;
    let secs = 2i64
        .checked_shl(over.min(20))
        .unwrap_or(i64::MAX)
        .min(ADDRESS_MAX_WAIT_SECS);
    Some(chrono::Duration::seconds(secs))
}

impl LoginThrottle {
    /// How the address stands: `Err(seconds)` to wait before it may try again,
    /// otherwise whether it failed lately.
    pub fn check(
        &self,
        ip: IpAddr,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<liancha_store::accounts::Address, i64> {
        use liancha_store::accounts::Address;
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let Some(f) = map.get(&ip).copied() else {
            return Ok(Address::Clean);
        };
        if now - f.last > chrono::Duration::minutes(ADDRESS_MEMORY_MINUTES) {
            map.remove(&ip);
            return Ok(Address::Clean);
        }
        if let Some(wait) = address_wait(f.count) {
            let until = f.last + wait;
            if until > now {
                return Err((until - now).num_seconds().max(1));
            }
        }
        Ok(Address::Suspect)
    }

    pub fn failed(&self, ip: IpAddr, now: chrono::DateTime<chrono::Utc>) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            let memory = chrono::Duration::minutes(ADDRESS_MEMORY_MINUTES);
            map.retain(|_, f| now - f.last <= memory);
        }
        let f = map.entry(ip).or_insert(Failures {
            count: 0,
            last: now,
        });
        f.count = f.count.saturating_add(1);
        f.last = now;
    }

    pub fn succeeded(&self, ip: IpAddr) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(&ip);
    }
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits::new(Limits::default())
    }
}

pub async fn enforce(State(limits): State<RateLimits>, req: Request, next: Next) -> Response {
    let limiter = match kind(req.method(), req.uri().path()) {
        Some(Kind::Search) => limits.search.as_ref(),
        Some(Kind::Download) => limits.download.as_ref(),
        Some(Kind::Login) => limits.login.as_ref(),
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

pub(crate) fn too_many(wait_secs: u64, json: bool) -> Response {
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
         <p>您的查询、下载或登录过于频繁，请在 {wait_secs} 秒后再试。批量获取数据请使用开放数据接口（/api/docs）。</p>\
         </main></body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_paths_are_limited() {
        let get = |p| kind(&axum::http::Method::GET, p);
        assert_eq!(get("/public/results"), Some(Kind::Search));
        assert_eq!(get("/api/v1/results"), Some(Kind::Search));
        assert_eq!(get("/check"), Some(Kind::Search));
        assert_eq!(
            kind(&axum::http::Method::POST, "/check/rate"),
            Some(Kind::Search)
        );
        assert_eq!(
            kind(&axum::http::Method::POST, "/check/complain"),
            Some(Kind::Search)
        );
        assert_eq!(get("/api/v1/items.csv"), Some(Kind::Download));
        assert_eq!(get("/api/v1/lists/abnormal.xlsx"), Some(Kind::Download));
        assert_eq!(get("/public/tasks/3/record.json"), Some(Kind::Download));
        assert_eq!(get("/public/tasks/3"), None);
        assert_eq!(get("/static/app.css"), None);
        assert_eq!(get("/staff/oversight/export.xlsx"), None);
        assert_eq!(get("/login"), None);
        assert_eq!(kind(&axum::http::Method::POST, "/login"), Some(Kind::Login));
    }

    #[test]
    fn address_waits_grow() {
        use liancha_store::accounts::Address;
        let t = LoginThrottle::default();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let now = chrono::Utc::now();
        assert_eq!(t.check(ip, now), Ok(Address::Clean));
        for _ in 0..ADDRESS_FREE_FAILURES {
            t.failed(ip, now);
        }
        assert_eq!(t.check(ip, now), Err(2));
        assert_eq!(
            t.check(ip, now + chrono::Duration::seconds(2)),
            Ok(Address::Suspect)
        );
        t.failed(ip, now);
        assert_eq!(t.check(ip, now), Err(4));
        for _ in 0..20 {
            t.failed(ip, now);
        }
        assert_eq!(t.check(ip, now), Err(15 * 60));
        // Another address is not held; an hour without failures forgets.
        assert_eq!(
            t.check("192.0.2.2".parse().unwrap(), now),
            Ok(Address::Clean)
        );
        assert_eq!(
            t.check(ip, now + chrono::Duration::minutes(61)),
            Ok(Address::Clean)
        );
        t.failed(ip, now);
        t.succeeded(ip);
        assert_eq!(t.check(ip, now), Ok(Address::Clean));
    }
}
