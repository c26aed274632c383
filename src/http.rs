//! The HTTP server: router and graceful shutdown.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use sqlx::PgPool;
use tower_http::trace::TraceLayer;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// 200 when the database answers within 2 s, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> Response {
    let check =
        tokio::time::timeout(Duration::from_secs(2), crate::db::data_version(&state.pool)).await;
    match check {
        Ok(Ok(version)) => (
            StatusCode::OK,
            Json(json!({"status": "ok", "database": "ok", "data_version": version})),
        )
            .into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: database query failed");
            unavailable()
        }
        Err(_) => {
            tracing::warn!("health check: database did not answer within 2 s");
            unavailable()
        }
    }
}

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(axum::http::header::CONTENT_TYPE, "application/problem+json")],
        Json(json!({
            "type": "about:blank",
            "title": "Service Unavailable",
            "status": 503,
            "detail": "the database does not answer"
        })),
    )
        .into_response()
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
