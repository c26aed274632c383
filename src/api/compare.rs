//! `GET /api/compare`: one indicator for up to 20 districts, with their ranks and their
//! municipalities' and Sweden's values.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::{IntoParams, ToSchema};

use super::catalogue::{self, IndicatorMeta};
use super::districts::district_values;
use super::rank::{rank_of, Rank, RankOrder};
use super::{parse_year, query, years_text};
use crate::http::{ApiError, AppState, CachePolicy, Payload};

/// At most this many districts in one comparison.
pub const MAX_DISTRICTS: usize = 20;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct CompareParams {
    /// 1 to 20 district ids, comma-separated, in the order the rows should have.
    #[param(required = true, example = "rinkeby,hjallbo,araby")]
    districts: Option<String>,
    /// Indicator id (see /api/indicators).
    #[param(required = true, example = "employment_rate")]
    indicator: Option<String>,
    /// Default: the latest year with district values of the indicator.
    #[param(value_type = Option<i16>)]
    year: Option<String>,
}

/// One district in a comparison.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComparisonRow {
    pub id: String,
    pub name: String,
    pub kommun: String,
    pub kommun_name: String,
    /// `original` or `candidate`.
    pub status: String,
    /// Null when missing; never 0 for missing.
    pub value: Option<f64>,
    pub computed: bool,
    pub method: Option<String>,
    pub coverage: Option<f64>,
    /// Rank among all districts with a value that year (1 = best; see `order`).
    pub rank: Option<Rank>,
    /// The municipality's value for the same year.
    pub kommun_value: Option<f64>,
}

/// A municipality involved in a comparison.
#[derive(Debug, Serialize, ToSchema)]
pub struct KommunReference {
    pub code: String,
    pub name: String,
    pub value: Option<f64>,
    /// True: computed from the municipality's RegSO values (SCB gave none).
    pub computed: bool,
}

/// What the compared districts are measured against.
#[derive(Debug, Serialize, ToSchema)]
pub struct References {
    /// Sweden's value; null when not in the data (never estimated).
    pub sweden: Option<f64>,
    /// The municipalities of the compared districts, in order of first appearance.
    pub kommuner: Vec<KommunReference>,
}

/// A comparison of districts on one indicator and year.
#[derive(Debug, Serialize, ToSchema)]
pub struct Comparison {
    pub indicator: IndicatorMeta,
    pub year: i16,
    /// How ranks are ordered: `descending` = highest value is rank 1.
    pub order: RankOrder,
    /// The districts, in the order asked for.
    pub rows: Vec<ComparisonRow>,
    pub references: References,
}

#[derive(Debug, sqlx::FromRow)]
struct Row {
    id: String,
    name: String,
    kommun_code: String,
    kommun_name: String,
    status: String,
    value: Option<f64>,
    computed: bool,
    method: Option<String>,
    coverage: Option<f64>,
    kommun_value: Option<f64>,
    kommun_computed: bool,
}

/// The `districts` parameter: ids in order, without repeats.
fn parse_districts(raw: Option<&str>) -> Result<Vec<String>, ApiError> {
    let mut ids: Vec<String> = Vec::new();
    for id in raw.unwrap_or("").split(',').map(str::trim) {
        if !id.is_empty() && !ids.iter().any(|i| i == id) {
            ids.push(id.to_string());
        }
    }
    if ids.is_empty() {
        return Err(ApiError::bad_request(
            "districts is required: 1 to 20 district ids, comma-separated (see /api/districts)",
        ));
    }
    if ids.len() > MAX_DISTRICTS {
        return Err(ApiError::bad_request(format!(
            "districts names {} districts; at most {MAX_DISTRICTS} can be compared",
            ids.len()
        )));
    }
    Ok(ids)
}

