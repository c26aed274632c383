//! Districts: `GET /api/districts` (the list), `GET /api/search` and
//! `GET /api/districts/{id}` (the profile).

use std::collections::{BTreeSet, HashMap};

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::{IntoParams, ToSchema};

use super::catalogue::{self, IndicatorMeta};
use super::rank::{rank_of, Rank, RankOrder};
use super::{bbox, fold, query, swedish_key, Bbox, FOLD_FROM, FOLD_TO};
use crate::http::{ApiError, AppState, CachePolicy, Payload};

#[derive(Debug, sqlx::FromRow)]
struct DistrictRow {
    id: String,
    name: String,
    kommun_code: String,
    kommun_name: String,
    status: String,
    mapping: String,
    area_km2: Option<f64>,
    west: Option<f64>,
    south: Option<f64>,
    east: Option<f64>,
    north: Option<f64>,
}

#[derive(Debug, sqlx::FromRow)]
struct ProgrammeRow {
    district_id: String,
    id: String,
    name: String,
    period: String,
    evidence: String,
    note: Option<String>,
    source: String,
}

#[derive(Debug, sqlx::FromRow)]
struct MemberRow {
    district_id: String,
    level: String,
    code: String,
    name: String,
}

/// A district's membership of a state programme.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgrammeMembership {
    #[schema(example = "storstad_1999")]
    pub id: String,
    pub name: String,
    #[schema(example = "1999-2006")]
    pub period: String,
    /// `sourced`: named in the cited source; `reconstructed`: part of the best available
    /// reconstruction, not confirmed.
    #[schema(example = "sourced")]
    pub evidence: String,
    pub note: Option<String>,
    pub source: String,
}

/// A district as listed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DistrictSummary {
    #[schema(example = "rinkeby")]
    pub id: String,
    #[schema(example = "Rinkeby")]
    pub name: String,
    /// Municipality code.
    #[schema(example = "0180")]
    pub kommun: String,
    #[schema(example = "Stockholm")]
    pub kommun_name: String,
    /// `original` (one of the 24 districts of 1999) or `candidate`.
    #[schema(example = "original")]
    pub status: String,
    pub programmes: Vec<ProgrammeMembership>,
    /// `approximate`: the union of RegSO areas approximates the historical boundary.
    pub mapping: String,
    pub area_km2: Option<f64>,
    /// `[west, south, east, north]` in WGS 84 longitude/latitude; null without geometry.
    #[schema(value_type = Option<Vec<f64>>, example = json!([17.91, 59.38, 17.94, 59.40]))]
    pub bbox: Option<Bbox>,
    /// Codes of the statistical areas (RegSO) the district is made of.
    pub member_areas: Vec<String>,
}

/// The districts (`id = None`) or one, with programmes and member areas, in Swedish name
/// order.
async fn summaries(
    pool: &PgPool,
    id: Option<&str>,
) -> Result<(Vec<DistrictSummary>, Vec<MemberRow>), ApiError> {
    let rows = sqlx::query_as::<_, DistrictRow>(include_str!("sql/districts.sql"))
        .bind(id)
        .fetch_all(pool)
        .await?;
    let programmes = sqlx::query_as::<_, ProgrammeRow>(include_str!("sql/district_programmes.sql"))
        .bind(id)
        .fetch_all(pool)
        .await?;
    let members = sqlx::query_as::<_, MemberRow>(include_str!("sql/district_members.sql"))
        .bind(id)
        .fetch_all(pool)
        .await?;
    let mut by_district: HashMap<&str, Vec<ProgrammeMembership>> = HashMap::new();
    for p in &programmes {
        by_district
            .entry(p.district_id.as_str())
            .or_default()
            .push(ProgrammeMembership {
                id: p.id.clone(),
                name: p.name.clone(),
                period: p.period.clone(),
                evidence: p.evidence.clone(),
                note: p.note.clone(),
                source: p.source.clone(),
            });
    }
    let mut list: Vec<DistrictSummary> = rows
        .into_iter()
        .map(|r| DistrictSummary {
            programmes: by_district.remove(r.id.as_str()).unwrap_or_default(),
            member_areas: members
                .iter()
                .filter(|m| m.district_id == r.id)
                .map(|m| m.code.clone())
                .collect(),
            bbox: bbox(r.west, r.south, r.east, r.north),
            id: r.id,
            name: r.name,
            kommun: r.kommun_code,
            kommun_name: r.kommun_name,
            status: r.status,
            mapping: r.mapping,
            area_km2: r.area_km2,
        })
        .collect();
    list.sort_by(|a, b| {
        swedish_key(&a.name)
            .cmp(&swedish_key(&b.name))
            .then_with(|| a.id.cmp(&b.id))
    });
    Ok((list, members))
}

