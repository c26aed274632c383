//! Tests of the boundary readers on the real SCB files (`../shared/data/scb/`, beside the
//! repository) and on the fixtures in `tests/fixtures/boundaries/`. GeoPackages with faults are
//! made in temporary folders from the real Kommun file (see the fixtures' README).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use super::*;

fn scb(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/scb")
        .join(name);
    assert!(
        path.is_file(),
        "{} is missing: the real SCB data lives in shared/ beside the repository",
        path.display()
    );
    path
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/boundaries")
        .join(name)
}

async fn read(path: &Path, kind: BoundaryKind) -> Result<Vec<BoundaryFeature>, ImportError> {
    read_boundaries(path, kind, &FieldNames::default()).await
}

/// The error's message, after checking that it contains every one of `parts`.
fn message_with(result: Result<Vec<BoundaryFeature>, ImportError>, parts: &[&str]) -> String {
    let err = match result {
        Ok(f) => panic!("expected an error, read {} features", f.len()),
        Err(e) => e,
    };
    let msg = err.to_string();
    for part in parts {
        assert!(msg.contains(part), "'{part}' missing from: {msg}");
    }
    msg
}

fn bounds(features: &[BoundaryFeature]) -> (f64, f64, f64, f64) {
    let mut b = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for f in features {
        for p in &f.geometry.0 {
            for c in p
                .exterior()
                .0
                .iter()
                .chain(p.interiors().iter().flat_map(|r| &r.0))
            {
                b = (b.0.min(c.x), b.1.min(c.y), b.2.max(c.x), b.3.max(c.y));
            }
        }
    }
    b
}

/// Inside SWEREF 99 TM's extent over Sweden.
fn assert_in_sweden(features: &[BoundaryFeature]) {
    let (x0, y0, x1, y1) = bounds(features);
    assert!(x0 > 200_000.0 && x1 < 1_000_000.0, "E {x0}..{x1}");
    assert!(y0 > 6_100_000.0 && y1 < 7_700_000.0, "N {y0}..{y1}");
}

// ---------------------------------------------------------------- real files

#[tokio::test]
async fn reads_the_national_kommun_file() {
    let path = scb("Kommun_Sweref99TM.gpkg");
    let before = std::fs::metadata(&path).unwrap().modified().unwrap();
    let start = Instant::now();
    let features = read(&path, BoundaryKind::Kommuner).await.unwrap();
    eprintln!(
        "read {} kommuner from {} in {:?}",
        features.len(),
        path.display(),
        start.elapsed()
    );
    assert_eq!(features.len(), 290);
    let stockholm = features.iter().find(|f| f.code == "0180").unwrap();
    assert_eq!(stockholm.name, "Stockholm");
    assert_eq!(stockholm.kommun_code, "0180");
    let vasby = features.iter().find(|f| f.code == "0114").unwrap();
    assert_eq!(vasby.name, "Upplands Väsby");
    assert_eq!(vasby.index, 1);
    assert!(features.iter().all(|f| f.code == f.kommun_code));
    assert_in_sweden(&features);
    // Opened read-only: the file is not touched.
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        before
    );
}

#[tokio::test]
async fn reads_the_national_regso_file() {
    let path = scb("RegSO_2025.gpkg");
    let start = Instant::now();
    let features = read(&path, BoundaryKind::Regso).await.unwrap();
    eprintln!(
        "read {} RegSO areas from {} in {:?}",
        features.len(),
        path.display(),
        start.elapsed()
    );
    assert_eq!(features.len(), 3363);
    let rinkeby = features.iter().find(|f| f.code == "0180R076").unwrap();
    assert_eq!(rinkeby.kommun_code, "0180");
    assert!(rinkeby.name.contains("Rinkeby"), "{}", rinkeby.name);
    assert!(features.iter().all(|f| f.code.starts_with(&f.kommun_code)));
    let kommuner: std::collections::HashSet<&str> =
        features.iter().map(|f| f.kommun_code.as_str()).collect();
    assert_eq!(kommuner.len(), 290);
    assert_in_sweden(&features);
}

// ---------------------------------------------------------------- GeoJSON fixtures

