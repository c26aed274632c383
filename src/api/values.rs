//! `GET /api/indicators/{id}/values`: every value of one indicator at one level and year,
//! as JSON or as CSV for spreadsheets.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::{IntoParams, ToSchema};

use super::catalogue::{self, IndicatorMeta};
use super::{parse_year, query, years_text, ApiLevel};
use crate::http::{ApiError, AppState, CachePolicy, Payload};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ValuesParams {
    /// `areas` (RegSO), `districts` or `kommuner` (municipalities).
    #[param(required = true, example = "districts")]
    level: Option<String>,
    /// Default: the latest year with values at that level.
    #[param(value_type = Option<i16>)]
    year: Option<String>,
    /// `json` (default) or `csv` (UTF-8 with BOM, comma-separated, decimal point).
    format: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

/// One region's value.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct RegionValue {
    /// RegSO code, district id or municipality code.
    #[schema(example = "0180R076")]
    pub code: String,
    pub name: Option<String>,
    /// Municipality code.
    pub kommun: Option<String>,
    pub kommun_name: Option<String>,
    /// Null when missing (suppressed by SCB); never 0 for missing.
    pub value: Option<f64>,
    /// True: computed by stadsatlas from RegSO values (`method` says how).
    pub computed: bool,
    pub method: Option<String>,
    /// Share (0..1) of the region's population whose areas had a value (computed values).
    pub coverage: Option<f64>,
}

/// All values of one indicator at one level and year.
#[derive(Debug, Serialize, ToSchema)]
pub struct IndicatorValues {
    pub indicator: IndicatorMeta,
    /// `areas`, `districts` or `kommuner`.
    pub level: String,
    pub year: i16,
    /// Ordered by code.
    pub values: Vec<RegionValue>,
}

/// The CSV header, in column order.
pub const CSV_HEADER: [&str; 11] = [
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
    "source",
];

/// Every value of an indicator for one level and year, as JSON or CSV. Missing values are
/// `null` (JSON) or empty cells (CSV), never 0.
#[utoipa::path(get, path = "/api/indicators/{id}/values", operation_id = "indicator_values", tag = "indicators",
    params(("id" = String, Path, description = "Indicator id", example = "employment_rate"),
           ValuesParams),
    responses(
        (status = 200, description = "The values; with `format=csv`, CSV in UTF-8 with BOM, comma-separated, decimal point, header `code,name,kommun,kommun_name,indicator,year,value,unit,computed,coverage,source`, missing values as empty cells",
         content((IndicatorValues = "application/json"), (String = "text/csv; charset=utf-8"))),
        (status = 400, description = "Unknown indicator, level or format; year without values",
         body = crate::http::problem::Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn values(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    params: Result<Query<ValuesParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let params = query(params)?;
    let level = match params.level.as_deref().map(str::trim) {
        None | Some("") => {
            return Err(ApiError::bad_request(
                "level is required: areas, districts or kommuner",
            ))
        }
        Some(l) => ApiLevel::parse(l).ok_or_else(|| {
            ApiError::bad_request(format!(
                "level '{l}' is not known: use areas, districts or kommuner"
            ))
        })?,
    };
    let format = match params.format.as_deref().map(str::trim) {
        None | Some("") | Some("json") => Format::Json,
        Some("csv") => Format::Csv,
        Some(f) => {
            return Err(ApiError::bad_request(format!(
                "format '{f}' is not known: use json or csv"
            )))
        }
    };
    let year = parse_year(params.year.as_deref())?;
    let key = format!(
        "{id}|{}|{}|{:?}",
        level.as_str(),
        year.map_or("latest".to_string(), |y| y.to_string()),
        format
    );
    let pool = state.pool.clone();
    state
        .cached(
            &headers,
            "api_values",
            key,
            CachePolicy::Revalidate,
            || async move {
                let data = load(&pool, &id, level, year).await?;
                match format {
                    Format::Json => Payload::json(&data.0),
                    Format::Csv => csv_payload(&data),
                }
            },
        )
        .await
}

async fn load(
    pool: &PgPool,
    id: &str,
    level: ApiLevel,
    year: Option<i16>,
) -> Result<(IndicatorValues, String), ApiError> {
    let ind = catalogue::known(pool, id).await?;
    let years: Vec<i16> = sqlx::query_scalar(include_str!("sql/level_years.sql"))
        .bind(id)
        .bind(level.db_level())
        .fetch_all(pool)
        .await?;
    let year = match year {
        Some(y) if years.contains(&y) => y,
        Some(y) => {
            return Err(ApiError::bad_request(format!(
                "year {y} has no values of '{id}' for {}; years with values: {}",
                level.as_str(),
                years_text(&years)
            )))
        }
        None => *years.last().ok_or_else(|| {
            ApiError::bad_request(format!(
                "indicator '{id}' has no values for {}",
                level.as_str()
            ))
        })?,
    };
    let values = sqlx::query_as::<_, RegionValue>(include_str!("sql/level_values.sql"))
        .bind(id)
        .bind(level.db_level())
        .bind(year)
        .fetch_all(pool)
        .await?;
    let source = format!("{}; licence {}", ind.source, ind.licence);
    Ok((
        IndicatorValues {
            indicator: IndicatorMeta::from(&ind),
            level: level.as_str().to_string(),
            year,
            values,
        },
        source,
    ))
}

fn csv_payload((data, source): &(IndicatorValues, String)) -> Result<Payload, ApiError> {
    let csv_err = |e: csv::Error| ApiError::Internal(format!("writing CSV: {e}"));
    // The BOM makes Excel read the file as UTF-8 (Swedish names).
    // CRLF line ends, as RFC 4180 says.
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    w.write_record(CSV_HEADER).map_err(csv_err)?;
    let year = data.year.to_string();
    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for v in &data.values {
        w.write_record([
            v.code.as_str(),
            v.name.as_deref().unwrap_or(""),
            v.kommun.as_deref().unwrap_or(""),
            v.kommun_name.as_deref().unwrap_or(""),
            data.indicator.id.as_str(),
            year.as_str(),
            opt(v.value).as_str(),
            data.indicator.unit.as_str(),
            if v.computed { "true" } else { "false" },
            opt(v.coverage).as_str(),
            source.as_str(),
        ])
        .map_err(csv_err)?;
    }
    let body = w
        .into_inner()
        .map_err(|e| ApiError::Internal(format!("writing CSV: {e}")))?;
    let filename = format!(
        "stadsatlas_{}_{}_{}.csv",
        data.indicator.id, data.level, data.year
    );
    Ok(Payload::new("text/csv; charset=utf-8", body).with_header(
        header::CONTENT_DISPOSITION,
        &format!("attachment; filename=\"{filename}\""),
    ))
}
