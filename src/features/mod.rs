//! OGC API – Features, Part 1 Core (GeoJSON) and Part 2 CRS by reference.
//!
//! Three collections: `kommuner` (municipalities), `areas` (RegSO areas) and `districts`
//! (programme districts), each with the indicator values of the catalogue as properties:
//! `<indicator>` (value, `null` when missing), `<indicator>_year` (the year the value is of)
//! and, for districts, `<indicator>_coverage`. By default each indicator's latest year with
//! data at the collection's level is used; `year=` picks one year for all indicators (then
//! `<indicator>_year` is that year, and the value `null` where there is none for it).
//! `timeStamp` is the time of the last import (`data_version.updated_at`), the moment the
//! data answered was current; a per-request clock would change every body and defeat ETags.
//!
//! Each FeatureCollection (features, counts, links) is built by PostgreSQL in one query
//! (`sql/prelude.sql` + the collection's `matched` + `sql/tail.sql`), so geometry goes from
//! PostGIS to the client without being parsed in between. Responses go through the common
//! pipeline (`AppState::cached`): ETag/304, compression, cache keyed by the data version,
//! the collection, the normalised query and the base URL (links are absolute).
//!
//! # CRS and axis order
//!
//! Features come in CRS84 (`http://www.opengis.net/def/crs/OGC/1.3/CRS84`, longitude,
//! latitude, 6 decimals) by default, or in SWEREF 99 TM
//! (`http://www.opengis.net/def/crs/EPSG/0/3006`, the stored CRS, 2 decimals) with `crs=`.
//! The `Content-Crs` header names the CRS of every response.
//!
//! **EPSG:3006 coordinates are northing, easting** — the axis order of EPSG:3006's
//! definition (axis 1 "N", axis 2 "E"), not GeoJSON's usual x,y. OGC API – Features Part 2
//! leaves GeoJSON's lon/lat rule for CRS84 only; for any other CRS the CRS definition's axis
//! order applies, which the standard's editor confirmed
//! (opengeospatial/ogcapi-features#321: "for the GeoJSON and GML conformance classes the CRS
//! definition applies"). pygeoapi (geopython/pygeoapi#1174, passing the OGC CITE tests),
//! ldproxy (default `forceAxisOrder: NONE`, i.e. as in the CRS) and QGIS's OAPIF client
//! (qgis/QGIS#52366, which flips per CRS) follow that; hakunapi changed to it
//! (nlsfi/hakunapi#51) because QGIS misplaced its E,N output. pg_featureserv only offers
//! `crs=<SRID>` (no Part 2 URIs) and writes x,y. So with `crs=…/EPSG/0/3006` the point
//! E 674032, N 6580822 is written `[6580822, 674032]`. Likewise `bbox` with
//! `bbox-crs=…/EPSG/0/3006` is minN,minE,maxN,maxE (axis 1, axis 2 of the CRS).

mod params;

use axum::extract::{Path, State};
use axum::http::{header::HeaderName, HeaderMap, Uri};
use axum::response::Response;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::problem::Problem;
use crate::http::{ApiError, AppState, CachePolicy, Payload};
use params::{encode_query, Accepts, Query, CRS84_URI, EPSG3006_URI};

const ITEMS_SQL_KOMMUNER: &str = concat!(
    include_str!("sql/prelude.sql"),
    include_str!("sql/kommuner.sql"),
    include_str!("sql/tail.sql")
);
const ITEMS_SQL_AREAS: &str = concat!(
    include_str!("sql/prelude.sql"),
    include_str!("sql/areas.sql"),
    include_str!("sql/tail.sql")
);
const ITEMS_SQL_DISTRICTS: &str = concat!(
    include_str!("sql/prelude.sql"),
    include_str!("sql/districts.sql"),
    include_str!("sql/tail.sql")
);
const META_SQL: &str = include_str!("sql/meta.sql");

const GEOJSON: &str = "application/geo+json";
const JSON: &str = "application/json";
// utoipa 5 writes OpenAPI 3.1 documents.
const OPENAPI_TYPE: &str = "application/vnd.oai.openapi+json;version=3.1";
const CONTENT_CRS: HeaderName = HeaderName::from_static("content-crs");

// Not `oas30`: that class needs an OpenAPI 3.0 document, and /openapi.json is 3.1.
const CONFORMANCE: [&str; 3] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
];

