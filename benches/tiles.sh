#!/usr/bin/env bash
# Load benchmark of the tile and feature server, side by side with Martin on the same
# PostGIS tables. Loopback only; every run is bounded (wrk -d). Results go to stdout and
# $OUT (default /tmp/stadsatlas-bench.log); BENCHMARKS.md records them.
#
#   benches/tiles.sh            # needs: wrk, python3, psql, curl; martin 1.14.0 optional:
#   cargo install martin --version 1.14.0 --locked --no-default-features --features postgres
#
# Runs (wrk, 2 threads, 32 connections, 15 s each):
#   a  warm: one tile repeated (areas z10/563/301, Stockholm), cache on, identity and gzip
#   b  cold: shuffled z4-z14 tiles over all districts, caches off
#   c  low zooms z0-z6 of `areas` with an indicator, caches off (Martin: plain table)
#   d  GeoJSON items of all 43 districts (OGC API), warm and cold
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/stadsatlas-bench.log}
DURATION=${DURATION:-15s}
cargo build --release --locked -q
bin=$PWD/target/release/stadsatlas
work=$(mktemp -d /tmp/stadsatlas-bench-XXXXXX)
chmod 755 "$work"
data=$work/data
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
export STADSATLAS_LOG=warn

wait_for() { for _ in $(seq 1 600); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "no answer from $1"; exit 1; }

"$bin" serve --data-dir "$data" --bind 127.0.0.1:18200 --cache-mb 256 >/dev/null & pids+=($!); warm_pid=$!
wait_for http://127.0.0.1:18200/healthz
"$bin" serve --data-dir "$data" --bind 127.0.0.1:18201 --cache-mb 0 --no-bundled >/dev/null & pids+=($!); cold_pid=$!
wait_for http://127.0.0.1:18201/healthz

db="postgresql://stadsatlas@localhost/stadsatlas?host=$data/run"
have_martin=0
if command -v martin >/dev/null; then
  have_martin=1
  martin --listen-addresses 127.0.0.1:3000 "$db" >"$work/martin.log" 2>&1 & pids+=($!)
  martin --listen-addresses 127.0.0.1:3001 --cache-size 0 "$db" >"$work/martin-nocache.log" 2>&1 & pids+=($!)
  wait_for http://127.0.0.1:3000/catalog
  wait_for http://127.0.0.1:3001/catalog
fi

psql "$db" -AtF ' ' -c "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)
  FROM (SELECT ST_Transform(geom, 4326)::box2d AS b FROM districts) d" \
  | python3 benches/tile_lists.py "$work" | tee "$OUT"
sed 's|^|/tiles/areas/|; s|$|.mvt|' "$work/cold.txt" >"$work/ours-cold.txt"
sed 's|^|/areas/|' "$work/cold.txt" >"$work/martin-cold.txt"
sed 's|^|/tiles/areas/|; s|$|.mvt?indicator=employment_rate\&year=2024|' "$work/low.txt" >"$work/ours-low.txt"
sed 's|^|/areas/|' "$work/low.txt" >"$work/martin-low.txt"

# Largest tile over the benchmark lists (ours).
python3 - "$work" <<'PY' | tee -a "$OUT"
import sys, urllib.request
work = sys.argv[1]
largest = (0, "")
for name in ("ours-cold.txt", "ours-low.txt"):
    for path in open(f"{work}/{name}"):
        body = urllib.request.urlopen("http://127.0.0.1:18200" + path.strip()).read()
        largest = max(largest, (len(body), path.strip()))
print(f"largest tile in the lists: {largest[0]} bytes ({largest[1]})")
PY

run() { # name, url, [extra wrk args...]
  local name=$1 url=$2; shift 2
  local r
  r=$(wrk -t2 -c32 -d"$DURATION" --latency "$@" "$url")
  echo "$r" >>"$OUT.raw"
  python3 - "$name" <<PY | tee -a "$OUT"
import re, sys
r = """$r"""
rps = re.search(r"Requests/sec:\s+([\d.]+)", r).group(1)
tr = re.search(r"Transfer/sec:\s+([\d.]+\w+)", r).group(1)
p50 = re.search(r"50%\s+([\d.]+\w+)", r).group(1)
p99 = re.search(r"99%\s+([\d.]+\w+)", r).group(1)
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", r)
err = re.search(r"Socket errors: .*", r)
print(f"{sys.argv[1]:<44} {float(rps):>10.0f} req/s  p50 {p50:>8}  p99 {p99:>8}  {tr:>10}/s"
      + (f"  non-2xx {bad.group(1)}" if bad else "") + (f"  {err.group(0)}" if err else ""))
PY
}

: >"$OUT.raw"
export URLS
warm=/tiles/areas/10/563/301.mvt
run "a ours   warm one tile" "http://127.0.0.1:18200$warm"
run "a ours   warm one tile, gzip" "http://127.0.0.1:18200$warm" -H 'Accept-Encoding: gzip'
[ $have_martin = 1 ] && run "a martin warm one tile" "http://127.0.0.1:3000/areas/10/563/301"
[ $have_martin = 1 ] && run "a martin warm one tile, gzip" "http://127.0.0.1:3000/areas/10/563/301" -H 'Accept-Encoding: gzip'
URLS=$work/ours-cold.txt run "b ours   cold z4-z14 (cache off)" http://127.0.0.1:18201 -s benches/urls.lua
[ $have_martin = 1 ] && URLS=$work/martin-cold.txt run "b martin cold z4-z14 (cache off)" http://127.0.0.1:3001 -s benches/urls.lua
URLS=$work/ours-low.txt run "c ours   z0-z6 areas+indicator (cache off)" http://127.0.0.1:18201 -s benches/urls.lua
[ $have_martin = 1 ] && URLS=$work/martin-low.txt run "c martin z0-z6 areas (cache off)" http://127.0.0.1:3001 -s benches/urls.lua
items=/collections/districts/items?limit=100
run "d ours   GeoJSON 43 districts (warm)" "http://127.0.0.1:18200$items"
run "d ours   GeoJSON 43 districts (cache off)" "http://127.0.0.1:18201$items"

for p in $warm_pid $cold_pid; do
  echo "peak RSS pid $p ($(tr '\0' ' ' </proc/$p/cmdline | cut -c1-80)): $(awk '/VmHWM/ {print int($2/1024)}' /proc/$p/status) MB" | tee -a "$OUT"
done
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; wrk, servers and PostgreSQL share them" | tee -a "$OUT"
