#!/usr/bin/env bash
# Build every N-API addon under native/*/binding.gyp with node-gyp (run by `npm install`/`npm ci`).
# Uses the node-gyp that npm bundles and the local Node headers (npm's nodedir), so it works offline.
set -euo pipefail
cd "$(dirname "$0")/.."
gyp=${npm_config_node_gyp:-node-gyp}
for dir in native/*/; do
  [ -f "$dir/binding.gyp" ] || continue
  echo "building native addon $dir"
  if [[ "$gyp" == *.js ]]; then node "$gyp" rebuild --loglevel=warn --directory "$dir"; else "$gyp" rebuild --loglevel=warn --directory "$dir"; fi
done
