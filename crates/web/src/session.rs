//! Sign-in, sessions and CSRF for staff pages.
//!
//! The session cookie is HttpOnly, SameSite=Lax, and Secure when the request came
//! over TLS (directly or through a proxy that says so). Every state-changing form
//! carries the session's CSRF token, checked by [`CsrfForm`]; the sign-in form,
//! which has no session yet, uses a double-submit cookie instead.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, Utc};
use liancha_domain::auth::{Action, Principal};
use liancha_domain::org::Division;
use liancha_store::accounts::{User, random_token};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::{AppState, WebError};

pub const SESSION_COOKIE: &str = "liancha_session";
const LOGIN_CSRF_COOKIE: &str = "liancha_login";

/// The server's clock. Tests move it forward to pass a drand round or an idle timeout.
#[derive(Clone, Default)]
pub struct Clock(Arc<AtomicI64>);

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::seconds(self.0.load(Ordering::Relaxed))
    }

    pub fn advance(&self, by: Duration) {
        self.0.fetch_add(by.num_seconds(), Ordering::Relaxed);
    }
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn is_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

fn set_cookie(headers: &HeaderMap, name: &str, value: &str, max_age: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if is_tls(headers) {
        c.push_str("; Secure");
    }
    c
}

/// Compares secrets in time independent of where they differ.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The signed-in staff member of a request, and the county the request works in:
/// the member's own, or for a prefecture or province office, the county below it that
/// the request names (`?county=`) or last chose (a cookie), else the office itself.
#[derive(Clone)]
pub struct Staff {
    pub user: User,
    pub principal: Principal,
    pub csrf: String,
    pub token: String,
    pub county: Division,
    /// For an office above counties: the counties it reaches, to choose among.
    pub counties: Vec<Division>,
}

impl Staff {
    pub fn may(&self, action: &Action<'_>) -> bool {
        self.principal.may(action)
    }

    /// Refuses with 403 unless allowed.
    pub fn require(&self, action: &Action<'_>) -> Result<(), WebError> {
        if self.may(action) {
            Ok(())
        } else {
            Err(WebError::Forbidden)
        }
    }

    /// Whose department-wide lists (follow-ups, targeted inspections, conflicts) this
    /// user reads: `Ok(None)` for all departments (admin, coordinator, oversight),
    /// `Ok(Some(d))` for a department admin's own, refused for everyone else.
    pub fn department_view(&self) -> Result<Option<String>, WebError> {
        Ok(liancha_app::follow_up::department_view(
            &self.context(chrono::Utc::now()),
        )?)
    }

    /// The user's department when it reviews results of a task with these departments.
    pub fn review_department(&self, task_departments: &[String]) -> Option<String> {
        self.principal.department.clone().filter(|d| {
            self.may(&Action::ReviewResults { department: d }) && task_departments.contains(d)
        })
    }

    pub fn actor(&self) -> liancha_store::accounts::Actor {
        (&self.principal).into()
    }

    /// The use cases' context: this user, in the request's county, at `now`.
    pub fn context(&self, now: chrono::DateTime<chrono::Utc>) -> liancha_app::Context {
        liancha_app::Context::in_county(self.principal.clone(), self.county.code.clone(), now)
            .unwrap_or_else(|_| liancha_app::Context::new(self.principal.clone(), now))
    }

    /// The rows of the request's county, through the application layer.
    pub fn rows<'a>(&self, s: &'a AppState) -> liancha_store::County<'a> {
        s.app.county(&self.context(s.clock.now()))
    }

    /// The rows of a county below an office, for the office's own pages that read
    /// across its counties; refused for any county it does not reach.
    pub fn rows_in<'a>(
        &self,
        s: &'a AppState,
        county: &liancha_domain::org::DivisionCode,
    ) -> Result<liancha_store::County<'a>, WebError> {
        let ctx =
            liancha_app::Context::in_county(self.principal.clone(), county.clone(), s.clock.now())?;
        Ok(s.app.county(&ctx))
    }

    /// Whether the account works above counties (a prefecture or province office).
    pub fn above_counties(&self) -> bool {
        !self.principal.in_county()
    }

    /// Whether the request reads an office's sum of its counties rather than one
    /// county (an office that has not chosen one).
    pub fn office_wide(&self) -> bool {
        self.above_counties() && self.county.code == self.principal.division
    }

    /// The name the pages give the request's county (牟定县) or office.
    pub fn county_name(&self) -> &str {
        &self.county.name
    }
}

