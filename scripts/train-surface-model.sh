#!/usr/bin/env bash
# One command from data to model: render + reconstruct a seeded training set and a disjoint held-out set
# (`gradebooth sim dataset --maps`), train the surface-defect U-Net (scripts/train/surface.py, Debian's
# /usr/bin/python3 with python3-torch and python3-onnx), export ONNX, write manifest.json and measure the
# held-out metrics with the runtime detector (scripts/train/surface-manifest.ts).
#
#   bash scripts/train-surface-model.sh [VERSION] [WORK_DIR]
#
# Environment: TRAIN_CARDS (48), HELDOUT_CARDS (12), STEPS (800), SIZE (1250x1707 ≈ 59 µm/px, the
# scale `grade --um-per-px 60` maps land on). Fixed seeds throughout: the same commit gives the same data;
# torch on CPU is deterministic for a fixed thread count. CPU only, a shared 2-core machine: it runs niced.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="${1:-1.0.0}"
WORK="${2:-var/train/surface-$VERSION}"
TRAIN_CARDS="${TRAIN_CARDS:-48}"
HELDOUT_CARDS="${HELDOUT_CARDS:-12}"
STEPS="${STEPS:-800}"
SIZE="${SIZE:-1250x1707}"
OUT="models/surface-defects/$VERSION"
PY=/usr/bin/python3
NICE="nice -n 10"
mkdir -p "$WORK" "$OUT"

# Training cards: seeds 1.., every 5th clean, every 3rd foil, exposure and gloss varied per side.
GEN_TRAIN="gradebooth sim dataset --count $TRAIN_CARDS --first-seed 1 --maps --maps-only --augment --clean-every 5 --size $SIZE"
# Held-out cards: seeds 100001.. (never trained on), every 4th clean.
GEN_HELD="gradebooth sim dataset --count $HELDOUT_CARDS --first-seed 100001 --maps --maps-only --augment --clean-every 4 --size $SIZE"
[ -f "$WORK/train/index.json" ] || $NICE node bin/${GEN_TRAIN/gradebooth /gradebooth.js } --out "$WORK/train"
[ -f "$WORK/heldout/index.json" ] || $NICE node bin/${GEN_HELD/gradebooth /gradebooth.js } --out "$WORK/heldout"

$NICE $PY scripts/train/surface.py --data "$WORK/train" --out "$OUT" --steps "$STEPS" --seed 11
mv "$OUT/train.json" "$WORK/train.json"
$NICE node --import tsx scripts/train/surface-manifest.ts create --dir "$OUT" --train-json "$WORK/train.json" --version "$VERSION" --generator "$GEN_TRAIN"
$NICE node --import tsx scripts/train/surface-manifest.ts evaluate --dir "$OUT" --data "$WORK/heldout" --write
echo "model: $OUT"
