//! Errors of the open-data API: one JSON shape, each mapped to its status here.

use super::*;

/// An error: what went wrong, in Chinese.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// 错误说明
    #[schema(example = "参数 page 须为正整数（从 1 开始）")]
    pub(super) error: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub(super) status: StatusCode,
    pub(super) message: String,
    /// Seconds after which the same request may succeed (503 when the database is busy).
    pub(super) retry_after: Option<u32>,
}

impl ApiError {
    pub(super) fn bad_request(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            retry_after: None,
        }
    }

    pub(super) fn not_found(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
            retry_after: None,
        }
    }

    pub(super) fn internal(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.into(),
            retry_after: None,
        }
    }
}

impl From<WebError> for ApiError {
    fn from(e: WebError) -> Self {
        match e {
            WebError::Store(e) => e.into(),
            e => {
                tracing::error!(error = %e, "error in the open-data API");
                ApiError::internal("系统繁忙，请稍后再试。")
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => ApiError::not_found(format!("未找到：{m}")),
            StoreError::Busy { retry_after } => ApiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                message: format!("数据库正忙，请 {retry_after} 秒后重试"),
                retry_after: Some(retry_after),
            },
            e => {
                tracing::error!(error = %e, "store error in the open-data API");
                ApiError::internal("系统繁忙，请稍后再试。")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (
            self.status,
            Json(ErrorBody {
                error: self.message,
            }),
        )
            .into_response();
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(secs));
        }
        res
    }
}

pub(super) type ApiResult<T> = Result<T, ApiError>;

pub(super) async fn no_such_endpoint() -> ApiError {
    ApiError::not_found("接口不存在，可用的接口见 /api/docs/")
}
