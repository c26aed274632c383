//! The embedded default database: a private PostgreSQL + PostGIS cluster that stadsatlas
//! creates (initdb), starts, and stops itself, so that the atlas runs with no database setup.
//!
//! Layout of the data directory:
//! ```text
//! <data-dir>/pg/            PGDATA (initdb), owned by the server's OS user, mode 0700
//! <data-dir>/run/           the unix socket; no TCP port is opened
//! <data-dir>/postgres.log   the server's log
//! ```
//! Access: only over the private socket, with `peer` authentication mapped (pg_ident) to the
//! OS user that runs stadsatlas, so no other local user can connect.
//!
//! PostgreSQL refuses to run as root. When stadsatlas runs as root (as CI does), the server
//! runs as the `postgres` system user that Debian's `postgresql-15` package creates, and the
//! data directory is handed to that user.
//!
//! The server is a child process started from a dedicated thread that lives as long as the
//! server: the child is given PR_SET_PDEATHSIG, so if stadsatlas dies without a clean
//! shutdown the server still gets a fast-shutdown signal and the data directory stays
//! consistent.

use std::fs;
use std::io::Read;
use std::os::unix::fs::{chown, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::{Pid, Uid, User};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

/// The database (and role) name inside the embedded cluster.
pub const DB_NAME: &str = "stadsatlas";
/// The PostgreSQL major version we manage.
pub const PG_MAJOR: u32 = 15;

const SOCKET_PORT: u16 = 5432;
/// Unix socket paths are limited to 107 bytes on Linux.
const MAX_SOCKET_PATH: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("PostgreSQL {PG_MAJOR} is not installed: {missing} not found. Install it with: apt-get install postgresql-15 postgresql-15-postgis-3 (or set --pg-bin / STADSATLAS_PG_BIN)")]
    MissingPostgres { missing: PathBuf },
    #[error("PostGIS is not installed for PostgreSQL {PG_MAJOR} ({control} not found). Install it with: apt-get install postgresql-15-postgis-3")]
    MissingPostgis { control: PathBuf },
    #[error("running as root needs the 'postgres' system user to run the database server (PostgreSQL refuses to run as root); install Debian's postgresql-15 package, which creates it")]
    NoPostgresUser,
    #[error("the database server's user '{user}' cannot reach {dir} (mode {mode:o}); choose a --data-dir outside it, e.g. /var/lib/stadsatlas")]
    Unreachable {
        user: String,
        dir: PathBuf,
        mode: u32,
    },
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{program} failed ({status}): {output}")]
    Command {
        program: String,
        status: String,
        output: String,
    },
    #[error(
        "the database server did not become ready within {secs} s; last lines of {log}:\n{tail}"
    )]
    NotReady {
        secs: u64,
        log: PathBuf,
        tail: String,
    },
    #[error("the database server exited during start-up; last lines of {log}:\n{tail}")]
    Exited { log: PathBuf, tail: String },
    #[error("cannot set up the database: {0}")]
    Setup(#[from] sqlx::Error),
    #[error("cannot look up the system user: {0}")]
    Nix(#[from] nix::Error),
}

/// Where the embedded cluster lives and which binaries run it.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    pub data_dir: PathBuf,
    /// Directory with `initdb`, `postgres`, `pg_config`.
    pub pg_bin: PathBuf,
    /// Turn off fsync: for throw-away clusters in tests only.
    pub ephemeral: bool,
}

impl ClusterConfig {
    pub fn new(data_dir: PathBuf, pg_bin: Option<PathBuf>) -> Self {
        ClusterConfig {
            data_dir,
            pg_bin: pg_bin.unwrap_or_else(default_pg_bin),
            ephemeral: false,
        }
    }
}

/// Debian's location of the PostgreSQL 15 server binaries.
pub fn default_pg_bin() -> PathBuf {
    PathBuf::from(format!("/usr/lib/postgresql/{PG_MAJOR}/bin"))
}

/// Where the embedded cluster lives when no `--data-dir` is given: the user's data directory,
/// or `/var/lib/stadsatlas` for root (root's home is closed to the `postgres` user).
pub fn default_data_dir() -> PathBuf {
    if Uid::effective().is_root() {
        return PathBuf::from("/var/lib/stadsatlas");
    }
    dirs::data_dir()
        .map(|d| d.join("stadsatlas"))
        .unwrap_or_else(|| PathBuf::from(".stadsatlas"))
}