#[tokio::test]
async fn geojson_in_crs84_is_reprojected() {
    let features = read(&fixture("regso_crs84.geojson"), BoundaryKind::Regso)
        .await
        .unwrap();
    assert_eq!(features.len(), 2);
    let (a, b) = (&features[0], &features[1]);
    assert_eq!((a.index, a.code.as_str()), (1, "0180R076"));
    assert_eq!(a.kommun_code, "0180");
    assert_eq!(a.name, "Syntetiska Rinkeby");
    // Properties in other letter case; municipality from the code's first 4 digits.
    assert_eq!((b.index, b.code.as_str()), (2, "0180R077"));
    assert_eq!(b.kommun_code, "0180");
    assert_eq!(b.name, "Syntetiska Tensta");
    assert_eq!(b.geometry.0.len(), 2);
    // (18.05919 E, 59.330231 N) is SWEREF 99 TM (674032, 6580822) to within a metre.
    let c = a.geometry.0[0].exterior().0[0];
    assert!((c.x - 674032.0).abs() < 1.0, "E {}", c.x);
    assert!((c.y - 6580822.0).abs() < 1.0, "N {}", c.y);
    assert_in_sweden(&features);
}

#[tokio::test]
async fn geojson_in_epsg3006_is_kept() {
    let features = read(&fixture("regso_epsg3006.geojson"), BoundaryKind::Regso)
        .await
        .unwrap();
    assert_eq!(features.len(), 2);
    let c = features[0].geometry.0[0].exterior().0[1];
    assert_eq!((c.x, c.y), (675032.0, 6580822.0));
    assert_eq!(features[1].code, "1480R001");
    assert_eq!(features[1].kommun_code, "1480");
}

#[tokio::test]
async fn geojson_unknown_crs_names_file_crs_and_code() {
    let path = fixture("unknown_crs.geojson");
    let msg = message_with(
        read(&path, BoundaryKind::Regso).await,
        &[
            "unknown_crs.geojson",
            "field 'crs'",
            "99999",
            "unsupported coordinate reference system",
        ],
    );
    eprintln!("{msg}");
}

#[tokio::test]
async fn geojson_missing_code_names_feature_and_field() {
    let path = fixture("missing_code.geojson");
    let msg = message_with(
        read(&path, BoundaryKind::Regso).await,
        &["missing_code.geojson", "feature 2", "regsokod", "missing"],
    );
    eprintln!("{msg}");
}

/// Writes `features` (JSON text of an array) as a CRS84 FeatureCollection.
fn write_geojson(dir: &Path, name: &str, features: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(r#"{{"type":"FeatureCollection","features":{features}}}"#),
    )
    .unwrap();
    path
}

fn feature(props: &str, geometry: &str) -> String {
    format!(r#"{{"type":"Feature","properties":{props},"geometry":{geometry}}}"#)
}

const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[18.0,59.3],[18.01,59.3],[18.01,59.31],[18.0,59.31],[18.0,59.3]]]}"#;