const AXIS_NOTE: &str = "Coordinates are CRS84 longitude, latitude by default; with \
    crs=http://www.opengis.net/def/crs/EPSG/0/3006 they are SWEREF 99 TM in the axis order of \
    its EPSG definition: northing, easting (and bbox with that bbox-crs is minN,minE,maxN,maxE).";

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(landing))
        .routes(routes!(conformance))
        .routes(routes!(collections))
        .routes(routes!(collection))
        .routes(routes!(items))
        .routes(routes!(item))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Collection {
    Kommuner,
    Areas,
    Districts,
}

const ALL: [Collection; 3] = [
    Collection::Kommuner,
    Collection::Areas,
    Collection::Districts,
];

impl Collection {
    fn from_id(id: &str) -> Result<Collection, ApiError> {
        ALL.into_iter().find(|c| c.id() == id).ok_or_else(|| {
            ApiError::not_found(format!(
                "no collection {id:?}; collections: kommuner, areas, districts"
            ))
        })
    }
    fn id(self) -> &'static str {
        match self {
            Collection::Kommuner => "kommuner",
            Collection::Areas => "areas",
            Collection::Districts => "districts",
        }
    }
    fn title(self) -> &'static str {
        match self {
            Collection::Kommuner => "Municipalities (kommuner)",
            Collection::Areas => "RegSO statistical areas",
            Collection::Districts => "Programme districts",
        }
    }
    fn description(self) -> &'static str {
        match self {
            Collection::Kommuner => "Sweden's 290 municipalities (SCB boundaries). Feature id: the 4-digit municipality code. Properties: code, name, area_km2 and, per indicator, the municipal value and its year.",
            Collection::Areas => "SCB's regional statistical areas (RegSO) bundled with the atlas. Feature id: the RegSO code (e.g. 0180R076). Properties: code, name, kommun, kommun_name, area_km2 and, per indicator, the area's value and its year.",
            Collection::Districts => "The districts of the state's urban programmes (storstad_1999, lua_2008, urban_2012) as unions of RegSO areas. Feature id: the district id (e.g. rinkeby). Properties: id, name, kommun, kommun_name, status (original|candidate), programmes, mapping, area_km2, member_areas and, per indicator, the computed value, its year and coverage. Filters: kommun, programme, status.",
        }
    }
    /// The `indicator_values.level` of this collection's values.
    fn level(self) -> &'static str {
        match self {
            Collection::Kommuner => "kommun",
            Collection::Areas => "regso",
            Collection::Districts => "district",
        }
    }
    fn sql(self) -> &'static str {
        match self {
            Collection::Kommuner => ITEMS_SQL_KOMMUNER,
            Collection::Areas => ITEMS_SQL_AREAS,
            Collection::Districts => ITEMS_SQL_DISTRICTS,
        }
    }
    fn accepts(self) -> Accepts {
        match self {
            Collection::Districts => Accepts::DistrictItems,
            _ => Accepts::Items,
        }
    }
}

fn query_pairs(uri: &Uri) -> Result<Vec<(String, String)>, ApiError> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|e| ApiError::bad_request(format!("malformed query string: {e}")))
}

fn link(href: String, rel: &str, kind: &str, title: &str) -> Value {
    json!({"href": href, "rel": rel, "type": kind, "title": title})
}

fn with_query(url: String, pairs: &[(&str, String)]) -> String {
    if pairs.is_empty() {
        url
    } else {
        format!("{url}?{}", encode_query(pairs))
    }
}

/// The landing page of the OGC API.
#[utoipa::path(get, path = "/", tag = "features",
    params(("f" = Option<String>, Query, description = "Ignored: JSON only (json|geojson)")),
    responses((status = 200, description = "Landing page with links to the API definition, conformance, collections, TileJSON and the map style", content_type = "application/json"),
              (status = 400, description = "Unknown query parameter", body = Problem, content_type = "application/problem+json")))]
async fn landing(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    Query::parse(&query_pairs(&uri)?, Accepts::Nothing)?;
    let base = state.base_url(&headers);
    state
        .cached(
            &headers,
            "features_landing",
            base.clone(),
            CachePolicy::Revalidate,
            || async move {
                let mut links = vec![
                    link(format!("{base}/"), "self", JSON, "This document"),
                    link(
                        format!("{base}/openapi.json"),
                        "service-desc",
                        OPENAPI_TYPE,
                        "The API definition (OpenAPI)",
                    ),
                    link(
                        format!("{base}/conformance"),
                        "conformance",
                        JSON,
                        "OGC API conformance classes implemented by this server",
                    ),
                    link(
                        format!("{base}/collections"),
                        "data",
                        JSON,
                        "Feature collections: kommuner, areas, districts",
                    ),
                ];
                for c in ALL {
                    links.push(link(
                        format!("{base}/tiles/{}.json", c.id()),
                        "related",
                        JSON,
                        &format!("TileJSON of the vector tile layer {}", c.id()),
                    ));
                }
                links.push(link(
                    format!("{base}/styles/atlas.json"),
                    "related",
                    JSON,
                    "Map style of the atlas (MapLibre style JSON)",
                ));
                Payload::json(&json!({
                    "title": "stadsatlas",
                    "description": "Sweden's segregated urban districts (the state's programmes 1999–2014), \
                        their municipalities and RegSO areas, with socioeconomic indicators from \
                        Statistics Sweden, as OGC API – Features (GeoJSON, CRS84 or SWEREF 99 TM) \
                        and vector tiles.",
                    "links": links,
                }))
            },
        )
        .await
}

