//! Writes SCB statistics, in any of the formats [`super::scb`] reads, to the database:
//! the indicator catalogue of the mapping file, then the values, in one transaction.
//! Every region must already exist (boundaries are imported first); district and
//! municipality values are recomputed when the batch finishes.

use std::path::Path;

use sqlx::{Acquire, PgConnection, Postgres};

use super::batch::{Batch, ImportReport};
use super::scb::mapping::{MappedTable, Mapping};
use super::scb::{read_table, StatFormat};
use super::{ImportError, Location};

pub async fn import_statistics<'c>(
    conn: impl Acquire<'c, Database = Postgres>,
    file: &Path,
    format: StatFormat,
    mapping_path: &Path,
) -> Result<ImportReport, ImportError> {
    let mapping = Mapping::load(mapping_path)?;
    let table = read_table(file, format)?;
    let mapped = mapping.apply(&table)?;

    let mut batch = Batch::begin(
        conn,
        "statistics",
        file,
        &[file.to_path_buf(), mapping_path.to_path_buf()],
    )
    .await?;
    let db = |source| ImportError::Database {
        file: file.to_path_buf(),
        source,
    };
    upsert_catalogue(&mut batch.tx, &mapping)
        .await
        .map_err(db)?;
    let rows = write_values(&mut batch.tx, file, &mapped, batch.id).await?;

    let mut notes = Vec::new();
    if !mapped.unmapped.is_empty() {
        let list: Vec<String> = mapped
            .unmapped
            .iter()
            .map(|(code, n)| format!("{code} ({n} cells)"))
            .collect();
        notes.push(format!(
            "value columns not mapped to an indicator, ignored: {}",
            list.join(", ")
        ));
    }
    if mapped.skipped_cells > 0 {
        notes.push(format!(
            "{} cells of other slices (sex, age, background) ignored",
            mapped.skipped_cells
        ));
    }
    batch.finish(rows, notes).await
}

/// The catalogue belongs to the mapping file: every import brings it up to date.
async fn upsert_catalogue(conn: &mut PgConnection, mapping: &Mapping) -> Result<(), sqlx::Error> {
    // Indicators that weight others go first (foreign key).
    let mut ordered: Vec<(usize, &_)> = mapping.indicators.iter().enumerate().collect();
    ordered.sort_by_key(|(_, i)| i.weight.is_some());
    for (sort_order, ind) in ordered {
        sqlx::query(
            "INSERT INTO indicators (id, name_sv, name_en, unit, definition_sv, definition_en,
                 higher_is_better, aggregation, weight_indicator, decimals, source_table, source,
                 licence, sort_order)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
             ON CONFLICT (id) DO UPDATE SET
                 name_sv = EXCLUDED.name_sv, name_en = EXCLUDED.name_en, unit = EXCLUDED.unit,
                 definition_sv = EXCLUDED.definition_sv, definition_en = EXCLUDED.definition_en,
                 higher_is_better = EXCLUDED.higher_is_better, aggregation = EXCLUDED.aggregation,
                 weight_indicator = EXCLUDED.weight_indicator, decimals = EXCLUDED.decimals,
                 source_table = EXCLUDED.source_table, source = EXCLUDED.source,
                 licence = EXCLUDED.licence, sort_order = EXCLUDED.sort_order",
        )
        .bind(&ind.id)
        .bind(&ind.name_sv)
        .bind(&ind.name_en)
        .bind(&ind.unit)
        .bind(&ind.definition_sv)
        .bind(&ind.definition_en)
        .bind(ind.higher_is_better)
        .bind(ind.aggregation.as_str())
        .bind(&ind.weight)
        .bind(i16::from(ind.decimals))
        .bind(ind.source_table.join(", "))
        .bind(&ind.source)
        .bind(&ind.licence)
        .bind(sort_order as i32)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

async fn write_values(
    conn: &mut PgConnection,
    file: &Path,
    mapped: &MappedTable,
    batch_id: i64,
) -> Result<u64, ImportError> {
    let db = |source| ImportError::Database {
        file: file.to_path_buf(),
        source,
    };
    let obs = &mapped.observations;
    let ord: Vec<i32> = (0..obs.len() as i32).collect();
    let levels: Vec<&str> = obs.iter().map(|o| o.level.as_str()).collect();
    let regions: Vec<&str> = obs.iter().map(|o| o.region.as_str()).collect();
    let indicators: Vec<&str> = obs.iter().map(|o| o.indicator.as_str()).collect();
    let years: Vec<i16> = obs.iter().map(|o| o.year).collect();
    let values: Vec<Option<f64>> = obs.iter().map(|o| o.value).collect();

    // Inside the bundled import's outer transaction, an earlier file's table still exists.
    sqlx::query("DROP TABLE IF EXISTS staged_values")
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    sqlx::query(
        "CREATE TEMP TABLE staged_values (
             ord int, level text, region_code text, indicator_id text, year smallint,
             value double precision
         ) ON COMMIT DROP",
    )
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    sqlx::query(
        "INSERT INTO staged_values
         SELECT * FROM UNNEST($1::int[], $2::text[], $3::text[], $4::text[], $5::smallint[],
                              $6::float8[])",
    )
    .bind(&ord)
    .bind(&levels)
    .bind(&regions)
    .bind(&indicators)
    .bind(&years)
    .bind(&values)
    .execute(&mut *conn)
    .await
    .map_err(db)?;

    // Every region must be known: a value for a region we cannot draw is a wrong file.
    let unknown: Option<i32> = sqlx::query_scalar(
        "SELECT s.ord FROM staged_values s
         WHERE NOT CASE s.level
             WHEN 'country' THEN s.region_code = '00'
             WHEN 'kommun' THEN EXISTS (SELECT 1 FROM municipalities m WHERE m.code = s.region_code)
             ELSE EXISTS (SELECT 1 FROM areas a WHERE a.level = s.level AND a.code = s.region_code)
         END
         ORDER BY s.ord LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    if let Some(i) = unknown {
        let o = &obs[i as usize];
        let what = match o.level.as_str() {
            "kommun" => "municipality",
            "regso" => "RegSO area",
            "deso" => "DeSO area",
            other => other,
        };
        return Err(ImportError::invalid(
            Location::file(file).item(o.item.clone()).field("Region"),
            format!(
                "unknown region code {}: no such {what} in the database (import its boundaries first)",
                o.region
            ),
        ));
    }

    let rows = sqlx::query(
        "INSERT INTO indicator_values
             (level, region_code, indicator_id, year, value, computed, method, coverage, batch_id)
         SELECT level, region_code, indicator_id, year, value, false, NULL, NULL, $1
         FROM staged_values ORDER BY ord
         ON CONFLICT (indicator_id, year, level, region_code) DO UPDATE
         SET value = EXCLUDED.value, computed = false, method = NULL, coverage = NULL,
             batch_id = EXCLUDED.batch_id",
    )
    .bind(batch_id)
    .execute(&mut *conn)
    .await
    .map_err(db)?
    .rows_affected();
    Ok(rows)
}
