//! GeoPackage (SQLite) boundary files, read with sqlx's SQLite driver, opened read-only.

use std::path::Path;

use geozero::wkb::GpkgWkb;
use geozero::ToGeo;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, Row, SqliteConnection};

use super::{RawFeature, RawFile, RawGeometry};
use crate::import::{ImportError, Location};

fn unreadable(path: &Path, what: impl std::fmt::Display) -> ImportError {
    ImportError::invalid(
        Location::file(path),
        format!("not a readable GeoPackage: {what}"),
    )
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Reads the one feature table of a GeoPackage: every attribute as text, the geometry as the
/// GeoPackage blob (decoded later, by [`decode`]).
pub(super) async fn read(path: &Path) -> Result<RawFile, ImportError> {
    // sqlx would report a missing file as a database error; say it as an I/O error.
    std::fs::metadata(path).map_err(|e| ImportError::read(path, e))?;
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .create_if_missing(false);
    let mut conn = options.connect().await.map_err(|e| unreadable(path, e))?;
    let result = read_open(path, &mut conn).await;
    // Closing a read-only connection cannot lose anything; a failure here is not the file's.
    let _ = conn.close().await;
    result
}

async fn read_open(path: &Path, conn: &mut SqliteConnection) -> Result<RawFile, ImportError> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY table_name",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| unreadable(path, format!("reading gpkg_contents: {e}")))?;
    let table = match tables.as_slice() {
        [one] => one.clone(),
        [] => {
            return Err(ImportError::invalid(
                Location::file(path),
                "the GeoPackage has no feature table (gpkg_contents lists none with \
                 data_type 'features')",
            ))
        }
        many => {
            return Err(ImportError::invalid(
                Location::file(path),
                format!(
                    "the GeoPackage has {} feature tables ({}); expected exactly one",
                    many.len(),
                    many.join(", ")
                ),
            ))
        }
    };

    let geometry_column: Option<(String, i64)> = sqlx::query_as(
        "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?",
    )
    .bind(&table)
    .fetch_optional(&mut *conn)
    .await
    .map_err(|e| unreadable(path, format!("reading gpkg_geometry_columns: {e}")))?;
    let Some((geometry_field, srs_id)) = geometry_column else {
        return Err(ImportError::invalid(
            Location::file(path).item(format!("table {table}")),
            "gpkg_geometry_columns has no geometry column for the feature table",
        ));
    };

    let srs_location = Location::file(path)
        .item(format!("table {table}"))
        .field(geometry_field.as_str());
    let (epsg, crs_label) = resolve_srs(path, srs_location.clone(), conn, srs_id).await?;

    let columns: Vec<String> =
        sqlx::query_scalar("SELECT name FROM pragma_table_info(?) ORDER BY cid")
            .bind(&table)
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| unreadable(path, format!("reading the columns of {table}: {e}")))?;
    let attributes: Vec<&String> = columns
        .iter()
        .filter(|c| !c.eq_ignore_ascii_case(&geometry_field))
        .collect();
    let mut select: Vec<String> = attributes
        .iter()
        .map(|c| format!("CAST({} AS TEXT)", quote_ident(c)))
        .collect();
    select.push(quote_ident(&geometry_field));
    let sql = format!("SELECT {} FROM {}", select.join(", "), quote_ident(&table));
    let rows = sqlx::query(&sql)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| unreadable(path, format!("reading table {table}: {e}")))?;

    let mut features = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let index = i + 1;
        let mut properties = Vec::with_capacity(attributes.len());
        for (col, name) in attributes.iter().enumerate() {
            let value: Option<String> = row.try_get(col).map_err(|e| {
                ImportError::invalid(
                    Location::file(path)
                        .feature(index, None)
                        .field(name.as_str()),
                    format!("cannot read the value: {e}"),
                )
            })?;
            properties.push(((*name).clone(), value));
        }
        let blob: Option<Vec<u8>> = row.try_get(attributes.len()).map_err(|e| {
            ImportError::invalid(
                Location::file(path)
                    .feature(index, None)
                    .field(geometry_field.as_str()),
                format!("the geometry is not a GeoPackage blob: {e}"),
            )
        })?;
        features.push(RawFeature {
            index,
            properties,
            geometry: RawGeometry::Gpkg(blob),
        });
    }
    Ok(RawFile {
        epsg,
        crs_label,
        crs_location: srs_location,
        geometry_field,
        features,
    })
}

/// The EPSG code of a GeoPackage srs_id, via `gpkg_spatial_ref_sys`.
async fn resolve_srs(
    path: &Path,
    location: Location,
    conn: &mut SqliteConnection,
    srs_id: i64,
) -> Result<(u32, String), ImportError> {
    let crs_error = |message: String| ImportError::Crs {
        location: location.clone(),
        message,
    };
    if srs_id == -1 || srs_id == 0 {
        return Err(crs_error(format!(
            "srs_id {srs_id} is the GeoPackage's undefined {} CRS; the geometry's CRS must be \
             an EPSG one",
            if srs_id == -1 {
                "Cartesian"
            } else {
                "geographic"
            }
        )));
    }
    let row = sqlx::query(
        "SELECT srs_name, organization, organization_coordsys_id \
         FROM gpkg_spatial_ref_sys WHERE srs_id = ?",
    )
    .bind(srs_id)
    .fetch_optional(&mut *conn)
    .await
    .map_err(|e| unreadable(path, format!("reading gpkg_spatial_ref_sys: {e}")))?;
    let Some(row) = row else {
        return Err(crs_error(format!(
            "srs_id {srs_id} is not defined in gpkg_spatial_ref_sys"
        )));
    };
    let name: Option<String> = row.try_get(0).ok().flatten();
    let organization: Option<String> = row.try_get(1).ok().flatten();
    let coordsys_id: Option<i64> = row.try_get(2).ok().flatten();
    let name = name.unwrap_or_default();
    let organization = organization.unwrap_or_default();
    match coordsys_id {
        Some(code) if organization.eq_ignore_ascii_case("EPSG") && code > 0 => {
            let epsg = u32::try_from(code).map_err(|_| {
                crs_error(format!("srs_id {srs_id}: EPSG code {code} is too large"))
            })?;
            Ok((epsg, format!("srs_id {srs_id} '{name}' (EPSG:{epsg})")))
        }
        _ => Err(crs_error(format!(
            "srs_id {srs_id} '{name}' is defined by organization '{organization}' with id {}; \
             only EPSG codes are supported",
            coordsys_id.map_or_else(|| "NULL".to_string(), |c| c.to_string())
        ))),
    }
}

/// Decodes a GeoPackage geometry blob; the error says what is wrong, for the caller to put in
/// the feature's location.
pub(super) fn decode(blob: &[u8]) -> Result<geo_types::Geometry<f64>, String> {
    GpkgWkb(blob)
        .to_geo()
        .map_err(|e| format!("cannot decode the GeoPackage geometry: {e}"))
}
