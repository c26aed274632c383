//! Importers. Each input format is parsed into plain structs and validated first; then
//! everything is written in one database transaction, so a bad file changes nothing.
//!
//! - [`boundaries`]: GeoPackage / GeoJSON readers (any EPSG CRS → EPSG:3006), written by
//!   [`boundary_writer`];
//! - [`registry`]: the district registry CSVs;
//! - [`scb`]: SCB statistics (PX-Web v1 JSON, JSON-stat 2, CSV) and the indicator mapping,
//!   written by [`statistics`];
//! - [`bundled`]: the data shipped in `geodata/`, loaded in one transaction;
//! - [`batch`]: the transaction, data version and derived data common to all of them.

pub mod batch;
pub mod boundaries;
pub mod boundary_writer;
pub mod bundled;
mod error;
pub mod registry;
pub mod scb;
pub mod statistics;

use std::path::Path;

use sqlx::{Acquire, Postgres};

pub use batch::ImportReport;
pub use error::{ImportError, Location};

use boundaries::{BoundaryKind, FieldNames};

/// Reads a boundary file and writes it in one transaction.
pub async fn import_boundaries<'c>(
    conn: impl Acquire<'c, Database = Postgres>,
    file: &Path,
    kind: BoundaryKind,
    fields: &FieldNames,
) -> Result<ImportReport, ImportError> {
    let features = boundaries::read_boundaries(file, kind, fields).await?;
    boundary_writer::write_boundaries(conn, file, kind, features).await
}

/// Reads the registry in `dir` and replaces the database's registry with it.
pub async fn import_registry<'c>(
    conn: impl Acquire<'c, Database = Postgres>,
    dir: &Path,
) -> Result<ImportReport, ImportError> {
    let registry = registry::Registry::read(dir)?;
    registry.write(conn, dir).await
}
