#!/usr/bin/env bash
# Installs what stadsatlas needs on a Debian 12 (bookworm) machine: PostgreSQL 15 with
# PostGIS 3 (the embedded database), PROJ (reprojection; linked at build time), clang
# (bindgen for the PROJ bindings), sqlite3 (scripts/make-geodata.sh), and Chromium with
# fonts for the browser tests. Node.js (>= 20) and npm are expected on the machine.
# Run as root (or with sudo). Safe to run again.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
  postgresql-15 postgresql-15-postgis-3
  libproj-dev proj-data libclang-dev clang pkg-config
  sqlite3 ca-certificates curl bc
  chromium fonts-dejavu-core
)
apt-get update -q
# An install can fail half-way with "cannot access archive" on these machines (cached .debs
# removed by a hook); a second try completes it.
install() { apt-get -o DPkg::Lock::Timeout=120 install -y -q "${packages[@]}"; }
install || install
# Debian's package may start its own cluster on port 5432; stadsatlas does not use it.
