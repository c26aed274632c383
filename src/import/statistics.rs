//! Writes SCB statistics (any format) to the database. (Filled in once the SCB readers land.)

use std::path::Path;

use sqlx::{Acquire, Postgres};

use super::batch::ImportReport;
use super::scb::StatFormat;
use super::{ImportError, Location};

pub async fn import_statistics<'c>(
    conn: impl Acquire<'c, Database = Postgres>,
    file: &Path,
    format: StatFormat,
    mapping: &Path,
) -> Result<ImportReport, ImportError> {
    let _ = (conn, format, mapping);
    Err(ImportError::invalid(
        Location::file(file),
        "not implemented yet",
    ))
}
