//! Uploading and downloading attachments: inspection material of a visit, photos
//! and video of a draw ceremony.
//!
//! An upload's session and CSRF token are checked before one byte of its body is
//! read ([`guard`]): the token comes in the query string (`?csrf=`, as the forms'
//! `action` carries it) or an `X-CSRF-Token` header, and a declared length over the
//! route's cap is refused at once (413); a body without a length is cut off at the
//! cap while it is read.

use axum::extract::{Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use liancha_app::records::Upload as FileUpload;
use liancha_domain::attachment::AttachmentPurpose;

use crate::session::Staff;
use crate::{AppState, WebError};

/// Largest ceremony video or visit material, and largest targeted-inspection document
/// (the store checks each purpose's own limit on the file itself).
pub const UPLOAD_LIMIT: usize = 110 * 1024 * 1024;
pub const DOCUMENT_LIMIT: usize = 12 * 1024 * 1024;

/// Session, CSRF token and declared size of an upload, before its body is read.
pub async fn guard(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let limit = if path.starts_with("/staff/targeted/") {
        DOCUMENT_LIMIT
    } else if path == "/staff/import" {
        crate::imports::IMPORT_LIMIT
    } else {
        UPLOAD_LIMIT
    };
    let (mut parts, body) = req.into_parts();
    let staff = match <Staff as axum::extract::FromRequestParts<AppState>>::from_request_parts(
        &mut parts, &s,
    )
    .await
    {
        Ok(staff) => staff,
        Err(refusal) => return refusal,
    };
    let from_query = parts.uri.query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "csrf")
            .map(|(_, v)| v.into_owned())
    });
    let token = parts
        .headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or(from_query)
        .unwrap_or_default();
    if !crate::session::same_secret(&token, &staff.csrf) {
        return WebError::Csrf.into_response();
    }
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return crate::error::error_page(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "上传内容超过 {} MB 的上限，未作任何更改。",
                limit / 1024 / 1024
            ),
            None,
        );
    }
    next.run(Request::from_parts(parts, body)).await
}

#[derive(Default)]
struct Upload {
    purpose: String,
    entity: String,
    public: bool,
    filename: String,
    data: Vec<u8>,
}

/// Reads a multipart form: the file into memory, the other fields as text.
async fn read(mut form: Multipart, back: &str) -> Result<Upload, WebError> {
    let mut u = Upload::default();
    let refused = |e: axum::extract::multipart::MultipartError| WebError::Refused {
        message: format!("上传未完成（文件可能超过大小上限）：{e}"),
        back: back.to_string(),
    };
    while let Some(field) = form.next_field().await.map_err(refused)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            u.filename = field.file_name().unwrap_or("").to_string();
            u.data = field.bytes().await.map_err(refused)?.to_vec();
        } else {
            let text = field.text().await.unwrap_or_default();
            match name.as_str() {
                "purpose" => u.purpose = text,
                "entity" => u.entity = text,
                "public" => u.public = !text.is_empty(),
                _ => {}
            }
        }
    }
    Ok(u)
}

/// The source document of a targeted inspection, by its department's admin.
pub async fn upload_targeted_document(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    staff: Staff,
    form: Multipart,
) -> Result<Response, WebError> {
    let back = "/staff/targeted".to_string();
    // The session and CSRF token were checked by [`guard`] before the body was read.
    let u = read(form, &back).await?;
    s.app
        .add_targeted_document(&staff.context(s.clock.now()), id, &u.filename, &u.data)
        .await
        .map_err(|e| WebError::refused(e, back))?;
    Ok(Redirect::to("/staff/targeted?done=attachment").into_response())
}

pub async fn upload(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    staff: Staff,
    form: Multipart,
) -> Result<Response, WebError> {
    let back = format!("/staff/tasks/{id}");
    // The session and CSRF token were checked by [`guard`] before the body was read.
    let u = read(form, &back).await?;
    let Some(purpose) = AttachmentPurpose::from_code(&u.purpose) else {
        return Err(WebError::Refused {
            message: "请选择材料用途".into(),
            back,
        });
    };
    let entity = Some(u.entity.trim()).filter(|e| !e.is_empty());
    let back = match entity {
        Some(e) => format!("/staff/tasks/{id}/visits/{e}"),
        None => back,
    };
    let upload = FileUpload {
        purpose,
        entity_id: entity,
        filename: &u.filename,
        data: &u.data,
        public: u.public,
    };
    s.app
        .add_attachment(&staff.context(s.clock.now()), id, &upload)
        .await
        .map_err(|e| WebError::refused(e, back.clone()))?;
    Ok(Redirect::to(&format!("{back}?done=attachment")).into_response())
}

pub async fn download(
    State(s): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let (meta, data) = s.app.attachment(&staff.context(s.clock.now()), id).await?;
    // RFC 5987 file name so Chinese names survive.
    let encoded = crate::pages::url_encode(&meta.filename);
    Ok((
        [
            (header::CONTENT_TYPE, meta.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"attachment-{id}\"; filename*=UTF-8''{encoded}"),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        data,
    )
        .into_response())
}
