//! The OpenAPI document lists every route, and every route it lists answers.

mod common;

use common::{spawn_server, TestDb};
use serde_json::Value;
use stadsatlas::http::ServerConfig;

/// Every route of the API: the contract. A route added without documentation, or documented
/// without existing, fails here.
const ROUTES: &[&str] = &[
    "/",
    "/conformance",
    "/collections",
    "/collections/{collectionId}",
    "/collections/{collectionId}/items",
    "/collections/{collectionId}/items/{featureId}",
    "/tiles/{layer}",
    "/tiles/{layer}/{z}/{x}/{y}",
    "/styles/atlas.json",
    "/api/indicators",
    "/api/indicators/{id}/values",
    "/api/districts",
    "/api/districts/{id}",
    "/api/compare",
    "/api/search",
    "/healthz",
    "/metrics",
    "/openapi.json",
];

/// A concrete URL for a documented route template.
fn example(path: &str) -> String {
    match path {
        "/collections/{collectionId}" | "/collections/{collectionId}/items" => {
            path.replace("{collectionId}", "districts")
        }
        "/collections/{collectionId}/items/{featureId}" => {
            "/collections/districts/items/rinkeby".into()
        }
        "/tiles/{layer}" => "/tiles/areas.json".into(),
        "/tiles/{layer}/{z}/{x}/{y}" => "/tiles/areas/4/8/4.mvt".into(),
        "/api/indicators/{id}/values" => {
            "/api/indicators/employment_rate/values?level=districts".into()
        }
        "/api/districts/{id}" => "/api/districts/rinkeby".into(),
        "/api/compare" => "/api/compare?districts=rinkeby,araby&indicator=employment_rate".into(),
        "/api/search" => "/api/search?q=rinkeby".into(),
        other => other.into(),
    }
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_every_listed_route_answers() {
    let db = TestDb::bundled().await;
    let url = spawn_server(db.pool.clone(), ServerConfig::default()).await;
    let resp = reqwest::get(format!("{url}/openapi.json")).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/vnd.oai.openapi+json"));
    let doc: Value = resp.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let mut documented: Vec<&str> = paths.keys().map(String::as_str).collect();
    documented.sort();
    let mut expected = ROUTES.to_vec();
    expected.sort();
    assert_eq!(
        documented, expected,
        "documented routes differ from the API's routes"
    );

    for (path, item) in paths {
        assert!(item["get"].is_object(), "{path} has no GET");
        let concrete = example(path);
        let resp = reqwest::get(format!("{url}{concrete}")).await.unwrap();
        let status = resp.status().as_u16();
        assert!(
            status == 200 || status == 204,
            "{concrete} (documented as {path}) answered {status}"
        );
    }
    // Response schemas are described, not left as free-form JSON.
    for schema in [
        "Problem",
        "Indicator",
        "DistrictSummary",
        "DistrictProfile",
        "Comparison",
        "IndicatorValues",
        "SearchHit",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
    let values = &doc["paths"]["/api/indicators/{id}/values"]["get"]["responses"]["200"]["content"];
    assert!(values["application/json"].is_object(), "{values}");
    assert!(values["text/csv; charset=utf-8"].is_object(), "{values}");
}
