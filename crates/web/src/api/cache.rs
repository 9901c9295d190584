//! Caching: a strong ETag on every successful answer, 304 for a match.

use super::*;

/// A strong ETag (SHA-256 of the body) and a short public cache on every successful
/// API response (errors are `no-store`); a GET whose `If-None-Match` names the current
/// ETag gets 304 without a body. Bodies are small (a whole list at most), so
/// buffering them is fine.
pub(super) async fn etag(req: Request, next: Next) -> Response {
    let conditional = matches!(*req.method(), Method::GET | Method::HEAD)
        .then(|| if_none_match(req.headers()))
        .flatten();
    let (mut parts, body) = next.run(req).await.into_parts();
    if !parts.status.is_success() {
        // A 404 for a task about to be published, or a 429, must not outlive its
        // cause in a shared cache.
        parts
            .headers
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Response::from_parts(parts, body);
    }
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "reading an API response body");
            return ApiError::internal("系统繁忙，请稍后再试。").into_response();
        }
    };
    let tag = {
        use sha2::Digest;
        format!(
            "\"{}\"",
            liancha_draw::hex::encode(&sha2::Sha256::digest(&bytes))
        )
    };
    let tag_value = HeaderValue::from_str(&tag).expect("hex digits in quotes");
    parts.headers.insert(header::ETAG, tag_value.clone());
    parts.headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    if let Some(tags) = conditional
        && tags.iter().any(|t| t == "*" || *t == tag)
    {
        let mut not_modified = Response::new(Body::empty());
        *not_modified.status_mut() = StatusCode::NOT_MODIFIED;
        let h = not_modified.headers_mut();
        h.insert(header::ETAG, tag_value);
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(CACHE_CONTROL),
        );
        return not_modified;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The entity tags of `If-None-Match`, weak ones compared as strong (RFC 9110 §13.1.2
/// uses the weak comparison for this header).
pub(super) fn if_none_match(headers: &HeaderMap) -> Option<Vec<String>> {
    let values: Vec<String> = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim())
        .filter(|t| !t.is_empty())
        .map(|t| t.strip_prefix("W/").unwrap_or(t).to_string())
        .collect();
    (!values.is_empty()).then_some(values)
}
