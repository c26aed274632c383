//! Vector tiles (Mapbox Vector Tile 2.1) made in PostGIS, TileJSON 3.0 and the atlas's
//! MapLibre style.
//!
//! A tile layer is one row of [`LAYERS`]: its SQL (in `sql/`), the level its indicator values
//! live at, and the fields it carries. Tiles read `tile_geometry`, which imports keep
//! simplified per zoom band in Web Mercator, so a request only clips and encodes.
//! Responses go through the shared pipeline (ETag, compression, cache keyed by data
//! version); tile URLs in TileJSON carry `v=<data version>` and are then immutable.

mod style;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::{ApiError, AppState, CachePolicy, Payload};

/// Highest zoom tiles are made for; clients overzoom beyond it.
pub const MAX_ZOOM: u8 = 16;
pub const MVT: &str = "application/vnd.mapbox-vector-tile";

/// One tile layer: what a `/tiles/{id}/…` URL serves.
pub struct Layer {
    pub id: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// `indicator_values.level` of the values `?indicator=` adds.
    pub value_level: &'static str,
    /// Query: $1 z, $2 x, $3 y, $4 zoom band, $5 indicator or NULL, $6 year.
    pub sql: &'static str,
    /// MVT layers in the tile, each with its fields and their descriptions.
    pub vector_layers: &'static [(&'static str, &'static [(&'static str, &'static str)])],
}

const VALUE: (&str, &str) = (
    "value",
    "Number: the value of ?indicator= for ?year= (absent where missing)",
);

pub static LAYERS: &[Layer] = &[
    Layer {
        id: "kommuner",
        title: "Municipalities",
        description: "Sweden's 290 municipalities (kommuner), SCB boundaries",
        value_level: "kommun",
        sql: include_str!("sql/kommuner.sql"),
        vector_layers: &[(
            "kommuner",
            &[
                ("code", "String: 4-digit municipality code"),
                ("name", "String: municipality name"),
                VALUE,
                ("computed", "Boolean: the value was computed from RegSO areas"),
            ],
        )],
    },
    Layer {
        id: "areas",
        title: "RegSO areas",
        description: "SCB's regional statistical areas (RegSO 2025)",
        value_level: "regso",
        sql: include_str!("sql/areas.sql"),
        vector_layers: &[(
            "areas",
            &[
                ("code", "String: RegSO code, e.g. 0180R076"),
                ("name", "String: RegSO name"),
                ("kommun", "String: municipality code"),
                ("kommun_name", "String: municipality name"),
                VALUE,
            ],
        )],
    },
    Layer {
        id: "districts",
        title: "Programme districts",
        description: "Districts of the state's local development agreements: the 24 original (1999) and the candidate districts (2008-2014)",
        value_level: "district",
        sql: include_str!("sql/districts.sql"),
        vector_layers: &[
            (
                "districts",
                &[
                    ("id", "String: district id, e.g. rinkeby"),
                    ("name", "String: district name"),
                    ("kommun", "String: municipality code"),
                    ("kommun_name", "String: municipality name"),
                    ("status", "String: original (storstadssatsningen 1999) or candidate"),
                    ("programmes", "String: comma-separated programme ids"),
                    ("mapping", "String: approximate (union of RegSO areas) or exact"),
                    VALUE,
                    ("coverage", "Number: share (0-1) of the district's population with data"),
                ],
            ),
            (
                "district_labels",
                &[
                    ("id", "String: district id"),
                    ("name", "String: district name"),
                    ("status", "String: original or candidate"),
                    VALUE,
                ],
            ),
        ],
    },
];

pub fn layer(id: &str) -> Result<&'static Layer, ApiError> {
    LAYERS.iter().find(|l| l.id == id).ok_or_else(|| {
        let known: Vec<&str> = LAYERS.iter().map(|l| l.id).collect();
        ApiError::bad_request(format!(
            "unknown layer '{id}'; layers are: {}",
            known.join(", ")
        ))
    })
}

/// The zoom band of `tile_geometry` used at zoom `z` (see refresh_tile_geometry.sql).
pub fn zoom_band(z: u8) -> i16 {
    match z {
        0..=5 => 0,
        6..=8 => 1,
        9..=11 => 2,
        _ => 3,
    }
}

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tile))
        .routes(routes!(tilejson))
        .routes(routes!(style::style))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TileQuery {
    /// Indicator id whose value each feature gets as `value`.
    pub indicator: Option<String>,
    /// Year of the indicator (default: the latest year with data at this layer's level).
    pub year: Option<String>,
    /// Data version the URL was made for; a current one makes the response immutable.
    pub v: Option<String>,
}

/// An indicator and year checked against the database.
#[derive(Debug, Clone)]
pub struct IndicatorYear {
    pub indicator: String,
    pub year: i16,
}

