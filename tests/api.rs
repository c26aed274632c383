//! The indicator API against a real PostGIS holding the bundled data, over real HTTP.

mod common;

use std::collections::BTreeMap;
use std::io::Read;

use common::TestDb;
use serde_json::Value;
use stadsatlas::http::{router, AppState, ServerConfig};

/// A server over a fresh database with the bundled data; returns its base URL and keeps
/// the database alive as long as the test.
async fn serve() -> (String, TestDb) {
    let db = TestDb::bundled().await;
    let state = AppState::new(db.pool.clone(), ServerConfig::default())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router(state)).await.unwrap();
    });
    (format!("http://{addr}"), db)
}

async fn get(url: &str) -> reqwest::Response {
    reqwest::get(url).await.unwrap()
}

async fn json(url: &str) -> Value {
    let resp = get(url).await;
    assert_eq!(resp.status(), 200, "{url}");
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "application/json",
        "{url}"
    );
    resp.json().await.unwrap()
}

/// Asserts a problem document with `status` whose detail contains every one of `needles`.
async fn problem(url: &str, status: u16, needles: &[&str]) {
    let resp = get(url).await;
    assert_eq!(resp.status(), status, "{url}");
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "application/problem+json",
        "{url}"
    );
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], status, "{url}: {body}");
    let detail = body["detail"].as_str().unwrap();
    for needle in needles {
        assert!(
            detail.contains(needle),
            "{url}: detail {detail:?} should name {needle:?}"
        );
    }
}

