//! Integration tests of the importers against a real PostGIS (started by tests/common).

mod common;

use std::path::{Path, PathBuf};

use common::{fixtures, geodata, shared_data, table_counts, TestDb};
use sqlx::PgPool;
use stadsatlas::import::boundaries::{BoundaryKind, FieldNames};
use stadsatlas::import::scb::StatFormat;
use stadsatlas::import::{self, ImportError};

fn kommun_gpkg() -> PathBuf {
    shared_data().join("scb/Kommun_Sweref99TM.gpkg")
}
fn regso_gpkg() -> PathBuf {
    shared_data().join("scb/RegSO_2025.gpkg")
}
fn mapping() -> PathBuf {
    geodata().join("indicators.toml")
}

async fn load_boundaries(pool: &PgPool, regso: &Path) {
    import::import_boundaries(
        pool,
        &kommun_gpkg(),
        BoundaryKind::Kommuner,
        &FieldNames::default(),
    )
    .await
    .expect("import municipalities");
    import::import_boundaries(pool, regso, BoundaryKind::Regso, &FieldNames::default())
        .await
        .expect("import RegSO");
}

async fn stats(pool: &PgPool, file: &Path) -> Result<import::ImportReport, ImportError> {
    import::statistics::import_statistics(pool, file, StatFormat::Auto, &mapping()).await
}

async fn value(pool: &PgPool, level: &str, code: &str, indicator: &str, year: i16) -> Option<f64> {
    sqlx::query_scalar(
        "SELECT value FROM indicator_values
         WHERE level = $1 AND region_code = $2 AND indicator_id = $3 AND year = $4",
    )
    .bind(level)
    .bind(code)
    .bind(indicator)
    .bind(year)
    .fetch_optional(pool)
    .await
    .expect("query value")
    .flatten()
}

/// Asserts that an import failed with a message naming `parts`, and changed nothing.
async fn assert_rejected(
    pool: &PgPool,
    before: &[(String, i64)],
    result: Result<impl std::fmt::Debug, ImportError>,
    parts: &[&str],
) -> String {
    let err = result.expect_err("the import should fail");
    let msg = err.to_string();
    for part in parts {
        assert!(
            msg.contains(part),
            "error message {msg:?} should contain {part:?}"
        );
    }
    assert_eq!(
        table_counts(pool).await,
        before,
        "a failed import changed the database ({msg})"
    );
    msg
}

#[tokio::test]
async fn migrations_apply_on_an_empty_database() {
    let db = TestDb::empty().await;
    let postgis: String = sqlx::query_scalar("SELECT postgis_lib_version()")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!(
        postgis.starts_with('3'),
        "PostGIS 3 expected, got {postgis}"
    );
    // Applying again is a no-op.
    stadsatlas::db::MIGRATOR.run(&db.pool).await.unwrap();
    let counts = table_counts(&db.pool).await;
    assert!(
        counts.iter().all(|(t, n)| *n == 0 || t == "data_version"),
        "{counts:?}"
    );
    // Geometry columns are EPSG:3006 with GiST indexes.
    let srids: Vec<(String, i32)> =
        sqlx::query_as("SELECT f_table_name::text, srid FROM geometry_columns ORDER BY 1, 2")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(
        srids,
        vec![
            ("areas".into(), 3006),
            ("areas".into(), 4326),
            ("districts".into(), 3006),
            ("districts".into(), 4326),
            ("municipalities".into(), 3006),
            ("municipalities".into(), 4326),
            // Derived for vector tiles: the polygons and their label points.
            ("tile_geometry".into(), 3857),
            ("tile_geometry".into(), 3857)
        ]
    );
    let gist: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_indexes WHERE indexdef LIKE '%USING gist (geom)%'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(gist, 3);
}