#[derive(Deserialize)]
pub struct SwitchQuery {
    code: String,
    #[serde(default)]
    next: String,
}

/// An office above counties chooses the county its pages show (a cookie, kept for
/// the session's browser); a county below it or the office itself, nothing else.
pub async fn switch_county(
    headers: HeaderMap,
    staff: Staff,
    Query(q): Query<SwitchQuery>,
) -> Result<Response, WebError> {
    let code = liancha_domain::org::DivisionCode::parse(&q.code)
        .map_err(|e| WebError::BadRequest(e.to_string()))?;
    let known = code == staff.principal.division || staff.counties.iter().any(|c| c.code == code);
    if staff.principal.in_county() || !known {
        return Err(WebError::Forbidden);
    }
    let next = if q.next.is_empty() {
        "/staff".to_string()
    } else {
        safe_next(&q.next)
    };
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, next),
            (
                header::SET_COOKIE,
                set_cookie(&headers, COUNTY_COOKIE, code.as_str(), None),
            ),
        ],
    )
        .into_response())
}

/// The cookie in which an office above counties keeps the county it last chose.
pub const COUNTY_COOKIE: &str = "liancha_county";

/// The county a request of `principal` works in; see [`Staff`].
async fn request_county(
    s: &AppState,
    principal: &Principal,
    parts: &Parts,
) -> Result<(Division, Vec<Division>), WebError> {
    let tree = s.divisions().await?;
    let own = tree
        .iter()
        .find(|d| d.code == principal.division)
        .cloned()
        .ok_or_else(|| WebError::NotFound(format!("行政区划 {}", principal.division)))?;
    if principal.in_county() {
        return Ok((own, Vec::new()));
    }
    let below: Vec<Division> = tree
        .iter()
        .filter(|&d| d.level() == liancha_domain::org::Level::County && principal.reaches(&d.code))
        .cloned()
        .collect();
    let asked = parts
        .uri
        .query()
        .and_then(|q| {
            q.split('&')
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| *k == "county")
                .map(|(_, v)| v.to_string())
        })
        .or_else(|| cookie(&parts.headers, COUNTY_COOKIE));
    let chosen = asked
        .and_then(|c| liancha_domain::org::DivisionCode::parse(&c).ok())
        .and_then(|c| below.iter().find(|d| d.code == c).cloned());
    Ok((chosen.unwrap_or(own), below))
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(staff) = parts.extensions.get::<Staff>() {
            return Ok(staff.clone());
        }
        let path = parts.uri.path().to_string();
        let to_login = || {
            let next = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/staff");
            Redirect::to(&format!("/login?next={}", crate::pages::url_encode(next))).into_response()
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_login());
        };
        let found = s
            .app
            .store()
            .session(&token, s.clock.now())
            .await
            .map_err(|e| WebError::from(e).into_response())?;
        let Some((user, csrf)) = found else {
            return Err(to_login());
        };
        if user.must_change_password && path != "/account/password" && path != "/logout" {
            return Err(Redirect::to("/account/password").into_response());
        }
        let principal = user.principal();
        let (county, counties) = request_county(s, &principal, parts)
            .await
            .map_err(IntoResponse::into_response)?;
        let staff = Staff {
            principal,
            user,
            csrf,
            token,
            county,
            counties,
        };
        parts.extensions.insert(staff.clone());
        Ok(staff)
    }
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// A form posted by a signed-in staff member, with its CSRF token checked.
/// Repeated keys (multi-select) become `Vec`s.
pub struct CsrfForm<T>(pub Staff, pub T);

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, s: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let staff = Staff::from_request_parts(&mut parts, s).await?;
        let bytes = axum::body::to_bytes(body, 1 << 20)
            .await
            .map_err(|_| WebError::BadRequest("表单过大".into()).into_response())?;
        let field: CsrfField = serde_html_form::from_bytes(&bytes)
            .map_err(|e| WebError::BadRequest(format!("表单无法识别：{e}")).into_response())?;
        if !same_secret(&field.csrf, &staff.csrf) {
            return Err(WebError::Csrf.into_response());
        }
        let form = serde_html_form::from_bytes(&bytes)
            .map_err(|e| WebError::BadRequest(format!("表单内容不正确：{e}")).into_response())?;
        Ok(CsrfForm(staff, form))
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    portal: Option<crate::pages::Portal>,
    next: String,
    csrf: String,
    message: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

