//! SCB statistics: PX-Web API v1 JSON, JSON-stat 2 (PX-Web API v2) and SCB's CSV export.
//!
//! Each reader parses a file into a [`StatTable`] of plain cells; [`mapping`] then turns the
//! cells that the indicator mapping names into [`Observation`]s. Writing to the database is
//! done by `import::statistics`, which is format-agnostic.
//!
//! # Special values
//!
//! SCB writes markers instead of numbers where there is no value. Following the PX file
//! format (which PX-Web's outputs inherit): one to six dots (`.`, `..`, … `......`) mean the
//! value is missing: `..` is SCB's "data not available or too uncertain to publish" (in the
//! integration tables: too few persons), `.` is "cannot occur / not applicable". All of them
//! are stored as `None`, never as 0. A dash (`-`, or the typographic `–`) is PX's
//! `DATASYMBOLNIL`, "nothing to report", i.e. a true zero, and is stored as `Some(0.0)`.
//! Anything else that is not a number is an error naming the file, the cell and the field.
//! See [`parse_value`].

pub mod csv;
pub mod jsonstat;
pub mod mapping;
pub mod pxweb;

use std::path::{Path, PathBuf};

use crate::import::{ImportError, Location};
use crate::model::Level;

pub use mapping::{MappedTable, Mapping};

/// One statistics file, read but not yet interpreted.
#[derive(Debug, Clone)]
pub struct StatTable {
    pub file: PathBuf,
    /// Title from the file where it has one.
    pub title: Option<String>,
    pub cells: Vec<StatCell>,
}

/// One value of a statistics file.
#[derive(Debug, Clone, PartialEq)]
pub struct StatCell {
    /// Where the cell is in the file, for error messages (e.g. `row 12` or `data[11]`).
    pub item: String,
    /// Region code as written in the file (suffixes such as `_RegSO2025` still there).
    pub region: String,
    /// The year (SCB's `Tid`).
    pub year: i16,
    /// SCB content code of the value column, e.g. `000008AW`. CSV files whose headers carry
    /// only the content's text have that text here; the mapping matches it against the
    /// entries' `text` labels.
    pub content: String,
    /// The other dimensions of the cell, by dimension code, e.g. `("Kon", "1+2")`.
    pub slice: Vec<(String, String)>,
    /// `None` where SCB suppressed the value (`..`).
    pub value: Option<f64>,
}

/// A value for one indicator, region and year, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub item: String,
    pub level: Level,
    pub region: String,
    pub indicator: String,
    pub year: i16,
    pub value: Option<f64>,
}

/// The file formats we read. `Auto` decides from the file's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatFormat {
    Auto,
    Pxweb,
    Jsonstat,
    Csv,
}

/// Reads a statistics file in the given (or detected) format.
///
/// `Auto` sniffs the content: a JSON object with `columns` and `data` is PX-Web API v1, a
/// JSON object with `dimension` and `class` or `version` is JSON-stat 2 (PX-Web API v2);
/// anything else is read as CSV.
pub fn read_table(path: &Path, format: StatFormat) -> Result<StatTable, ImportError> {
    let bytes = std::fs::read(path).map_err(|e| ImportError::read(path, e))?;
    let format = match format {
        StatFormat::Auto => sniff(&bytes),
        f => f,
    };
    match format {
        StatFormat::Pxweb => pxweb::parse(path, &bytes),
        StatFormat::Jsonstat => jsonstat::parse(path, &bytes),
        StatFormat::Csv | StatFormat::Auto => csv::parse(path, &bytes),
    }
}

/// Decides the format of a file from its content (see [`read_table`]).
pub fn sniff(bytes: &[u8]) -> StatFormat {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    if start.map(|i| body[i]) != Some(b'{') {
        return StatFormat::Csv;
    }
    // Only the top-level member names matter; a document that does not parse is given to
    // the reader its members suggest, which then reports the syntax error with a position.
    match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body) {
        Ok(obj) => {
            if obj.contains_key("columns") && obj.contains_key("data") {
                StatFormat::Pxweb
            } else if obj.contains_key("dimension")
                && (obj.contains_key("class") || obj.contains_key("version"))
            {
                StatFormat::Jsonstat
            } else if obj.contains_key("columns") || obj.contains_key("data") {
                StatFormat::Pxweb
            } else {
                StatFormat::Jsonstat
            }
        }
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            if text.contains("\"columns\"") || text.contains("\"data\"") {
                StatFormat::Pxweb
            } else {
                StatFormat::Jsonstat
            }
        }
    }
}

