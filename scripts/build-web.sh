#!/usr/bin/env bash
# Builds the web atlas into web/dist (npm ci + esbuild) and prints the gzipped JS+CSS sizes.
set -euo pipefail
cd "$(dirname "$0")/../web"
npm ci --no-audit --no-fund
npm run build