/// Checks `?indicator=&year=` for a level: the indicator must exist and the year must have
/// values at that level (default: the latest that does).
pub async fn resolve_indicator(
    pool: &sqlx::PgPool,
    level: &str,
    indicator: Option<&str>,
    year: Option<&str>,
) -> Result<Option<IndicatorYear>, ApiError> {
    let Some(indicator) = indicator else {
        if year.is_some() {
            return Err(ApiError::bad_request("'year' needs an 'indicator'"));
        }
        return Ok(None);
    };
    let years: Option<Vec<i16>> = sqlx::query_scalar(
        "SELECT coalesce(array_agg(DISTINCT v.year ORDER BY v.year)
                  FILTER (WHERE v.year IS NOT NULL), '{}')
         FROM indicators i
         LEFT JOIN indicator_values v ON v.indicator_id = i.id AND v.level = $2
         WHERE i.id = $1
         GROUP BY i.id",
    )
    .bind(indicator)
    .bind(level)
    .fetch_optional(pool)
    .await?;
    let Some(years) = years else {
        let known: Vec<String> =
            sqlx::query_scalar("SELECT id FROM indicators ORDER BY sort_order, id")
                .fetch_all(pool)
                .await?;
        return Err(ApiError::bad_request(format!(
            "unknown indicator '{indicator}'; indicators are: {}",
            known.join(", ")
        )));
    };
    let year = match year {
        None => match years.last() {
            Some(y) => *y,
            None => {
                return Err(ApiError::bad_request(format!(
                    "indicator '{indicator}' has no values at level '{level}'"
                )))
            }
        },
        Some(raw) => {
            let y: i16 = raw.parse().map_err(|_| {
                ApiError::bad_request(format!("'year' must be a year like 2023, not '{raw}'"))
            })?;
            if !years.contains(&y) {
                let list: Vec<String> = years.iter().map(i16::to_string).collect();
                return Err(ApiError::bad_request(format!(
                    "indicator '{indicator}' has no values for year {y} at level '{level}'; years with values: {}",
                    if list.is_empty() { "none".to_string() } else { list.join(", ") }
                )));
            }
            y
        }
    };
    Ok(Some(IndicatorYear {
        indicator: indicator.to_string(),
        year,
    }))
}

fn parse_coord(name: &str, raw: &str) -> Result<u32, ApiError> {
    raw.parse::<u32>().map_err(|_| {
        ApiError::bad_request(format!(
            "tile coordinate '{name}' must be a non-negative integer, not '{raw}'"
        ))
    })
}

/// Parses and checks z/x/y (y with its `.mvt` suffix).
pub fn tile_coords(z: &str, x: &str, y: &str) -> Result<(u8, u32, u32), ApiError> {
    let y = y
        .strip_suffix(".mvt")
        .or(y.strip_suffix(".pbf"))
        .ok_or_else(|| ApiError::bad_request(format!("tile URL must end in '.mvt', got '{y}'")))?;
    let z = parse_coord("z", z)?;
    if z > u32::from(MAX_ZOOM) + 6 {
        return Err(ApiError::bad_request(format!(
            "zoom z={z} is out of range 0..={}",
            MAX_ZOOM + 6
        )));
    }
    let (x, y) = (parse_coord("x", x)?, parse_coord("y", y)?);
    let n = 1u64 << z;
    if u64::from(x) >= n || u64::from(y) >= n {
        return Err(ApiError::bad_request(format!(
            "tile x={x}, y={y} does not exist at zoom {z} (0..{})",
            n - 1
        )));
    }
    Ok((z as u8, x, y))
}

/// A vector tile. 204 when the tile holds no feature.
#[utoipa::path(get, path = "/tiles/{layer}/{z}/{x}/{y}", tag = "tiles",
    params(
        ("layer" = String, Path, description = "kommuner | areas | districts"),
        ("z" = u8, Path, description = "zoom"),
        ("x" = u32, Path, description = "column"),
        ("y" = String, Path, description = "row, with the suffix .mvt, e.g. 9.mvt"),
        TileQuery),
    responses(
        (status = 200, description = "Mapbox Vector Tile", content_type = "application/vnd.mapbox-vector-tile"),
        (status = 204, description = "Empty tile"),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "Bad layer, z/x/y, indicator or year", body = crate::http::problem::Problem)))]
async fn tile(
    State(state): State<AppState>,
    Path((layer_id, z, x, y)): Path<(String, String, String, String)>,
    Query(q): Query<TileQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let layer = layer(&layer_id)?;
    let (z, x, y) = tile_coords(&z, &x, &y)?;
    let policy = CachePolicy::for_version(
        q.v.as_deref().and_then(|v| v.parse().ok()),
        state.version.get(),
    );
    let key = format!(
        "{}/{z}/{x}/{y}?{}&{}",
        layer.id,
        q.indicator.as_deref().unwrap_or(""),
        q.year.as_deref().unwrap_or("")
    );
    let pool = state.pool.clone();
    state
        .cached(&headers, "tile", key, policy, || async move {
            let iy = resolve_indicator(
                &pool,
                layer.value_level,
                q.indicator.as_deref(),
                q.year.as_deref(),
            )
            .await?;
            let bytes: Vec<u8> = sqlx::query_scalar(layer.sql)
                .bind(i32::from(z))
                .bind(x as i32)
                .bind(y as i32)
                .bind(zoom_band(z))
                .bind(iy.as_ref().map(|i| i.indicator.clone()))
                .bind(iy.as_ref().map(|i| i.year))
                .fetch_one(&pool)
                .await?;
            Ok(if bytes.is_empty() {
                Payload::empty()
            } else {
                Payload::new(MVT, bytes)
            })
        })
        .await
}

