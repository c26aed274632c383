//! The `stadsatlas` command: serve | import | status | migrate.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

use stadsatlas::config::{Cli, Command, ImportKind};
use stadsatlas::db::{Database, DbError};
use stadsatlas::import::{self, boundaries::FieldNames, ImportError};
use stadsatlas::{http, status};

#[derive(Debug, thiserror::Error)]
enum AppError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("the HTTP server failed: {0}")]
    Serve(std::io::Error),
    #[error("cannot write the output: {0}")]
    Output(#[from] serde_json::Error),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("STADSATLAS_LOG")
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "stadsatlas failed");
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), AppError> {
    match cli.command {
        Command::Serve(args) => {
            let db = Database::open(&args.db.target()).await?;
            let result = serve(&db, &args).await;
            db.close().await;
            result
        }
        Command::Migrate(args) => {
            let db = Database::open(&args.target()).await?;
            let applied = stadsatlas::db::MIGRATOR.iter().count();
            println!("database schema is up to date ({applied} migrations)");
            db.close().await;
            Ok(())
        }
        Command::Status(args) => {
            let db = Database::open(&args.db.target()).await?;
            let result = print_status(&db, args.json, args.region.as_deref()).await;
            db.close().await;
            result
        }
        Command::Import(args) => {
            let db = Database::open(&args.db.target()).await?;
            let result = run_import(&db, args.what).await;
            db.close().await;
            result
        }
    }
}

async fn serve(db: &Database, args: &stadsatlas::config::ServeArgs) -> Result<(), AppError> {
    if !args.no_bundled
        && import::bundled::is_empty(&db.pool)
            .await
            .map_err(DbError::Query)?
    {
        tracing::info!(dir = %args.geodata.display(), "empty database: loading the bundled data");
        let started = std::time::Instant::now();
        let reports = import::bundled::import_bundled(&db.pool, &args.geodata).await?;
        tracing::info!(
            files = reports.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "bundled data loaded"
        );
    }
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .map_err(|source| AppError::Bind {
            addr: args.bind,
            source,
        })?;
    let addr = listener.local_addr().unwrap_or(args.bind);
    println!("stadsatlas is listening on http://{addr}");
    let config = http::ServerConfig {
        public_url: args.public_url.clone(),
        cache_bytes: args.cache_mb * 1024 * 1024,
        web_dir: Some(args.web_dir.clone()),
    };
    let state = http::AppState::new(db.pool.clone(), config)
        .await
        .map_err(DbError::Query)?;
    http::serve(listener, state).await.map_err(AppError::Serve)
}

async fn print_status(db: &Database, json: bool, region: Option<&str>) -> Result<(), AppError> {
    let st = status::status(&db.pool).await.map_err(DbError::Query)?;
    let values = match region {
        Some(code) => Some(
            status::region_values(&db.pool, code)
                .await
                .map_err(DbError::Query)?,
        ),
        None => None,
    };
    if json {
        let mut doc = serde_json::to_value(&st)?;
        if let (Some(code), Some(values)) = (region, &values) {
            doc["region"] = serde_json::json!({ "code": code, "values": values });
        }
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        println!("{st}");
        if let (Some(code), Some(values)) = (region, values) {
            println!("values of {code}:");
            for v in values {
                let value = v.value.map_or("missing".to_string(), |x| x.to_string());
                println!("  {:<8} {:<28} {} {}", v.level, v.indicator, v.year, value);
            }
        }
    }
    Ok(())
}

async fn run_import(db: &Database, what: ImportKind) -> Result<(), AppError> {
    let kind = what.boundary_kind();
    let reports = match what {
        ImportKind::Kommuner(b) | ImportKind::Regso(b) | ImportKind::Deso(b) => {
            let fields = FieldNames {
                code: b.code_field,
                name: b.name_field,
                kommun: b.kommun_field,
            };
            let kind = kind.unwrap_or(import::boundaries::BoundaryKind::Regso);
            vec![import::import_boundaries(&db.pool, &b.file, kind, &fields).await?]
        }
        ImportKind::Registry { dir } => vec![import::import_registry(&db.pool, &dir).await?],
        ImportKind::Statistics(s) => {
            let mut reports = Vec::new();
            for file in &s.files {
                reports.push(
                    import::statistics::import_statistics(&db.pool, file, s.format, &s.mapping)
                        .await?,
                );
            }
            reports
        }
        ImportKind::Bundled { dir } => import::bundled::import_bundled(&db.pool, &dir).await?,
    };
    for report in reports {
        println!("{report}");
    }
    Ok(())
}
