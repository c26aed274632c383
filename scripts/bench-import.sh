#!/usr/bin/env bash
# Benchmarks of the database side, recorded in BENCHMARKS.md:
#   1. first start: `serve` on an empty data directory until /healthz answers 200
#      (initdb + server start + migrations + bundled import), 3 runs;
#   2. a full national RegSO import (3,363 areas, 33 MB GeoPackage) into a database that
#      holds the municipalities, 3 runs.
# Usage: scripts/bench-import.sh [SHARED_DATA_DIR]   (builds the release binary first)
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${1:-../shared/data}
cargo build --release --locked -q
bin=target/release/stadsatlas
export STADSATLAS_LOG=warn
port=18431

now() { date +%s.%N; }
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r)"

for run in 1 2 3; do
  dir=$(mktemp -d /tmp/stadsatlas-bench-XXXXXX); chmod 755 "$dir"
  t0=$(now)
  $bin serve --data-dir "$dir/data" --bind 127.0.0.1:$port >/dev/null &
  pid=$!
  until curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; do
    kill -0 $pid 2>/dev/null || { echo "serve died"; exit 1; }
    sleep 0.05
  done
  t1=$(now)
  rss=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
  kill -TERM $pid; wait $pid || true
  printf 'first start run %d: %.2f s (serve peak RSS %d MB)\n' "$run" "$(echo "$t1 - $t0" | bc)" $((rss / 1024))
  rm -rf "$dir"
done

dir=$(mktemp -d /tmp/stadsatlas-bench-XXXXXX); chmod 755 "$dir"
$bin import --data-dir "$dir/data" kommuner "$shared/scb/Kommun_Sweref99TM.gpkg" >/dev/null
for run in 1 2 3; do
  t0=$(now)
  $bin import --data-dir "$dir/data" regso "$shared/scb/RegSO_2025.gpkg" >/dev/null
  t1=$(now)
  printf 'national RegSO import run %d: %.2f s (command total: cluster start + read + write + stop)\n' "$run" "$(echo "$t1 - $t0" | bc)"
done
rm -rf "$dir"
