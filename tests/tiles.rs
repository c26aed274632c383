//! Vector tiles, TileJSON and the style over real HTTP against a real PostGIS.

mod common;

use std::collections::HashMap;
use std::io::Read;
use std::time::{Duration, Instant};

use common::{fixtures, geodata, spawn_server, tile_of, TestDb};
use geozero::mvt::{tile, Message, Tile};
use stadsatlas::http::ServerConfig;
use stadsatlas::import::scb::StatFormat;

const RINKEBY: (f64, f64) = (17.926, 59.388);

fn config() -> ServerConfig {
    ServerConfig {
        cache_bytes: 64 << 20,
        ..ServerConfig::default()
    }
}

fn decode(bytes: &[u8]) -> Tile {
    Tile::decode(bytes).expect("a valid Mapbox Vector Tile")
}

/// Properties of each feature of one layer, by feature id.
fn features(tile: &Tile, layer: &str) -> HashMap<u64, HashMap<String, tile::Value>> {
    let layer = tile
        .layers
        .iter()
        .find(|l| l.name == layer)
        .unwrap_or_else(|| panic!("no layer {layer} in the tile"));
    assert_eq!(layer.version, 2);
    layer
        .features
        .iter()
        .map(|f| {
            let props = f
                .tags
                .chunks(2)
                .map(|kv| {
                    (
                        layer.keys[kv[0] as usize].clone(),
                        layer.values[kv[1] as usize].clone(),
                    )
                })
                .collect();
            (f.id.expect("every feature has an id"), props)
        })
        .collect()
}

fn string(v: &tile::Value) -> &str {
    v.string_value.as_deref().expect("a string value")
}
fn number(v: &tile::Value) -> f64 {
    v.double_value
        .or(v.float_value.map(f64::from))
        .or(v.int_value.map(|i| i as f64))
        .or(v.sint_value.map(|i| i as f64))
        .or(v.uint_value.map(|i| i as f64))
        .expect("a number value")
}

