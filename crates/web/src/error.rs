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
        if let Some(seconds) = retry {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
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
}