/// The conformance classes this server implements.
#[utoipa::path(get, path = "/conformance", tag = "features",
    params(("f" = Option<String>, Query, description = "Ignored: JSON only (json|geojson)")),
    responses((status = 200, description = "conformsTo: OGC API Features core, geojson, Part 2 crs", content_type = "application/json"),
              (status = 400, description = "Unknown query parameter", body = Problem, content_type = "application/problem+json")))]
async fn conformance(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    Query::parse(&query_pairs(&uri)?, Accepts::Nothing)?;
    state
        .cached(
            &headers,
            "features_conformance",
            String::new(),
            CachePolicy::Revalidate,
            || async { Payload::json(&json!({ "conformsTo": CONFORMANCE })) },
        )
        .await
}

/// bbox (xmin, ymin, xmax, ymax) in CRS84 and first and last year of indicator values.
type ExtentRow = (
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    Option<i32>,
    Option<i32>,
);

/// The collection document of `c`, with its extent computed from the data.
async fn collection_doc(state: &AppState, base: &str, c: Collection) -> Result<Value, ApiError> {
    let row: ExtentRow = sqlx::query_as(META_SQL)
        .bind(c.level())
        .fetch_one(&state.pool)
        .await?;
    let (xmin, ymin, xmax, ymax, first, last) = row;
    let mut extent = serde_json::Map::new();
    if let (Some(x0), Some(y0), Some(x1), Some(y1)) = (xmin, ymin, xmax, ymax) {
        let r = |v: f64| (v * 1e6).round() / 1e6;
        extent.insert(
            "spatial".into(),
            json!({"bbox": [[r(x0), r(y0), r(x1), r(y1)]], "crs": CRS84_URI}),
        );
    }
    if let (Some(a), Some(b)) = (first, last) {
        extent.insert(
            "temporal".into(),
            json!({
                "interval": [[format!("{a}-01-01T00:00:00Z"), format!("{b}-12-31T23:59:59Z")]],
                "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
            }),
        );
    }
    let url = format!("{base}/collections/{}", c.id());
    Ok(json!({
        "id": c.id(),
        "title": c.title(),
        "description": format!("{} {AXIS_NOTE}", c.description()),
        "extent": extent,
        "itemType": "feature",
        "crs": [CRS84_URI, EPSG3006_URI],
        "storageCrs": EPSG3006_URI,
        "links": [
            link(url.clone(), "self", JSON, "This collection"),
            link(format!("{url}/items"), "items", GEOJSON, &format!("The features of {} (GeoJSON)", c.id())),
        ],
    }))
}

/// The feature collections: kommuner, areas, districts.
#[utoipa::path(get, path = "/collections", tag = "features",
    params(("f" = Option<String>, Query, description = "Ignored: JSON only (json|geojson)")),
    responses((status = 200, description = "The three collections with extents, CRSs and links", content_type = "application/json"),
              (status = 400, description = "Unknown query parameter", body = Problem, content_type = "application/problem+json")))]
async fn collections(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    Query::parse(&query_pairs(&uri)?, Accepts::Nothing)?;
    let base = state.base_url(&headers);
    let st = state.clone();
    state
        .cached(
            &headers,
            "features_collections",
            base.clone(),
            CachePolicy::Revalidate,
            || async move {
                let mut list = Vec::new();
                for c in ALL {
                    list.push(collection_doc(&st, &base, c).await?);
                }
                Payload::json(&json!({
                    "links": [link(format!("{base}/collections"), "self", JSON, "This document")],
                    "crs": [CRS84_URI, EPSG3006_URI],
                    "collections": list,
                }))
            },
        )
        .await
}

