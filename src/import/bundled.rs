//! The bundled data in `geodata/`, loaded on a first start: everything in one transaction
//! (each file a savepoint with its own batch), so a failure leaves the database empty and
//! the next start tries again.
//!
//! What to load, and in which order, is listed in `geodata/bundle.toml`, not in code.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use sqlx::PgPool;

use super::boundaries::{BoundaryKind, FieldNames};
use super::scb::StatFormat;
use super::{ImportError, ImportReport, Location};

pub const MANIFEST: &str = "bundle.toml";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    /// The indicator catalogue and SCB mapping, relative to the bundle directory.
    mapping: PathBuf,
    import: Vec<Step>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "lowercase")]
enum Step {
    Kommuner {
        file: PathBuf,
    },
    Regso {
        file: PathBuf,
    },
    Registry {
        dir: PathBuf,
    },
    /// Every `*.json` / `*.csv` below `dir` except `index.json`, in path order.
    Statistics {
        dir: PathBuf,
    },
}

/// True when nothing has ever been imported into this database.
pub async fn is_empty(pool: &PgPool) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT NOT EXISTS (SELECT 1 FROM import_batches)")
        .fetch_one(pool)
        .await
}

pub async fn import_bundled(pool: &PgPool, dir: &Path) -> Result<Vec<ImportReport>, ImportError> {
    let manifest_path = dir.join(MANIFEST);
    let text = std::fs::read_to_string(&manifest_path)
        .map_err(|e| ImportError::read(&manifest_path, e))?;
    let manifest: Manifest = toml::from_str(&text)
        .map_err(|e| ImportError::invalid(Location::file(&manifest_path), e.to_string()))?;
    let mapping = dir.join(&manifest.mapping);

    let db = |source| ImportError::Database {
        file: dir.to_path_buf(),
        source,
    };
    let mut tx = pool.begin().await.map_err(db)?;
    let mut reports = Vec::new();
    for step in &manifest.import {
        match step {
            Step::Kommuner { file } | Step::Regso { file } => {
                let kind = if matches!(step, Step::Kommuner { .. }) {
                    BoundaryKind::Kommuner
                } else {
                    BoundaryKind::Regso
                };
                reports.push(
                    super::import_boundaries(
                        &mut *tx,
                        &dir.join(file),
                        kind,
                        &FieldNames::default(),
                    )
                    .await?,
                );
            }
            Step::Registry { dir: sub } => {
                reports.push(super::import_registry(&mut *tx, &dir.join(sub)).await?);
            }
            Step::Statistics { dir: sub } => {
                for file in statistics_files(&dir.join(sub))? {
                    reports.push(
                        super::statistics::import_statistics(
                            &mut *tx,
                            &file,
                            StatFormat::Auto,
                            &mapping,
                        )
                        .await?,
                    );
                }
            }
        }
    }
    tx.commit().await.map_err(db)?;
    Ok(reports)
}

fn statistics_files(dir: &Path) -> Result<Vec<PathBuf>, ImportError> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| ImportError::read(&d, e))?;
        for entry in entries {
            let path = entry.map_err(|e| ImportError::read(&d, e))?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if path.is_dir() {
                stack.push(path);
            } else if (name.ends_with(".json") || name.ends_with(".csv")) && name != "index.json" {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}
