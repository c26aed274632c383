//! Import errors. Every error names the file and, where there is one, the row or feature
//! and the field, so that a person can open the file and find the problem.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where in an input file something was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    /// The row, feature or cell, e.g. `row 12` or `feature 3 (0180R076)`.
    pub item: Option<String>,
    /// The field, column or JSON member.
    pub field: Option<String>,
}

impl Location {
    pub fn file(file: impl AsRef<Path>) -> Self {
        Location {
            file: file.as_ref().to_path_buf(),
            item: None,
            field: None,
        }
    }
    /// A 1-based data row of a CSV or table-like file (the header is not counted).
    pub fn row(mut self, row: usize) -> Self {
        self.item = Some(format!("row {row}"));
        self
    }
    /// A line of a text file (1-based, the header line included), as an editor shows it.
    pub fn line(mut self, line: u64) -> Self {
        self.item = Some(format!("line {line}"));
        self
    }
    /// A 1-based feature of a boundary file, with its code where known.
    pub fn feature(mut self, n: usize, code: Option<&str>) -> Self {
        self.item = Some(match code {
            Some(c) => format!("feature {n} ({c})"),
            None => format!("feature {n}"),
        });
        self
    }
    pub fn item(mut self, item: impl Into<String>) -> Self {
        self.item = Some(item.into());
        self
    }
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(item) = &self.item {
            write!(f, ", {item}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ", field '{field}'")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{file}: cannot read the file: {source}")]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The input is wrong: bad syntax, a missing field, a value of the wrong kind, a code
    /// the database does not know.
    #[error("{location}: {message}")]
    Invalid { location: Location, message: String },
    /// The file's coordinate reference system is not one we can transform from.
    #[error("{location}: unsupported coordinate reference system: {message}")]
    Crs { location: Location, message: String },
    /// The database failed underneath an otherwise valid import.
    #[error("{file}: the database failed during the import: {source}")]
    Database {
        file: PathBuf,
        #[source]
        source: sqlx::Error,
    },
}

impl ImportError {
    pub fn invalid(location: Location, message: impl Into<String>) -> Self {
        ImportError::Invalid {
            location,
            message: message.into(),
        }
    }
    pub fn read(file: impl AsRef<Path>, source: std::io::Error) -> Self {
        ImportError::Read {
            file: file.as_ref().to_path_buf(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_names_file_row_and_field() {
        let loc = Location::file("districts.csv").row(5).field("regso_codes");
        assert_eq!(loc.to_string(), "districts.csv, row 5, field 'regso_codes'");
        let err = ImportError::invalid(loc, "unknown RegSO code 0180R999");
        assert_eq!(
            err.to_string(),
            "districts.csv, row 5, field 'regso_codes': unknown RegSO code 0180R999"
        );
    }
}
