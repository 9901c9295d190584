use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use liancha_store::StoreError;

/// Every failure a handler can have, mapped to an HTTP status once, here.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("页面生成失败：{0}")]
    Render(#[from] askama::Error),
    /// The signed-in user's role does not allow this.
    #[error("无权访问")]
    Forbidden,
    /// A state-changing form without this session's token.
    #[error("表单已过期或来源不明")]
    Csrf,
    /// A refused action: nothing changed; the page says why and links back.
    #[error("{message}")]
    Refused { message: String, back: String },
    /// Refused because someone else changed the record since the page was loaded.
    #[error("{message}")]
    Stale { message: String, back: String },
    /// This installation cannot do it now (no Chinese font to set a PDF in, every
    /// PDF slot busy): the page says what to do; `retry` seconds, when worth it.
    #[error("{message}")]
    Unavailable { message: String, retry: Option<u32> },
}

impl From<liancha_app::AppError> for WebError {
    /// For pages: a refusal has nowhere particular to go back to.
    fn from(e: liancha_app::AppError) -> Self {
        WebError::refused(e, "/staff".into())
    }
}

impl WebError {
    /// A use case's refusal as the page that says why, linking back to `back`.
    pub fn refused(e: liancha_app::AppError, back: String) -> Self {
        use liancha_app::AppError as A;
        match e {
            A::Invalid { message, .. } => WebError::Refused { message, back },
            A::WrongState(message) => WebError::Refused { message, back },
            A::Conflict(message) => WebError::Stale { message, back },
            A::Forbidden => WebError::Forbidden,
            A::NotFound(m) => WebError::NotFound(m),
            A::Store(e) => WebError::Store(e),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let mut back = None;
        let mut retry: Option<u32> = None;
        let (status, message) = match &self {
            WebError::Forbidden => (
                StatusCode::FORBIDDEN,
                "您的账号无权查看或办理此项内容。".to_string(),
            ),
            WebError::Csrf => (
                StatusCode::FORBIDDEN,
                "表单已过期或来源不明（可能是页面打开太久或重复提交），未作任何更改。请返回刷新页面后重试。".to_string(),
            ),
            WebError::Refused { message, back: b } => {
                back = Some(b.clone());
                (StatusCode::UNPROCESSABLE_ENTITY, format!("{message}（未作任何更改）"))
            }
            WebError::Stale { message, back: b } => {
                back = Some(b.clone());
                (StatusCode::CONFLICT, message.clone())
            }
            WebError::NotFound(m) => (StatusCode::NOT_FOUND, m.clone()),
            WebError::Unavailable { message, retry: r } => {
                retry = *r;
                (StatusCode::SERVICE_UNAVAILABLE, message.clone())
            }
            WebError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            WebError::Store(StoreError::NotFound(m)) => {
                (StatusCode::NOT_FOUND, format!("未找到：{m}"))
            }
            WebError::Store(
                StoreError::Invalid { message: m, .. } | StoreError::WrongState(m),
            ) => (StatusCode::UNPROCESSABLE_ENTITY, m.clone()),
            WebError::Store(StoreError::Conflict(m)) => (StatusCode::CONFLICT, m.clone()),
            WebError::Store(e @ StoreError::Busy { retry_after }) => {
                tracing::warn!(error = %e, "database busy");
                retry = Some(*retry_after);
                (StatusCode::SERVICE_UNAVAILABLE, e.to_string())
            }
            WebError::Store(e @ (StoreError::DiskFull | StoreError::ReadOnly)) => {
                tracing::error!(error = %e, "database cannot be written");
                retry = Some(300);
                (StatusCode::SERVICE_UNAVAILABLE, e.to_string())
            }
            WebError::Store(e) => {
                tracing::error!(error = %e, "store error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "系统繁忙，请稍后再试。".to_string(),
                )
            }
            WebError::Render(e) => {
                tracing::error!(error = %e, "render error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "页面生成失败，请稍后再试。".to_string(),
                )
            }
        };
        let mut response = error_page(status, message, back);
        if let Some(seconds) = retry {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// The page that says why, under the portal's layout (the workbench's, through
/// `staff_layout`, for a signed-in user).
pub(crate) fn error_page(status: StatusCode, message: String, back: Option<String>) -> Response {
    let page = crate::pages::ErrorPage {
        portal: None,
        status: status.as_u16(),
        message,
        back,
    };
    let body = askama::Template::render(&page).unwrap_or_else(|_| "错误".into());
    let mut response = (status, Html(body)).into_response();
    // Kept so that a staff request's refusal can be said again inside the
    // workbench (`staff_layout`), where the error arose.
    response.extensions_mut().insert(page);
    response
}

/// What the framework says in English when a request cannot even be read (a task
/// number that is not a number, a query or form field of the wrong type, a body of
/// the wrong kind), said in Chinese on a page. Its text is never shown: it quotes
/// what was typed (`/staff/tasks/第一批`), which would put a stranger's words on an
/// official page. Machine answers (the open-data API, the log, files) are left as
/// they are.
pub async fn plain_rejections(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path();
    let machine = path.starts_with("/api/")
        || path.starts_with("/log/")
        || [".json", ".csv", ".xlsx"]
            .iter()
            .any(|ext| path.ends_with(ext));
    if machine {
        return next.run(req).await;
    }
    let reading = matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD
    );
    let staff_path = path.starts_with("/staff/").then(|| path.to_string());
    let response = next.run(req).await;
    let status = response.status();
    // A refused form's page stays at the form's address; asked for again from the
    // address bar (or a new tab) that address is only for posting: back to the page
    // the form is on.
    if reading
        && status == StatusCode::METHOD_NOT_ALLOWED
        && let Some(path) = staff_path
    {
        return axum::response::Redirect::to(&form_page(&path)).into_response();
    }
    let content_type = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    // The framework's refusals come as plain text, or (405) with no body at all.
    let plain = content_type.is_none_or(|v| v.starts_with("text/plain"));
    if !status.is_client_error() || !plain {
        return response;
    }
    let (parts, _) = response.into_parts();
    let mut page = error_page(status, rejection_message(status).to_string(), None);
    // What the refusal said besides its text (Allow, Retry-After …) still holds.
    for (name, value) in &parts.headers {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            page.headers_mut().insert(name.clone(), value.clone());
        }
    }
    page
}

/// The page a form posting to `path` is on: its parent (`/staff/users/3/password` →
/// `/staff/users/3`), a credit decision's the follow-up page.
fn form_page(path: &str) -> String {
    if path.starts_with("/staff/credit/") {
        return "/staff/follow-ups#credit".into();
    }
    match path.trim_end_matches('/').rsplit_once('/') {
        Some((parent, _)) if parent.len() > "/staff".len() => parent.to_string(),
        _ => "/staff".into(),
    }
}

fn rejection_message(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => {
            "地址或参数的格式不正确（如编号应为数字、日期应为 2026-03-01 的形式），未作任何更改。请返回上一页重试。"
        }
        StatusCode::METHOD_NOT_ALLOWED => {
            "不能以这种方式访问此地址，未作任何更改。请从页面上的链接或按钮进入。"
        }
        StatusCode::PAYLOAD_TOO_LARGE => "提交的内容超过上限，未作任何更改。",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            "提交的表单格式不正确，未作任何更改。请返回页面重新提交。"
        }
        StatusCode::UNPROCESSABLE_ENTITY => {
            "表单内容不完整或格式不正确，未作任何更改。请返回页面检查后重新提交。"
        }
        StatusCode::NOT_FOUND => "页面不存在",
        _ => "请求未能完成，未作任何更改。",
    }
}

