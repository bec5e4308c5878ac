#!/usr/bin/env bash
# The quantization step of the surface recipe (scripts/train-surface-model.sh, scripts/quantize-surface-model.sh):
# a float network to its 8-bit QDQ twin, with the activation ranges measured by the runtime's own features
# and tiles on training cards (scripts/train/quantize.py says the scheme).
#
#   bash scripts/train/quantize-surface.sh FLOAT.onnx OUT.onnx WORK_DIR TRAIN_DIR...
#
# Writes OUT.onnx, and in WORK_DIR: model-augmented.onnx, activation-ranges.json, quantization.json (the
# manifest's `quantization`). Deterministic: the same float model and training sets give the same bytes.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ $# -ge 4 ] || { echo "GB_USAGE: quantize-surface.sh FLOAT.onnx OUT.onnx WORK_DIR TRAIN_DIR..." >&2; exit 2; }
FLOAT="$1"; OUT="$2"; WORK="$3"; shift 3
PY=/usr/bin/python3
mkdir -p "$WORK"
DATA_ARGS=()
for d in "$@"; do DATA_ARGS+=(--data "$d"); done
$PY scripts/train/quantize.py augment --model "$FLOAT" --out "$WORK/model-augmented.onnx"
node --import tsx scripts/train/activation-ranges.ts --model "$WORK/model-augmented.onnx" "${DATA_ARGS[@]}" --cards 3 --val-every 7 --out "$WORK/activation-ranges.json"
$PY scripts/train/quantize.py qdq --model "$FLOAT" --ranges "$WORK/activation-ranges.json" --out "$OUT" --report "$WORK/quantization.json"
