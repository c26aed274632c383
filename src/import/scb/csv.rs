//! (in progress)
use std::path::Path;

use super::StatTable;
use crate::import::{ImportError, Location};

pub fn parse(file: &Path, _bytes: &[u8]) -> Result<StatTable, ImportError> {
    Err(ImportError::invalid(
        Location::file(file),
        "not implemented yet",
    ))
}