/// The OS user the server runs as: ourselves, or `postgres` when we are root.
#[derive(Debug, Clone)]
struct ServerUser {
    name: String,
    /// Set when we must switch to another user to run the server.
    switch_to: Option<(nix::unistd::Uid, nix::unistd::Gid)>,
}

fn server_user() -> Result<ServerUser, ClusterError> {
    if Uid::effective().is_root() {
        let user = User::from_name("postgres")?.ok_or(ClusterError::NoPostgresUser)?;
        Ok(ServerUser {
            name: user.name,
            switch_to: Some((user.uid, user.gid)),
        })
    } else {
        Ok(ServerUser {
            name: current_user_name()?,
            switch_to: None,
        })
    }
}

fn current_user_name() -> Result<String, ClusterError> {
    let uid = Uid::effective();
    Ok(User::from_uid(uid)?
        .map(|u| u.name)
        .unwrap_or_else(|| uid.to_string()))
}

/// A running embedded cluster. Dropping it does not stop the server: call [`Cluster::stop`].
#[derive(Debug)]
pub struct Cluster {
    data_dir: PathBuf,
    socket_dir: PathBuf,
    /// Present when this process started the server (and so must stop it).
    owned: Option<OwnedServer>,
}

#[derive(Debug)]
struct OwnedServer {
    pid: Pid,
    exited: mpsc::Receiver<String>,
}