#[tokio::test]
async fn municipalities_and_the_national_regso_file_import() {
    let db = TestDb::empty().await;
    let report = import::import_boundaries(
        &db.pool,
        &kommun_gpkg(),
        BoundaryKind::Kommuner,
        &FieldNames::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.rows, 290);
    let report = import::import_boundaries(
        &db.pool,
        &regso_gpkg(),
        BoundaryKind::Regso,
        &FieldNames::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.rows, 3363);

    let (name, kommun, valid): (String, String, bool) = sqlx::query_as(
        "SELECT name, kommun_code, ST_IsValid(geom) FROM areas WHERE code = '0180R076'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(name.contains("Rinkeby"), "{name}");
    assert_eq!(kommun, "0180");
    assert!(valid);
    let invalid: i64 = sqlx::query_scalar("SELECT count(*) FROM areas WHERE NOT ST_IsValid(geom)")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(invalid, 0);
    // Stockholm municipality is about 215 km² (SCB's generalised boundary, water included).
    let km2: f64 = sqlx::query_scalar("SELECT area_km2 FROM municipalities WHERE code = '0180'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert!((150.0..260.0).contains(&km2), "Stockholm is {km2} km²");
    // Every area lies at its municipality. RegSO areas include sea and archipelago while the
    // municipality layer is generalised land, so "at" means within 3 km.
    let away: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM areas a JOIN municipalities m ON m.code = a.kommun_code
         WHERE NOT ST_DWithin(a.geom, m.geom, 3000)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(away, 0);
}

#[tokio::test]
async fn geojson_in_crs84_is_reprojected_and_invalid_geometry_repaired() {
    let db = TestDb::empty().await;
    import::import_boundaries(
        &db.pool,
        &kommun_gpkg(),
        BoundaryKind::Kommuner,
        &FieldNames::default(),
    )
    .await
    .unwrap();
    let report = import::import_boundaries(
        &db.pool,
        &fixtures().join("import/crs84_areas.geojson"),
        BoundaryKind::Regso,
        &FieldNames::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.rows, 2);
    assert!(
        report.notes.iter().any(|n| n.contains("0180R902")),
        "the bow tie should be reported as repaired: {:?}",
        report.notes
    );
    // The corner (18.0590 E, 59.3300 N) in SWEREF 99 TM, computed by PostGIS's own PROJ,
    // must be a vertex of the stored polygon (to the centimetre).
    let d: f64 = sqlx::query_scalar(
        "SELECT ST_Distance(
             ST_Transform(ST_SetSRID(ST_MakePoint(18.0590, 59.3300), 4326), 3006),
             ST_ClosestPoint(ST_Boundary(geom),
                 ST_Transform(ST_SetSRID(ST_MakePoint(18.0590, 59.3300), 4326), 3006)))
         FROM areas WHERE code = '0180R901'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(d < 0.01, "corner is {d} m off");
    // And the known point: SWEREF 99 TM E 674032, N 6580822 lies in that square.
    let inside: bool = sqlx::query_scalar(
        "SELECT ST_Contains(geom, ST_SetSRID(ST_MakePoint(674032, 6580822), 3006))
         FROM areas WHERE code = '0180R901'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(inside);
    let (valid, kind): (bool, String) = sqlx::query_as(
        "SELECT ST_IsValid(geom), GeometryType(geom) FROM areas WHERE code = '0180R902'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(valid);
    assert_eq!(kind, "MULTIPOLYGON");
}

#[tokio::test]
async fn registry_imports_43_districts_24_original() {
    let db = TestDb::empty().await;
    load_boundaries(&db.pool, &geodata().join("RegSO_2025_districts.gpkg")).await;
    let report = import::import_registry(&db.pool, &shared_data().join("districts"))
        .await
        .unwrap();
    assert_eq!(report.rows, 3 + 43 + 63);
    let by_status: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, count(*) FROM district_status GROUP BY 1 ORDER BY 1")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(
        by_status,
        vec![("candidate".into(), 19), ("original".into(), 24)]
    );
    let by_programme: Vec<(String, i64)> =
        sqlx::query_as("SELECT programme_id, count(*) FROM memberships GROUP BY 1 ORDER BY 1")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(
        by_programme,
        vec![
            ("lua_2008".into(), 24),
            ("storstad_1999".into(), 24),
            ("urban_2012".into(), 15)
        ]
    );
    // Evidence and its source are kept.
    let (evidence, source): (String, String) = sqlx::query_as(
        "SELECT evidence, source FROM memberships WHERE district_id = 'rinkeby' AND programme_id = 'storstad_1999'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(evidence, "reconstructed");
    assert!(source.contains("Skr. 2003/04:49"), "{source}");

    // Every district's geometry equals the union of its member areas.
    let mismatched: Vec<(String, f64)> = sqlx::query_as(
        "SELECT d.id, ST_Area(ST_SymDifference(d.geom, u.geom))
         FROM districts d
         JOIN (SELECT da.district_id, ST_Union(a.geom) AS geom
               FROM district_areas da JOIN areas a ON a.level = da.level AND a.code = da.area_code
               GROUP BY da.district_id) u ON u.district_id = d.id
         WHERE d.geom IS NULL OR ST_Area(ST_SymDifference(d.geom, u.geom)) > 0.01",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert!(mismatched.is_empty(), "{mismatched:?}");
    let (members, km2, areas_km2): (i64, f64, f64) = sqlx::query_as(
        "SELECT count(*), min(d.area_km2), sum(a.area_km2) FROM districts d
         JOIN district_areas da ON da.district_id = d.id
         JOIN areas a ON a.level = da.level AND a.code = da.area_code
         WHERE d.id = 'jarvafaltet'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(members, 4);
    assert!((km2 - areas_km2).abs() < 1e-6, "{km2} vs {areas_km2}");

    // Importing the same registry again leaves the same registry.
    let before = table_counts(&db.pool).await;
    import::import_registry(&db.pool, &shared_data().join("districts"))
        .await
        .unwrap();
    let after = table_counts(&db.pool).await;
    let strip = |c: &[(String, i64)]| {
        c.iter()
            .filter(|(t, _)| t != "import_batches" && t != "data_version")
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&before), strip(&after));
}

#[tokio::test]
async fn scb_statistics_import_and_district_values_are_computed() {
    let db = TestDb::empty().await;
    load_boundaries(&db.pool, &geodata().join("RegSO_2025_districts.gpkg")).await;
    import::import_registry(&db.pool, &shared_data().join("districts"))
        .await
        .unwrap();
    let city = shared_data().join("scb/integration/stockholm");
    stats(&db.pool, &city.join("FolkmangdRegSO.json"))
        .await
        .unwrap();
    let report = stats(&db.pool, &city.join("IntGr8RegSOKon2.json"))
        .await
        .unwrap();
    assert!(report.rows > 0);

    // Rinkeby's own RegSO value, as SCB published it.
    assert_eq!(
        value(
            &db.pool,
            "regso",
            "0180R076",
            "eligible_upper_secondary",
            2023
        )
        .await,
        Some(74.8)
    );
    assert_eq!(
        value(&db.pool, "regso", "0180R076", "population", 2009).await,
        Some(15084.0)
    );
    // A one-area district equals its area.
    assert_eq!(
        value(
            &db.pool,
            "district",
            "rinkeby",
            "eligible_upper_secondary",
            2023
        )
        .await,
        Some(74.8)
    );
    // Järvafältet: population-weighted mean of its four areas (weights: population 2009).
    let expected = (72.6 * 8144.0 + 78.0 * 11706.0 + 74.8 * 15084.0 + 84.4 * 17747.0)
        / (8144.0 + 11706.0 + 15084.0 + 17747.0);
    let got = value(
        &db.pool,
        "district",
        "jarvafaltet",
        "eligible_upper_secondary",
        2023,
    )
    .await
    .unwrap();
    assert!((got - expected).abs() < 1e-9, "{got} vs {expected}");
    let (computed, method, coverage): (bool, String, f64) = sqlx::query_as(
        "SELECT computed, method, coverage FROM indicator_values
         WHERE level = 'district' AND region_code = 'jarvafaltet' AND indicator_id = 'eligible_upper_secondary'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(computed);
    assert!(
        method.contains("population-weighted") && method.contains("2009"),
        "{method}"
    );
    assert_eq!(coverage, 1.0);
    // Population of a district is a sum.
    assert_eq!(
        value(&db.pool, "district", "jarvafaltet", "population", 2009).await,
        Some(8144.0 + 11706.0 + 15084.0 + 17747.0)
    );
    // Stockholm municipality: SCB gives none in these files, so it is computed and marked.
    let (kommun_computed, kommun_coverage): (bool, f64) = sqlx::query_as(
        "SELECT computed, coverage FROM indicator_values
         WHERE level = 'kommun' AND region_code = '0180' AND indicator_id = 'population' AND year = 2009",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(kommun_computed);
    assert!(kommun_coverage > 0.9);
    // Suppressed values are stored as missing, never as zero.
    let suppressed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM indicator_values WHERE level = 'regso' AND value IS NULL",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    let zeros: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM indicator_values
         WHERE level = 'regso' AND value = 0 AND indicator_id = 'eligible_upper_secondary'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(zeros, 0);
    // Exactly the both-sexes cells SCB marked '..' in the two files are missing.
    let marked: usize = ["IntGr8RegSOKon2.json", "FolkmangdRegSO.json"]
        .iter()
        .map(|f| {
            let doc: serde_json::Value =
                serde_json::from_slice(&std::fs::read(city.join(f)).unwrap()).unwrap();
            doc["data"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["key"][1] == "1+2")
                .flat_map(|r| r["values"].as_array().unwrap().iter())
                .filter(|v| *v == "..")
                .count()
        })
        .sum();
    assert!(marked > 0);
    assert_eq!(suppressed as usize, marked);

    // The same file again leaves the same values.
    let snapshot = |pool: PgPool| async move {
        sqlx::query_as::<_, (String, String, String, i16, Option<f64>, bool, Option<f64>)>(
            "SELECT level, region_code, indicator_id, year, value, computed, coverage
             FROM indicator_values ORDER BY 1, 2, 3, 4",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
    };
    let before = snapshot(db.pool.clone()).await;
    stats(&db.pool, &city.join("IntGr8RegSOKon2.json"))
        .await
        .unwrap();
    assert_eq!(before, snapshot(db.pool.clone()).await);
}

#[tokio::test]
async fn every_bundled_scb_file_imports_with_rinkeby_values() {
    let db = TestDb::bundled().await;
    let rinkeby: Vec<(String, i16, Option<f64>)> = sqlx::query_as(
        "SELECT indicator_id, year, value FROM indicator_values
         WHERE level = 'regso' AND region_code = '0180R076' ORDER BY 1, 2",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let get = |id: &str| {
        rinkeby
            .iter()
            .find(|(i, _, _)| i == id)
            .and_then(|(_, _, v)| *v)
    };
    assert_eq!(get("employment_rate"), Some(60.0), "{rinkeby:?}");
    assert_eq!(get("eligible_upper_secondary"), Some(74.8));
    assert_eq!(get("population"), Some(15084.0));
    let status = stadsatlas::status::status(&db.pool).await.unwrap();
    assert_eq!(status.municipalities, 290);
    assert_eq!(status.areas.get("regso"), Some(&874));
    assert_eq!(status.districts.total, 43);
    assert_eq!(status.districts.by_status.get("original"), Some(&24));
    assert_eq!(status.districts.by_status.get("candidate"), Some(&19));
}

// ---- bad input: a clear message naming file, row/feature and field; nothing changes ----

#[tokio::test]
async fn a_truncated_geopackage_is_rejected() {
    let db = TestDb::empty().await;
    let dir = tempfile::tempdir().unwrap();
    let truncated = dir.path().join("truncated.gpkg");
    let bytes = std::fs::read(kommun_gpkg()).unwrap();
    std::fs::write(&truncated, &bytes[..8192]).unwrap();
    let before = table_counts(&db.pool).await;
    let result = import::import_boundaries(
        &db.pool,
        &truncated,
        BoundaryKind::Kommuner,
        &FieldNames::default(),
    )
    .await;
    assert_rejected(&db.pool, &before, result, &["truncated.gpkg"]).await;
}

#[tokio::test]
async fn a_file_in_an_unknown_crs_is_rejected() {
    let db = TestDb::empty().await;
    import::import_boundaries(
        &db.pool,
        &kommun_gpkg(),
        BoundaryKind::Kommuner,
        &FieldNames::default(),
    )
    .await
    .unwrap();
    let before = table_counts(&db.pool).await;
    let result = import::import_boundaries(
        &db.pool,
        &fixtures().join("import/unknown_crs.geojson"),
        BoundaryKind::Regso,
        &FieldNames::default(),
    )
    .await;
    assert_rejected(&db.pool, &before, result, &["unknown_crs.geojson", "99999"]).await;
}

/// Imports a statistics fixture into the bundled database and expects a rejection.
async fn assert_statistics_rejected(fixture: &str, parts: &[&str]) {
    let db = TestDb::bundled().await;
    let before = table_counts(&db.pool).await;
    let result = stats(&db.pool, &fixtures().join("import").join(fixture)).await;
    assert_rejected(&db.pool, &before, result, parts).await;
}

#[tokio::test]
async fn an_unknown_region_code_is_rejected() {
    assert_statistics_rejected(
        "unknown_region.json",
        &["unknown_region.json", "0180R999", "Region"],
    )
    .await;
}

#[tokio::test]
async fn malformed_json_stat_is_rejected() {
    assert_statistics_rejected(
        "malformed.jsonstat.json",
        &["malformed.jsonstat.json", "size"],
    )
    .await;
}

#[tokio::test]
async fn a_non_numeric_value_is_rejected() {
    assert_statistics_rejected(
        "non_numeric.json",
        &["non_numeric.json", "12,3x", "000004W5"],
    )
    .await;
}

/// Copies the real registry into a temporary directory, changing districts.csv with `edit`.
fn registry_with(edit: impl FnOnce(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = shared_data().join("districts");
    for name in ["programmes.csv", "memberships.csv"] {
        std::fs::copy(src.join(name), dir.path().join(name)).unwrap();
    }
    let districts = std::fs::read_to_string(src.join("districts.csv")).unwrap();
    std::fs::write(dir.path().join("districts.csv"), edit(districts)).unwrap();
    dir
}

#[tokio::test]
async fn a_duplicate_district_id_is_rejected() {
    let db = TestDb::bundled().await;
    let dir = registry_with(|text| {
        let dup = text.lines().nth(2).unwrap().to_string(); // fittja
        format!("{text}{dup}\n")
    });
    let before = table_counts(&db.pool).await;
    let result = import::import_registry(&db.pool, dir.path()).await;
    let msg = assert_rejected(
        &db.pool,
        &before,
        result,
        &[
            "districts.csv",
            "line 45",
            "district_id",
            "fittja",
            "line 3",
        ],
    )
    .await;
    assert!(msg.contains("duplicate"), "{msg}");
}

#[tokio::test]
async fn a_registry_naming_an_unknown_regso_area_is_rejected() {
    let db = TestDb::bundled().await;
    let dir = registry_with(|text| text.replace("0180R076,", "0180R999,"));
    let before = table_counts(&db.pool).await;
    let result = import::import_registry(&db.pool, dir.path()).await;
    assert_rejected(
        &db.pool,
        &before,
        result,
        &["districts.csv", "regso_codes", "0180R999"],
    )
    .await;
}

#[tokio::test]
async fn a_failing_bundle_leaves_the_database_empty() {
    let db = TestDb::empty().await;
    let dir = tempfile::tempdir().unwrap();
    // The real bundle, but with one bad statistics file among the good ones.
    let manifest = std::fs::read_to_string(geodata().join("bundle.toml")).unwrap();
    std::fs::write(dir.path().join("bundle.toml"), manifest).unwrap();
    for entry in [
        "Kommun_Sweref99TM.gpkg",
        "RegSO_2025_districts.gpkg",
        "indicators.toml",
    ] {
        std::fs::copy(geodata().join(entry), dir.path().join(entry)).unwrap();
    }
    std::fs::create_dir_all(dir.path().join("districts")).unwrap();
    for name in ["programmes.csv", "districts.csv", "memberships.csv"] {
        std::fs::copy(
            geodata().join("districts").join(name),
            dir.path().join("districts").join(name),
        )
        .unwrap();
    }
    std::fs::create_dir_all(dir.path().join("scb/stockholm")).unwrap();
    std::fs::copy(
        geodata().join("scb/stockholm/IntGr8RegSOKon2.json"),
        dir.path().join("scb/stockholm/IntGr8RegSOKon2.json"),
    )
    .unwrap();
    std::fs::copy(
        fixtures().join("import/non_numeric.json"),
        dir.path().join("scb/stockholm/zz_bad.json"),
    )
    .unwrap();
    let before = table_counts(&db.pool).await;
    let result = import::bundled::import_bundled(&db.pool, dir.path()).await;
    assert_rejected(&db.pool, &before, result, &["zz_bad.json"]).await;
}
