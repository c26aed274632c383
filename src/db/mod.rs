//! The database: where it is (embedded cluster or `DATABASE_URL`), the connection pool,
//! migrations and the data version.

pub mod cluster;

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, PgPool};

pub use cluster::{Cluster, ClusterConfig, ClusterError};

/// The migrations in `migrations/`, compiled into the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    #[error("DATABASE_URL is not a valid PostgreSQL URL: {0}")]
    BadUrl(#[source] sqlx::Error),
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("PostGIS is not available in this database: {0}. Install postgresql-15-postgis-3 on the database server, or run `CREATE EXTENSION postgis` as a superuser")]
    NoPostgis(String),
    #[error("cannot apply the database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
}

/// Which database to use: an external server, or the embedded cluster in a data directory.
#[derive(Debug, Clone)]
pub enum Target {
    Url(String),
    Embedded(ClusterConfig),
}

/// An open database: the pool, and the embedded cluster if we manage one.
pub struct Database {
    pub pool: PgPool,
    cluster: Option<Cluster>,
}

impl Database {
    /// Connects (starting the embedded cluster if that is the target), checks PostGIS and
    /// applies pending migrations.
    pub async fn open(target: &Target) -> Result<Database, DbError> {
        let (options, cluster) = match target {
            Target::Url(url) => (
                PgConnectOptions::from_str(url).map_err(DbError::BadUrl)?,
                None,
            ),
            Target::Embedded(config) => {
                let config = config.clone();
                let cluster = tokio::task::spawn_blocking(move || Cluster::start(&config))
                    .await
                    .map_err(|e| {
                        DbError::Cluster(ClusterError::Io {
                            what: "start-up task failed for",
                            path: PathBuf::from("embedded cluster"),
                            source: std::io::Error::other(e.to_string()),
                        })
                    })??;
                (cluster.connect_options(cluster::DB_NAME), Some(cluster))
            }
        };
        let pool = match connect(options).await {
            Ok(pool) => pool,
            Err(e) => {
                if let Some(c) = cluster {
                    let _ = c.stop().await;
                }
                return Err(e);
            }
        };
        let db = Database { pool, cluster };
        if let Err(e) = db.prepare().await {
            db.close().await;
            return Err(e);
        }
        Ok(db)
    }

    async fn prepare(&self) -> Result<(), DbError> {
        ensure_postgis(&self.pool).await?;
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool and stops the embedded server if we started it.
    pub async fn close(self) {
        self.pool.close().await;
        if let Some(cluster) = self.cluster {
            if let Err(e) = cluster.stop().await {
                tracing::error!(error = %e, "could not stop the embedded database cleanly");
            }
        }
    }
}

/// A pool with a statement timeout, so that no query can hold a connection for long.
pub async fn connect(options: PgConnectOptions) -> Result<PgPool, DbError> {
    // Imports run statements of seconds on purpose: report slow statements at INFO (shown
    // with STADSATLAS_LOG=sqlx=info), not as warnings with the whole SQL text.
    let options = options.log_slow_statements(log::LevelFilter::Info, Duration::from_secs(1));
    PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(|conn, _| {
            Box::pin(async move {
                sqlx::query("SET statement_timeout = '120s'")
                    .execute(conn)
                    .await?;
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(DbError::Connect)
}

/// PostGIS must be installed (or installable) before the first migration creates it.
pub async fn ensure_postgis(pool: &PgPool) -> Result<(), DbError> {
    let available: Option<String> = sqlx::query_scalar(
        "SELECT coalesce(installed_version, default_version)
         FROM pg_available_extensions WHERE name = 'postgis'",
    )
    .fetch_optional(pool)
    .await?;
    match available {
        Some(_) => Ok(()),
        None => Err(DbError::NoPostgis(
            "the extension 'postgis' is not available on the server".into(),
        )),
    }
}

/// The data version: bumped by every import; part of every cache key.
pub async fn data_version(pool: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT version FROM data_version")
        .fetch_one(pool)
        .await
}
