//! The atlas's MapLibre style: our own layers only (no basemap, glyphs or sprites from the
//! internet), so a map works offline. RegSO areas are a choropleth of one indicator in five
//! quantile classes of a colour-blind-safe sequential palette (ColorBrewer YlGnBu), darker =
//! better, so the ramp is reversed for indicators where lower is better; missing values are
//! grey and named in `metadata`. Original districts have solid outlines, candidates dashed.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Value};

use super::{resolve_indicator, IndicatorYear, TileQuery};
use crate::http::{ApiError, AppState, CachePolicy, Payload};

/// ColorBrewer YlGnBu, 5 classes: sequential and safe for colour-blind readers.
pub const PALETTE: [&str; 5] = ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"];
pub const MISSING: &str = "#c8c8c8";
/// The indicator the atlas opens with.
pub const DEFAULT_INDICATOR: &str = "employment_rate";

/// The MapLibre style of the atlas's default view.
#[utoipa::path(get, path = "/styles/atlas.json", tag = "tiles",
    params(TileQuery),
    responses((status = 200, description = "MapLibre style (version 8)", content_type = "application/json"),
              (status = 400, description = "Unknown indicator or year", body = crate::http::problem::Problem)))]
pub async fn style(
    State(state): State<AppState>,
    Query(q): Query<TileQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let base = state.base_url(&headers);
    let key = format!(
        "{}&{}@{base}",
        q.indicator.as_deref().unwrap_or(""),
        q.year.as_deref().unwrap_or("")
    );
    let pool = state.pool.clone();
    state
        .cached(
            &headers,
            "style",
            key,
            CachePolicy::Revalidate,
            || async move {
                let indicator = q.indicator.as_deref().unwrap_or(DEFAULT_INDICATOR);
                let iy = resolve_indicator(&pool, "regso", Some(indicator), q.year.as_deref())
                    .await?
                    .ok_or_else(|| ApiError::Internal("indicator resolution failed".into()))?;
                let doc = style_doc(&pool, &base, &iy).await?;
                Payload::json(&doc)
            },
        )
        .await
}

/// Quantile class breaks (4 inner limits for 5 classes) of the RegSO values.
async fn quantile_breaks(pool: &sqlx::PgPool, iy: &IndicatorYear) -> Result<Vec<f64>, ApiError> {
    let breaks: Option<Vec<f64>> = sqlx::query_scalar(
        "SELECT percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY value)
         FROM indicator_values
         WHERE level = 'regso' AND indicator_id = $1 AND year = $2 AND value IS NOT NULL",
    )
    .bind(&iy.indicator)
    .bind(iy.year)
    .fetch_one(pool)
    .await?;
    let mut breaks = breaks.unwrap_or_default();
    breaks.dedup_by(|a, b| (*a - *b).abs() < 1e-12);
    Ok(breaks)
}

async fn style_doc(pool: &sqlx::PgPool, base: &str, iy: &IndicatorYear) -> Result<Value, ApiError> {
    let (name_sv, name_en, unit, higher_is_better): (String, String, String, Option<bool>) =
        sqlx::query_as(
            "SELECT name_sv, name_en, unit, higher_is_better FROM indicators WHERE id = $1",
        )
        .bind(&iy.indicator)
        .fetch_one(pool)
        .await?;
    let breaks = quantile_breaks(pool, iy).await?;
    let mut palette: Vec<&str> = PALETTE[..breaks.len() + 1].to_vec();
    if higher_is_better == Some(false) {
        palette.reverse();
    }
    let mut step = vec![json!("step"), json!(["get", "value"]), json!(palette[0])];
    for (limit, colour) in breaks.iter().zip(&palette[1..]) {
        step.push(json!(limit));
        step.push(json!(colour));
    }
    let fill = json!(["case", ["has", "value"], Value::Array(step), MISSING]);
    let q = format!("indicator={}&year={}", iy.indicator, iy.year);
    let source = |layer: &str, query: &str| {
        json!({
            "type": "vector",
            "url": format!("{base}/tiles/{layer}.json{query}"),
            "attribution": "Statistics Sweden (SCB), CC0",
        })
    };
    Ok(json!({
        "version": 8,
        "name": "stadsatlas",
        "metadata": {
            "stadsatlas:indicator": iy.indicator,
            "stadsatlas:indicator_name": {"sv": name_sv, "en": name_en},
            "stadsatlas:unit": unit,
            "stadsatlas:year": iy.year,
            "stadsatlas:classification": "quantiles",
            "stadsatlas:breaks": breaks,
            "stadsatlas:palette": palette,
            "stadsatlas:missing_colour": MISSING,
        },
        "center": [15.5, 62.0],
        "zoom": 4,
        "sources": {
            "kommuner": source("kommuner", ""),
            "areas": source("areas", &format!("?{q}")),
            "districts": source("districts", &format!("?{q}")),
        },
        "layers": [
            {"id": "background", "type": "background", "paint": {"background-color": "#dfe9f1"}},
            {"id": "kommuner-land", "type": "fill", "source": "kommuner", "source-layer": "kommuner",
             "paint": {"fill-color": "#f7f7f4"}},
            {"id": "areas-fill", "type": "fill", "source": "areas", "source-layer": "areas",
             "minzoom": 5,
             "paint": {"fill-color": fill, "fill-opacity": 0.85}},
            {"id": "areas-line", "type": "line", "source": "areas", "source-layer": "areas",
             "minzoom": 8,
             "paint": {"line-color": "#ffffff", "line-width": 0.5, "line-opacity": 0.7}},
            {"id": "kommuner-line", "type": "line", "source": "kommuner", "source-layer": "kommuner",
             "paint": {"line-color": "#7a7a7a", "line-width": ["interpolate", ["linear"], ["zoom"], 4, 0.4, 10, 1.5]}},
            {"id": "districts-candidate", "type": "line", "source": "districts", "source-layer": "districts",
             "filter": ["==", ["get", "status"], "candidate"],
             "paint": {"line-color": "#b2182b", "line-width": ["interpolate", ["linear"], ["zoom"], 4, 1, 12, 2.5],
                       "line-dasharray": [2, 1.5]}},
            {"id": "districts-original", "type": "line", "source": "districts", "source-layer": "districts",
             "filter": ["==", ["get", "status"], "original"],
             "paint": {"line-color": "#67001f", "line-width": ["interpolate", ["linear"], ["zoom"], 4, 1.5, 12, 3.5]}},
            {"id": "district-labels", "type": "symbol", "source": "districts", "source-layer": "district_labels",
             "minzoom": 9,
             "layout": {"text-field": ["get", "name"], "text-size": 13,
                        "text-anchor": "center", "text-allow-overlap": false},
             "paint": {"text-color": "#1a1a1a", "text-halo-color": "#ffffff", "text-halo-width": 1.5}},
        ],
    }))
}
