#!/usr/bin/env bash
# Rebuilds geodata/ (the data stadsatlas ships) from the real data in ../shared/data.
# Needs only sqlite3. Run from the repository root: scripts/make-geodata.sh [SHARED_DATA_DIR]
set -euo pipefail
src=${1:-../shared/data}
out=geodata
mkdir -p "$out/districts" "$out/scb"

# Municipalities: all 290, unchanged.
cp "$src/scb/Kommun_Sweref99TM.gpkg" "$out/Kommun_Sweref99TM.gpkg"

# RegSO: only the municipalities that have a programme district (codes from the registry)
# or bundled SCB statistics (codes from each city's index.json), geometry unchanged
# (EPSG:3006). The GeoPackage's rtree delete trigger keeps its spatial index consistent;
# VACUUM then drops the freed pages.
codes=$(python3 - "$src" <<'PY'
import csv, glob, json, sys
src = sys.argv[1]
with open(f"{src}/districts/districts.csv", newline="", encoding="utf-8") as f:
    codes = {row["kommun_code"] for row in csv.DictReader(f)}
for index in glob.glob(f"{src}/scb/integration/*/index.json"):
    with open(index, encoding="utf-8") as f:
        codes.add(json.load(f)["kommun"])
print(",".join(f"'{c}'" for c in sorted(codes)))
PY
)
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
  # IntGr3 (demography) holds distributions within background groups, which no indicator
  # of geodata/indicators.toml maps (see the note there): not shipped.
  rm -f "$out/scb/$name"/IntGr3*.json
done
cp "$src/scb/integration/MANIFEST.md" "$out/scb/MANIFEST.md"
chmod -R u+w "$out"
echo "areas: $(sqlite3 "$out/RegSO_2025_districts.gpkg" 'SELECT count(*) FROM RegSO_2025')"
du -sh "$out"