/// Only same-site paths: never redirect a signed-in user to another site.
///
/// `next` must parse as a relative reference that is path-absolute (`/a/b?c`): no
/// scheme, no authority (`//host`), and neither it nor its percent-decoded form may
/// hold a control character (browsers drop tabs and newlines, so `/\t/evil` is
/// `//evil` to them) or a backslash (`/\evil` is `//evil` to them too). It is then
/// resolved against this site as a browser would, and must stay on it. Anything
/// else goes to the workbench.
pub(crate) fn safe_next(next: &str) -> String {
    same_site_path(next).unwrap_or_else(|| "/staff".to_string())
}

fn same_site_path(next: &str) -> Option<String> {
    let bad = |b: &u8| b.is_ascii_control() || *b == b'\\';
    if next.is_empty() || next.len() > 2048 || next.bytes().any(|b| bad(&b)) {
        return None;
    }
    let decoded: Vec<u8> = percent_encoding::percent_decode_str(next).collect();
    if decoded.iter().any(bad) || decoded.starts_with(b"//") {
        return None;
    }
    // RFC 3986 relative reference: no scheme, no authority, an absolute path.
    let uri: axum::http::Uri = next.parse().ok()?;
    if uri.scheme().is_some() || uri.authority().is_some() {
        return None;
    }
    let path = uri.path();
    if !path.starts_with('/') || path.starts_with("//") {
        return None;
    }
    // And as a browser resolves it (WHATWG URL): still this site.
    let base = url::Url::parse("http://liancha.invalid/").ok()?;
    let joined = base.join(next).ok()?;
    if joined.origin() != base.origin() || joined.username() != "" || joined.password().is_some() {
        return None;
    }
    let out = &joined[url::Position::BeforePath..];
    (out.starts_with('/') && !out.starts_with("//")).then(|| out.to_string())
}

fn login_page(
    headers: &HeaderMap,
    next: &str,
    message: Option<String>,
    status: StatusCode,
) -> Response {
    let csrf = random_token();
    let page = LoginPage {
        portal: None,
        next: safe_next(next),
        csrf: csrf.clone(),
        message,
    };
    match page.render() {
        Ok(body) => (
            status,
            [(
                header::SET_COOKIE,
                set_cookie(headers, LOGIN_CSRF_COOKIE, &csrf, Some(3600)),
            )],
            Html(body),
        )
            .into_response(),
        Err(e) => WebError::from(e).into_response(),
    }
}