/// All districts, ordered by name (Swedish alphabetical order).
#[utoipa::path(get, path = "/api/districts", operation_id = "district_list", tag = "indicators",
    responses(
        (status = 200, description = "All districts", body = [DistrictSummary]),
        (status = 304, description = "Not modified (If-None-Match)"),
    ))]
pub(super) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let pool = state.pool.clone();
    state
        .cached(
            &headers,
            "api_districts",
            String::new(),
            CachePolicy::Revalidate,
            || async move { Payload::json(&summaries(&pool, None).await?.0) },
        )
        .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct SearchParams {
    /// 1 to 100 characters; case and accents are ignored (`hjallbo` finds Hjällbo).
    #[param(required = true, example = "hjallbo")]
    q: Option<String>,
}

/// A search hit.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchHit {
    /// `district`, `area` (RegSO) or `kommun`.
    #[schema(example = "district")]
    pub kind: String,
    /// District id, RegSO code or municipality code.
    #[schema(example = "rinkeby")]
    pub id: String,
    pub name: String,
    /// The municipality of a district or area; null for a municipality.
    pub kommun_name: Option<String>,
    #[schema(value_type = Option<Vec<f64>>)]
    pub bbox: Option<Bbox>,
}

#[derive(Debug, sqlx::FromRow)]
struct SearchRow {
    kind: String,
    id: String,
    name: String,
    kommun_name: Option<String>,
    west: Option<f64>,
    south: Option<f64>,
    east: Option<f64>,
    north: Option<f64>,
}

/// Searches district, RegSO area and municipality names (prefix or substring, case- and
/// accent-insensitive). Best first: exact names, then name prefixes, word prefixes and
/// substrings; districts before municipalities before areas. At most 20 hits.
#[utoipa::path(get, path = "/api/search", operation_id = "search", tag = "indicators", params(SearchParams),
    responses(
        (status = 200, description = "Up to 20 hits, best first", body = [SearchHit]),
        (status = 400, description = "`q` missing, empty or longer than 100 characters",
         body = crate::http::problem::Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn search(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let params = query(params)?;
    let raw = params.q.unwrap_or_default();
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(ApiError::bad_request(
            "q is required: 1 to 100 characters to search district, area and municipality names for",
        ));
    }
    if raw.chars().count() > 100 {
        return Err(ApiError::bad_request(
            "q is too long: at most 100 characters",
        ));
    }
    let q = fold(raw);
    let pool = state.pool.clone();
    state
        .cached(
            &headers,
            "api_search",
            q.clone(),
            CachePolicy::Revalidate,
            || async move {
                let rows = sqlx::query_as::<_, SearchRow>(include_str!("sql/search.sql"))
                    .bind(&q)
                    .bind(FOLD_FROM)
                    .bind(FOLD_TO)
                    .fetch_all(&pool)
                    .await?;
                let hits: Vec<SearchHit> = rows
                    .into_iter()
                    .map(|r| SearchHit {
                        bbox: bbox(r.west, r.south, r.east, r.north),
                        kind: r.kind,
                        id: r.id,
                        name: r.name,
                        kommun_name: r.kommun_name,
                    })
                    .collect();
                Payload::json(&hits)
            },
        )
        .await
}

/// A member area of a district.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberArea {
    /// `regso` (or `deso`).
    pub level: String,
    #[schema(example = "0180R076")]
    pub code: String,
    pub name: String,
}

