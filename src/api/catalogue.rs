//! `GET /api/indicators`: the indicator catalogue, and the indicator metadata other
//! responses repeat.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;

use super::{Definition, Localised};
use crate::http::{ApiError, AppState, CachePolicy, Payload};

#[derive(Debug, sqlx::FromRow)]
pub(super) struct IndicatorRow {
    pub id: String,
    pub name_sv: String,
    pub name_en: String,
    pub unit: String,
    pub decimals: i16,
    pub definition_sv: Option<String>,
    pub definition_en: String,
    pub higher_is_better: Option<bool>,
    pub aggregation: String,
    pub weight_indicator: Option<String>,
    pub source: String,
    pub source_table: String,
    pub licence: String,
}

/// One indicator of the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct Indicator {
    #[schema(example = "employment_rate")]
    pub id: String,
    pub name: Localised,
    /// `percent`, `persons`, `price_base_amounts`, …
    #[schema(example = "percent")]
    pub unit: String,
    /// Decimals to show values with (values themselves are not rounded).
    pub decimals: i16,
    pub definition: Definition,
    /// `true`: higher is better; `false`: lower is better; `null`: neutral (e.g. population).
    pub higher_is_better: Option<bool>,
    /// How district and municipal values are computed from area values:
    /// `weighted_mean` or `sum`.
    pub aggregation: String,
    /// The indicator used as weight for `weighted_mean` (population).
    pub weight: Option<String>,
    pub source: String,
    /// The SCB table the values come from.
    pub source_table: String,
    pub licence: String,
    /// Years with values, per level (`country`, `kommun`, `regso`, `deso`, `district`);
    /// a level without values is absent.
    #[schema(value_type = Object, example = json!({"regso": [2024], "district": [2024], "kommun": [2024]}))]
    pub years: BTreeMap<String, Vec<i16>>,
    /// The latest year with a value at any level.
    pub latest_year: Option<i16>,
}

/// What responses about one indicator's values repeat of it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IndicatorMeta {
    #[schema(example = "employment_rate")]
    pub id: String,
    pub name: Localised,
    pub unit: String,
    pub decimals: i16,
    /// `true`: higher is better; `false`: lower is better; `null`: neutral.
    pub higher_is_better: Option<bool>,
    pub source: String,
    pub licence: String,
}

impl From<&IndicatorRow> for IndicatorMeta {
    fn from(r: &IndicatorRow) -> Self {
        IndicatorMeta {
            id: r.id.clone(),
            name: Localised {
                sv: r.name_sv.clone(),
                en: r.name_en.clone(),
            },
            unit: r.unit.clone(),
            decimals: r.decimals,
            higher_is_better: r.higher_is_better,
            source: r.source.clone(),
            licence: r.licence.clone(),
        }
    }
}

/// The catalogue (`id = None`) or one indicator, in sort order.
pub(super) async fn load(pool: &PgPool, id: Option<&str>) -> Result<Vec<IndicatorRow>, ApiError> {
    Ok(
        sqlx::query_as::<_, IndicatorRow>(include_str!("sql/indicators.sql"))
            .bind(id)
            .fetch_all(pool)
            .await?,
    )
}

/// One indicator named by a request parameter, or a 400 naming it.
pub(super) async fn known(pool: &PgPool, id: &str) -> Result<IndicatorRow, ApiError> {
    load(pool, Some(id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "indicator '{id}' is not in the catalogue; see /api/indicators"
            ))
        })
}

/// The catalogue of indicators, in display order, with the years that have values at each
/// level.
#[utoipa::path(get, path = "/api/indicators", operation_id = "indicator_catalogue", tag = "indicators",
    responses(
        (status = 200, description = "The indicator catalogue", body = [Indicator]),
        (status = 304, description = "Not modified (If-None-Match)"),
    ))]
pub(super) async fn indicators(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let pool = state.pool.clone();
    state
        .cached(
            &headers,
            "api_indicators",
            String::new(),
            CachePolicy::Revalidate,
            || async move {
                let rows = load(&pool, None).await?;
                let years: Vec<(String, String, Vec<i16>)> =
                    sqlx::query_as(include_str!("sql/indicator_years.sql"))
                        .fetch_all(&pool)
                        .await?;
                let mut by_indicator: BTreeMap<String, BTreeMap<String, Vec<i16>>> =
                    BTreeMap::new();
                for (id, level, ys) in years {
                    by_indicator.entry(id).or_default().insert(level, ys);
                }
                let list: Vec<Indicator> = rows
                    .into_iter()
                    .map(|r| {
                        let years = by_indicator.remove(&r.id).unwrap_or_default();
                        let latest_year = years.values().flatten().copied().max();
                        Indicator {
                            id: r.id,
                            name: Localised {
                                sv: r.name_sv,
                                en: r.name_en,
                            },
                            unit: r.unit,
                            decimals: r.decimals,
                            definition: Definition {
                                sv: r.definition_sv,
                                en: r.definition_en,
                            },
                            higher_is_better: r.higher_is_better,
                            aggregation: r.aggregation,
                            weight: r.weight_indicator,
                            source: r.source,
                            source_table: r.source_table,
                            licence: r.licence,
                            years,
                            latest_year,
                        }
                    })
                    .collect();
                Payload::json(&list)
            },
        )
        .await
}
