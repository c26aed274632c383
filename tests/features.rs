//! OGC API – Features against a real PostGIS holding the bundled data, over real HTTP.

mod common;

use std::collections::BTreeSet;

use common::TestDb;
use serde_json::Value;
use stadsatlas::http::{router, AppState, ServerConfig};

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const EPSG3006: &str = "http://www.opengis.net/def/crs/EPSG/0/3006";

async fn spawn(state: AppState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router(state)).await.unwrap();
    });
    format!("http://{addr}")
}

async fn server() -> (TestDb, String) {
    let db = TestDb::bundled().await;
    let state = AppState::new(db.pool.clone(), ServerConfig::default())
        .await
        .unwrap();
    let url = spawn(state).await;
    (db, url)
}

async fn get_json(url: &str) -> (reqwest::header::HeaderMap, Value) {
    let resp = reqwest::get(url).await.unwrap();
    assert_eq!(resp.status(), 200, "GET {url}");
    let headers = resp.headers().clone();
    (headers, resp.json().await.unwrap())
}

fn link<'a>(doc: &'a Value, rel: &str) -> Option<&'a Value> {
    doc["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == rel)
}

fn ids(doc: &Value) -> Vec<String> {
    doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

/// Every position of a GeoJSON geometry.
fn positions(geom: &Value) -> Vec<(f64, f64)> {
    fn walk(v: &Value, out: &mut Vec<(f64, f64)>) {
        if let Some(a) = v.as_array() {
            if a.len() >= 2 && a[0].is_number() {
                out.push((a[0].as_f64().unwrap(), a[1].as_f64().unwrap()));
            } else {
                for x in a {
                    walk(x, out);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(&geom["coordinates"], &mut out);
    out
}

#[tokio::test]
async fn landing_conformance_and_collections() {
    let (_db, url) = server().await;
    let (_, landing) = get_json(&format!("{url}/")).await;
    assert!(landing["title"].is_string() && landing["description"].is_string());
    for rel in ["self", "service-desc", "conformance", "data"] {
        let l = link(&landing, rel).unwrap_or_else(|| panic!("no {rel} link"));
        assert!(l["href"].as_str().unwrap().starts_with(&url), "{l}");
    }
    assert!(link(&landing, "service-desc").unwrap()["type"]
        .as_str()
        .unwrap()
        .starts_with("application/vnd.oai.openapi+json"));
    let hrefs: Vec<&str> = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["href"].as_str().unwrap())
        .collect();
    assert!(hrefs.contains(&format!("{url}/tiles/districts.json").as_str()));
    assert!(hrefs.contains(&format!("{url}/styles/atlas.json").as_str()));
    // The service-desc link leads to the OpenAPI document, which lists the features paths.
    let (_, api) = get_json(
        link(&landing, "service-desc").unwrap()["href"]
            .as_str()
            .unwrap(),
    )
    .await;
    for path in [
        "/",
        "/conformance",
        "/collections",
        "/collections/{collectionId}",
        "/collections/{collectionId}/items",
        "/collections/{collectionId}/items/{featureId}",
    ] {
        assert!(api["paths"][path]["get"].is_object(), "{path} in openapi");
    }

    let (_, conf) = get_json(&format!("{url}/conformance")).await;
    let classes: Vec<&str> = conf["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for c in [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    ] {
        assert!(classes.contains(&c), "{c}");
    }
    // The OpenAPI document is 3.1, so the 3.0 class is not claimed.
    assert!(!classes.iter().any(|c| c.ends_with("/conf/oas30")));

    let (_, cols) = get_json(&format!("{url}/collections?f=json")).await;
    let list = cols["collections"].as_array().unwrap();
    let names: Vec<&str> = list.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(names, ["kommuner", "areas", "districts"]);
    for c in list {
        let b = &c["extent"]["spatial"]["bbox"][0];
        let b: Vec<f64> = b
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert!(b[0] >= 10.9 && b[2] <= 24.2 && b[0] < b[2], "lon {b:?}");
        assert!(b[1] >= 55.3 && b[3] <= 69.1 && b[1] < b[3], "lat {b:?}");
        let interval = &c["extent"]["temporal"]["interval"][0];
        assert_eq!(interval[0], "2009-01-01T00:00:00Z");
        assert_eq!(interval[1], "2024-12-31T23:59:59Z");
        assert_eq!(c["itemType"], "feature");
        assert_eq!(c["storageCrs"], EPSG3006);
        assert_eq!(c["crs"], serde_json::json!([CRS84, EPSG3006]));
        assert!(c["description"]
            .as_str()
            .unwrap()
            .contains("northing, easting"));
        let items = link(c, "items").unwrap();
        assert_eq!(items["type"], "application/geo+json");
        // The collection's own document is the same object.
        let (_, one) = get_json(link(c, "self").unwrap()["href"].as_str().unwrap()).await;
        assert_eq!(&one, c);
    }
}

#[tokio::test]
async fn district_items_and_filters() {
    let (_db, url) = server().await;
    let items = format!("{url}/collections/districts/items");
    let (headers, all) = get_json(&items).await;
    assert_eq!(headers["content-type"], "application/geo+json");
    assert_eq!(headers["content-crs"], format!("<{CRS84}>").as_str());
    assert_eq!(all["type"], "FeatureCollection");
    assert_eq!(all["numberMatched"], 43);
    assert_eq!(all["numberReturned"], 43);
    assert!(all["timeStamp"].as_str().unwrap().ends_with('Z'));
    assert!(link(&all, "next").is_none() && link(&all, "prev").is_none());
    let all_ids = ids(&all);
    let mut sorted = all_ids.clone();
    sorted.sort();
    assert_eq!(all_ids, sorted, "ordered by id");

    let (_, original) = get_json(&format!("{items}?status=original")).await;
    assert_eq!(original["numberMatched"], 24);
    assert!(original["features"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["properties"]["status"] == "original"));
    let (_, candidate) = get_json(&format!("{items}?status=candidate")).await;
    assert_eq!(candidate["numberMatched"], 19);
    let (_, urban) = get_json(&format!("{items}?programme=urban_2012")).await;
    assert_eq!(urban["numberMatched"], 15);
    let (_, stockholm) = get_json(&format!("{items}?kommun=0180")).await;
    assert_eq!(
        ids(&stockholm),
        ["husby", "jarvafaltet", "rinkeby", "skarholmen", "tensta"]
    );

    let rinkeby = stockholm["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "rinkeby")
        .unwrap();
    let p = &rinkeby["properties"];
    assert_eq!(p["id"], "rinkeby");
    assert_eq!(p["name"], "Rinkeby");
    assert_eq!(p["kommun"], "0180");
    assert_eq!(p["kommun_name"], "Stockholm");
    assert_eq!(p["status"], "original");
    assert_eq!(p["member_areas"], serde_json::json!(["0180R076"]));
    assert!(p["programmes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["id"] == "storstad_1999" && m["evidence"].is_string()));
    assert!(p["mapping"].is_string() && p["area_km2"].as_f64().unwrap() > 0.0);
    assert_eq!(p["employment_rate"].as_f64(), Some(60.0));
    assert_eq!(p["employment_rate_year"], 2024);
    assert_eq!(p["employment_rate_coverage"].as_f64(), Some(1.0));
    // Every indicator of the catalogue is there, missing values as null.
    for ind in ["population", "median_disposable_income", "neet_20_64"] {
        assert!(
            p.get(ind).is_some() && p.get(format!("{ind}_year")).is_some(),
            "{ind}"
        );
    }
    assert_eq!(rinkeby["geometry"]["type"], "MultiPolygon");

    // One feature: the same properties, links to itself and its collection.
    let (headers, one) = get_json(&format!("{items}/rinkeby")).await;
    assert_eq!(headers["content-type"], "application/geo+json");
    assert_eq!(one["type"], "Feature");
    assert_eq!(one["id"], "rinkeby");
    assert_eq!(&one["properties"], p);
    assert_eq!(&one["geometry"], &rinkeby["geometry"]);
    assert!(link(&one, "self").is_some());
    assert_eq!(
        link(&one, "collection").unwrap()["href"],
        format!("{url}/collections/districts").as_str()
    );

    // Another year: the properties hold that year's values.
    let (_, y2023) = get_json(&format!("{items}/rinkeby?year=2023")).await;
    assert_eq!(y2023["properties"]["employment_rate_year"], 2023);
    assert!(y2023["properties"]["employment_rate"].is_null());
    assert_eq!(y2023["properties"]["sfi_approved_year"], 2023);

    // The other collections.
    let (_, area) = get_json(&format!("{url}/collections/areas/items/0180R076")).await;
    let ap = &area["properties"];
    assert_eq!(ap["code"], "0180R076");
    assert_eq!(ap["kommun"], "0180");
    assert_eq!(ap["kommun_name"], "Stockholm");
    assert_eq!(ap["employment_rate"].as_f64(), Some(60.0));
    assert!(ap.get("employment_rate_coverage").is_none());
    let (_, kommun) = get_json(&format!("{url}/collections/kommuner/items/0180")).await;
    assert_eq!(kommun["properties"]["code"], "0180");
    assert_eq!(kommun["properties"]["name"], "Stockholm");
    let (_, kommuner) = get_json(&format!("{url}/collections/kommuner/items?limit=1000")).await;
    assert_eq!(kommuner["numberMatched"], 290);
}

#[tokio::test]
async fn areas_page_through_next_links() {
    let (_db, url) = server().await;
    let (_, first) = get_json(&format!("{url}/collections/areas/items?limit=100")).await;
    let matched = first["numberMatched"].as_u64().unwrap();
    assert!(matched > 100, "{matched}");
    assert_eq!(first["numberReturned"], 100);
    assert!(link(&first, "prev").is_none());

    let mut seen: Vec<String> = Vec::new();
    let mut page = first;
    let mut pages = 1;
    loop {
        seen.extend(ids(&page));
        let Some(next) = link(&page, "next") else {
            break;
        };
        let href = next["href"].as_str().unwrap().to_string();
        assert!(href.contains("limit=100"), "{href}");
        let (_, p) = get_json(&href).await;
        assert!(link(&p, "prev").is_some(), "prev link when offset > 0");
        page = p;
        pages += 1;
        assert!(pages < 100, "paging does not end");
    }
    assert_eq!(seen.len() as u64, matched);
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "every id once");
    assert_eq!(pages as u64, matched.div_ceil(100));

    let (_, beyond) = get_json(&format!("{url}/collections/areas/items?offset=100000")).await;
    assert_eq!(beyond["numberReturned"], 0);
    assert_eq!(beyond["numberMatched"], matched);
    assert_eq!(beyond["features"], serde_json::json!([]));
    assert!(link(&beyond, "next").is_none());
    let prev = link(&beyond, "prev").unwrap()["href"].as_str().unwrap();
    assert!(prev.contains("offset=99900"), "{prev}");

    // prev goes back to the previous page; query parameters are kept.
    let (_, p2) = get_json(&format!(
        "{url}/collections/areas/items?limit=10&offset=10&kommun=0180&f=json"
    ))
    .await;
    let prev = link(&p2, "prev").unwrap()["href"].as_str().unwrap();
    for part in ["limit=10", "offset=0", "kommun=0180", "f=json"] {
        assert!(prev.contains(part), "{prev} keeps {part}");
    }
    let (_, p1) = get_json(prev).await;
    let (_, direct) = get_json(&format!(
        "{url}/collections/areas/items?limit=10&kommun=0180"
    ))
    .await;
    assert_eq!(ids(&p1), ids(&direct));
    assert!(ids(&p1).iter().all(|id| id.starts_with("0180")));
}

#[tokio::test]
async fn bbox_filters_in_crs84_and_sweref() {
    let (_db, url) = server().await;
    // Around Rinkeby (lon 17.91–17.94, lat 59.38–59.395).
    let (_, near) = get_json(&format!(
        "{url}/collections/areas/items?bbox=17.92,59.385,17.93,59.39"
    ))
    .await;
    let found = ids(&near);
    assert!(found.contains(&"0180R076".to_string()), "{found:?}");
    assert!(
        found.iter().all(|c| !c.starts_with("1280")),
        "no Malmö: {found:?}"
    );

    // The known point: SWEREF 99 TM E 674032, N 6580822 = lon 18.059190, lat 59.330231
    // (central Stockholm, in RegSO 0180R047). In EPSG:3006 the bbox is northing,easting (axis order of the CRS).
    let (_, by_lonlat) = get_json(&format!(
        "{url}/collections/areas/items?bbox=18.0591,59.3302,18.0593,59.3303"
    ))
    .await;
    assert_eq!(ids(&by_lonlat), ["0180R047"]);
    let (_, by_ne) = get_json(&format!(
        "{url}/collections/areas/items?bbox=6580812,674022,6580832,674042&bbox-crs={EPSG3006}"
    ))
    .await;
    assert_eq!(ids(&by_ne), ["0180R047"]);
    // Easting first would be a point far outside Sweden.
    let (_, by_en) = get_json(&format!(
        "{url}/collections/areas/items?bbox=674022,6580812,674042,6580832&bbox-crs={EPSG3006}"
    ))
    .await;
    assert_eq!(by_en["numberMatched"], 0);
}

#[tokio::test]
async fn sweref_output_is_northing_easting() {
    let (db, url) = server().await;
    let (x, y): (f64, f64) = sqlx::query_as(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointN(ST_ExteriorRing(ST_GeometryN(geom, 1)), 1) AS p \
         FROM areas WHERE code = '0180R076') q",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let resp = reqwest::get(format!(
        "{url}/collections/areas/items/0180R076?crs={EPSG3006}"
    ))
    .await
    .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-crs"],
        format!("<{EPSG3006}>").as_str()
    );
    let f: Value = resp.json().await.unwrap();
    let first = f["geometry"]["coordinates"][0][0][0].clone();
    let (n, e) = (first[0].as_f64().unwrap(), first[1].as_f64().unwrap());
    assert!((n - y).abs() < 0.006, "northing first: {n} vs stored y {y}");
    assert!((e - x).abs() < 0.006, "easting second: {e} vs stored x {x}");
    // Two decimals.
    assert_eq!((n * 100.0).round() / 100.0, n);

    // Items in EPSG:3006: header and the same axis order; CRS84 stays lon,lat inside Sweden.
    let resp = reqwest::get(format!(
        "{url}/collections/districts/items?kommun=0180&crs={EPSG3006}"
    ))
    .await
    .unwrap();
    assert_eq!(
        resp.headers()["content-crs"],
        format!("<{EPSG3006}>").as_str()
    );
    let doc: Value = resp.json().await.unwrap();
    assert!(link(&doc, "self").unwrap()["href"]
        .as_str()
        .unwrap()
        .contains("crs=http://www.opengis.net/def/crs/EPSG/0/3006"));
    for f in doc["features"].as_array().unwrap() {
        for (n, e) in positions(&f["geometry"]) {
            assert!((6_100_000.0..7_700_000.0).contains(&n), "northing {n}");
            assert!((200_000.0..1_000_000.0).contains(&e), "easting {e}");
        }
    }
    let (_, wgs) = get_json(&format!("{url}/collections/districts/items")).await;
    for f in wgs["features"].as_array().unwrap() {
        for (lon, lat) in positions(&f["geometry"]) {
            assert!((10.9..24.2).contains(&lon), "lon {lon}");
            assert!((55.3..69.1).contains(&lat), "lat {lat}");
        }
    }
}

#[tokio::test]
async fn bad_requests_are_problems_naming_the_parameter() {
    let (_db, url) = server().await;
    let items = format!("{url}/collections/districts/items");
    let cases = [
        ("limit=0", "limit"),
        ("limit=10001", "limit"),
        ("limit=abc", "limit"),
        ("offset=-1", "offset"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=18,59,17,60", "bbox"),
        ("bbox=17,60,18,59", "bbox"),
        ("crs=http://www.opengis.net/def/crs/EPSG/0/4326", "crs"),
        ("bbox-crs=EPSG:3006", "bbox-crs"),
        ("status=foo", "status"),
        ("programme=nope", "programme"),
        ("kommun=18", "kommun"),
        ("foo=1", "foo"),
        ("year=1800", "year"),
    ];
    for (query, param) in cases {
        let resp = reqwest::get(format!("{items}?{query}")).await.unwrap();
        assert_eq!(resp.status(), 400, "{query}");
        assert_eq!(
            resp.headers()["content-type"],
            "application/problem+json",
            "{query}"
        );
        let body: Value = resp.json().await.unwrap();
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains(&format!("`{param}`")), "{query}: {detail}");
        if param == "crs" {
            assert!(
                detail.contains(CRS84) && detail.contains(EPSG3006),
                "{detail}"
            );
        }
        if param == "year" {
            assert!(
                detail.contains("2024"),
                "names the years with data: {detail}"
            );
        }
    }
    // District filters do not apply to other collections.
    let resp = reqwest::get(format!("{url}/collections/areas/items?status=original"))
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);

    for path in [
        "/collections/nope",
        "/collections/nope/items",
        "/collections/districts/items/nope",
        "/collections/areas/items/0180R999",
    ] {
        let resp = reqwest::get(format!("{url}{path}")).await.unwrap();
        assert_eq!(resp.status(), 404, "{path}");
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
        let body: Value = resp.json().await.unwrap();
        assert!(body["detail"].as_str().unwrap().contains("nope") || path.ends_with("999"));
    }
}

#[tokio::test]
async fn items_revalidate_with_etag() {
    let (_db, url) = server().await;
    let href = format!("{url}/collections/districts/items?status=original");
    let first = reqwest::get(&href).await.unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let client = reqwest::Client::new();
    let again = client
        .get(&href)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    // A different query is a different document.
    let other = client
        .get(format!(
            "{url}/collections/districts/items?status=candidate"
        ))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
    let item = client
        .get(format!("{url}/collections/districts/items/rinkeby"))
        .send()
        .await
        .unwrap();
    let tag = item.headers()["etag"].to_str().unwrap().to_string();
    let item = client
        .get(format!("{url}/collections/districts/items/rinkeby"))
        .header("if-none-match", tag)
        .send()
        .await
        .unwrap();
    assert_eq!(item.status(), 304);
}
