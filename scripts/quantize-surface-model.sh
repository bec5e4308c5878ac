#!/usr/bin/env bash
# A shipped float surface model to an 8-bit one, without training: the same network quantized
# (scripts/train/quantize-surface.sh), the source's calibrated post-processing kept, the held-out metrics
# measured again on the new file, its model card written.
#
#   bash scripts/quantize-surface-model.sh FROM_DIR VERSION [WORK_DIR]
#
# FROM_DIR holds the float model.onnx and its manifest.json (surface-defects 1.4.0, at commit 78cf809:
#   mkdir -p var/float-1.4.0 && for f in model.onnx manifest.json; do git show 78cf809:models/surface-defects/1.4.0/$f > var/float-1.4.0/$f; done).
# WORK_DIR (var/train/surface-<FROM version>) holds the recipe's data sets; made if missing, by the recipe
# at the source's version (scripts/train-surface-model.sh with DATA_ONLY=1). Needs /usr/bin/python3 with
# python3-onnx and python3-numpy.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: quantize-surface-model.sh FROM_DIR VERSION [WORK_DIR]" >&2; exit 2; }
FROM="$1"; VERSION="$2"
for f in model.onnx manifest.json; do
  [ -f "$FROM/$f" ] || { echo "GB_USAGE: $FROM/$f: missing (FROM_DIR holds the float model.onnx and its manifest.json)" >&2; exit 2; }
done
[[ "$VERSION" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[A-Za-z0-9.]+)?$ ]] || { echo "GB_USAGE: VERSION \"$VERSION\" is not MAJOR.MINOR.PATCH[-tag]" >&2; exit 2; }
FROM_VERSION=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).version)' "$FROM/manifest.json")
WORK="${3:-var/train/surface-$FROM_VERSION}"
OUT="models/surface-defects/$VERSION"
[ -e "$OUT" ] && { echo "GB_USAGE: $OUT exists" >&2; exit 2; }
DATA_ONLY=1 bash scripts/train-surface-model.sh "$FROM_VERSION" "$WORK"
mkdir -p "$OUT"
bash scripts/train/quantize-surface.sh "$FROM/model.onnx" "$OUT/model.onnx" "$WORK/quantize-$VERSION" "$WORK/train-near" "$WORK/train-distant"
node --import tsx scripts/train/surface-manifest.ts derive --from "$FROM" --dir "$OUT" --version "$VERSION" --quantization "$WORK/quantize-$VERSION/quantization.json" \
  --by "bash scripts/quantize-surface-model.sh (the same network in 8 bits: scripts/train/quantize.py, activation ranges from training cards; the post-processing calibration kept)"
node --import tsx scripts/train/surface-manifest.ts evaluate --dir "$OUT" --data "$WORK/heldout-near" --data "$WORK/heldout-distant" --write | tee "$WORK/quantize-$VERSION/evaluate.log"
node --import tsx scripts/train/surface-manifest.ts card --dir "$OUT"
echo "model: $OUT"
