use liancha_store::StoreError;

/// Why a use case did not do what was asked. Every variant means nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input is not acceptable; `field` names the form field when one is to blame.
    #[error("{message}")]
    Invalid {
        field: Option<String>,
        message: String,
    },
    /// Someone else changed the record since it was read (or the same form was
    /// posted twice).
    #[error("{0}")]
    Conflict(String),
    /// The record is not in a state that allows the action.
    #[error("{0}")]
    WrongState(String),
    /// The principal may not do this, or may not see the record.
    #[error("无权访问")]
    Forbidden,
    #[error("{0}")]
    NotFound(String),
    /// The store could not do it: busy, full, read-only or failed.
    #[error(transparent)]
    Store(StoreError),
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

impl AppError {
    pub fn invalid(message: impl Into<String>) -> Self {
        AppError::Invalid {
            field: None,
            message: message.into(),
        }
    }

    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field: Some(field.into()),
            message: message.into(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid { field, message } => AppError::Invalid {
                field: field.map(String::from),
                message,
            },
            StoreError::WrongState(m) => AppError::WrongState(m),
            StoreError::Conflict(m) => AppError::Conflict(m),
            StoreError::NotFound(m) => AppError::NotFound(format!("未找到：{m}")),
            e => AppError::Store(e),
        }
    }
}
