//! SCB statistics: PX-Web API v1 JSON, JSON-stat 2 (PX-Web API v2) and SCB's CSV export.
//!
//! Each reader parses a file into a [`StatTable`] of plain cells; [`mapping`] then turns the
//! cells that the indicator mapping names into [`Observation`]s. Writing to the database is
//! done by `import::statistics`, which is format-agnostic.
//!
//! (Interface fixed here; readers are filled in by the `scb` work.)

use std::path::{Path, PathBuf};

use crate::import::ImportError;
use crate::model::Level;

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
    /// SCB content code of the value column, e.g. `000008AW`.
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
pub fn read_table(path: &Path, format: StatFormat) -> Result<StatTable, ImportError> {
    let _ = format;
    Err(ImportError::invalid(
        crate::import::Location::file(path),
        "SCB readers not implemented yet",
    ))
}