/// One collection.
#[utoipa::path(get, path = "/collections/{collectionId}", tag = "features",
    params(("collectionId" = String, Path, description = "kommuner | areas | districts"),
           ("f" = Option<String>, Query, description = "Ignored: JSON only (json|geojson)")),
    responses((status = 200, description = "The collection: extent, CRSs, links", content_type = "application/json"),
              (status = 400, description = "Unknown query parameter", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such collection", body = Problem, content_type = "application/problem+json")))]
async fn collection(
    State(state): State<AppState>,
    Path(collection_id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let c = Collection::from_id(&collection_id)?;
    Query::parse(&query_pairs(&uri)?, Accepts::Nothing)?;
    let base = state.base_url(&headers);
    let st = state.clone();
    state
        .cached(
            &headers,
            "features_collection",
            format!("{}|{base}", c.id()),
            CachePolicy::Revalidate,
            || async move { Payload::json(&collection_doc(&st, &base, c).await?) },
        )
        .await
}

/// Checks the parameters that depend on the data: `programme` and `year`.
async fn check_data_params(state: &AppState, c: Collection, q: &Query) -> Result<(), ApiError> {
    if let Some(p) = &q.programme {
        let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM programmes ORDER BY id")
            .fetch_all(&state.pool)
            .await?;
        if !ids.contains(p) {
            return Err(ApiError::bad_request(format!(
                "parameter `programme`: no programme {p:?}; programmes: {}",
                ids.join(", ")
            )));
        }
    }
    if let Some(y) = q.year {
        let years: Vec<i32> = sqlx::query_scalar(
            "SELECT DISTINCT year::int FROM indicator_values \
             WHERE level = $1 AND value IS NOT NULL ORDER BY 1",
        )
        .bind(c.level())
        .fetch_all(&state.pool)
        .await?;
        if !years.contains(&y) {
            let list = years
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            return Err(ApiError::bad_request(format!(
                "parameter `year`: no indicator values of {y} for {}; years with data: {}",
                c.id(),
                if list.is_empty() { "none" } else { &list }
            )));
        }
    }
    Ok(())
}

/// Runs the collection's items query; returns numberMatched and the document (None when a
/// single feature was asked for and does not exist).
async fn run_items(
    state: &AppState,
    c: Collection,
    q: &Query,
    id: Option<&str>,
    links: Value,
    next: Value,
) -> Result<(i64, Option<String>), ApiError> {
    let row: (i64, Option<String>) = sqlx::query_as(c.sql())
        .bind(q.kommun.as_deref())
        .bind(q.bbox_xy())
        .bind(q.bbox_crs().srid())
        .bind(q.crs().srid())
        .bind(q.year)
        .bind(id)
        .bind(if id.is_some() { 1 } else { q.limit() })
        .bind(if id.is_some() { 0 } else { q.offset })
        .bind(q.programme.as_deref())
        .bind(q.status.as_deref())
        .bind(c.level())
        .bind(id.is_some())
        .bind(sqlx::types::Json(links))
        .bind(sqlx::types::Json(next))
        .fetch_one(&state.pool)
        .await?;
    Ok(row)
}

/// The features of a collection, as a GeoJSON FeatureCollection.
#[utoipa::path(get, path = "/collections/{collectionId}/items", tag = "features",
    params(
        ("collectionId" = String, Path, description = "kommuner | areas | districts"),
        ("limit" = Option<i64>, Query, description = "Features per page, 1..=10000 (default 100)"),
        ("offset" = Option<i64>, Query, description = "Features to skip (default 0); see the next/prev links"),
        ("bbox" = Option<String>, Query, description = "minx,miny,maxx,maxy in the axis order of bbox-crs: lon,lat for CRS84 (default), northing,easting for EPSG:3006"),
        ("bbox-crs" = Option<String>, Query, description = "CRS of bbox: http://www.opengis.net/def/crs/OGC/1.3/CRS84 (default) or http://www.opengis.net/def/crs/EPSG/0/3006"),
        ("crs" = Option<String>, Query, description = "CRS of the geometry: http://www.opengis.net/def/crs/OGC/1.3/CRS84 (default, lon,lat) or http://www.opengis.net/def/crs/EPSG/0/3006 (northing,easting)"),
        ("kommun" = Option<String>, Query, description = "Only features of this municipality (4-digit code)"),
        ("year" = Option<i32>, Query, description = "Year of the indicator values in the properties (default: each indicator's latest year with data)"),
        ("programme" = Option<String>, Query, description = "districts only: members of this programme (storstad_1999, lua_2008, urban_2012)"),
        ("status" = Option<String>, Query, description = "districts only: original | candidate"),
        ("f" = Option<String>, Query, description = "Ignored: GeoJSON only (json|geojson)"),
    ),
    responses((status = 200, description = "FeatureCollection with numberMatched, numberReturned, timeStamp and next/prev links; header Content-Crs", content_type = "application/geo+json"),
              (status = 304, description = "Not modified (If-None-Match)"),
              (status = 400, description = "A parameter is invalid or unknown; the detail names it", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such collection", body = Problem, content_type = "application/problem+json")))]
async fn items(
    State(state): State<AppState>,
    Path(collection_id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let c = Collection::from_id(&collection_id)?;
    let q = Query::parse(&query_pairs(&uri)?, c.accepts())?;
    let base = state.base_url(&headers);
    let key = format!(
        "{}|{base}|{}",
        c.id(),
        encode_query(&q.canonical(None, false))
    );
    let st = state.clone();
    state
        .cached(
            &headers,
            "features_items",
            key,
            CachePolicy::Revalidate,
            || async move {
                check_data_params(&st, c, &q).await?;
                let url = format!("{base}/collections/{}/items", c.id());
                let mut links = vec![
                    link(
                        with_query(url.clone(), &q.canonical(None, false)),
                        "self",
                        GEOJSON,
                        "This document",
                    ),
                    link(
                        format!("{base}/collections/{}", c.id()),
                        "collection",
                        JSON,
                        c.title(),
                    ),
                ];
                if q.offset > 0 {
                    let prev = (q.offset - q.limit()).max(0);
                    links.push(link(
                        with_query(url.clone(), &q.canonical(Some(prev), true)),
                        "prev",
                        GEOJSON,
                        "Previous page",
                    ));
                }
                let next = json!([link(
                    with_query(url, &q.canonical(Some(q.offset + q.limit()), true)),
                    "next",
                    GEOJSON,
                    "Next page",
                )]);
                let (_, body) = run_items(&st, c, &q, None, json!(links), next).await?;
                let body =
                    body.ok_or_else(|| ApiError::Internal("items query gave no document".into()))?;
                Ok(Payload::new(GEOJSON, body)
                    .with_header(CONTENT_CRS, &format!("<{}>", q.crs().uri())))
            },
        )
        .await
}

/// One feature.
#[utoipa::path(get, path = "/collections/{collectionId}/items/{featureId}", tag = "features",
    params(
        ("collectionId" = String, Path, description = "kommuner | areas | districts"),
        ("featureId" = String, Path, description = "Municipality code (0180), RegSO code (0180R076) or district id (rinkeby)"),
        ("crs" = Option<String>, Query, description = "CRS of the geometry: http://www.opengis.net/def/crs/OGC/1.3/CRS84 (default, lon,lat) or http://www.opengis.net/def/crs/EPSG/0/3006 (northing,easting)"),
        ("year" = Option<i32>, Query, description = "Year of the indicator values in the properties (default: each indicator's latest year with data)"),
        ("f" = Option<String>, Query, description = "Ignored: GeoJSON only (json|geojson)"),
    ),
    responses((status = 200, description = "The Feature; header Content-Crs", content_type = "application/geo+json"),
              (status = 304, description = "Not modified (If-None-Match)"),
              (status = 400, description = "A parameter is invalid or unknown; the detail names it", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such collection or feature", body = Problem, content_type = "application/problem+json")))]
async fn item(
    State(state): State<AppState>,
    Path((collection_id, feature_id)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    let c = Collection::from_id(&collection_id)?;
    let q = Query::parse(&query_pairs(&uri)?, Accepts::Feature)?;
    let not_found = || {
        ApiError::not_found(format!(
            "no feature {feature_id:?} in collection {}",
            c.id()
        ))
    };
    if feature_id.is_empty()
        || feature_id.len() > 64
        || !feature_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(not_found());
    }
    let base = state.base_url(&headers);
    let key = format!(
        "{}|{feature_id}|{base}|{}",
        c.id(),
        encode_query(&q.canonical(None, false))
    );
    let st = state.clone();
    let fid = feature_id.clone();
    state
        .cached(
            &headers,
            "features_item",
            key,
            CachePolicy::Revalidate,
            || async move {
                check_data_params(&st, c, &q).await?;
                let links = json!([
                    link(
                        with_query(
                            format!("{base}/collections/{}/items/{fid}", c.id()),
                            &q.canonical(None, false)
                        ),
                        "self",
                        GEOJSON,
                        "This feature",
                    ),
                    link(
                        format!("{base}/collections/{}", c.id()),
                        "collection",
                        JSON,
                        c.title(),
                    ),
                ]);
                let (_, body) = run_items(&st, c, &q, Some(&fid), links, json!([])).await?;
                let body = body.ok_or_else(not_found)?;
                Ok(Payload::new(GEOJSON, body)
                    .with_header(CONTENT_CRS, &format!("<{}>", q.crs().uri())))
            },
        )
        .await
}