#[tokio::test]
async fn geojson_faults_name_file_feature_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let ok = feature(r#"{"regsokod":"0180R076","regsonamn":"A"}"#, SQUARE);

    let cases: Vec<(&str, String, BoundaryKind, Vec<&str>)> = vec![
        (
            "duplicate.geojson",
            format!(
                "[{ok},{},{}]",
                feature(r#"{"regsokod":"0180R001","regsonamn":"B"}"#, SQUARE),
                feature(r#"{"regsokod":"0180R076","regsonamn":"C"}"#, SQUARE)
            ),
            BoundaryKind::Regso,
            vec![
                "feature 3 (0180R076)",
                "field 'regsokod'",
                "duplicate",
                "feature 1",
            ],
        ),
        (
            "line.geojson",
            format!(
                "[{ok},{}]",
                feature(
                    r#"{"regsokod":"0180R001","regsonamn":"B"}"#,
                    r#"{"type":"LineString","coordinates":[[18.0,59.3],[18.1,59.3]]}"#
                )
            ),
            BoundaryKind::Regso,
            vec!["feature 2 (0180R001)", "field 'geometry'", "LineString"],
        ),
        (
            "short_ring.geojson",
            format!(
                "[{}]",
                feature(
                    r#"{"regsokod":"0180R001","regsonamn":"B"}"#,
                    r#"{"type":"Polygon","coordinates":[[[18.0,59.3],[18.1,59.3],[18.0,59.3]]]}"#
                )
            ),
            BoundaryKind::Regso,
            vec!["feature 1 (0180R001)", "field 'geometry'", "at least 4"],
        ),
        (
            "empty.geojson",
            format!(
                "[{}]",
                feature(
                    r#"{"regsokod":"0180R001","regsonamn":"B"}"#,
                    r#"{"type":"MultiPolygon","coordinates":[]}"#
                )
            ),
            BoundaryKind::Regso,
            vec!["feature 1 (0180R001)", "field 'geometry'", "empty"],
        ),
        (
            "no_geometry.geojson",
            format!(
                "[{}]",
                feature(r#"{"regsokod":"0180R001","regsonamn":"B"}"#, "null")
            ),
            BoundaryKind::Regso,
            vec!["feature 1 (0180R001)", "field 'geometry'", "no geometry"],
        ),
        (
            "bad_code.geojson",
            format!(
                "[{}]",
                feature(r#"{"regsokod":"0180X001","regsonamn":"B"}"#, SQUARE)
            ),
            BoundaryKind::Regso,
            vec!["feature 1 (0180X001)", "field 'regsokod'", "invalid code"],
        ),
        (
            "numeric_code.geojson",
            format!("[{}]", feature(r#"{"KnKod":180,"KnNamn":"B"}"#, SQUARE)),
            BoundaryKind::Kommuner,
            vec!["feature 1 (180)", "field 'KnKod'", "leading zeros"],
        ),
        (
            "empty_code.geojson",
            format!("[{}]", feature(r#"{"kod":" ","namn":"B"}"#, SQUARE)),
            BoundaryKind::Kommuner,
            vec!["feature 1", "field 'kod'", "empty"],
        ),
        (
            "empty_name.geojson",
            format!(
                "[{ok},{}]",
                feature(r#"{"regsokod":"0180R001","regsonamn":null}"#, SQUARE)
            ),
            BoundaryKind::Regso,
            vec!["feature 2 (0180R001)", "field 'regsonamn'", "empty"],
        ),
        (
            "missing_name.geojson",
            format!("[{}]", feature(r#"{"regsokod":"0180R001"}"#, SQUARE)),
            BoundaryKind::Regso,
            vec!["feature 1 (0180R001)", "field 'regsonamn|name'", "missing"],
        ),
        (
            "wrong_kommun.geojson",
            format!(
                "[{}]",
                feature(
                    r#"{"regsokod":"0180R001","regsonamn":"B","KOMMUNKOD":"0181"}"#,
                    SQUARE
                )
            ),
            BoundaryKind::Regso,
            vec!["feature 1 (0180R001)", "field 'KOMMUNKOD'", "0181", "0180"],
        ),
        (
            "bad_position.geojson",
            format!(
                "[{}]",
                feature(
                    r#"{"desokod":"0180C1090"}"#,
                    r#"{"type":"Polygon","coordinates":[[[18.0],[18.1,59.3],[18.1,59.4],[18.0,59.3]]]}"#
                )
            ),
            BoundaryKind::Deso,
            vec!["feature 1 (0180C1090)", "field 'geometry'", "position"],
        ),
        (
            "not_a_feature.geojson",
            format!("[{ok},{{\"type\":\"Feeture\",\"properties\":{{}},\"geometry\":null}}]"),
            BoundaryKind::Regso,
            vec!["feature 2", "not a valid GeoJSON Feature"],
        ),
    ];
    for (name, features, kind, parts) in cases {
        let path = write_geojson(dir.path(), name, &features);
        let mut parts = parts;
        parts.push(name);
        let msg = message_with(read(&path, kind).await, &parts);
        eprintln!("{msg}");
    }
}

#[tokio::test]
async fn geojson_field_overrides_and_optional_deso_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_geojson(
        dir.path(),
        "deso.geojson",
        &format!(
            "[{}]",
            feature(r#"{"omr":"0180C1090","kn":"0180"}"#, SQUARE)
        ),
    );
    let fields = FieldNames {
        code: Some("OMR".into()),
        name: None,
        kommun: Some("kn".into()),
    };
    let features = read_boundaries(&path, BoundaryKind::Deso, &fields)
        .await
        .unwrap();
    assert_eq!(features[0].code, "0180C1090");
    assert_eq!(features[0].name, "0180C1090");
    assert_eq!(features[0].kommun_code, "0180");

    // An overridden attribute that is absent is an error, not a fall-back.
    let fields = FieldNames {
        kommun: Some("kommun".into()),
        ..FieldNames::default()
    };
    let msg = message_with(
        read_boundaries(
            &fixture("regso_crs84.geojson"),
            BoundaryKind::Regso,
            &fields,
        )
        .await,
        &[
            "regso_crs84.geojson",
            "feature 1 (0180R076)",
            "field 'kommun'",
        ],
    );
    eprintln!("{msg}");
}

#[tokio::test]
async fn file_level_faults() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere.gpkg");
    let err = read(&missing, BoundaryKind::Kommuner).await.unwrap_err();
    assert!(matches!(err, ImportError::Read { .. }), "{err}");
    assert!(err.to_string().contains("nowhere.gpkg"), "{err}");

    let shp = dir.path().join("kommuner.shp");
    std::fs::write(&shp, b"x").unwrap();
    message_with(
        read(&shp, BoundaryKind::Kommuner).await,
        &["kommuner.shp", "unknown boundary file format"],
    );

    let bad = dir.path().join("broken.json");
    std::fs::write(&bad, b"{\"type\": \"FeatureCollection\", \"features\": [").unwrap();
    message_with(
        read(&bad, BoundaryKind::Kommuner).await,
        &["broken.json", "not valid JSON", "line 1"],
    );

    let not_fc = dir.path().join("point.geojson");
    std::fs::write(&not_fc, br#"{"type":"Point","coordinates":[1,2]}"#).unwrap();
    message_with(
        read(&not_fc, BoundaryKind::Kommuner).await,
        &["point.geojson", "field 'type'", "'Point'"],
    );
}

// ---------------------------------------------------------------- faulty GeoPackages

/// The first 8 KiB of the real Kommun GeoPackage, as a truncated download would leave it.
fn truncated_kommun(dir: &Path) -> PathBuf {
    let bytes = std::fs::read(scb("Kommun_Sweref99TM.gpkg")).unwrap();
    let path = dir.join("truncated.gpkg");
    std::fs::write(&path, &bytes[..8192]).unwrap();
    path
}

/// A writable copy of the real Kommun GeoPackage with `statements` applied.
async fn altered_kommun(dir: &Path, name: &str, statements: &[&str]) -> PathBuf {
    let path = dir.join(name);
    std::fs::copy(scb("Kommun_Sweref99TM.gpkg"), &path).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mut conn = SqliteConnectOptions::new()
        .filename(&path)
        .connect()
        .await
        .unwrap();
    // Drop the R-tree triggers: they call SpatiaLite functions (ST_IsEmpty, ...) that plain
    // SQLite does not have, and some fire on any update of a row.
    let triggers: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'rtree_%'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    for t in triggers {
        sqlx::query(&format!("DROP TRIGGER \"{t}\""))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    for sql in statements {
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();
    path
}

#[tokio::test]
async fn truncated_geopackage_is_not_readable() {
    let dir = tempfile::tempdir().unwrap();
    let path = truncated_kommun(dir.path());
    let msg = message_with(
        read(&path, BoundaryKind::Kommuner).await,
        &["truncated.gpkg", "not a readable GeoPackage"],
    );
    eprintln!("{msg}");

    let text = dir.path().join("text.gpkg");
    std::fs::copy(fixture("regso_crs84.geojson"), &text).unwrap();
    message_with(
        read(&text, BoundaryKind::Kommuner).await,
        &["text.gpkg", "not a readable GeoPackage"],
    );
}

#[tokio::test]
async fn geopackage_with_a_non_epsg_srs_is_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    let path = altered_kommun(
        dir.path(),
        "esri.gpkg",
        &[
            "INSERT INTO gpkg_spatial_ref_sys \
             (srs_name, srs_id, organization, organization_coordsys_id, definition) \
             VALUES ('Web Mercator (ESRI)', 102100, 'ESRI', 102100, 'undefined')",
            "UPDATE gpkg_contents SET srs_id = 102100",
            "UPDATE gpkg_geometry_columns SET srs_id = 102100",
        ],
    )
    .await;
    let msg = message_with(
        read(&path, BoundaryKind::Kommuner).await,
        &[
            "esri.gpkg",
            "table kommun",
            "field 'geom'",
            "unsupported coordinate reference system",
            "srs_id 102100",
            "ESRI",
        ],
    );
    eprintln!("{msg}");

    let path = altered_kommun(
        dir.path(),
        "undefined.gpkg",
        &[
            "UPDATE gpkg_contents SET srs_id = -1",
            "UPDATE gpkg_geometry_columns SET srs_id = -1",
        ],
    )
    .await;
    message_with(
        read(&path, BoundaryKind::Kommuner).await,
        &["undefined.gpkg", "field 'geom'", "srs_id -1", "undefined"],
    );

    let path = altered_kommun(
        dir.path(),
        "unknown_epsg.gpkg",
        &[
            "INSERT INTO gpkg_spatial_ref_sys \
             (srs_name, srs_id, organization, organization_coordsys_id, definition) \
             VALUES ('nothing', 99999, 'EPSG', 99999, 'undefined')",
            "UPDATE gpkg_geometry_columns SET srs_id = 99999",
        ],
    )
    .await;
    message_with(
        read(&path, BoundaryKind::Kommuner).await,
        &["unknown_epsg.gpkg", "field 'geom'", "EPSG:99999"],
    );
}

#[tokio::test]
async fn geopackage_feature_faults_name_feature_and_field() {
    let dir = tempfile::tempdir().unwrap();

    // A point (GeoPackage header: GP, version 0, flags 1 = little-endian, no envelope;
    // srs_id 3006; then WKB).
    let mut point = vec![0x47, 0x50, 0x00, 0x01];
    point.extend_from_slice(&3006_i32.to_le_bytes());
    point.extend_from_slice(&[0x01, 0x01, 0x00, 0x00, 0x00]);
    point.extend_from_slice(&674032.0_f64.to_le_bytes());
    point.extend_from_slice(&6580822.0_f64.to_le_bytes());
    let hex: String = point.iter().map(|b| format!("{b:02X}")).collect();
    let set_point = format!("UPDATE kommun SET geom = X'{hex}' WHERE KnKod = '0180'");
    let path = altered_kommun(dir.path(), "point.gpkg", &[&set_point]).await;
    let msg = message_with(
        read(&path, BoundaryKind::Kommuner).await,
        &["point.gpkg", "(0180)", "field 'geom'", "Point"],
    );
    eprintln!("{msg}");

    let path = altered_kommun(
        dir.path(),
        "garbage.gpkg",
        &["UPDATE kommun SET geom = X'00112233' WHERE KnKod = '0180'"],
    )
    .await;
    message_with(
        read(&path, BoundaryKind::Kommuner).await,
        &["garbage.gpkg", "(0180)", "field 'geom'", "decode"],
    );

    let path = altered_kommun(
        dir.path(),
        "duplicate.gpkg",
        &["UPDATE kommun SET KnKod = '0114' WHERE KnKod = '0115'"],
    )
    .await;
    message_with(
        read(&path, BoundaryKind::Kommuner).await,
        &[
            "duplicate.gpkg",
            "(0114)",
            "field 'KnKod'",
            "duplicate",
            "feature 1",
        ],
    );

    let path = altered_kommun(
        dir.path(),
        "null_name.gpkg",
        &["UPDATE kommun SET KnNamn = NULL WHERE KnKod = '0180'"],
    )
    .await;
    message_with(
        read(&path, BoundaryKind::Kommuner).await,
        &["null_name.gpkg", "(0180)", "field 'KnNamn'", "empty"],
    );

    let path = altered_kommun(
        dir.path(),
        "two_tables.gpkg",
        &[
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) \
           VALUES ('kommun_copy', 'features', 'kommun_copy', 3006)",
        ],
    )
    .await;
    message_with(
        read(&path, BoundaryKind::Kommuner).await,
        &["two_tables.gpkg", "2 feature tables", "kommun, kommun_copy"],
    );

    // The kommun file read as RegSO: its attributes are not there.
    message_with(
        read(&scb("Kommun_Sweref99TM.gpkg"), BoundaryKind::Regso).await,
        &[
            "Kommun_Sweref99TM.gpkg",
            "feature 1",
            "field 'regsokod|code'",
        ],
    );
}

/// The caller may spawn the import on a multi-threaded runtime.
#[test]
fn read_boundaries_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let fields = FieldNames::default();
    let future = read_boundaries(Path::new("x.gpkg"), BoundaryKind::Regso, &fields);
    assert_send(&future);
}
