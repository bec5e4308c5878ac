#!/usr/bin/env bash
# Quick start: set up (scripts/setup.sh), create a technician token for the simulated booth, calibrate it
# on the first start, and run it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
data_dir=${GRADEBOOTH_DATA_DIR:-./var/data}
port=${GRADEBOOTH_PORT:-8080}
if [ ! -s "$data_dir/technician.token" ]; then
  mkdir -p "$data_dir"
  node bin/gradebooth.js token create --role technician --name quick-start --data-dir "$data_dir" | tail -n 1 >"$data_dir/technician.token"
  chmod 600 "$data_dir/technician.token"
fi
# A booth grades only when calibrated: the first start calibrates the simulated booth (about a minute).
if ! node bin/gradebooth.js calibrate show --data-dir "$data_dir" --json 2>/dev/null | tail -n 1 | grep -q '"ok":true'; then
  echo "calibrating the simulated booth (first start)…"
  node bin/gradebooth.js calibrate run --sim --data-dir "$data_dir"
fi
echo "simulated booth on http://127.0.0.1:$port  (token in $data_dir/technician.token)"
echo "grade a card: node bin/gradebooth.js sim barcode SUB-0100 --data-dir $data_dir"
echo "try: curl -H \"Authorization: Bearer \$(cat $data_dir/technician.token)\" http://127.0.0.1:$port/api/status"
exec node bin/gradebooth.js serve --data-dir "$data_dir" --port "$port"