/// Parses one value as SCB writes it. `decimal_comma` also accepts `12,3` and thousands
/// separated by spaces (`1 234`), as in SCB's Swedish CSV export. Returns the reason when
/// the text is neither a number nor a marker (see the module documentation).
pub fn parse_value(raw: &str, decimal_comma: bool) -> Result<Option<f64>, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("empty value (SCB marks missing values with '..')".into());
    }
    if s.len() <= 6 && s.bytes().all(|b| b == b'.') {
        return Ok(None);
    }
    if s == "-" || s == "\u{2013}" {
        return Ok(Some(0.0));
    }
    let cleaned;
    let s = if decimal_comma {
        cleaned = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
            .map(|c| if c == ',' { '.' } else { c })
            .collect::<String>();
        cleaned.as_str()
    } else {
        s
    };
    let ok_chars = s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
    match s.parse::<f64>() {
        Ok(v) if ok_chars && v.is_finite() => Ok(Some(v)),
        _ => Err(format!(
            "'{raw}' is not a number (nor one of SCB's markers '..', '.', '-')"
        )),
    }
}

/// Parses SCB's `Tid` for annual tables: a year such as `2023`.
pub fn parse_year(raw: &str) -> Result<i16, String> {
    let s = raw.trim();
    match s.parse::<i16>() {
        Ok(y) if s.len() == 4 && (1000..=9999).contains(&y) => Ok(y),
        _ => Err(format!(
            "'{raw}' is not a year (only annual tables are read)"
        )),
    }
}

/// An `Invalid` error at a cell of a file.
/// Parses a JSON document (a UTF-8 BOM allowed); syntax errors name line and column.
pub(crate) fn parse_json(file: &Path, bytes: &[u8]) -> Result<serde_json::Value, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    serde_json::from_slice(bytes).map_err(|e| {
        ImportError::invalid(
            Location::file(file).item(format!("line {}, column {}", e.line(), e.column())),
            format!("malformed JSON: {e}"),
        )
    })
}

pub(crate) fn invalid_at(
    file: &Path,
    item: impl Into<String>,
    field: impl Into<String>,
    message: impl Into<String>,
) -> ImportError {
    ImportError::invalid(Location::file(file).item(item).field(field), message)
}

#[cfg(test)]
pub(crate) mod testdata {
    use std::path::PathBuf;

    /// The shared real data, checked out next to the repository.
    pub fn real(rel: &str) -> PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/data/scb/integration")
            .join(rel)
    }

    pub fn fixture(name: &str) -> PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/scb")
            .join(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_and_numbers() {
        assert_eq!(parse_value("..", false), Ok(None));
        assert_eq!(parse_value(".", false), Ok(None));
        assert_eq!(parse_value("....", false), Ok(None));
        assert_eq!(parse_value("-", false), Ok(Some(0.0)));
        assert_eq!(parse_value("68.5", false), Ok(Some(68.5)));
        assert_eq!(parse_value("-1.5", false), Ok(Some(-1.5)));
        assert_eq!(parse_value("12,3", true), Ok(Some(12.3)));
        assert_eq!(parse_value("1 234,5", true), Ok(Some(1234.5)));
        assert!(parse_value("12,3", false).is_err());
        assert!(parse_value("12,3x", true).is_err());
        assert!(parse_value("NaN", false).is_err());
        assert!(parse_value("inf", false).is_err());
        assert!(parse_value("", false).is_err());
        assert!(parse_value(".......", false).is_err());
    }

    #[test]
    fn years() {
        assert_eq!(parse_year("2023"), Ok(2023));
        assert!(parse_year("2023K1").is_err());
        assert!(parse_year("23").is_err());
    }

    #[test]
    fn sniffs_formats() {
        assert_eq!(sniff(br#"{"columns":[],"data":[]}"#), StatFormat::Pxweb);
        assert_eq!(
            sniff(br#"{"version":"2.0","class":"dataset","dimension":{}}"#),
            StatFormat::Jsonstat
        );
        assert_eq!(sniff(b"region;kon;2023\n"), StatFormat::Csv);
        assert_eq!(sniff(b"\xEF\xBB\xBFregion;kon\n"), StatFormat::Csv);
        assert_eq!(sniff(br#"{"columns":[{"code":"#), StatFormat::Pxweb);
    }
}