/// A district's value for one year.
#[derive(Debug, Serialize, ToSchema)]
pub struct DistrictValue {
    pub year: Option<i16>,
    /// Null when missing (suppressed by SCB or not measured); never 0 for missing.
    pub value: Option<f64>,
    /// True: computed by stadsatlas from the member areas' values (`method` says how).
    pub computed: bool,
    pub method: Option<String>,
    /// Share (0..1) of the district's population whose areas had a value.
    pub coverage: Option<f64>,
}

/// The municipality's value for the same year.
#[derive(Debug, Serialize, ToSchema)]
pub struct KommunValue {
    pub value: Option<f64>,
    /// True: computed from the municipality's RegSO values (SCB gave none).
    pub computed: bool,
    pub coverage: Option<f64>,
}

/// Sweden's value for the same year (null when not in the data; never estimated).
#[derive(Debug, Serialize, ToSchema)]
pub struct SwedenValue {
    pub value: Option<f64>,
}

/// Where the district's latest value ranks. Rank 1 = best.
#[derive(Debug, Serialize, ToSchema)]
pub struct DistrictRanks {
    /// `descending`: the highest value ranks first (higher is better, or neutral
    /// indicators); `ascending`: the lowest value ranks first (lower is better).
    pub order: RankOrder,
    /// Among all districts with a value that year; null when the district has none.
    pub among_districts: Option<Rank>,
    /// Among the districts of the same municipality with a value that year.
    pub within_kommun: Option<Rank>,
}

/// One year of a district's series with its references.
#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesPoint {
    pub year: i16,
    pub value: Option<f64>,
    pub kommun: Option<f64>,
    pub sweden: Option<f64>,
}

/// One indicator of a district profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProfileIndicator {
    pub id: String,
    pub name: super::Localised,
    pub unit: String,
    pub decimals: i16,
    pub higher_is_better: Option<bool>,
    /// The latest year with a value for this district (or, when it has none, the latest
    /// year with district values at all, with `value` null; `year` null when there are
    /// none).
    pub latest: DistrictValue,
    pub kommun: KommunValue,
    pub sweden: SwedenValue,
    pub rank: DistrictRanks,
    /// Every year with a value for the district, its municipality or Sweden, oldest first.
    pub series: Vec<SeriesPoint>,
}

/// A district profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct DistrictProfile {
    #[serde(flatten)]
    pub district: DistrictSummary,
    pub members: Vec<MemberArea>,
    /// Every indicator of the catalogue, in catalogue order.
    pub indicators: Vec<ProfileIndicator>,
}

#[derive(Debug, sqlx::FromRow)]
struct ValueRow {
    level: String,
    indicator_id: String,
    year: i16,
    value: Option<f64>,
    computed: bool,
    method: Option<String>,
    coverage: Option<f64>,
}

/// A district value taking part in rankings.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct RankedRow {
    pub indicator_id: String,
    pub year: i16,
    pub kommun_code: String,
    pub value: f64,
}

pub(super) async fn district_values(
    pool: &PgPool,
    indicator: Option<&str>,
    year: Option<i16>,
) -> Result<Vec<RankedRow>, ApiError> {
    Ok(
        sqlx::query_as::<_, RankedRow>(include_str!("sql/district_values.sql"))
            .bind(indicator)
            .bind(year)
            .fetch_all(pool)
            .await?,
    )
}

/// A district's profile: its fields, member areas and, for every indicator, the latest
/// value with the municipality's and Sweden's, ranks and the series over all years.
#[utoipa::path(get, path = "/api/districts/{id}", operation_id = "district_profile", tag = "indicators",
    params(("id" = String, Path, description = "District id", example = "rinkeby")),
    responses(
        (status = 200, description = "The district profile", body = DistrictProfile),
        (status = 404, description = "No such district",
         body = crate::http::problem::Problem, content_type = "application/problem+json"),
    ))]
pub(super) async fn profile(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let pool = state.pool.clone();
    state
        .cached(
            &headers,
            "api_district",
            id.clone(),
            CachePolicy::Revalidate,
            || async move { Payload::json(&build_profile(&pool, &id).await?) },
        )
        .await
}