#[derive(askama::Template)]
#[template(path = "staff/error.html")]
struct StaffErrorPage {
    staff: crate::session::Staff,
    page: crate::pages::ErrorPage,
}

/// A refusal met in the workbench is shown in the workbench: with its menu and
/// the signed-in user, not under the public portal's header. The handler's
/// answer (status and headers) stands; only the page around the message
/// changes, and only for a request whose session is still good.
pub async fn staff_layout(
    axum::extract::State(s): axum::extract::State<crate::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path();
    if !(path == "/staff" || path.starts_with("/staff/")) {
        return next.run(req).await;
    }
    let uri = req.uri().clone();
    let headers = req.headers().clone();
    let mut response = next.run(req).await;
    let Some(page) = response
        .extensions_mut()
        .remove::<crate::pages::ErrorPage>()
    else {
        return response;
    };
    // A server-side failure (the database busy or down) is said as it is, without
    // asking the database again for the session.
    if !response.status().is_client_error() {
        return response;
    }
    let (mut parts, ()) = axum::http::Request::new(()).into_parts();
    parts.uri = uri;
    parts.headers = headers;
    let staff =
        match <crate::session::Staff as axum::extract::FromRequestParts<_>>::from_request_parts(
            &mut parts, &s,
        )
        .await
        {
            Ok(staff) => staff,
            Err(_) => return response,
        };
    match askama::Template::render(&StaffErrorPage { staff, page }) {
        Ok(body) => {
            let (mut head, _) = response.into_parts();
            head.headers.remove(axum::http::header::CONTENT_LENGTH);
            Response::from_parts(head, axum::body::Body::from(body))
        }
        Err(_) => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(e: StoreError) -> Response {
        WebError::Store(e).into_response()
    }

    /// What a user can act on is said as it is, never as a generic 500.
    #[tokio::test]
    async fn database_conditions_are_named() {
        let r = answer(StoreError::Busy { retry_after: 30 });
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.headers()[axum::http::header::RETRY_AFTER], "30");
        for (e, words) in [
            (StoreError::DiskFull, "磁盘已满"),
            (StoreError::ReadOnly, "只读"),
        ] {
            let r = answer(e);
            assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert!(r.headers().contains_key(axum::http::header::RETRY_AFTER));
            let body = body(r).await;
            assert!(body.contains(words), "{body}");
        }
        let r = answer(StoreError::Conflict("任务已被修改".into()));
        assert_eq!(r.status(), StatusCode::CONFLICT);
        // Refusals by the input or by the record's state say why, as 422.
        for e in [
            StoreError::invalid_field("title", "请填写任务名称"),
            StoreError::WrongState("任务处于「方案已封存」状态，不能修改".into()),
        ] {
            let message = e.to_string();
            let r = answer(e);
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
            let body = body(r).await;
            assert!(body.contains(&message), "{body}");
        }
    }

    async fn body(r: Response) -> String {
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 20)
            .await
            .expect("body");
        String::from_utf8(bytes.to_vec()).expect("utf-8")
    }

    /// The framework's English refusals become a page in Chinese that never repeats
    /// what was typed; machine answers and successes are left alone.
    #[tokio::test]
    async fn rejections_are_said_in_chinese() {
        use axum::extract::Path;
        use axum::routing::get;
        use tower::ServiceExt;
        let app = axum::Router::new()
            .route(
                "/staff/tasks/{id}",
                get(|Path(id): Path<i64>| async move { id.to_string() }),
            )
            .route(
                "/api/v1/tasks/{id}",
                get(|Path(id): Path<i64>| async move { id.to_string() }),
            )
            .route(
                "/public/tasks/{id}/record.json",
                get(|Path(id): Path<i64>| async move { id.to_string() }),
            )
            .route(
                "/limited",
                get(|| async {
                    (
                        StatusCode::PAYLOAD_TOO_LARGE,
                        [(axum::http::header::RETRY_AFTER, "9")],
                        "too large",
                    )
                }),
            )
            .layer(axum::middleware::from_fn(plain_rejections));
        let get = |uri: String| {
            let app = app.clone();
            async move {
                app.oneshot(
                    axum::http::Request::get(uri)
                        .body(axum::body::Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap()
            }
        };
        // Full-width digits and Chinese words, as an input method types them.
        for typed in ["abc", "%EF%BC%91%EF%BC%92", "%E7%AC%AC%E4%B8%80%E6%89%B9"] {
            let r = get(format!("/staff/tasks/{typed}")).await;
            assert_eq!(r.status(), StatusCode::BAD_REQUEST);
            assert!(r.extensions().get::<crate::pages::ErrorPage>().is_some());
            let page = body(r).await;
            assert!(page.contains("地址或参数的格式不正确"), "{page}");
            for english in ["Invalid URL", "Cannot parse", "１２", "第一批"] {
                assert!(!page.contains(english), "{typed}: {page}");
            }
        }
        let r = get("/limited".into()).await;
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            r.headers()[axum::http::header::RETRY_AFTER],
            "9",
            "headers kept"
        );
        assert!(body(r).await.contains("提交的内容超过上限"));
        // Left alone: the API and files (their own answers), and what succeeded.
        for path in ["/api/v1/tasks/abc", "/public/tasks/abc/record.json"] {
            assert!(
                body(get(path.into()).await).await.contains("Invalid URL"),
                "{path}"
            );
        }
        assert_eq!(body(get("/staff/tasks/7".into()).await).await, "7");
    }
}
