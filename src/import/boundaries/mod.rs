//! Boundary files: GeoPackage and GeoJSON, in whatever CRS they declare, reprojected to
//! SWEREF 99 TM (EPSG:3006) with PROJ.
//!
//! (Interface fixed here; readers are filled in by the `boundaries` work.)

use std::path::Path;

use crate::import::ImportError;

/// What a boundary file holds; decides which attribute names are looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BoundaryKind {
    /// Municipalities (kommuner), e.g. SCB's `Kommun_Sweref99TM.gpkg`.
    Kommuner,
    /// Regional statistical areas, e.g. SCB's `RegSO_2025.gpkg`.
    Regso,
    /// Demographic statistical areas (DeSO).
    Deso,
}

/// Optional overrides of the attribute names to read.
#[derive(Debug, Clone, Default)]
pub struct FieldNames {
    pub code: Option<String>,
    pub name: Option<String>,
    pub kommun: Option<String>,
}

/// One boundary feature, geometry in EPSG:3006.
#[derive(Debug, Clone)]
pub struct BoundaryFeature {
    /// 1-based position in the file, for error messages.
    pub index: usize,
    pub code: String,
    pub name: String,
    /// The 4-digit municipality code (for kommuner: equal to `code`).
    pub kommun_code: String,
    pub geometry: geo_types::MultiPolygon<f64>,
}

/// Reads every feature of a GeoPackage (`.gpkg`) or GeoJSON (`.geojson`, `.json`) file.
pub async fn read_boundaries(
    path: &Path,
    kind: BoundaryKind,
    fields: &FieldNames,
) -> Result<Vec<BoundaryFeature>, ImportError> {
    let _ = (kind, fields);
    Err(ImportError::invalid(
        crate::import::Location::file(path),
        "boundary readers not implemented yet",
    ))
}
