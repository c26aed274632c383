//! Writes boundary features (already read and reprojected to EPSG:3006) to PostGIS.
//! Invalid geometry is repaired with ST_MakeValid; a feature whose repair leaves no polygon
//! is rejected by name. Existing regions with the same code are updated in place.

use std::path::Path;

use geozero::{CoordDimensions, ToWkb};
use sqlx::{Acquire, Postgres};

use super::batch::{Batch, ImportReport};
use super::boundaries::{BoundaryFeature, BoundaryKind};
use super::{ImportError, Location};

pub async fn write_boundaries<'c>(
    conn: impl Acquire<'c, Database = Postgres>,
    file: &Path,
    kind: BoundaryKind,
    features: Vec<BoundaryFeature>,
) -> Result<ImportReport, ImportError> {
    if features.is_empty() {
        return Err(ImportError::invalid(
            Location::file(file),
            "the file has no features",
        ));
    }
    let mut idx = Vec::with_capacity(features.len());
    let mut codes = Vec::with_capacity(features.len());
    let mut names = Vec::with_capacity(features.len());
    let mut kommuner = Vec::with_capacity(features.len());
    let mut wkb = Vec::with_capacity(features.len());
    for f in &features {
        let bytes = geo_types::Geometry::MultiPolygon(f.geometry.clone())
            .to_wkb(CoordDimensions::xy())
            .map_err(|e| {
                ImportError::invalid(
                    Location::file(file)
                        .feature(f.index, Some(&f.code))
                        .field("geometry"),
                    format!("cannot encode the geometry: {e}"),
                )
            })?;
        idx.push(i32::try_from(f.index).unwrap_or(i32::MAX));
        codes.push(f.code.clone());
        names.push(f.name.clone());
        kommuner.push(f.kommun_code.clone());
        wkb.push(bytes);
    }

    let kind_name = match kind {
        BoundaryKind::Kommuner => "kommuner",
        BoundaryKind::Regso => "regso",
        BoundaryKind::Deso => "deso",
    };
    let mut batch = Batch::begin(conn, kind_name, file, &[file.to_path_buf()]).await?;
    let db = |source| ImportError::Database {
        file: file.to_path_buf(),
        source,
    };
    let tx = &mut batch.tx;

    // Inside the bundled import's outer transaction, an earlier file's table still exists.
    sqlx::query("DROP TABLE IF EXISTS staged_boundaries")
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    sqlx::query(
        "CREATE TEMP TABLE staged_boundaries (
             idx int, code text, name text, kommun_code text, geom geometry
         ) ON COMMIT DROP",
    )
    .execute(&mut **tx)
    .await
    .map_err(db)?;
    sqlx::query(
        "INSERT INTO staged_boundaries
         SELECT idx, code, name, kommun, ST_Force2D(ST_GeomFromWKB(wkb, 3006))
         FROM UNNEST($1::int[], $2::text[], $3::text[], $4::text[], $5::bytea[])
              AS t(idx, code, name, kommun, wkb)",
    )
    .bind(&idx)
    .bind(&codes)
    .bind(&names)
    .bind(&kommuner)
    .bind(&wkb)
    .execute(&mut **tx)
    .await
    .map_err(db)?;

    // Repair what is invalid; keep only the polygonal part of the repair.
    let repaired: Vec<(i32, String, String)> = sqlx::query_as(
        "WITH bad AS (
             SELECT idx, code, ST_IsValidReason(geom) AS reason
             FROM staged_boundaries WHERE NOT ST_IsValid(geom)
         )
         UPDATE staged_boundaries s
         SET geom = ST_CollectionExtract(ST_MakeValid(s.geom), 3)
         FROM bad WHERE bad.idx = s.idx
         RETURNING s.idx, s.code, bad.reason",
    )
    .fetch_all(&mut **tx)
    .await
    .map_err(db)?;
    let empty: Option<(i32, String)> = sqlx::query_as(
        "SELECT idx, code FROM staged_boundaries
         WHERE geom IS NULL OR ST_IsEmpty(geom) OR ST_Area(geom) = 0
         ORDER BY idx LIMIT 1",
    )
    .fetch_optional(&mut **tx)
    .await
    .map_err(db)?;
    if let Some((n, code)) = empty {
        return Err(ImportError::invalid(
            Location::file(file)
                .feature(n as usize, Some(&code))
                .field("geometry"),
            "the geometry is invalid and cannot be repaired into a polygon with area",
        ));
    }

    let rows = match kind {
        BoundaryKind::Kommuner => sqlx::query(
            "INSERT INTO municipalities (code, name, geom, area_km2, batch_id)
             SELECT code, name, ST_Multi(geom), ST_Area(geom) / 1e6, $1
             FROM staged_boundaries ORDER BY idx
             ON CONFLICT (code) DO UPDATE
             SET name = EXCLUDED.name, geom = EXCLUDED.geom,
                 area_km2 = EXCLUDED.area_km2, batch_id = EXCLUDED.batch_id",
        )
        .bind(batch.id)
        .execute(&mut *batch.tx)
        .await
        .map_err(db)?
        .rows_affected(),
        BoundaryKind::Regso | BoundaryKind::Deso => {
            let missing: Option<(i32, String, String)> = sqlx::query_as(
                "SELECT s.idx, s.code, s.kommun_code FROM staged_boundaries s
                 WHERE NOT EXISTS (SELECT 1 FROM municipalities m WHERE m.code = s.kommun_code)
                 ORDER BY s.idx LIMIT 1",
            )
            .fetch_optional(&mut *batch.tx)
            .await
            .map_err(db)?;
            if let Some((n, code, kommun)) = missing {
                return Err(ImportError::invalid(
                    Location::file(file).feature(n as usize, Some(&code)).field("kommunkod"),
                    format!(
                        "municipality {kommun} is not in the database; import the municipalities first (stadsatlas import kommuner FILE)"
                    ),
                ));
            }
            sqlx::query(
                "INSERT INTO areas (level, code, name, kommun_code, geom, area_km2, batch_id)
                 SELECT $1, code, name, kommun_code, ST_Multi(geom), ST_Area(geom) / 1e6, $2
                 FROM staged_boundaries ORDER BY idx
                 ON CONFLICT (level, code) DO UPDATE
                 SET name = EXCLUDED.name, kommun_code = EXCLUDED.kommun_code,
                     geom = EXCLUDED.geom, area_km2 = EXCLUDED.area_km2,
                     batch_id = EXCLUDED.batch_id",
            )
            .bind(kind_name)
            .bind(batch.id)
            .execute(&mut *batch.tx)
            .await
            .map_err(db)?
            .rows_affected()
        }
    };

    let mut notes = Vec::new();
    if !repaired.is_empty() {
        let list: Vec<String> = repaired
            .iter()
            .take(10)
            .map(|(n, code, reason)| format!("feature {n} ({code}): {reason}"))
            .collect();
        tracing::warn!(file = %file.display(), count = repaired.len(), "repaired invalid geometries with ST_MakeValid");
        notes.push(format!(
            "repaired {} invalid geometr{} with ST_MakeValid: {}{}",
            repaired.len(),
            if repaired.len() == 1 { "y" } else { "ies" },
            list.join("; "),
            if repaired.len() > 10 { "; …" } else { "" }
        ));
    }
    batch.finish(rows, notes).await
}
