//! Prometheus metrics at `/metrics`: requests and latencies by route and status, response
//! cache hits and misses by kind.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// The process-wide recorder (installed once, on first use).
fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                ])
                .ok()?;
            match builder.install_recorder() {
                Ok(h) => Some(h),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot install the metrics recorder");
                    None
                }
            }
        })
        .as_ref()
}

/// Middleware: counts and times every request by its route template.
pub async fn track(req: Request, next: Next) -> Response {
    let _ = handle();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("stadsatlas_http_requests_total", "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("stadsatlas_http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

pub fn cache_lookup(kind: &'static str, hit: bool) {
    let name = if hit {
        "stadsatlas_cache_hits_total"
    } else {
        "stadsatlas_cache_misses_total"
    };
    metrics::counter!(name, "kind" => kind).increment(1);
}

/// Prometheus metrics: requests and latencies by route and status, cache hits and misses.
#[utoipa::path(get, path = "/metrics", tag = "service",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain; version=0.0.4")))]
pub async fn render() -> Response {
    match handle() {
        Some(h) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/plain; version=0.0.4"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            h.render(),
        )
            .into_response(),
        None => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}
