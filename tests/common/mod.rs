//! Test harness: one real PostgreSQL + PostGIS cluster per test binary, started with the
//! product's own embedded-cluster code in a temporary directory; one fresh database per test,
//! cloned from a migrated template (and, for tests that need it, from a template holding
//! the bundled data), so tests are isolated and can run in parallel.
#![allow(dead_code)] // each test binary uses a different part of the harness

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, PgPool};
use stadsatlas::db::{cluster, Cluster, ClusterConfig, MIGRATOR};

const EMPTY_TEMPLATE: &str = "template_empty";
const BUNDLED_TEMPLATE: &str = "template_bundled";

struct Harness {
    options: PgConnectOptions,
    socket_dir: PathBuf,
}

static HARNESS: OnceLock<Result<Harness, String>> = OnceLock::new();
static BUNDLED: OnceLock<Result<(), String>> = OnceLock::new();
static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The repository's bundled data.
pub fn geodata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("geodata")
}

/// The real source data (`../shared/data` next to the checkout, or STADSATLAS_SHARED_DATA).
pub fn shared_data() -> PathBuf {
    std::env::var_os("STADSATLAS_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data"))
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Runs `f` on a fresh thread with its own runtime: the harness is set up from inside
/// tests' runtimes, which must not be blocked on.
fn on_own_runtime<T: Send + 'static>(
    f: impl FnOnce() -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<T, String>> + Send>>
        + Send
        + 'static,
) -> Result<T, String> {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        rt.block_on(f())
    })
    .join()
    .map_err(|_| "harness thread panicked".to_string())?
}

fn harness() -> &'static Harness {
    let h = HARNESS.get_or_init(|| {
        remove_stale_clusters();
        let dir = std::env::temp_dir().join(format!("stadsatlas-test-{}", std::process::id()));
        let mut config = ClusterConfig::new(dir, None);
        config.ephemeral = true;
        // Cluster::start blocks on a runtime of its own: not on a test's runtime thread.
        let cluster = std::thread::spawn(move || Cluster::start(&config))
            .join()
            .map_err(|_| "cluster start-up panicked".to_string())?
            .map_err(|e| e.to_string())?;
        let options = cluster.connect_options("postgres");
        let socket_dir = options
            .get_socket()
            .cloned()
            .ok_or("cluster has no socket")?;
        // The server lives as long as the test process: its supervisor thread holds it, and
        // it gets SIGINT when the process exits (PR_SET_PDEATHSIG).
        std::mem::forget(cluster);
        let opts = options.clone();
        on_own_runtime(move || {
            Box::pin(async move {
                let mut conn = PgConnection::connect_with(&opts)
                    .await
                    .map_err(|e| e.to_string())?;
                sqlx::query(&format!("CREATE DATABASE {EMPTY_TEMPLATE}"))
                    .execute(&mut conn)
                    .await
                    .map_err(|e| e.to_string())?;
                let pool = PgPool::connect_with(opts.clone().database(EMPTY_TEMPLATE))
                    .await
                    .map_err(|e| e.to_string())?;
                MIGRATOR.run(&pool).await.map_err(|e| e.to_string())?;
                pool.close().await;
                Ok(())
            })
        })?;
        Ok(Harness {
            options,
            socket_dir,
        })
    });
    match h {
        Ok(h) => h,
        Err(e) => panic!("cannot start the test database cluster: {e}"),
    }
}

/// Clusters of earlier test runs whose process is gone.
fn remove_stale_clusters() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if let Some(pid) = name.strip_prefix("stadsatlas-test-") {
            let alive = Path::new("/proc").join(pid).exists();
            if !alive {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

/// A database of its own for one test.
pub struct TestDb {
    pub pool: PgPool,
    pub name: String,
}

impl TestDb {
    /// A migrated database with no data.
    pub async fn empty() -> TestDb {
        Self::clone_of(EMPTY_TEMPLATE).await
    }

    /// A database holding the bundled data of `geodata/`, loaded once per test binary.
    pub async fn bundled() -> TestDb {
        let h = harness();
        let loaded = BUNDLED.get_or_init(|| {
            let opts = h.options.clone();
            on_own_runtime(move || {
                Box::pin(async move {
                    let mut conn = PgConnection::connect_with(&opts)
                        .await
                        .map_err(|e| e.to_string())?;
                    sqlx::query(&format!(
                        "CREATE DATABASE {BUNDLED_TEMPLATE} TEMPLATE {EMPTY_TEMPLATE}"
                    ))
                    .execute(&mut conn)
                    .await
                    .map_err(|e| e.to_string())?;
                    let pool = PgPool::connect_with(opts.clone().database(BUNDLED_TEMPLATE))
                        .await
                        .map_err(|e| e.to_string())?;
                    stadsatlas::import::bundled::import_bundled(&pool, &geodata())
                        .await
                        .map_err(|e| e.to_string())?;
                    pool.close().await;
                    Ok(())
                })
            })
        });
        if let Err(e) = loaded {
            panic!("cannot load the bundled data into the test template: {e}");
        }
        Self::clone_of(BUNDLED_TEMPLATE).await
    }

    async fn clone_of(template: &str) -> TestDb {
        let h = harness();
        let name = format!(
            "t_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let mut conn = PgConnection::connect_with(&h.options)
            .await
            .expect("connect to the test cluster");
        sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .execute(&mut conn)
            .await
            .expect("create a test database");
        conn.close().await.ok();
        let pool = stadsatlas::db::connect(h.options.clone().database(&name))
            .await
            .expect("connect to the test database");
        TestDb { pool, name }
    }

    /// A `DATABASE_URL` for this database, for running the `stadsatlas` binary against it.
    pub fn url(&self) -> String {
        let h = harness();
        format!(
            "postgres://{}@localhost/{}?host={}&port=5432",
            cluster::DB_NAME,
            self.name,
            h.socket_dir.display()
        )
    }
}

/// Row counts of the main tables, for "nothing changed" assertions.
pub async fn table_counts(pool: &PgPool) -> Vec<(String, i64)> {
    let mut counts = Vec::new();
    for table in [
        "municipalities",
        "areas",
        "districts",
        "district_areas",
        "programmes",
        "memberships",
        "indicators",
        "indicator_values",
        "import_batches",
    ] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(pool)
            .await
            .expect("count rows");
        counts.push((table.to_string(), n));
    }
    let version: i64 = sqlx::query_scalar("SELECT version FROM data_version")
        .fetch_one(pool)
        .await
        .expect("data version");
    counts.push(("data_version".into(), version));
    counts
}

/// Serves the full router over `pool` on a free loopback port; returns the base URL.
pub async fn spawn_server(pool: PgPool, config: stadsatlas::http::ServerConfig) -> String {
    let state = stadsatlas::http::AppState::new(pool, config)
        .await
        .expect("server state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a free port");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        axum::serve(listener, stadsatlas::http::router(state))
            .await
            .expect("serve");
    });
    format!("http://{addr}")
}

/// The tile (x, y) containing a lon/lat point at zoom z (Web Mercator, XYZ scheme).
pub fn tile_of(lon: f64, lat: f64, z: u8) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor();
    let lat = lat.to_radians();
    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    (x as u32, y as u32)
}