/// Compares districts on one indicator: rows in the order asked for, with each district's
/// rank among all districts and its municipality's value.
#[utoipa::path(get, path = "/api/compare", operation_id = "compare_districts", tag = "indicators", params(CompareParams),
    responses(
        (status = 200, description = "The comparison", body = Comparison),
        (status = 400, description = "Missing, unknown or too many districts; unknown indicator; year without data",
         body = crate::http::problem::Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn compare(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<CompareParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let params = query(params)?;
    let ids = parse_districts(params.districts.as_deref())?;
    let indicator = params
        .indicator
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::bad_request("indicator is required (an id from /api/indicators)"))?
        .to_string();
    let year = parse_year(params.year.as_deref())?;
    let key = format!(
        "{}|{indicator}|{}",
        ids.join(","),
        year.map_or("latest".to_string(), |y| y.to_string())
    );
    let pool = state.pool.clone();
    state
        .cached(
            &headers,
            "api_compare",
            key,
            CachePolicy::Revalidate,
            || async move { Payload::json(&build(&pool, &ids, &indicator, year).await?) },
        )
        .await
}

async fn build(
    pool: &PgPool,
    ids: &[String],
    indicator: &str,
    year: Option<i16>,
) -> Result<Comparison, ApiError> {
    let known: Vec<String> = sqlx::query_scalar("SELECT id FROM districts WHERE id = ANY($1)")
        .bind(ids)
        .fetch_all(pool)
        .await?;
    let unknown: Vec<&str> = ids
        .iter()
        .filter(|id| !known.contains(id))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::bad_request(format!(
            "districts: no district '{}'; see /api/districts",
            unknown.join("', '")
        )));
    }
    let ind = catalogue::known(pool, indicator).await?;
    let years: Vec<i16> = sqlx::query_scalar(include_str!("sql/level_years.sql"))
        .bind(indicator)
        .bind("district")
        .fetch_all(pool)
        .await?;
    let year = match year {
        Some(y) if years.contains(&y) => y,
        Some(y) => {
            return Err(ApiError::bad_request(format!(
                "year {y} has no district values of '{indicator}'; years with values: {}",
                years_text(&years)
            )))
        }
        None => *years.last().ok_or_else(|| {
            ApiError::bad_request(format!("indicator '{indicator}' has no district values"))
        })?,
    };
    let rows = sqlx::query_as::<_, Row>(include_str!("sql/compare_rows.sql"))
        .bind(ids)
        .bind(indicator)
        .bind(year)
        .fetch_all(pool)
        .await?;
    let all: Vec<f64> = district_values(pool, Some(indicator), Some(year))
        .await?
        .into_iter()
        .map(|r| r.value)
        .collect();
    let sweden: Option<f64> = sqlx::query_scalar(
        "SELECT value FROM indicator_values
         WHERE level = 'country' AND region_code = '00' AND indicator_id = $1 AND year = $2",
    )
    .bind(indicator)
    .bind(year)
    .fetch_optional(pool)
    .await?
    .flatten();

    let order = RankOrder::for_direction(ind.higher_is_better);
    let mut out = Vec::with_capacity(ids.len());
    let mut kommuner: Vec<KommunReference> = Vec::new();
    for id in ids {
        let Some(r) = rows.iter().find(|r| &r.id == id) else {
            continue;
        };
        if !kommuner.iter().any(|k| k.code == r.kommun_code) {
            kommuner.push(KommunReference {
                code: r.kommun_code.clone(),
                name: r.kommun_name.clone(),
                value: r.kommun_value,
                computed: r.kommun_computed,
            });
        }
        out.push(ComparisonRow {
            id: r.id.clone(),
            name: r.name.clone(),
            kommun: r.kommun_code.clone(),
            kommun_name: r.kommun_name.clone(),
            status: r.status.clone(),
            value: r.value,
            computed: r.computed,
            method: r.method.clone(),
            coverage: r.coverage,
            rank: rank_of(r.value, &all, order),
            kommun_value: r.kommun_value,
        });
    }
    Ok(Comparison {
        indicator: IndicatorMeta::from(&ind),
        year,
        order,
        rows: out,
        references: References { sweden, kommuner },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_district_lists() {
        assert_eq!(
            parse_districts(Some(" rinkeby, hjallbo,,rinkeby ")).unwrap(),
            ["rinkeby", "hjallbo"]
        );
        assert!(parse_districts(Some(" , ")).is_err());
        assert!(parse_districts(None).is_err());
        let many: Vec<String> = (0..21).map(|i| format!("d{i}")).collect();
        assert!(parse_districts(Some(&many.join(","))).is_err());
        assert!(parse_districts(Some(&many[..20].join(","))).is_ok());
    }
}
