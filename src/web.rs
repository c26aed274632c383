//! The atlas's web page: the built front end (`web/dist`, made by `npm run build` in `web/`)
//! served as static files. `/` is shared with the OGC API landing page: a browser asking for
//! HTML gets the page, everything else (and `?f=json`) the JSON landing document.

use std::path::{Path, PathBuf};

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use tower_http::services::ServeDir;

/// `web/dist` of this checkout, where `npm run build` writes the page.
pub fn default_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/web/dist"))
}

/// Static files of the page (hashed assets are immutable).
pub fn assets(dir: &Path) -> ServeDir {
    ServeDir::new(dir)
}

fn wants_html(req: &Request) -> bool {
    let accepts_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    let query = req.uri().query().unwrap_or("");
    let asks_json = query.split('&').any(|p| p == "f=json");
    let asks_html = query.split('&').any(|p| p == "f=html");
    asks_html || (accepts_html && !asks_json)
}

/// Middleware: `GET /` from a browser → `index.html`.
pub async fn page_at_root(dir: PathBuf, req: Request, next: Next) -> Response {
    if req.uri().path() == "/" && wants_html(&req) {
        let index = dir.join("index.html");
        return match tokio::fs::read_to_string(&index).await {
            Ok(html) => ([(header::CACHE_CONTROL, "no-cache")], Html(html)).into_response(),
            Err(e) => {
                tracing::warn!(file = %index.display(), error = %e, "the web page is not built");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Html(
                        "<!doctype html><title>stadsatlas</title><h1>stadsatlas</h1>\
                         <p>The web page is not built. Run <code>npm --prefix web ci &amp;&amp; \
                         npm --prefix web run build</code>, or use <code>scripts/serve.sh</code>.</p>\
                         <p>The API is at <a href=\"/?f=json\">/?f=json</a> and \
                         <a href=\"/openapi.json\">/openapi.json</a>.</p>"
                            .to_string(),
                    ),
                )
                    .into_response()
            }
        };
    }
    next.run(req).await
}
