#!/usr/bin/env bash
# One-time setup on a fresh Debian 12 machine: system packages, Node.js 20 check, npm dependencies and
# native addons. Idempotent. Needs root (or sudo) for apt-get.
set -euo pipefail
cd "$(dirname "$0")/.."
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

mapfile -t packages < <(grep -v '^\s*#' scripts/apt-packages.txt | grep -v '^\s*$')
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "setup.sh: Node.js 20 or newer is required (found: $(node --version 2>/dev/null || echo none))" >&2
  echo "          on Debian 12: install nodejs 20 from your usual source, then run this again" >&2
  exit 1
fi

# onnxruntime-node's install script would try to download CUDA files; the CPU runtime ships inside.
export ONNXRUNTIME_NODE_INSTALL=skip
if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ] && [ -z "${CI:-}" ]; then
  echo "npm dependencies up to date (run 'npm ci' to reinstall)"
  # Through npm, so its bundled node-gyp is on the path; npm also runs the postinstall hook after it.
  npm run --silent install
else
  npm ci
fi

# The simulated rig's harness (the real firmware in simavr); built here so parallel tests never race make.
make -s -C native/simrig
