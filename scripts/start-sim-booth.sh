#!/usr/bin/env bash
# Quick start: set up (scripts/setup.sh), create a technician token for the simulated booth, and run it.
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
echo "simulated booth on http://127.0.0.1:$port  (token in $data_dir/technician.token)"
echo "try: curl -H \"Authorization: Bearer \$(cat $data_dir/technician.token)\" http://127.0.0.1:$port/api/status"
exec node bin/gradebooth.js serve --data-dir "$data_dir" --port "$port"
