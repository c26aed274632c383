//! Command-line flags and environment, validated once into the types the rest uses.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::db::{cluster, ClusterConfig, Target};
use crate::import::boundaries::BoundaryKind;
use crate::import::scb::StatFormat;

#[derive(Debug, Parser)]
#[command(
    name = "stadsatlas",
    version,
    about = "Map server and web atlas of Sweden's segregated urban districts"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the atlas: HTTP server over the database (embedded by default).
    Serve(ServeArgs),
    /// Import a boundary, registry or statistics file (one transaction per file).
    Import(ImportArgs),
    /// Print what the database holds.
    Status(StatusArgs),
    /// Apply pending database migrations and exit.
    Migrate(DbArgs),
}

/// Where the database is. Without `DATABASE_URL`, stadsatlas runs its own PostgreSQL +
/// PostGIS cluster in the data directory.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// PostgreSQL URL of an external server with PostGIS (instead of the embedded one).
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// Data directory of the embedded cluster [default: ~/.local/share/stadsatlas, or
    /// /var/lib/stadsatlas as root].
    #[arg(long, env = "STADSATLAS_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Directory with the PostgreSQL server binaries (initdb, postgres, pg_config).
    #[arg(long, env = "STADSATLAS_PG_BIN", default_value_os_t = cluster::default_pg_bin())]
    pub pg_bin: PathBuf,
}

impl DbArgs {
    pub fn target(&self) -> Target {
        match &self.database_url {
            Some(url) if !url.is_empty() => {
                if let Some(dir) = &self.data_dir {
                    tracing::warn!(data_dir = %dir.display(), "DATABASE_URL is set: the data directory is not used");
                }
                Target::Url(url.clone())
            }
            _ => Target::Embedded(ClusterConfig::new(
                self.data_dir
                    .clone()
                    .unwrap_or_else(cluster::default_data_dir),
                Some(self.pg_bin.clone()),
            )),
        }
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "STADSATLAS_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// The bundled data loaded into an empty database on first start.
    #[arg(long, env = "STADSATLAS_GEODATA", default_value_os_t = default_geodata())]
    pub geodata: PathBuf,
    /// Do not load the bundled data into an empty database.
    #[arg(long)]
    pub no_bundled: bool,
    /// Public base URL for absolute links (TileJSON, styles, OGC API), e.g. when behind a
    /// proxy. Default: from the request's Host header.
    #[arg(long, env = "STADSATLAS_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Size of the in-memory response cache (tiles, documents) in MiB; 0 turns it off.
    #[arg(long, env = "STADSATLAS_CACHE_MB", default_value_t = 128)]
    pub cache_mb: u64,
    /// The built web page (made by `npm run build` in web/).
    #[arg(long, env = "STADSATLAS_WEB_DIR", default_value_os_t = crate::web::default_dir())]
    pub web_dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(subcommand)]
    pub what: ImportKind,
}

#[derive(Debug, Subcommand)]
pub enum ImportKind {
    /// Municipality boundaries (GeoPackage or GeoJSON, any EPSG CRS).
    Kommuner(BoundaryArgs),
    /// RegSO boundaries (GeoPackage or GeoJSON, any EPSG CRS).
    Regso(BoundaryArgs),
    /// DeSO boundaries (GeoPackage or GeoJSON, any EPSG CRS).
    Deso(BoundaryArgs),
    /// The district registry: a directory with districts.csv, programmes.csv, memberships.csv.
    Registry {
        /// The directory holding the three CSV files.
        dir: PathBuf,
    },
    /// SCB statistics: PX-Web API v1 JSON, JSON-stat 2 (PX-Web API v2) or SCB's CSV export.
    Statistics(StatisticsArgs),
    /// Everything in the bundled data directory (geodata/), in dependency order.
    Bundled {
        #[arg(default_value_os_t = default_geodata())]
        dir: PathBuf,
    },
}

impl ImportKind {
    pub fn boundary_kind(&self) -> Option<BoundaryKind> {
        match self {
            ImportKind::Kommuner(_) => Some(BoundaryKind::Kommuner),
            ImportKind::Regso(_) => Some(BoundaryKind::Regso),
            ImportKind::Deso(_) => Some(BoundaryKind::Deso),
            _ => None,
        }
    }
}

#[derive(Debug, Args)]
pub struct BoundaryArgs {
    /// A .gpkg or .geojson file.
    pub file: PathBuf,
    /// Attribute holding the region code (default: looked up by common SCB names).
    #[arg(long)]
    pub code_field: Option<String>,
    /// Attribute holding the region name.
    #[arg(long)]
    pub name_field: Option<String>,
    /// Attribute holding the 4-digit municipality code.
    #[arg(long)]
    pub kommun_field: Option<String>,
}

#[derive(Debug, Args)]
pub struct StatisticsArgs {
    /// One or more files; each is imported in its own transaction.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = StatFormat::Auto)]
    pub format: StatFormat,
    /// The indicator catalogue and SCB mapping (TOML).
    #[arg(long, default_value_os_t = default_geodata().join("indicators.toml"))]
    pub mapping: PathBuf,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also list every stored value of this region (e.g. 0180R076, 0180, rinkeby).
    #[arg(long)]
    pub region: Option<String>,
}

/// The `geodata/` directory of this checkout (where the bundled data lives).
pub fn default_geodata() -> PathBuf {
    let built_in = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/geodata"));
    if built_in.is_dir() {
        built_in
    } else {
        PathBuf::from("geodata")
    }
}
