#!/usr/bin/env bash
# Runs every check and test of stadsatlas: formatting, lints, unit tests and the integration
# tests (which start their own PostgreSQL + PostGIS from the Debian packages; see
# scripts/install-deps.sh). Works as root and as an ordinary user.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked
# The web atlas in headless Chromium against the binary just tested (screenshots land in
# tests/output/screenshots/).
STADSATLAS_BIN="${CARGO_TARGET_DIR:-$PWD/target}/debug/stadsatlas" scripts/test-browser.sh
