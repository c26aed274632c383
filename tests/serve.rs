//! End to end: the `stadsatlas` binary with its embedded database, as the README runs it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

const BIN: &str = env!("CARGO_BIN_EXE_stadsatlas");

/// Starts `stadsatlas serve` on a free port and returns it with its base URL.
fn start_serve(data_dir: &Path) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start stadsatlas serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let line = lines
        .next()
        .expect("serve printed nothing")
        .expect("read stdout");
    let url = line
        .rsplit_once("http://")
        .map(|(_, addr)| format!("http://{addr}"))
        .unwrap_or_else(|| panic!("unexpected first line: {line}"));
    (child, url)
}

fn status_json(data_dir: &Path) -> serde_json::Value {
    let out = Command::new(BIN)
        .args(["status", "--json", "--region", "0180R076", "--data-dir"])
        .arg(data_dir)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run stadsatlas status");
    assert!(
        out.status.success(),
        "status failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("status --json prints JSON")
}

fn stop(mut child: Child) {
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).expect("send SIGTERM");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "serve exited with {status}");
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "serve did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_starts_with_bundled_data_and_stops_cleanly() {
    let tmp = tempfile::Builder::new()
        .prefix("stadsatlas-serve-")
        .tempdir_in("/tmp")
        .unwrap();
    let data_dir = tmp.path().join("data");

    let (child, url) = start_serve(&data_dir);
    let health = reqwest::get(format!("{url}/healthz"))
        .await
        .expect("GET /healthz");
    assert_eq!(health.status(), 200);
    let body: serde_json::Value = health.json().await.unwrap();
    assert_eq!(body["status"], "ok");

    // `status` attaches to the server that `serve` runs on the same data directory.
    let status = status_json(&data_dir);
    assert_eq!(status["municipalities"], 290);
    assert!(status["areas"]["regso"].as_i64().unwrap() >= 857);
    assert_eq!(status["districts"]["total"], 43);
    assert_eq!(status["districts"]["by_status"]["original"], 24);
    assert_eq!(status["districts"]["by_status"]["candidate"], 19);
    let values = status["region"]["values"].as_array().unwrap();
    assert!(
        values
            .iter()
            .any(|v| v["indicator"] == "employment_rate" && v["value"] == 60.0),
        "Rinkeby's employment rate should be there: {values:?}"
    );
    let imports = status["imports"].as_i64().unwrap();

    stop(child);
    assert!(
        !data_dir.join("pg/postmaster.pid").exists(),
        "the database server must be stopped with serve"
    );

    // A second start reuses the cluster and does not import again.
    let (child, url) = start_serve(&data_dir);
    let health = reqwest::get(format!("{url}/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(status_json(&data_dir)["imports"].as_i64().unwrap(), imports);
    stop(child);
}

mod common;

/// With DATABASE_URL the binary uses that server (here: a test database on the harness's
/// cluster, with the bundled data) and starts no cluster of its own.
#[tokio::test(flavor = "multi_thread")]
async fn status_uses_database_url_when_given() {
    let db = common::TestDb::bundled().await;
    let out = Command::new(BIN)
        .args(["status", "--json"])
        .env("DATABASE_URL", db.url())
        .env("STADSATLAS_DATA_DIR", "/nonexistent/must-not-be-used")
        .output()
        .expect("run stadsatlas status");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["municipalities"], 290);
    assert_eq!(status["districts"]["total"], 43);
    assert!(!Path::new("/nonexistent/must-not-be-used").exists());

    // A URL that names no reachable server is a clear error, not a panic.
    let out = Command::new(BIN)
        .args(["status", "--json"])
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .expect("run stadsatlas status");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cannot connect to the database"),
        "{stderr}"
    );
}
