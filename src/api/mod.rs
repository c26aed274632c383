//! The indicator API: the catalogue, districts (list, search, profiles), comparisons and
//! value downloads (JSON and CSV).
//!
//! Every handler validates its parameters, builds a cache key from their normalised form
//! and answers through [`AppState::cached`]: the same ETag/304, compression and cache for
//! every response. Parameters are read as strings and checked here, so that every bad
//! request is a problem document naming the parameter, never a plain-text rejection.
//!
//! Nothing is invented: a value SCB suppressed or that is not in the database is `null`
//! (an empty cell in CSV), never 0, and Sweden's values are shown only when imported.

mod catalogue;
mod compare;
mod districts;
mod rank;
mod values;

use axum::extract::rejection::QueryRejection;
use axum::extract::Query;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::{ApiError, AppState};

pub use rank::{rank_of, Rank, RankOrder};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(catalogue::indicators))
        .routes(routes!(districts::list))
        .routes(routes!(districts::search))
        .routes(routes!(districts::profile))
        .routes(routes!(compare::compare))
        .routes(routes!(values::values))
}

/// A text in Swedish and English.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Localised {
    pub sv: String,
    pub en: String,
}

/// A text in Swedish (when written) and English.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Definition {
    pub sv: Option<String>,
    pub en: String,
}

/// Bounding box in WGS 84 longitude/latitude: `[west, south, east, north]`.
pub type Bbox = [f64; 4];

/// The query string, or a problem naming what could not be read.
fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(v)| v)
        .map_err(|e| ApiError::bad_request(format!("invalid query string: {}", e.body_text())))
}

/// A bbox from four nullable coordinates, rounded to 6 decimals (about 0.1 m).
fn bbox(w: Option<f64>, s: Option<f64>, e: Option<f64>, n: Option<f64>) -> Option<Bbox> {
    let r = |v: f64| (v * 1e6).round() / 1e6;
    Some([r(w?), r(s?), r(e?), r(n?)])
}

/// The levels the API names in its URLs, and the database level each stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiLevel {
    Areas,
    Districts,
    Kommuner,
}

impl ApiLevel {
    pub const ALL: [ApiLevel; 3] = [ApiLevel::Areas, ApiLevel::Districts, ApiLevel::Kommuner];

    pub fn parse(s: &str) -> Option<ApiLevel> {
        ApiLevel::ALL.into_iter().find(|l| l.as_str() == s)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            ApiLevel::Areas => "areas",
            ApiLevel::Districts => "districts",
            ApiLevel::Kommuner => "kommuner",
        }
    }
    /// The `indicator_values.level` this API level reads.
    pub fn db_level(self) -> &'static str {
        match self {
            ApiLevel::Areas => "regso",
            ApiLevel::Districts => "district",
            ApiLevel::Kommuner => "kommun",
        }
    }
}

/// An optional `year` parameter.
fn parse_year(raw: Option<&str>) -> Result<Option<i16>, ApiError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(y) => y
            .parse::<i16>()
            .ok()
            .filter(|y| (1900..=2200).contains(y))
            .map(Some)
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "year '{y}' is not a year (a whole number such as 2024)"
                ))
            }),
    }
}

/// Years as "2023, 2024" (or "none") for error messages.
fn years_text(years: &[i16]) -> String {
    if years.is_empty() {
        "none".to_string()
    } else {
        years
            .iter()
            .map(i16::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Accented letters and the plain letters search folds them to, case by case; the same
/// table folds the query (in Rust) and the names (in SQL, with `translate`), so both sides
/// agree. `lower` in SQL then only has ASCII left to fold, whatever the database's locale.
const FOLD_FROM: &str = "ÅÄÖåäöÉÈÊËéèêëÜÚÙÛüúùûÁÀÂáàâÓÒÔØóòôøÍÌÎÏíìîïÆæÇçÑñÝý";
const FOLD_TO: &str = "AAOaaoEEEEeeeeUUUUuuuuAAAaaaOOOOooooIIIIiiiiAaCcNnYy";

/// A name folded for search: accents removed, lower case, whitespace collapsed.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            let c = FOLD_FROM
                .chars()
                .position(|f| f == c)
                .and_then(|i| FOLD_TO.chars().nth(i))
                .unwrap_or(c);
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// A sort key that orders names as Swedish does (å, ä, ö after z; é with e; ü with y),
/// case-insensitively, whatever the database's collation.
pub fn swedish_key(s: &str) -> Vec<u32> {
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'å' => 'z' as u32 + 1,
            'ä' | 'æ' => 'z' as u32 + 2,
            'ö' | 'ø' => 'z' as u32 + 3,
            'é' | 'è' | 'ê' | 'ë' => 'e' as u32,
            'ü' => 'y' as u32,
            'á' | 'à' | 'â' => 'a' as u32,
            c => c as u32,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_and_case() {
        assert_eq!(fold("  Hjällbo   Östra "), "hjallbo ostra");
        assert_eq!(fold("SÖDRA Sofielund/Seved"), "sodra sofielund/seved");
        assert_eq!(FOLD_FROM.chars().count(), FOLD_TO.chars().count());
    }

    #[test]
    fn sorts_swedish_names() {
        let mut names = vec!["Öxnehaga", "Ärla", "Åby", "Gunnared", "Gårdsten", "alby"];
        names.sort_by_key(|n| swedish_key(n));
        assert_eq!(
            names,
            ["alby", "Gunnared", "Gårdsten", "Åby", "Ärla", "Öxnehaga"]
        );
    }

    #[test]
    fn parses_levels_and_years() {
        assert_eq!(
            ApiLevel::parse("areas").map(ApiLevel::db_level),
            Some("regso")
        );
        assert_eq!(ApiLevel::parse("deso"), None);
        assert!(matches!(parse_year(Some("2024")), Ok(Some(2024))));
        assert!(matches!(parse_year(None), Ok(None)));
        assert!(parse_year(Some("20x4")).is_err());
        assert!(parse_year(Some("99999")).is_err());
    }
}