/// District id → value of an indicator (latest year) from the values endpoint.
async fn district_values(url: &str, indicator: &str) -> BTreeMap<String, Option<f64>> {
    let body = json(&format!(
        "{url}/api/indicators/{indicator}/values?level=districts"
    ))
    .await;
    body["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["code"].as_str().unwrap().to_string(), v["value"].as_f64()))
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[tokio::test]
async fn the_catalogue_lists_indicators_with_names_units_and_years() {
    let (url, _db) = serve().await;
    let body = json(&format!("{url}/api/indicators")).await;
    let list = body.as_array().unwrap();
    assert!(list.len() >= 10, "{body}");
    assert_eq!(list[0]["id"], "population", "catalogue sort order");
    let emp = list
        .iter()
        .find(|i| i["id"] == "employment_rate")
        .expect("employment_rate in the catalogue");
    assert_eq!(emp["name"]["sv"], "Andel förvärvsarbetande");
    assert_eq!(emp["name"]["en"], "Employment rate");
    assert_eq!(emp["unit"], "percent");
    assert_eq!(emp["decimals"], 1);
    assert_eq!(emp["higher_is_better"], true);
    assert_eq!(emp["aggregation"], "weighted_mean");
    assert_eq!(emp["weight"], "population");
    assert_eq!(emp["licence"], "CC0");
    assert_eq!(emp["source_table"], "IntGr1RegSOBASN");
    assert!(emp["definition"]["en"]
        .as_str()
        .unwrap()
        .contains("employed"));
    assert_eq!(emp["years"]["regso"], serde_json::json!([2024]));
    assert_eq!(emp["years"]["district"], serde_json::json!([2024]));
    assert_eq!(emp["years"]["kommun"], serde_json::json!([2024]));
    assert!(
        emp["years"].get("country").is_none(),
        "no national values in the bundled data"
    );
    assert_eq!(emp["latest_year"], 2024);
    let pop = list.iter().find(|i| i["id"] == "population").unwrap();
    assert_eq!(pop["higher_is_better"], Value::Null, "neutral");
    assert_eq!(pop["unit"], "persons");
}

#[tokio::test]
async fn the_district_list_is_in_swedish_name_order_with_bboxes() {
    let (url, _db) = serve().await;
    let body = json(&format!("{url}/api/districts")).await;
    let list = body.as_array().unwrap();
    assert_eq!(list.len(), 43);
    let names: Vec<&str> = list.iter().map(|d| d["name"].as_str().unwrap()).collect();
    let pos = |n: &str| names.iter().position(|x| *x == n).unwrap();
    assert_eq!(names[0], "Alby");
    assert_eq!(*names.last().unwrap(), "Öxnehaga");
    assert!(pos("Gunnared") < pos("Gårdsten"), "å after z: {names:?}");
    assert!(pos("Vårby") < pos("Öxnehaga"));
    let rinkeby = &list[pos("Rinkeby")];
    assert_eq!(rinkeby["id"], "rinkeby");
    assert_eq!(rinkeby["kommun"], "0180");
    assert_eq!(rinkeby["kommun_name"], "Stockholm");
    assert_eq!(rinkeby["status"], "original");
    assert_eq!(rinkeby["mapping"], "approximate");
    assert_eq!(rinkeby["member_areas"], serde_json::json!(["0180R076"]));
    assert!(rinkeby["programmes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["id"] == "storstad_1999" && p["evidence"].is_string()));
    let b: Vec<f64> = rinkeby["bbox"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    // Rinkeby lies at about 17.92 E, 59.39 N.
    assert!(b[0] < b[2] && b[1] < b[3], "{b:?}");
    assert!(
        b[0] > 17.8 && b[2] < 18.0 && b[1] > 59.3 && b[3] < 59.5,
        "{b:?}"
    );
}

#[tokio::test]
async fn the_rinkeby_profile_has_values_references_ranks_and_series() {
    let (url, _db) = serve().await;
    let body = json(&format!("{url}/api/districts/rinkeby")).await;
    assert_eq!(body["id"], "rinkeby");
    assert_eq!(body["name"], "Rinkeby");
    assert_eq!(body["members"][0]["code"], "0180R076");
    assert_eq!(body["members"][0]["name"], "Rinkeby");
    let indicators = body["indicators"].as_array().unwrap();
    let catalogue = json(&format!("{url}/api/indicators")).await;
    assert_eq!(
        indicators.len(),
        catalogue.as_array().unwrap().len(),
        "every catalogue indicator"
    );
    let emp = indicators
        .iter()
        .find(|i| i["id"] == "employment_rate")
        .unwrap();
    assert_eq!(emp["unit"], "percent");
    assert_eq!(emp["latest"]["year"], 2024);
    // Rinkeby is the one RegSO area 0180R076, whose SCB value is 60.0.
    assert_eq!(emp["latest"]["value"].as_f64(), Some(60.0));
    assert_eq!(emp["latest"]["computed"], true);
    assert!(emp["latest"]["method"].is_string());
    assert_eq!(emp["latest"]["coverage"].as_f64(), Some(1.0));
    let kommun = emp["kommun"]["value"].as_f64().expect("Stockholm's value");
    assert!(kommun > 60.0 && kommun < 100.0, "{kommun}");
    assert_eq!(emp["kommun"]["computed"], true);
    assert_eq!(emp["sweden"]["value"], Value::Null, "never invented");

    // The rank agrees with a ranking computed here from the values endpoint.
    let values = district_values(&url, "employment_rate").await;
    let present: Vec<f64> = values.values().flatten().copied().collect();
    let expected = 1 + present.iter().filter(|v| **v > 60.0).count();
    assert_eq!(emp["rank"]["order"], "descending");
    assert_eq!(emp["rank"]["among_districts"]["rank"], expected);
    assert_eq!(emp["rank"]["among_districts"]["of"], present.len());
    let districts = json(&format!("{url}/api/districts")).await;
    let stockholm: Vec<&str> = districts
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kommun"] == "0180")
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    let local: Vec<f64> = stockholm
        .iter()
        .filter_map(|id| values.get(*id).copied().flatten())
        .collect();
    assert_eq!(
        emp["rank"]["within_kommun"]["rank"],
        1 + local.iter().filter(|v| **v > 60.0).count()
    );
    assert_eq!(emp["rank"]["within_kommun"]["of"], local.len());

    let series = emp["series"].as_array().unwrap();
    assert!(!series.is_empty());
    let last = series.last().unwrap();
    assert_eq!(last["year"], 2024);
    assert_eq!(last["value"].as_f64(), Some(60.0));
    assert_eq!(last["kommun"].as_f64(), Some(kommun));
    assert_eq!(last["sweden"], Value::Null);

    // Lower is better: rank 1 is the lowest value.
    let unemp = indicators
        .iter()
        .find(|i| i["id"] == "registered_unemployed")
        .unwrap();
    assert_eq!(unemp["rank"]["order"], "ascending");
    let values = district_values(&url, "registered_unemployed").await;
    let own = unemp["latest"]["value"].as_f64().unwrap();
    let expected = 1 + values.values().flatten().filter(|v| **v < own).count();
    assert_eq!(unemp["rank"]["among_districts"]["rank"], expected);

    // An indicator without values for Rinkeby (Växjö-only tables) is null, not 0.
    let neet = indicators.iter().find(|i| i["id"] == "neet_20_64").unwrap();
    assert_eq!(neet["latest"]["value"], Value::Null);
    assert_eq!(neet["rank"]["among_districts"], Value::Null);
}

#[tokio::test]
async fn compare_returns_rows_in_order_with_municipal_references() {
    let (url, _db) = serve().await;
    let body = json(&format!(
        "{url}/api/compare?districts=rinkeby,hjallbo,araby&indicator=employment_rate"
    ))
    .await;
    assert_eq!(body["indicator"]["id"], "employment_rate");
    assert_eq!(body["year"], 2024);
    let rows = body["rows"].as_array().unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["rinkeby", "hjallbo", "araby"]);
    let values = district_values(&url, "employment_rate").await;
    let present: Vec<f64> = values.values().flatten().copied().collect();
    for r in rows {
        let id = r["id"].as_str().unwrap();
        let v = r["value"].as_f64().unwrap();
        assert!(close(v, values[id].unwrap()), "{id}");
        assert_eq!(
            r["rank"]["rank"],
            1 + present.iter().filter(|x| **x > v).count(),
            "{id}"
        );
        assert!(r["kommun_value"].is_f64(), "{id}");
    }
    assert_eq!(rows[2]["kommun_name"], "Växjö");
    assert_eq!(rows[2]["status"], "candidate");
    assert_eq!(body["references"]["sweden"], Value::Null);
    let kommuner: Vec<&str> = body["references"]["kommuner"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(kommuner, ["Stockholm", "Göteborg", "Växjö"]);
    assert_eq!(
        body["references"]["kommuner"][0]["value"],
        rows[0]["kommun_value"]
    );
}

#[tokio::test]
async fn values_csv_matches_the_json() {
    let (url, _db) = serve().await;
    // RegSO values of SFI results: many are suppressed by SCB.
    let base = format!("{url}/api/indicators/sfi_approved/values?level=areas");
    let body = json(&base).await;
    assert_eq!(body["level"], "areas");
    let year = body["year"].as_i64().unwrap();
    let values = body["values"].as_array().unwrap();
    let codes: Vec<&str> = values.iter().map(|v| v["code"].as_str().unwrap()).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(codes, sorted, "ordered by code");
    assert!(values.iter().any(|v| v["value"].is_null()), "some missing");

    let resp = get(&format!("{base}&format=csv")).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "text/csv; charset=utf-8"
    );
    assert_eq!(
        resp.headers()["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"stadsatlas_sfi_approved_areas_{year}.csv\"")
    );
    let bytes = resp.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 BOM");
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        header,
        [
            "code",
            "name",
            "kommun",
            "kommun_name",
            "indicator",
            "year",
            "value",
            "unit",
            "computed",
            "coverage",
            "source"
        ]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), values.len());
    for (rec, v) in records.iter().zip(values) {
        assert_eq!(&rec[0], v["code"].as_str().unwrap());
        assert_eq!(&rec[1], v["name"].as_str().unwrap());
        assert_eq!(&rec[2], v["kommun"].as_str().unwrap());
        assert_eq!(&rec[4], "sfi_approved");
        assert_eq!(rec[5].parse::<i64>().unwrap(), year);
        match v["value"].as_f64() {
            Some(x) => assert!(close(rec[6].parse::<f64>().unwrap(), x), "{rec:?}"),
            None => assert_eq!(&rec[6], "", "missing is an empty cell, never 0"),
        }
        assert_eq!(&rec[7], "percent");
        assert!(rec[10].contains("SCB") && rec[10].contains("CC0"));
    }
    // Swedish names survive, quoted where they hold commas.
    assert!(records
        .iter()
        .any(|r| r[3].contains('ö') || r[1].contains('ä')));
    assert!(std::str::from_utf8(&bytes).unwrap().contains("\r\n"));

    // Districts: the same numbers as the JSON, for every kind of level.
    for level in ["districts", "kommuner"] {
        let base = format!("{url}/api/indicators/employment_rate/values?level={level}");
        let body = json(&base).await;
        let text = get(&format!("{base}&format=csv"))
            .await
            .text()
            .await
            .unwrap();
        let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        let values = body["values"].as_array().unwrap();
        assert_eq!(records.len(), values.len(), "{level}");
        assert!(!records.is_empty(), "{level}");
        for (rec, v) in records.iter().zip(values) {
            assert_eq!(&rec[0], v["code"].as_str().unwrap());
            assert!(close(
                rec[6].parse::<f64>().unwrap(),
                v["value"].as_f64().unwrap()
            ));
            assert_eq!(&rec[8], "true", "computed from RegSO values");
        }
    }
}

#[tokio::test]
async fn search_finds_districts_areas_and_municipalities() {
    let (url, _db) = serve().await;
    let hits = json(&format!("{url}/api/search?q=rinkeby")).await;
    assert_eq!(hits[0]["kind"], "district");
    assert_eq!(hits[0]["id"], "rinkeby");
    assert_eq!(hits[0]["kommun_name"], "Stockholm");
    assert_eq!(hits[0]["bbox"].as_array().unwrap().len(), 4);
    assert!(hits
        .as_array()
        .unwrap()
        .iter()
        .any(|h| h["kind"] == "area" && h["id"] == "0180R076"));
    for q in ["Hj%C3%A4llbo", "hjallbo", "HJÄLLBO", "jällb"] {
        let hits = json(&format!("{url}/api/search?q={q}")).await;
        assert_eq!(hits[0]["id"], "hjallbo", "{q}: {hits}");
        assert_eq!(hits[0]["name"], "Hjällbo");
    }
    let hits = json(&format!("{url}/api/search?q=vaxjo")).await;
    assert_eq!(hits[0]["kind"], "kommun");
    assert_eq!(hits[0]["id"], "0780");
    assert_eq!(hits[0]["name"], "Växjö");
    let hits = json(&format!("{url}/api/search?q=s")).await;
    assert!(hits.as_array().unwrap().len() <= 20);
    let hits = json(&format!("{url}/api/search?q=zzzzqx")).await;
    assert_eq!(hits, serde_json::json!([]));

    problem(&format!("{url}/api/search?q="), 400, &["q"]).await;
    problem(&format!("{url}/api/search?q=%20%20"), 400, &["q"]).await;
    problem(&format!("{url}/api/search"), 400, &["q"]).await;
    let long = "a".repeat(101);
    problem(&format!("{url}/api/search?q={long}"), 400, &["q", "100"]).await;
}

#[tokio::test]
async fn bad_requests_are_problem_documents_naming_the_parameter() {
    let (url, _db) = serve().await;
    let values = format!("{url}/api/indicators");
    problem(
        &format!("{values}/no_such_thing/values?level=areas"),
        400,
        &["indicator", "no_such_thing"],
    )
    .await;
    problem(
        &format!("{values}/employment_rate/values?level=deso"),
        400,
        &["level", "deso"],
    )
    .await;
    problem(&format!("{values}/employment_rate/values"), 400, &["level"]).await;
    problem(
        &format!("{values}/employment_rate/values?level=areas&format=xlsx"),
        400,
        &["format", "xlsx"],
    )
    .await;
    problem(
        &format!("{values}/employment_rate/values?level=areas&year=2019"),
        400,
        &["year", "2019", "2024"],
    )
    .await;
    problem(
        &format!("{values}/employment_rate/values?level=areas&year=next"),
        400,
        &["year", "next"],
    )
    .await;

    let compare = format!("{url}/api/compare");
    problem(
        &format!("{compare}?indicator=employment_rate"),
        400,
        &["districts"],
    )
    .await;
    problem(
        &format!("{compare}?districts=&indicator=employment_rate"),
        400,
        &["districts"],
    )
    .await;
    problem(
        &format!("{compare}?districts=rinkeby,atlantis&indicator=employment_rate"),
        400,
        &["districts", "atlantis"],
    )
    .await;
    let many: Vec<String> = (0..21).map(|i| format!("d{i}")).collect();
    problem(
        &format!(
            "{compare}?districts={}&indicator=employment_rate",
            many.join(",")
        ),
        400,
        &["districts", "20"],
    )
    .await;
    problem(
        &format!("{compare}?districts=rinkeby&indicator=happiness"),
        400,
        &["indicator", "happiness"],
    )
    .await;
    problem(&format!("{compare}?districts=rinkeby"), 400, &["indicator"]).await;
    problem(
        &format!("{compare}?districts=rinkeby&indicator=employment_rate&year=2001"),
        400,
        &["year", "2001", "2024"],
    )
    .await;

    problem(
        &format!("{url}/api/districts/atlantis"),
        404,
        &["district", "atlantis"],
    )
    .await;
}

#[tokio::test]
async fn responses_revalidate_with_etags_and_compress() {
    let (url, _db) = serve().await;
    let client = reqwest::Client::new();
    let profile = format!("{url}/api/districts/rinkeby");
    let first = client.get(&profile).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let again = client
        .get(&profile)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    assert!(again.bytes().await.unwrap().is_empty());

    let values = format!("{url}/api/indicators/employment_rate/values?level=areas");
    let plain = client.get(&values).send().await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    let plain = plain.bytes().await.unwrap();
    let gz = client
        .get(&values)
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.status(), 200);
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let gz = gz.bytes().await.unwrap();
    assert!(gz.len() < plain.len());
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, plain);
}
