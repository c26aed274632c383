//! One import = one transaction = one batch. The batch bumps the data version, records the
//! file and its SHA-256, and on finish recomputes derived data (district geometry, district
//! and municipality values) before committing, so that readers never see a half-import.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use sqlx::{Acquire, PgConnection, Postgres, Transaction};

use super::ImportError;

/// Serialises imports: a second import waits for the first instead of interleaving.
const IMPORT_LOCK_KEY: i64 = 0x5354_4144_5341_544c; // "STADSATL"

/// What an import did, for the CLI and the logs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportReport {
    pub kind: String,
    pub file: PathBuf,
    pub rows: u64,
    pub batch_id: i64,
    pub data_version: i64,
    /// Things worth knowing that are not errors (repaired geometries, unmapped columns).
    pub notes: Vec<String>,
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "imported {} {} from {} (batch {}, data version {})",
            self.rows,
            self.kind,
            self.file.display(),
            self.batch_id,
            self.data_version
        )?;
        for note in &self.notes {
            write!(f, "\n  note: {note}")?;
        }
        Ok(())
    }
}

pub struct Batch<'c> {
    pub tx: Transaction<'c, Postgres>,
    pub id: i64,
    pub data_version: i64,
    pub file: PathBuf,
    kind: &'static str,
}

impl<'c> Batch<'c> {
    /// Starts the transaction. `source` is the file (or, for multi-file imports, the files)
    /// whose bytes identify the batch.
    /// `conn` is a pool (a new transaction) or an open transaction (a savepoint inside it,
    /// as the bundled import uses to load everything or nothing).
    pub async fn begin(
        conn: impl Acquire<'c, Database = Postgres>,
        kind: &'static str,
        file: &Path,
        sources: &[PathBuf],
    ) -> Result<Batch<'c>, ImportError> {
        let sha256 = hash_files(sources)?;
        let db = |source| ImportError::Database {
            file: file.to_path_buf(),
            source,
        };
        let mut tx = conn.begin().await.map_err(db)?;
        // PostGIS reports each invalid geometry as a NOTICE; the import reports them itself.
        sqlx::query("SET LOCAL client_min_messages = warning")
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(IMPORT_LOCK_KEY)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let data_version: i64 = sqlx::query_scalar(
            "UPDATE data_version SET version = version + 1, updated_at = now() RETURNING version",
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO import_batches (kind, file_name, sha256, rows, data_version)
             VALUES ($1, $2, $3, 0, $4) RETURNING id",
        )
        .bind(kind)
        .bind(file.display().to_string())
        .bind(&sha256)
        .bind(data_version)
        .fetch_one(&mut *tx)
        .await
        .map_err(db)?;
        Ok(Batch {
            tx,
            id,
            data_version,
            file: file.to_path_buf(),
            kind,
        })
    }

    /// Maps a database error to an import error naming this batch's file.
    pub fn db_err(&self) -> impl Fn(sqlx::Error) -> ImportError + '_ {
        move |source| ImportError::Database {
            file: self.file.clone(),
            source,
        }
    }

    /// Recomputes derived data, records the row count and commits.
    pub async fn finish(
        mut self,
        rows: u64,
        notes: Vec<String>,
    ) -> Result<ImportReport, ImportError> {
        let file = self.file.clone();
        let db = |source| ImportError::Database {
            file: file.clone(),
            source,
        };
        // Statistics change no geometry: only boundaries and the registry do.
        let geometry = self.kind != "statistics";
        refresh_derived(&mut self.tx, geometry).await.map_err(db)?;
        sqlx::query("UPDATE import_batches SET rows = $1 WHERE id = $2")
            .bind(i32::try_from(rows).unwrap_or(i32::MAX))
            .bind(self.id)
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        // Delivered at commit: servers drop their cached responses at once.
        sqlx::query("SELECT pg_notify('stadsatlas_data', $1)")
            .bind(self.data_version.to_string())
            .execute(&mut *self.tx)
            .await
            .map_err(db)?;
        self.tx.commit().await.map_err(db)?;
        let report = ImportReport {
            kind: self.kind.to_string(),
            file: self.file,
            rows,
            batch_id: self.id,
            data_version: self.data_version,
            notes,
        };
        tracing::info!(kind = report.kind, file = %report.file.display(), rows, batch = report.batch_id,
            data_version = report.data_version, "import committed");
        Ok(report)
    }
}

/// District geometry, tile geometry and computed values depend on areas, the registry and
/// area values; every import recomputes what it can have changed (never stale).
async fn refresh_derived(conn: &mut PgConnection, geometry: bool) -> Result<(), sqlx::Error> {
    if geometry {
        sqlx::query(include_str!("sql/refresh_district_geometry.sql"))
            .execute(&mut *conn)
            .await?;
        sqlx::query("DELETE FROM tile_geometry")
            .execute(&mut *conn)
            .await?;
        sqlx::query(include_str!("sql/refresh_tile_geometry.sql"))
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("DELETE FROM indicator_values WHERE computed")
        .execute(&mut *conn)
        .await?;
    sqlx::query(include_str!("sql/recompute_aggregates.sql"))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn hash_files(files: &[PathBuf]) -> Result<String, ImportError> {
    let mut hasher = Sha256::new();
    for file in files {
        let mut f = std::fs::File::open(file).map_err(|e| ImportError::read(file, e))?;
        std::io::copy(&mut f, &mut hasher).map_err(|e| ImportError::read(file, e))?;
    }
    Ok(hex::encode(hasher.finalize()))
}