/// TileJSON 3.0 for a layer. Tile URLs carry the data version (`v=`) and any
/// `indicator`/`year` given here.
#[utoipa::path(get, path = "/tiles/{layer}", tag = "tiles",
    params(("layer" = String, Path, description = "kommuner.json | areas.json | districts.json"), TileQuery),
    responses((status = 200, description = "TileJSON 3.0.0", content_type = "application/json"),
              (status = 400, description = "Unknown layer, indicator or year", body = crate::http::problem::Problem)))]
async fn tilejson(
    State(state): State<AppState>,
    Path(file): Path<String>,
    Query(q): Query<TileQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = file.strip_suffix(".json").ok_or_else(|| {
        ApiError::not_found(format!(
            "no such resource '/tiles/{file}'; TileJSON is at /tiles/<layer>.json"
        ))
    })?;
    let layer = layer(id)?;
    let base = state.base_url(&headers);
    let version = state.version.get();
    let key = format!(
        "{}?{}&{}@{base}",
        layer.id,
        q.indicator.as_deref().unwrap_or(""),
        q.year.as_deref().unwrap_or("")
    );
    let pool = state.pool.clone();
    state
        .cached(
            &headers,
            "tilejson",
            key,
            CachePolicy::Revalidate,
            || async move {
                let iy = resolve_indicator(
                    &pool,
                    layer.value_level,
                    q.indicator.as_deref(),
                    q.year.as_deref(),
                )
                .await?;
                let doc = tilejson_doc(&pool, layer, &base, version, iy.as_ref()).await?;
                Payload::json(&doc)
            },
        )
        .await
}

pub async fn tilejson_doc(
    pool: &sqlx::PgPool,
    layer: &Layer,
    base: &str,
    version: i64,
    iy: Option<&IndicatorYear>,
) -> Result<Value, ApiError> {
    let mut query = format!("v={version}");
    if let Some(iy) = iy {
        query.push_str(&format!("&indicator={}&year={}", iy.indicator, iy.year));
    }
    // Bounds of what the layer holds, in lon/lat.
    let bounds: Option<(f64, f64, f64, f64)> = sqlx::query_as(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
         FROM (SELECT ST_Transform(ST_SetSRID(ST_Extent(geom)::geometry, 3857), 4326) AS e
               FROM tile_geometry WHERE layer = $1 AND zoom_band = 0) b
         WHERE e IS NOT NULL",
    )
    .bind(layer.id)
    .fetch_optional(pool)
    .await?;
    let (w, s, e, n) = bounds.unwrap_or((10.0, 55.0, 24.2, 69.1));
    let vector_layers: Vec<Value> = layer
        .vector_layers
        .iter()
        .map(|(id, fields)| {
            let fields: serde_json::Map<String, Value> = fields
                .iter()
                .map(|(k, d)| (k.to_string(), Value::String(d.to_string())))
                .collect();
            json!({"id": id, "fields": fields, "minzoom": 0, "maxzoom": MAX_ZOOM})
        })
        .collect();
    Ok(json!({
        "tilejson": "3.0.0",
        "name": layer.title,
        "description": layer.description,
        "version": format!("1.0.{version}"),
        "attribution": "Statistics Sweden (SCB), CC0; district registry: stadsatlas from public sources",
        "scheme": "xyz",
        "tiles": [format!("{base}/tiles/{}/{{z}}/{{x}}/{{y}}.mvt?{query}", layer.id)],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": [round6(w), round6(s), round6(e), round6(n)],
        "center": [round6((w + e) / 2.0), round6((s + n) / 2.0), 4],
        "vector_layers": vector_layers,
    }))
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_coordinates_are_checked() {
        assert_eq!(tile_coords("4", "8", "4.mvt").unwrap(), (4, 8, 4));
        assert!(tile_coords("4", "16", "4.mvt").is_err());
        assert!(tile_coords("4", "8", "4").is_err());
        assert!(tile_coords("-1", "0", "0.mvt").is_err());
        assert!(tile_coords("99", "0", "0.mvt").is_err());
        assert!(tile_coords("a", "0", "0.mvt").is_err());
    }

    #[test]
    fn zoom_bands_cover_every_zoom() {
        assert_eq!(zoom_band(0), 0);
        assert_eq!(zoom_band(5), 0);
        assert_eq!(zoom_band(6), 1);
        assert_eq!(zoom_band(11), 2);
        assert_eq!(zoom_band(22), 3);
    }
}
