//! Errors as RFC 9457 problem documents (`application/problem+json`). Handlers return
//! [`ApiError`]; this is the one place that maps errors to HTTP. Database and other internal
//! errors are logged with their detail and answered with a generic message.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed: the message names the parameter and what was wrong.
    #[error("{0}")]
    BadRequest(String),
    /// The thing asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The database failed or timed out.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Anything else that is our fault.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn bad_request(msg: impl Into<String>) -> Self {
        ApiError::BadRequest(msg.into())
    }
    pub fn not_found(msg: impl Into<String>) -> Self {
        ApiError::NotFound(msg.into())
    }
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Database(sqlx::Error::PoolTimedOut) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Database(_) | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The problem document. `type` is a stable, documented code a client can switch on.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (kind, detail) = match &self {
            ApiError::BadRequest(m) => ("bad-request", m.clone()),
            ApiError::NotFound(m) => ("not-found", m.clone()),
            ApiError::Database(e) => {
                tracing::error!(error = %e, "database error while answering a request");
                if status == StatusCode::SERVICE_UNAVAILABLE {
                    ("unavailable", "the database is busy; try again".to_string())
                } else {
                    (
                        "internal",
                        "the server could not answer this request".to_string(),
                    )
                }
            }
            ApiError::Internal(e) => {
                tracing::error!(error = %e, "internal error while answering a request");
                (
                    "internal",
                    "the server could not answer this request".to_string(),
                )
            }
        };
        problem(status, kind, detail)
    }
}

pub fn problem(status: StatusCode, kind: &str, detail: String) -> Response {
    let body = Problem {
        kind: format!("urn:stadsatlas:problem:{kind}"),
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        status: status.as_u16(),
        detail,
    };
    let json = serde_json::to_vec(&body).unwrap_or_default();
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        json,
    )
        .into_response()
}
