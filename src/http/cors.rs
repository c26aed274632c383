//! CORS for a read-only, public API: every answer may be read by any origin. Done by hand
//! in the request middleware (two static headers, and a preflight answer for OPTIONS)
//! because tower-http's CorsLayer cost 5 % of warm-tile throughput.

use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

/// The answer to a preflight request (`OPTIONS` with `Access-Control-Request-Method`).
pub fn preflight(method: &Method, headers: &HeaderMap) -> Option<Response> {
    if method != Method::OPTIONS || !headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD) {
        return None;
    }
    let allow_headers = headers
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned()
        .unwrap_or(HeaderValue::from_static("*"));
    Some(
        (
            StatusCode::NO_CONTENT,
            [
                (
                    header::ACCESS_CONTROL_ALLOW_ORIGIN,
                    HeaderValue::from_static("*"),
                ),
                (
                    header::ACCESS_CONTROL_ALLOW_METHODS,
                    HeaderValue::from_static("GET, HEAD"),
                ),
                (header::ACCESS_CONTROL_ALLOW_HEADERS, allow_headers),
                (
                    header::ACCESS_CONTROL_MAX_AGE,
                    HeaderValue::from_static("86400"),
                ),
            ],
        )
            .into_response(),
    )
}

/// Marks a response readable by any origin, ETag and encoding included.
pub fn allow(response: &mut Response) {
    let h = response.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("etag, content-encoding, content-crs, content-disposition"),
    );
}