async fn build_profile(pool: &PgPool, id: &str) -> Result<DistrictProfile, ApiError> {
    let (list, members) = summaries(pool, Some(id)).await?;
    let Some(district) = list.into_iter().next() else {
        return Err(ApiError::not_found(format!(
            "district '{id}' does not exist; see /api/districts"
        )));
    };
    let catalogue = catalogue::load(pool, None).await?;
    let values = sqlx::query_as::<_, ValueRow>(include_str!("sql/profile_values.sql"))
        .bind(id)
        .bind(&district.kommun)
        .fetch_all(pool)
        .await?;
    let ranked = district_values(pool, None, None).await?;

    // (indicator, year) → values of every district, and of this municipality's districts.
    let mut all: HashMap<(&str, i16), Vec<f64>> = HashMap::new();
    let mut local: HashMap<(&str, i16), Vec<f64>> = HashMap::new();
    for r in &ranked {
        let key = (r.indicator_id.as_str(), r.year);
        all.entry(key).or_default().push(r.value);
        if r.kommun_code == district.kommun {
            local.entry(key).or_default().push(r.value);
        }
    }
    // Latest year with district values at all, per indicator.
    let mut latest_any: HashMap<&str, i16> = HashMap::new();
    for r in &ranked {
        let y = latest_any.entry(r.indicator_id.as_str()).or_insert(r.year);
        *y = (*y).max(r.year);
    }
    let find = |level: &str, ind: &str, year: i16| {
        values
            .iter()
            .find(|v| v.level == level && v.indicator_id == ind && v.year == year)
    };

    let mut indicators = Vec::with_capacity(catalogue.len());
    for ind in &catalogue {
        let meta = IndicatorMeta::from(ind);
        let id = ind.id.as_str();
        let own_latest = values
            .iter()
            .filter(|v| v.level == "district" && v.indicator_id == id && v.value.is_some())
            .map(|v| v.year)
            .max();
        let year = own_latest.or_else(|| latest_any.get(id).copied());
        let latest = match year.and_then(|y| find("district", id, y)) {
            Some(v) => DistrictValue {
                year: Some(v.year),
                value: v.value,
                computed: v.computed,
                method: v.method.clone(),
                coverage: v.coverage,
            },
            None => DistrictValue {
                year,
                value: None,
                computed: false,
                method: None,
                coverage: None,
            },
        };
        let kommun = match year.and_then(|y| find("kommun", id, y)) {
            Some(v) => KommunValue {
                value: v.value,
                computed: v.computed,
                coverage: v.coverage,
            },
            None => KommunValue {
                value: None,
                computed: false,
                coverage: None,
            },
        };
        let sweden = SwedenValue {
            value: year
                .and_then(|y| find("country", id, y))
                .and_then(|v| v.value),
        };
        let order = RankOrder::for_direction(ind.higher_is_better);
        let pool_of = |m: &HashMap<(&str, i16), Vec<f64>>| {
            year.and_then(|y| m.get(&(id, y)))
                .map(Vec::as_slice)
                .unwrap_or(&[])
                .to_vec()
        };
        let rank = DistrictRanks {
            order,
            among_districts: rank_of(latest.value, &pool_of(&all), order),
            within_kommun: rank_of(latest.value, &pool_of(&local), order),
        };
        let years: BTreeSet<i16> = values
            .iter()
            .filter(|v| v.indicator_id == id)
            .map(|v| v.year)
            .collect();
        let series = years
            .into_iter()
            .map(|y| SeriesPoint {
                year: y,
                value: find("district", id, y).and_then(|v| v.value),
                kommun: find("kommun", id, y).and_then(|v| v.value),
                sweden: find("country", id, y).and_then(|v| v.value),
            })
            .collect();
        indicators.push(ProfileIndicator {
            id: meta.id,
            name: meta.name,
            unit: meta.unit,
            decimals: meta.decimals,
            higher_is_better: meta.higher_is_better,
            latest,
            kommun,
            sweden,
            rank,
            series,
        });
    }
    let members = members
        .into_iter()
        .map(|m| MemberArea {
            level: m.level,
            code: m.code,
            name: m.name,
        })
        .collect();
    Ok(DistrictProfile {
        district,
        members,
        indicators,
    })
}