pub async fn login_form(headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    login_page(&headers, &q.next, None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

/// A sign-in refused before any password check: the address waits, or every
/// hashing slot is taken.
fn login_refused(headers: &HeaderMap, next: &str, status: StatusCode, wait: i64) -> Response {
    let message = if status == StatusCode::TOO_MANY_REQUESTS {
        format!("此地址登录失败次数过多，请在 {wait} 秒后再试")
    } else {
        "系统繁忙，请稍后再试".to_string()
    };
    let mut res = login_page(headers, next, Some(message), status);
    res.headers_mut().insert(
        header::RETRY_AFTER,
        axum::http::HeaderValue::from_str(&wait.to_string())
            .unwrap_or(axum::http::HeaderValue::from_static("5")),
    );
    res
}

pub async fn login(
    State(s): State<AppState>,
    crate::limits::ClientIp(ip): crate::limits::ClientIp,
    headers: HeaderMap,
    axum::Form(f): axum::Form<LoginForm>,
) -> Response {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if expected.is_empty() || !same_secret(&expected, &f.csrf) {
        return login_page(
            &headers,
            &f.next,
            Some("登录页面已过期，请重新输入".into()),
            StatusCode::FORBIDDEN,
        );
    }
    let now = s.clock.now();
    let address = match s.login_throttle.check(ip, now) {
        Ok(a) => a,
        Err(wait) => return login_refused(&headers, &f.next, StatusCode::TOO_MANY_REQUESTS, wait),
    };
    // A hashing slot, or 503 at once: a flood of sign-ins must not queue without end.
    let Ok(_slot) = s.hash_gate.clone().try_acquire_owned() else {
        return login_refused(&headers, &f.next, StatusCode::SERVICE_UNAVAILABLE, 5);
    };
    match s
        .app
        .store()
        .login_from(&f.username, &f.password, now, address)
        .await
    {
        Err(e) => WebError::from(e).into_response(),
        Ok(Err(e)) => {
            s.login_throttle.failed(ip, now);
            // One answer for every refusal: wrong password, unknown or disabled
            // account, an account that makes attempts wait.
            login_page(
                &headers,
                &f.next,
                Some(e.to_string()),
                StatusCode::UNAUTHORIZED,
            )
        }
        Ok(Ok(session)) => {
            s.login_throttle.succeeded(ip);
            let to = if session.user.must_change_password {
                "/account/password".to_string()
            } else {
                safe_next(&f.next)
            };
            (
                StatusCode::SEE_OTHER,
                [
                    (header::LOCATION, to),
                    (
                        header::SET_COOKIE,
                        set_cookie(&headers, SESSION_COOKIE, &session.token, None),
                    ),
                ],
            )
                .into_response()
        }
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn logout(
    State(s): State<AppState>,
    headers: HeaderMap,
    CsrfForm(staff, _): CsrfForm<Empty>,
) -> Result<Response, WebError> {
    s.app.store().logout(&staff.token).await?;
    s.app
        .home(&staff.principal)
        .audit(
            &staff.actor(),
            s.clock.now(),
            liancha_store::accounts::Audit::new("user.logout", "user", &staff.user.username),
        )
        .await?;
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/login".to_string()),
            (
                header::SET_COOKIE,
                set_cookie(&headers, SESSION_COOKIE, "", Some(0)),
            ),
        ],
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    staff: Staff,
    forced: bool,
    message: Option<String>,
}

pub async fn password_form(staff: Staff) -> Result<Html<String>, WebError> {
    Ok(Html(
        PasswordPage {
            forced: staff.user.must_change_password,
            staff,
            message: None,
        }
        .render()?,
    ))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
    repeat: String,
}

pub async fn change_password(
    State(s): State<AppState>,
    CsrfForm(staff, f): CsrfForm<PasswordForm>,
) -> Result<Response, WebError> {
    let Ok(_slot) = s.hash_gate.clone().try_acquire_owned() else {
        let mut res = WebError::Refused {
            message: "系统繁忙，请稍后再试".into(),
            back: "/account/password".into(),
        }
        .into_response();
        *res.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        res.headers_mut().insert(
            header::RETRY_AFTER,
            axum::http::HeaderValue::from_static("5"),
        );
        return Ok(res);
    };
    let result = if f.new != f.repeat {
        Err("两次输入的新密码不一致".to_string())
    } else {
        match s
            .app
            .store()
            .change_password(
                staff.user.id,
                &f.current,
                &f.new,
                &staff.token,
                s.clock.now(),
            )
            .await
        {
            Ok(()) => Ok(()),
            Err(liancha_store::StoreError::Invalid { message: m, .. }) => Err(m),
            Err(e) => return Err(e.into()),
        }
    };
    match result {
        Ok(()) => Ok(Redirect::to("/staff?done=password").into_response()),
        Err(message) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(
                PasswordPage {
                    forced: staff.user.must_change_password,
                    staff,
                    message: Some(message),
                }
                .render()?,
            ),
        )
            .into_response()),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        for evil in [
            "/%09/evil.example/x",
            "/\t/evil.example/x",
            "/%0a/evil.example",
            "/%0D%0ASet-Cookie:%20x=1",
            "/\r\nSet-Cookie: x=1",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "/%5Cevil.example",
            "\\\\evil.example",
            "/%2F/evil.example",
            "%2F%2Fevil.example",
            "https://evil.example/",
            "http:evil.example",
            "javascript:alert(1)",
            "evil.example/x",
            " /staff",
            "/staff\u{0}",
            "/%00",
            "/%7f",
            "",
        ] {
            assert_eq!(safe_next(evil), "/staff", "{evil:?}");
        }
        assert_eq!(
            safe_next("/staff/tasks/3?tab=visits"),
            "/staff/tasks/3?tab=visits"
        );
        assert_eq!(safe_next("/staff/tasks/3#v"), "/staff/tasks/3#v");
        assert_eq!(
            safe_next("/public/results?q=%E4%B8%AD%E6%96%87"),
            "/public/results?q=%E4%B8%AD%E6%96%87"
        );
        // Dot segments are resolved, and cannot climb out of the site.
        assert_eq!(safe_next("/a/../../staff"), "/staff");
    }
}
