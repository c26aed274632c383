//! The HTTP server: state, router, the response pipeline ([`pipeline`]), errors as problem
//! documents ([`problem`]), metrics and graceful shutdown.
//!
//! Routes are registered with utoipa-axum, so the OpenAPI document at `/openapi.json` is
//! generated from the same code that routes requests and cannot drift from it.

pub mod cors;
pub mod metrics;
pub mod pipeline;
pub mod problem;
pub mod version;

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::json;
use sqlx::PgPool;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use pipeline::{CachePolicy, Payload, ResponseCache};
pub use problem::ApiError;
pub use version::DataVersion;

/// Server settings that handlers need.
#[derive(Clone, Debug, Default)]
pub struct ServerConfig {
    /// Public base URL (e.g. `https://atlas.example.se`) for absolute links in TileJSON,
    /// styles and OGC API documents. Without it, links are built from the request's `Host`.
    pub public_url: Option<String>,
    /// Size bound of the response cache in bytes (0: no cache).
    pub cache_bytes: u64,
    /// The built web page (`web/dist`); `None` serves no page.
    pub web_dir: Option<std::path::PathBuf>,
}

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub version: DataVersion,
    pub cache: ResponseCache,
    pub config: ServerConfig,
}

impl AppState {
    /// State for a server over `pool`, following the data version.
    pub async fn new(pool: PgPool, config: ServerConfig) -> Result<AppState, sqlx::Error> {
        Ok(AppState {
            version: DataVersion::follow(&pool).await?,
            cache: ResponseCache::new(config.cache_bytes),
            pool,
            config,
        })
    }

    /// The base URL for links in documents answering a request.
    pub fn base_url(&self, headers: &HeaderMap) -> String {
        if let Some(url) = &self.config.public_url {
            return url.trim_end_matches('/').to_string();
        }
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("127.0.0.1:8080");
        let proto = headers
            .get("x-forwarded-proto")
            .and_then(|h| h.to_str().ok())
            .filter(|p| *p == "https" || *p == "http")
            .unwrap_or("http");
        format!("{proto}://{host}")
    }

    /// Answers a GET from the response cache, producing and caching the payload on a miss.
    /// `key` must identify the response fully, apart from the data version, which is added.
    pub async fn cached<F, Fut>(
        &self,
        headers: &HeaderMap,
        kind: &'static str,
        key: String,
        policy: CachePolicy,
        produce: F,
    ) -> Result<Response, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Payload, ApiError>>,
    {
        let key = format!("{}|{kind}|{key}", self.version.get());
        let (entry, hit) = self.cache.get_or_produce(key, headers, produce).await?;
        metrics::cache_lookup(kind, hit);
        Ok(pipeline::respond(headers, &entry, policy))
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "stadsatlas",
        description = "Vector tiles, OGC API Features and indicator comparisons for Sweden's segregated urban districts.",
        license(name = "Data: SCB open data (CC0); district registry from public sources"),
    ),
    components(schemas(problem::Problem)),
    tags(
        (name = "tiles", description = "Mapbox Vector Tiles, TileJSON and the map style"),
        (name = "features", description = "OGC API - Features (Part 1 Core, Part 2 CRS)"),
        (name = "indicators", description = "Indicator catalogue, district profiles and comparisons"),
        (name = "service", description = "Health and metrics"),
    )
)]
struct ApiDoc;

/// The router and its OpenAPI document, built from the same route registrations.
pub fn router_and_openapi(state: AppState) -> (Router, utoipa::openapi::OpenApi) {
    let (router, api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(openapi_json))
        .routes(routes!(metrics::render))
        .merge(crate::tiles::routes())
        .merge(crate::features::routes())
        .merge(crate::api::routes())
        .split_for_parts();
    // The same code always makes the same document; keep the first for /openapi.json.
    let _ = OPENAPI.set(api.clone());
    let router = match state.config.web_dir.clone() {
        Some(dir) => router
            .fallback_service(crate::web::assets(&dir).fallback(axum::routing::get(not_found)))
            .layer(axum::middleware::from_fn(move |req, next| {
                crate::web::page_at_root(dir.clone(), req, next)
            })),
        None => router.fallback(not_found),
    };
    let router = router
        .layer(axum::middleware::from_fn(metrics::track))
        .with_state(state);
    (router, api)
}

/// This API's OpenAPI 3.1 description, generated from the handlers.
#[utoipa::path(get, path = "/openapi.json", tag = "service",
    responses((status = 200, description = "OpenAPI document", content_type = "application/vnd.oai.openapi+json;version=3.1")))]
async fn openapi_json() -> Response {
    match OPENAPI.get() {
        Some(doc) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "application/vnd.oai.openapi+json;version=3.1",
            )],
            Json(doc),
        )
            .into_response(),
        None => ApiError::Internal("the OpenAPI document is not built".into()).into_response(),
    }
}

/// Set when the router is built (not a per-request extension: that would cost every request
/// an insertion into its extension map).
static OPENAPI: std::sync::OnceLock<utoipa::openapi::OpenApi> = std::sync::OnceLock::new();

pub fn router(state: AppState) -> Router {
    router_and_openapi(state).0
}

async fn not_found() -> Response {
    ApiError::not_found("no such resource; see /openapi.json for the API").into_response()
}

/// 200 when the database answers within 2 s, 503 otherwise.
#[utoipa::path(get, path = "/healthz", tag = "service",
    responses((status = 200, description = "The database answers"),
              (status = 503, description = "The database does not answer", body = problem::Problem)))]
async fn healthz(State(state): State<AppState>) -> Response {
    let check =
        tokio::time::timeout(Duration::from_secs(2), crate::db::data_version(&state.pool)).await;
    let failure = match check {
        Ok(Ok(version)) => {
            return (
                StatusCode::OK,
                [(axum::http::header::CACHE_CONTROL, "no-store")],
                Json(json!({"status": "ok", "database": "ok", "data_version": version})),
            )
                .into_response()
        }
        Ok(Err(e)) => e.to_string(),
        Err(_) => "no answer within 2 s".to_string(),
    };
    tracing::warn!(error = %failure, "health check failed");
    problem::problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "the database does not answer".into(),
    )
}

/// Serves until SIGINT or SIGTERM, then lets open requests finish.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    let addr: Option<SocketAddr> = listener.local_addr().ok();
    tracing::info!(?addr, "listening");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = ctrl_c => tracing::info!("SIGINT: shutting down"),
        _ = term => tracing::info!("SIGTERM: shutting down"),
    }
}