impl Cluster {
    /// Creates the cluster on first use, starts it (or attaches to a server that another
    /// stadsatlas process already runs on this data directory) and makes sure the
    /// `stadsatlas` database exists. Blocking: call from `spawn_blocking` in async code.
    pub fn start(config: &ClusterConfig) -> Result<Cluster, ClusterError> {
        let started = Instant::now();
        check_binaries(&config.pg_bin)?;
        let user = server_user()?;
        let layout = Layout::new(&config.data_dir)?;
        layout.prepare(&user)?;

        if !layout.pgdata.join("PG_VERSION").exists() {
            tracing::info!(pgdata = %layout.pgdata.display(), "creating the embedded database cluster (initdb)");
            run_initdb(config, &layout, &user)?;
        }
        write_access_rules(&layout, &user)?;

        let owned = match running_pid(&layout.pgdata) {
            Some(pid) => {
                tracing::info!(%pid, "attaching to the embedded database server already running");
                None
            }
            None => Some(spawn_server(config, &layout, &user)?),
        };
        let mut cluster = Cluster {
            data_dir: config.data_dir.clone(),
            socket_dir: layout.socket_dir.clone(),
            owned,
        };
        if let Err(e) = cluster.wait_ready(&layout.log) {
            let _ = cluster.stop_blocking();
            return Err(e);
        }
        cluster.create_database()?;
        tracing::info!(
            data_dir = %config.data_dir.display(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "embedded database ready"
        );
        Ok(cluster)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Connection options for a database of this cluster (over the private socket).
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .port(SOCKET_PORT)
            .username(DB_NAME)
            .database(database)
            .application_name("stadsatlas")
    }

    fn wait_ready(&mut self, log: &Path) -> Result<(), ClusterError> {
        let limit = Duration::from_secs(60);
        let started = Instant::now();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|source| ClusterError::Io {
                what: "cannot start a runtime for",
                path: log.to_path_buf(),
                source,
            })?;
        let opts = self.connect_options("postgres").disable_statement_logging();
        loop {
            if let Some(server) = &self.owned {
                if server.exited.try_recv().is_ok() {
                    return Err(ClusterError::Exited {
                        log: log.to_path_buf(),
                        tail: log_tail(log),
                    });
                }
            }
            let ok = rt.block_on(async {
                match sqlx::PgConnection::connect_with(&opts).await {
                    Ok(conn) => conn.close().await.is_ok(),
                    Err(_) => false,
                }
            });
            if ok {
                return Ok(());
            }
            if started.elapsed() > limit {
                return Err(ClusterError::NotReady {
                    secs: limit.as_secs(),
                    log: log.to_path_buf(),
                    tail: log_tail(log),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn create_database(&self) -> Result<(), ClusterError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|source| ClusterError::Io {
                what: "cannot start a runtime for",
                path: self.data_dir.clone(),
                source,
            })?;
        let opts = self.connect_options("postgres");
        rt.block_on(async {
            let mut conn = sqlx::PgConnection::connect_with(&opts).await?;
            let exists: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                    .bind(DB_NAME)
                    .fetch_one(&mut conn)
                    .await?;
            if !exists {
                sqlx::query(&format!("CREATE DATABASE {DB_NAME}"))
                    .execute(&mut conn)
                    .await?;
            }
            conn.close().await
        })?;
        Ok(())
    }

    /// Stops the server if this process started it (fast shutdown: open sessions are
    /// rolled back, data is flushed). A server another process started is left running.
    pub async fn stop(self) -> Result<(), ClusterError> {
        tokio::task::spawn_blocking(move || self.stop_blocking())
            .await
            .unwrap_or(Ok(()))
    }

    pub fn stop_blocking(self) -> Result<(), ClusterError> {
        let Some(server) = self.owned else {
            return Ok(());
        };
        tracing::info!(pid = %server.pid, "stopping the embedded database server");
        let _ = kill(server.pid, Signal::SIGINT);
        if server.exited.recv_timeout(Duration::from_secs(30)).is_err() {
            tracing::warn!(pid = %server.pid, "database server did not stop in 30 s; sending SIGQUIT");
            let _ = kill(server.pid, Signal::SIGQUIT);
            let _ = server.exited.recv_timeout(Duration::from_secs(10));
        }
        Ok(())
    }
}

struct Layout {
    pgdata: PathBuf,
    socket_dir: PathBuf,
    log: PathBuf,
    data_dir: PathBuf,
}

impl Layout {
    fn new(data_dir: &Path) -> Result<Layout, ClusterError> {
        let data_dir = if data_dir.is_absolute() {
            data_dir.to_path_buf()
        } else {
            std::env::current_dir()
                .map_err(|source| ClusterError::Io {
                    what: "cannot resolve",
                    path: data_dir.to_path_buf(),
                    source,
                })?
                .join(data_dir)
        };
        let mut socket_dir = data_dir.join("run");
        if socket_dir.as_os_str().len() + ".s.PGSQL.5432".len() + 1 > MAX_SOCKET_PATH {
            // A deep data directory: keep the socket in a short, private per-directory path.
            use sha2::{Digest, Sha256};
            let hash = hex::encode(&Sha256::digest(data_dir.as_os_str().as_encoded_bytes())[..6]);
            socket_dir = std::env::temp_dir().join(format!("stadsatlas-{hash}"));
        }
        Ok(Layout {
            pgdata: data_dir.join("pg"),
            log: data_dir.join("postgres.log"),
            socket_dir,
            data_dir,
        })
    }

    /// Creates the directories with the ownership and modes PostgreSQL insists on.
    fn prepare(&self, user: &ServerUser) -> Result<(), ClusterError> {
        for dir in [&self.data_dir, &self.pgdata, &self.socket_dir] {
            fs::create_dir_all(dir).map_err(|source| ClusterError::Io {
                what: "cannot create",
                path: dir.clone(),
                source,
            })?;
            if let Some((uid, gid)) = user.switch_to {
                chown(dir, Some(uid.as_raw()), Some(gid.as_raw())).map_err(|source| {
                    ClusterError::Io {
                        what: "cannot hand to the postgres user",
                        path: dir.clone(),
                        source,
                    }
                })?;
            }
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|source| {
                ClusterError::Io {
                    what: "cannot set permissions of",
                    path: dir.clone(),
                    source,
                }
            })?;
        }
        if !self.log.exists() {
            fs::write(&self.log, b"").map_err(|source| ClusterError::Io {
                what: "cannot create",
                path: self.log.clone(),
                source,
            })?;
        }
        if let Some((uid, _)) = user.switch_to {
            // Every ancestor must be searchable by the server's user (e.g. not under /root).
            for dir in self.data_dir.ancestors().skip(1) {
                if let Ok(meta) = fs::metadata(dir) {
                    use std::os::unix::fs::MetadataExt;
                    let mode = meta.mode() & 0o7777;
                    let searchable =
                        mode & 0o001 != 0 || (meta.uid() == uid.as_raw() && mode & 0o100 != 0);
                    if !searchable {
                        return Err(ClusterError::Unreachable {
                            user: user.name.clone(),
                            dir: dir.to_path_buf(),
                            mode,
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

fn check_binaries(pg_bin: &Path) -> Result<(), ClusterError> {
    for program in ["initdb", "postgres", "pg_config"] {
        let path = pg_bin.join(program);
        if !path.is_file() {
            return Err(ClusterError::MissingPostgres { missing: path });
        }
    }
    let output = Command::new(pg_bin.join("pg_config"))
        .arg("--sharedir")
        .output()
        .map_err(|source| ClusterError::Io {
            what: "cannot run",
            path: pg_bin.join("pg_config"),
            source,
        })?;
    let sharedir = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let control = Path::new(&sharedir).join("extension/postgis.control");
    if !control.is_file() {
        return Err(ClusterError::MissingPostgis { control });
    }
    Ok(())
}

/// A command to run as the server's OS user.
fn server_command(program: PathBuf, user: &ServerUser) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir("/").env("LC_ALL", "C.UTF-8");
    if let Some((uid, gid)) = user.switch_to {
        cmd.uid(uid.as_raw()).gid(gid.as_raw());
    }
    cmd
}

fn run_initdb(
    config: &ClusterConfig,
    layout: &Layout,
    user: &ServerUser,
) -> Result<(), ClusterError> {
    let mut cmd = server_command(config.pg_bin.join("initdb"), user);
    cmd.arg("-D")
        .arg(&layout.pgdata)
        .args(["-U", DB_NAME, "--encoding=UTF8", "--locale=C.UTF-8"])
        .args(["--auth-local=peer", "--auth-host=reject"]);
    if config.ephemeral {
        cmd.arg("--no-sync");
    }
    let output = cmd.output().map_err(|source| ClusterError::Io {
        what: "cannot run",
        path: config.pg_bin.join("initdb"),
        source,
    })?;
    if !output.status.success() {
        return Err(ClusterError::Command {
            program: "initdb".into(),
            status: output.status.to_string(),
            output: String::from_utf8_lossy(&output.stderr).into_owned(),
        });
    }
    Ok(())
}

/// Only the `stadsatlas` role, only over the socket, only for the OS user running us (and
/// the server's own user).
fn write_access_rules(layout: &Layout, user: &ServerUser) -> Result<(), ClusterError> {
    let me = current_user_name()?;
    let hba = format!(
        "# Written by stadsatlas on every start; edits are overwritten.\n\
         local all {DB_NAME} peer map=stadsatlas\n"
    );
    let mut ident = format!("# Written by stadsatlas on every start.\nstadsatlas {me} {DB_NAME}\n");
    if user.name != me {
        ident.push_str(&format!("stadsatlas {} {DB_NAME}\n", user.name));
    }
    for (name, text) in [("pg_hba.conf", hba), ("pg_ident.conf", ident)] {
        let path = layout.pgdata.join(name);
        fs::write(&path, text).map_err(|source| ClusterError::Io {
            what: "cannot write",
            path: path.clone(),
            source,
        })?;
        if let Some((uid, gid)) = user.switch_to {
            let _ = chown(&path, Some(uid.as_raw()), Some(gid.as_raw()));
        }
    }
    Ok(())
}

/// The pid of a live server on this PGDATA, from `postmaster.pid`.
fn running_pid(pgdata: &Path) -> Option<Pid> {
    let text = fs::read_to_string(pgdata.join("postmaster.pid")).ok()?;
    let pid: i32 = text.lines().next()?.trim().parse().ok()?;
    let pid = Pid::from_raw(pid);
    // Signal 0 checks that the process exists without touching it.
    match kill(pid, None) {
        Ok(()) | Err(nix::errno::Errno::EPERM) => Some(pid),
        Err(_) => None,
    }
}

fn spawn_server(
    config: &ClusterConfig,
    layout: &Layout,
    user: &ServerUser,
) -> Result<OwnedServer, ClusterError> {
    let open_log = || {
        fs::OpenOptions::new()
            .append(true)
            .open(&layout.log)
            .map_err(|source| ClusterError::Io {
                what: "cannot open",
                path: layout.log.clone(),
                source,
            })
    };
    let (out, err) = (open_log()?, open_log()?);
    let mut cmd = server_command(config.pg_bin.join("postgres"), user);
    cmd.arg("-D")
        .arg(&layout.pgdata)
        .arg("-k")
        .arg(&layout.socket_dir)
        .args(["-p", &SOCKET_PORT.to_string()])
        .args(["-c", "listen_addresses="])
        .args(["-c", "unix_socket_permissions=0700"])
        .args(["-c", "max_connections=100"]);
    if config.ephemeral {
        cmd.args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off"]);
    }
    cmd.stdin(Stdio::null()).stdout(out).stderr(err);
    // SAFETY: only async-signal-safe calls between fork and exec: setsid (own session, so a
    // terminal's Ctrl-C reaches only us and we shut the server down in order) and prctl.
    unsafe {
        cmd.pre_exec(|| {
            nix::unistd::setsid().map_err(std::io::Error::from)?;
            if nix::libc::prctl(nix::libc::PR_SET_PDEATHSIG, nix::libc::SIGINT) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }

    // The child is spawned from a thread that lives as long as the server, because
    // PR_SET_PDEATHSIG fires when the spawning *thread* exits.
    let (pid_tx, pid_rx) = mpsc::channel();
    let (exit_tx, exit_rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("postgres-supervisor".into())
        .spawn(move || match cmd.spawn() {
            Ok(mut child) => {
                let _ = pid_tx.send(Ok(child.id()));
                let status = child
                    .wait()
                    .map(|s| s.to_string())
                    .unwrap_or_else(|e| e.to_string());
                let _ = exit_tx.send(status);
            }
            Err(e) => {
                let _ = pid_tx.send(Err(e));
            }
        })
        .map_err(|source| ClusterError::Io {
            what: "cannot start a thread for",
            path: layout.pgdata.clone(),
            source,
        })?;
    let pid = pid_rx
        .recv()
        .map_err(|_| ClusterError::Exited {
            log: layout.log.clone(),
            tail: log_tail(&layout.log),
        })?
        .map_err(|source| ClusterError::Io {
            what: "cannot start",
            path: config.pg_bin.join("postgres"),
            source,
        })?;
    tracing::info!(pid, log = %layout.log.display(), "started the embedded database server");
    Ok(OwnedServer {
        pid: Pid::from_raw(pid as i32),
        exited: exit_rx,
    })
}

fn log_tail(log: &Path) -> String {
    let mut text = String::new();
    if let Ok(mut f) = fs::File::open(log) {
        let _ = f.read_to_string(&mut text);
    }
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_postgres_names_the_debian_packages() {
        let err = check_binaries(Path::new("/nonexistent/bin")).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("apt-get install postgresql-15"), "{msg}");
        assert!(msg.contains("/nonexistent/bin/initdb"), "{msg}");
    }

    #[test]
    fn missing_postgis_names_the_debian_package() {
        // A fake PostgreSQL whose share directory has no PostGIS.
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin");
        let share = dir.path().join("share");
        fs::create_dir_all(share.join("extension")).unwrap();
        fs::create_dir_all(&bin).unwrap();
        for program in ["initdb", "postgres"] {
            fs::write(bin.join(program), "").unwrap();
        }
        let pg_config = bin.join("pg_config");
        fs::write(&pg_config, format!("#!/bin/sh\necho {}\n", share.display())).unwrap();
        fs::set_permissions(&pg_config, fs::Permissions::from_mode(0o755)).unwrap();
        let msg = check_binaries(&bin).unwrap_err().to_string();
        assert!(
            msg.contains("apt-get install postgresql-15-postgis-3"),
            "{msg}"
        );
    }

    #[test]
    fn deep_data_directories_get_a_short_socket_path() {
        let deep = PathBuf::from("/tmp").join("d".repeat(120));
        let layout = Layout::new(&deep).unwrap();
        assert!(layout.socket_dir.as_os_str().len() + 14 <= MAX_SOCKET_PATH);
        assert_eq!(layout.pgdata, deep.join("pg"));
        let short = Layout::new(Path::new("/var/lib/stadsatlas")).unwrap();
        assert_eq!(short.socket_dir, PathBuf::from("/var/lib/stadsatlas/run"));
    }
}
