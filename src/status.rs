//! `stadsatlas status`: what the database holds.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::PgPool;

#[derive(Debug, Serialize)]
pub struct Status {
    pub data_version: i64,
    pub data_updated_at: String,
    pub municipalities: i64,
    /// Statistical areas by level (`regso`, `deso`).
    pub areas: BTreeMap<String, i64>,
    pub districts: DistrictCounts,
    pub indicators: i64,
    pub indicator_values: Vec<ValueCount>,
    pub imports: i64,
    pub last_import: Option<LastImport>,
}

#[derive(Debug, Serialize)]
pub struct DistrictCounts {
    pub total: i64,
    /// `original` (the 24 of storstadssatsningen 1999) and `candidate`.
    pub by_status: BTreeMap<String, i64>,
    pub by_programme: BTreeMap<String, i64>,
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct ValueCount {
    pub indicator: String,
    pub year: i16,
    pub level: String,
    /// Rows, missing ones included.
    pub values: i64,
    /// Rows whose value is missing (suppressed by SCB, or no member area had data).
    pub missing: i64,
    /// Rows computed by stadsatlas (districts; municipalities where SCB gives none).
    pub computed: i64,
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct LastImport {
    pub kind: String,
    pub file_name: String,
    pub imported_at: String,
}

/// One region's stored values, for `status --region CODE`.
#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct RegionValue {
    pub level: String,
    pub indicator: String,
    pub year: i16,
    pub value: Option<f64>,
    pub computed: bool,
    pub coverage: Option<f64>,
}

pub async fn status(pool: &PgPool) -> Result<Status, sqlx::Error> {
    let (data_version, data_updated_at): (i64, String) = sqlx::query_as(
        "SELECT version, to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM data_version",
    )
    .fetch_one(pool)
    .await?;
    let municipalities = sqlx::query_scalar("SELECT count(*) FROM municipalities")
        .fetch_one(pool)
        .await?;
    let areas = sqlx::query_as::<_, (String, i64)>(
        "SELECT level, count(*) FROM areas GROUP BY level ORDER BY level",
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect();
    let total = sqlx::query_scalar("SELECT count(*) FROM districts")
        .fetch_one(pool)
        .await?;
    let by_status = sqlx::query_as::<_, (String, i64)>(
        "SELECT status, count(*) FROM district_status GROUP BY status ORDER BY status",
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect();
    let by_programme = sqlx::query_as::<_, (String, i64)>(
        "SELECT p.id, count(m.district_id) FROM programmes p
         LEFT JOIN memberships m ON m.programme_id = p.id GROUP BY p.id ORDER BY p.id",
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect();
    let indicators = sqlx::query_scalar("SELECT count(*) FROM indicators")
        .fetch_one(pool)
        .await?;
    let indicator_values = sqlx::query_as::<_, ValueCount>(
        "SELECT v.indicator_id AS indicator, v.year, v.level, count(*) AS values,
                count(*) FILTER (WHERE v.value IS NULL) AS missing,
                count(*) FILTER (WHERE v.computed) AS computed
         FROM indicator_values v
         JOIN indicators i ON i.id = v.indicator_id
         GROUP BY i.sort_order, v.indicator_id, v.year, v.level
         ORDER BY i.sort_order, v.indicator_id, v.year,
                  array_position(ARRAY['country','kommun','district','regso','deso'], v.level)",
    )
    .fetch_all(pool)
    .await?;
    let imports = sqlx::query_scalar("SELECT count(*) FROM import_batches")
        .fetch_one(pool)
        .await?;
    let last_import = sqlx::query_as::<_, LastImport>(
        "SELECT kind, file_name,
                to_char(imported_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS imported_at
         FROM import_batches ORDER BY id DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await?;
    Ok(Status {
        data_version,
        data_updated_at,
        municipalities,
        areas,
        districts: DistrictCounts {
            total,
            by_status,
            by_programme,
        },
        indicators,
        indicator_values,
        imports,
        last_import,
    })
}

/// Every stored value of one region (any level), e.g. `0180R076` or `rinkeby`.
pub async fn region_values(pool: &PgPool, code: &str) -> Result<Vec<RegionValue>, sqlx::Error> {
    sqlx::query_as::<_, RegionValue>(
        "SELECT v.level, v.indicator_id AS indicator, v.year, v.value, v.computed, v.coverage
         FROM indicator_values v JOIN indicators i ON i.id = v.indicator_id
         WHERE v.region_code = $1
         ORDER BY v.level, i.sort_order, v.indicator_id, v.year",
    )
    .bind(code)
    .fetch_all(pool)
    .await
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "data version      {} ({})",
            self.data_version, self.data_updated_at
        )?;
        writeln!(f, "municipalities    {}", self.municipalities)?;
        for (level, n) in &self.areas {
            writeln!(f, "areas ({level:<5})     {n}")?;
        }
        writeln!(f, "districts         {}", self.districts.total)?;
        for (status, n) in &self.districts.by_status {
            writeln!(f, "  {status:<15} {n}")?;
        }
        for (programme, n) in &self.districts.by_programme {
            writeln!(f, "  in {programme:<12} {n}")?;
        }
        writeln!(f, "indicators        {}", self.indicators)?;
        writeln!(
            f,
            "indicator values  (indicator, year, level: rows / missing / computed)"
        )?;
        for v in &self.indicator_values {
            writeln!(
                f,
                "  {:<28} {} {:<8} {:>6} / {:>5} / {:>5}",
                v.indicator, v.year, v.level, v.values, v.missing, v.computed
            )?;
        }
        write!(f, "imports           {}", self.imports)?;
        if let Some(last) = &self.last_import {
            write!(
                f,
                " (last: {} {} at {})",
                last.kind, last.file_name, last.imported_at
            )?;
        }
        Ok(())
    }
}
