#!/usr/bin/env bash
# Runs every check and test of stadsatlas: formatting, lints, unit tests and the integration
# tests (which start their own PostgreSQL + PostGIS from the Debian packages; see
# scripts/install-deps.sh). Works as root and as an ordinary user.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked
