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
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, message) = match &self {
            WebError::NotFound(m) => (StatusCode::NOT_FOUND, m.clone()),
            WebError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            WebError::Store(StoreError::NotFound(m)) => {
                (StatusCode::NOT_FOUND, format!("未找到：{m}"))
            }
            WebError::Store(StoreError::Invalid(m)) => {
                (StatusCode::UNPROCESSABLE_ENTITY, m.clone())
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
            status: status.as_u16(),
            message,
        };
        let body = askama::Template::render(&page).unwrap_or_else(|_| "错误".into());
        (status, Html(body)).into_response()
    }
}
