#!/usr/bin/env bash
# Browser tests of the web atlas: headless Debian Chromium (apt's `chromium`) driven by
# playwright-core against a real `stadsatlas serve` with the bundled data.
# Screenshots: tests/output/screenshots/.
#   STADSATLAS_BIN  the binary to test (default: cargo build, target/debug/stadsatlas)
#   CHROMIUM_BIN    the browser (default /usr/bin/chromium)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
command -v "${CHROMIUM_BIN:-/usr/bin/chromium}" >/dev/null || { echo "no Chromium: apt-get install -y chromium" >&2; exit 1; }
(cd tests/browser && npm ci --no-audit --no-fund)
if [ ! -f web/dist/index.html ] || [ -n "$(find web/src web/build.mjs web/package-lock.json -newer web/dist/index.html 2>/dev/null | head -1)" ]; then
  scripts/build-web.sh
fi
if [ -z "${STADSATLAS_BIN:-}" ]; then
  cargo build
  export STADSATLAS_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/stadsatlas"
fi
mkdir -p tests/output/screenshots
node --test --test-concurrency=1 tests/browser/
echo "screenshots: $root/tests/output/screenshots/"
