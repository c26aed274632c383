#!/usr/bin/env bash
# Rebuilds geodata/ (the data stadsatlas ships) from the real data in ../shared/data.
# Needs only sqlite3. Run from the repository root: scripts/make-geodata.sh [SHARED_DATA_DIR]
set -euo pipefail
src=${1:-../shared/data}
out=geodata
mkdir -p "$out/districts" "$out/scb"

# Municipalities: all 290, unchanged.
cp "$src/scb/Kommun_Sweref99TM.gpkg" "$out/Kommun_Sweref99TM.gpkg"

# RegSO: only the municipalities that have a programme district (the codes come from the
# registry itself), geometry unchanged (EPSG:3006). The GeoPackage's rtree delete trigger
# keeps its spatial index consistent; VACUUM then drops the freed pages.
codes=$(tail -n +2 "$src/districts/districts.csv" | python3 -c '
import csv, sys
print(",".join(sorted({"\x27%s\x27" % r[2] for r in csv.reader(sys.stdin)})))')
tmp=$(mktemp --suffix=.gpkg)
cp "$src/scb/RegSO_2025.gpkg" "$tmp"
chmod u+w "$tmp"
sqlite3 "$tmp" "DELETE FROM RegSO_2025 WHERE kommunkod NOT IN ($codes);" "VACUUM;"
mv "$tmp" "$out/RegSO_2025_districts.gpkg"
chmod 644 "$out"/*.gpkg

# The district registry, unchanged.
cp "$src"/districts/*.csv "$out/districts/"

# SCB statistics, unchanged (exactly as SCB's PX-Web API returned them).
for city in "$src"/scb/integration/*/; do
  name=$(basename "$city")
  mkdir -p "$out/scb/$name"
  cp "$city"/*.json "$out/scb/$name/"
done
cp "$src/scb/integration/MANIFEST.md" "$out/scb/MANIFEST.md"
chmod -R u+w "$out"
echo "areas: $(sqlite3 "$out/RegSO_2025_districts.gpkg" 'SELECT count(*) FROM RegSO_2025')"
du -sh "$out"