async fn get(url: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

#[tokio::test]
async fn area_tiles_carry_codes_ids_and_the_databases_indicator_values() {
    let db = TestDb::bundled().await;
    let url = spawn_server(db.pool.clone(), config()).await;
    let (x, y) = tile_of(RINKEBY.0, RINKEBY.1, 12);
    let resp = get(&format!(
        "{url}/tiles/areas/12/{x}/{y}.mvt?indicator=employment_rate"
    ))
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "application/vnd.mapbox-vector-tile"
    );
    let tile = decode(&resp.bytes().await.unwrap());
    let areas = features(&tile, "areas");
    // Stable numeric id: kommun * 1000 + RegSO number.
    let rinkeby = &areas[&180_076];
    assert_eq!(string(&rinkeby["code"]), "0180R076");
    assert!(string(&rinkeby["name"]).contains("Rinkeby"));
    assert_eq!(string(&rinkeby["kommun"]), "0180");
    assert_eq!(string(&rinkeby["kommun_name"]), "Stockholm");
    assert_eq!(number(&rinkeby["value"]), 60.0);

    // Every feature's value equals the database's; missing values are absent.
    let db_values: HashMap<String, Option<f64>> = sqlx::query_as::<_, (String, Option<f64>)>(
        "SELECT region_code, value FROM indicator_values
         WHERE level = 'regso' AND indicator_id = 'employment_rate' AND year = 2024",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert!(areas.len() > 5);
    for props in areas.values() {
        let code = string(&props["code"]);
        match db_values.get(code).copied().flatten() {
            Some(v) => assert_eq!(number(&props["value"]), v, "{code}"),
            None => assert!(!props.contains_key("value"), "{code} should have no value"),
        }
    }
    // Without ?indicator= there is no value at all.
    let plain = get(&format!("{url}/tiles/areas/12/{x}/{y}.mvt")).await;
    let plain = decode(&plain.bytes().await.unwrap());
    assert!(features(&plain, "areas")
        .values()
        .all(|p| !p.contains_key("value")));
}

#[tokio::test]
async fn district_tiles_have_status_programmes_and_labels() {
    let db = TestDb::bundled().await;
    let url = spawn_server(db.pool.clone(), config()).await;
    let (x, y) = tile_of(RINKEBY.0, RINKEBY.1, 11);
    let resp = get(&format!(
        "{url}/tiles/districts/11/{x}/{y}.mvt?indicator=employment_rate"
    ))
    .await;
    assert_eq!(resp.status(), 200);
    let tile = decode(&resp.bytes().await.unwrap());
    let districts = features(&tile, "districts");
    let by_id: HashMap<&str, &HashMap<String, tile::Value>> =
        districts.values().map(|p| (string(&p["id"]), p)).collect();
    let rinkeby = by_id["rinkeby"];
    assert_eq!(string(&rinkeby["status"]), "original");
    assert_eq!(string(&rinkeby["programmes"]), "storstad_1999,urban_2012");
    assert_eq!(number(&rinkeby["value"]), 60.0);
    let jarva = by_id["jarvafaltet"];
    assert_eq!(string(&jarva["status"]), "candidate");
    assert_eq!(string(&jarva["programmes"]), "lua_2008");
    let labels = features(&tile, "district_labels");
    assert!(labels.values().any(|p| string(&p["name"]) == "Rinkeby"));
    // Feature ids are the same in both layers and stable across requests.
    let again = decode(
        &get(&format!("{url}/tiles/districts/11/{x}/{y}.mvt"))
            .await
            .bytes()
            .await
            .unwrap(),
    );
    let mut a: Vec<u64> = districts.keys().copied().collect();
    let mut b: Vec<u64> = features(&again, "districts").keys().copied().collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

#[tokio::test]
async fn small_districts_stay_visible_at_country_zoom() {
    let db = TestDb::bundled().await;
    let url = spawn_server(db.pool.clone(), config()).await;
    let tile = decode(
        &get(&format!("{url}/tiles/districts/0/0/0.mvt"))
            .await
            .bytes()
            .await
            .unwrap(),
    );
    let ids: Vec<String> = features(&tile, "districts")
        .values()
        .map(|p| string(&p["id"]).to_string())
        .collect();
    assert_eq!(ids.len(), 43, "every district is drawn at z0: {ids:?}");
}

#[tokio::test]
async fn empty_tiles_are_204_and_bad_requests_are_problems() {
    let db = TestDb::bundled().await;
    let url = spawn_server(db.pool.clone(), config()).await;
    // The middle of the Pacific.
    let resp = get(&format!("{url}/tiles/areas/8/0/128.mvt")).await;
    assert_eq!(resp.status(), 204);
    assert!(resp.bytes().await.unwrap().is_empty());

    for (path, expect) in [
        ("/tiles/nope/0/0/0.mvt", "unknown layer 'nope'"),
        ("/tiles/areas/3/8/0.mvt", "does not exist at zoom 3"),
        ("/tiles/areas/x/0/0.mvt", "'z'"),
        ("/tiles/areas/99/0/0.mvt", "out of range"),
        ("/tiles/areas/0/0/0.png", ".mvt"),
        (
            "/tiles/areas/0/0/0.mvt?indicator=nope",
            "unknown indicator 'nope'",
        ),
        (
            "/tiles/areas/0/0/0.mvt?indicator=employment_rate&year=1999",
            "no values for year 1999",
        ),
        (
            "/tiles/areas/0/0/0.mvt?indicator=employment_rate&year=abc",
            "'year'",
        ),
        ("/tiles/nope.json", "unknown layer 'nope'"),
        (
            "/styles/atlas.json?indicator=nope",
            "unknown indicator 'nope'",
        ),
    ] {
        let resp = get(&format!("{url}{path}")).await;
        assert_eq!(resp.status(), 400, "{path}");
        assert_eq!(
            resp.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
        let body: serde_json::Value = resp.json().await.unwrap();
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains(expect), "{path}: {detail}");
        assert_eq!(body["status"], 400);
    }
}

#[tokio::test]
async fn etags_give_304_and_gzip_is_negotiated() {
    let db = TestDb::bundled().await;
    let url = spawn_server(db.pool.clone(), config()).await;
    let tile_url = format!("{url}/tiles/kommuner/4/8/4.mvt");
    let client = reqwest::Client::new();
    let first = client.get(&tile_url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    assert!(etag.starts_with('"'), "strong ETag: {etag}");
    assert_eq!(first.headers()["access-control-allow-origin"], "*");
    let raw = first.bytes().await.unwrap();

    // A cross-origin page may send If-None-Match itself: the preflight allows it, and
    // every answer exposes its ETag.
    let preflight = client
        .request(reqwest::Method::OPTIONS, &tile_url)
        .header("Origin", "https://report.example")
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "if-none-match")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    assert_eq!(
        preflight.headers()["access-control-allow-headers"],
        "if-none-match"
    );
    let again = client.get(&tile_url).send().await.unwrap();
    let expose = again.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap();
    assert!(expose.contains("etag"), "{expose}");

    let not_modified = client
        .get(&tile_url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(not_modified.status(), 304);
    assert!(not_modified.bytes().await.unwrap().is_empty());

    let gz = client
        .get(&tile_url)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    assert_eq!(gz.headers()["etag"].to_str().unwrap(), etag);
    let compressed = gz.bytes().await.unwrap();
    assert!(compressed.len() < raw.len());
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&compressed[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, raw);

    let br = client
        .get(&tile_url)
        .header("Accept-Encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(br.headers()["content-encoding"], "br");

    // A URL with the current data version is immutable; others revalidate.
    let tj: serde_json::Value = get(&format!("{url}/tiles/kommuner.json"))
        .await
        .json()
        .await
        .unwrap();
    let versioned = tj["tiles"][0]
        .as_str()
        .unwrap()
        .replace("{z}/{x}/{y}", "4/8/4");
    let resp = get(&versioned).await;
    assert!(resp.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("immutable"));
    assert!(get(&tile_url).await.headers()["cache-control"]
        .to_str()
        .unwrap()
        .contains("no-cache"));
}

#[tokio::test]
async fn an_import_changes_etag_and_tile_content_at_once() {
    let db = TestDb::bundled().await;
    let url = spawn_server(db.pool.clone(), config()).await;
    let (x, y) = tile_of(RINKEBY.0, RINKEBY.1, 12);
    let tile_url = format!("{url}/tiles/areas/12/{x}/{y}.mvt?indicator=employment_rate&year=2024");
    let before = get(&tile_url).await;
    let etag = before.headers()["etag"].to_str().unwrap().to_string();
    let tile = decode(&before.bytes().await.unwrap());
    assert_eq!(number(&features(&tile, "areas")[&180_076]["value"]), 60.0);
    // Cached now: a second request is a cache hit with the same ETag.
    assert_eq!(
        get(&tile_url).await.headers()["etag"].to_str().unwrap(),
        etag
    );

    stadsatlas::import::statistics::import_statistics(
        &db.pool,
        &fixtures().join("tiles/employment_2024_changed.json"),
        StatFormat::Auto,
        &geodata().join("indicators.toml"),
    )
    .await
    .unwrap();

    // The server learns of the import by NOTIFY; allow it a moment to arrive.
    let started = Instant::now();
    let after = loop {
        let resp = get(&tile_url).await;
        let new_etag = resp.headers()["etag"].to_str().unwrap().to_string();
        if new_etag != etag {
            break resp;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the ETag never changed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let tile = decode(&after.bytes().await.unwrap());
    assert_eq!(number(&features(&tile, "areas")[&180_076]["value"]), 12.3);
    let metrics = get(&format!("{url}/metrics")).await.text().await.unwrap();
    assert!(metrics.contains("stadsatlas_cache_hits_total"), "{metrics}");
    assert!(metrics.contains("stadsatlas_http_requests_total"));
}

#[tokio::test]
async fn no_tile_is_over_500_kb_at_zooms_0_to_8() {
    let db = TestDb::bundled().await;
    let url = spawn_server(db.pool.clone(), config()).await;
    let mut largest = (0usize, String::new());
    for z in 0..=8u8 {
        // Sweden's bounding box.
        let (x0, y0) = tile_of(10.5, 69.2, z);
        let (x1, y1) = tile_of(24.3, 55.2, z);
        for x in x0..=x1 {
            for y in y0..=y1 {
                for layer in ["kommuner", "areas", "districts"] {
                    let path = format!("/tiles/{layer}/{z}/{x}/{y}.mvt?indicator=population");
                    let resp = get(&format!("{url}{path}")).await;
                    assert!(resp.status() == 200 || resp.status() == 204, "{path}");
                    let n = resp.bytes().await.unwrap().len();
                    if n > largest.0 {
                        largest = (n, path);
                    }
                }
            }
        }
    }
    eprintln!("largest tile z0-8: {} bytes at {}", largest.0, largest.1);
    assert!(largest.0 < 500_000, "{largest:?}");
}

#[tokio::test]
async fn tilejson_and_style_describe_our_own_sources_only() {
    let db = TestDb::bundled().await;
    let url = spawn_server(db.pool.clone(), config()).await;
    let tj: serde_json::Value = get(&format!(
        "{url}/tiles/districts.json?indicator=employment_rate"
    ))
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(tj["tilejson"], "3.0.0");
    let template = tj["tiles"][0].as_str().unwrap();
    assert!(
        template.starts_with(&format!("{url}/tiles/districts/{{z}}/{{x}}/{{y}}.mvt?v=")),
        "{template}"
    );
    assert!(
        template.contains("indicator=employment_rate&year=2024"),
        "{template}"
    );
    let layers: Vec<&str> = tj["vector_layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(layers, ["districts", "district_labels"]);
    assert!(tj["vector_layers"][0]["fields"]["status"].is_string());
    let b = tj["bounds"].as_array().unwrap();
    assert!(b[0].as_f64().unwrap() > 10.0 && b[2].as_f64().unwrap() < 25.0);

    let style: serde_json::Value = get(&format!("{url}/styles/atlas.json"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(style["version"], 8);
    assert!(style.get("glyphs").is_none() && style.get("sprite").is_none());
    // Every URL in the style is ours.
    for (_, source) in style["sources"].as_object().unwrap() {
        assert!(source["url"].as_str().unwrap().starts_with(&url));
    }
    assert_eq!(style["metadata"]["stadsatlas:indicator"], "employment_rate");
    assert_eq!(
        style["metadata"]["stadsatlas:breaks"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    // Lower-is-better indicators get the reversed palette.
    let up: serde_json::Value = get(&format!(
        "{url}/styles/atlas.json?indicator=registered_unemployed"
    ))
    .await
    .json()
    .await
    .unwrap();
    let p1 = style["metadata"]["stadsatlas:palette"]
        .as_array()
        .unwrap()
        .clone();
    let mut p2 = up["metadata"]["stadsatlas:palette"]
        .as_array()
        .unwrap()
        .clone();
    p2.reverse();
    assert_eq!(p1, p2);
}
