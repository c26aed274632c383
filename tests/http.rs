//! The HTTP server against a real database.

mod common;

use common::{spawn_server, TestDb};
use stadsatlas::http::ServerConfig;

#[tokio::test]
async fn healthz_is_200_when_the_database_answers_and_503_when_not() {
    let db = TestDb::empty().await;
    let url = spawn_server(db.pool.clone(), ServerConfig::default()).await;
    let ok = reqwest::get(format!("{url}/healthz")).await.unwrap();
    assert_eq!(ok.status(), 200);
    let body: serde_json::Value = ok.json().await.unwrap();
    assert_eq!(body["data_version"], 0);

    db.pool.close().await;
    let down = reqwest::get(format!("{url}/healthz")).await.unwrap();
    assert_eq!(down.status(), 503);
    assert_eq!(
        down.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let body: serde_json::Value = down.json().await.unwrap();
    assert_eq!(body["status"], 503);
    assert!(
        !body.to_string().to_lowercase().contains("sqlx"),
        "no internals in the body: {body}"
    );
}
