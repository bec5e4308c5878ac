import { createError } from '../../core/errors.ts';
import type { CardSideMaps, ModelIdentity, SurfaceDefect, SurfaceDetector } from '../types.ts';
import { misfitPlane, surfaceFeatureChannels, surfaceFeaturesAsync } from './features.ts';
import type { SurfaceModelManifest } from './manifest.ts';
import { dentsOnFolds } from './fold-dents.ts';
import { measureFolds, withMeasuredFolds } from './folds.ts';
import { blockScratchesToKeep, blockSolvedScratches, goodBlockRegions, onLineOf, scratchesInsideBlockRegions } from './block-scratches.ts';
import { cardFrame, defectCandidates, finishCandidates, passesGates, type ProbabilityMap } from './postprocess.ts';
import { withHiddenScratches } from './hidden-scratches.ts';
import { joinLinearFragments } from './fragments.ts';
import { followScratches } from './scratch-follow.ts';
import { withMeasuredPrintLines } from './print-lines.ts';
import { resampleSideMapsAsync } from './resample.ts';
import { packTileAsync, unpackTileAsync, type TileWindow } from './tile-layout.ts';
import type { NetworkSession } from './network-session.ts';

/**
 * The tiles over a w × h map (model px): overlapping by `overlapPx` on each side, none larger than the map
 * needs (with its overlap; wholeMapTiling is one tile), edges multiples of `multipleOf`.
 */
export function tileWindows(w: number, h: number, tiling: TilingOptions, multipleOf: number): TileWindow[] {
  const { tilePx: T, overlapPx: O } = tiling;
  if (T % multipleOf !== 0) throw createError('GB_INTERNAL', `tile ${T} px is not a multiple of ${multipleOf}`);
  const tileW = Math.min(T, Math.ceil((w + 2 * O) / multipleOf) * multipleOf), tileH = Math.min(T, Math.ceil((h + 2 * O) / multipleOf) * multipleOf);
  if (tileW <= 2 * O || tileH <= 2 * O) throw createError('GB_INTERNAL', `tile ${T} px leaves nothing inside its ${O} px overlap`);
  const windows: TileWindow[] = [];
  for (let y0 = -O; y0 < h - O; y0 += tileH - 2 * O) for (let x0 = -O; x0 < w - O; x0 += tileW - 2 * O) windows.push({ x0, y0, tileW, tileH });
  return windows;
}

/** Tiles the model sees: edge and overlap in model px (the overlap's outer half is discarded). */
export interface TilingOptions {
  tilePx: number;
  overlapPx: number;
  /** Tiles per inference call. */
  batch: number;
}

/**
 * The whole map in one call (a tile is never larger than the map it covers): no overlap computed twice and
 * the network sees all the context there is, for twice the memory of the default (below). The map is at the
 * model's scale, so its size is bounded by the card's (1108 × 1532 px for a standard card at 60 µm/px).
 */
export const wholeMapTiling: TilingOptions = { tilePx: 4096, overlapPx: 0, batch: 1 };

/**
 * 448-px tiles, 2 per call: on the bench side (1108 × 1532 px, 12 tiles, surface-defects 1.3.1, quiet
 * machine) 575 ms wall, 991 ms CPU and 430 MB peak, against 607 ms, 947 ms and 939 MB for the whole map in
 * one call and 983 ms, 1428 ms and 391 MB for the 256-px tiles of 1.0–1.3.0: a booth's memory is worth more
 * than 5 % of the network's CPU. The 32-px overlap's outer half is discarded; held-out figures were the
 * same with tiles as with the whole map.
 */
export const defaultTiling: TilingOptions = { tilePx: 448, overlapPx: 32, batch: 2 };

/** Milliseconds of the last detect() per stage. */
export interface SurfaceTimings { resample: number; features: number; inference: number; postprocess: number; total: number }

/**
 * The post-processing of detect(): the network's components (postprocess.ts; one holding a scratch and a
 * fold or a dent split by class: hidden-scratches.ts), with the scratches measured where the relief was
 * solved at the block scale (block-scratches.ts: their pieces join the network's), the folds measured in
 * the relief (folds.ts) and the dents beside them (fold-dents.ts), and the print lines measured in the
 * albedo (print-lines.ts). `small`: the side's maps on the model's grid, `features` computed from them;
 * `maps`: the side's own. Without folds, block-solved regions and long components of mixed classes, the
 * network's part is probabilitiesToDefects'.
 */
export function surfaceDefectsOf(probs: ProbabilityMap, features: Float32Array, small: CardSideMaps, maps: CardSideMaps, pp: SurfaceModelManifest['postprocess']): SurfaceDefect[] {
  const misfit = misfitPlane(features, small.widthPx, small.heightPx);
  const folds = measureFolds(small, maps, misfit, pp.maxReliefMisfit, pp.cornerZoneMm);
  const foldLines = folds.map((c) => ({ axisPx: c.axisPx, widthMm: c.defect.widthMm }));
  // The network's components, a scratch that shares one with a fold or a dent split out of it.
  const found = withHiddenScratches(probs, defectCandidates(probs, maps, small.mask, pp, misfit), foldLines, maps, small.mask, pp, misfit);
  // A block-solved valley on a fold, or on the network's crease, is that line, not a scratch beside it.
  const lines = [...foldLines, ...found.filter((c) => c.defect.type === 'crease').map((c) => ({ axisPx: c.axisPx, widthMm: c.defect.widthMm }))];
  const blockRegions = goodBlockRegions(small, misfit);
  const pieces = blockSolvedScratches(small, maps, misfit, blockRegions, pp.cornerZoneMm).filter((c) => !onLineOf(c, lines, probs.umPerPx / 1000));
  const frame = cardFrame(maps, probs.umPerPx, pp.cornerZoneMm);
  const underBlocks = pieces.length > 0 ? blockScratchesToKeep(pieces, found, frame, pp.joinLinearGapMm ?? 0) : [];
  // A network scratch inside a well-fitted block-solved region misfits because it is a scratch, not a foil:
  // its misfit does not count against it (0, also in the area-weighted mean of a line it joins).
  const inside = scratchesInsideBlockRegions(found, small, blockRegions);
  const counted = found.map((c) => (inside.has(c) ? { ...c, meanMisfit: 0 } : c));
  const kept = finishCandidates([...counted, ...underBlocks], maps, probs.umPerPx, pp.cornerZoneMm, pp.joinLinearGapMm).filter((c) => passesGates(c, pp));
  // A scratch found in part, followed along its line at a lower probability (not along a fold's line: the
  // fold's own pixels would carry it); pieces that now overlap are one scratch.
  const onFold = new Set(kept.filter((c) => c.defect.type === 'scratch' && onLineOf(c, foldLines, frame.mmPerPx)));
  const followed = followScratches(kept.filter((c) => !onFold.has(c)), probs, small, maps, misfit, pp.maxReliefMisfit, pp.threshold, Math.round(pp.edgeMarginMm / frame.mmPerPx), frame);
  const network = joinLinearFragments([...followed, ...onFold], frame, 0).map((c) => c.defect);
  const withFolds = withMeasuredFolds(network, folds, small, maps, pp.cornerZoneMm);
  const foldDents = dentsOnFolds(withFolds, folds, small, maps, misfit, pp.maxReliefMisfit, pp.cornerZoneMm);
  return withMeasuredPrintLines([...withFolds, ...foldDents], small, maps, pp);
}

/**
 * The ONNX surface-defect model over a whole card side: maps resampled to the model's scale, features
 * (features.ts), overlapping tiles through the network (on a thread of its own, network-session.ts, so
 * the event loop keeps turning), probabilities stitched from the tiles' centres, then
 * components → SurfaceDefects (postprocess.ts), and the print lines, which are measured (print-lines.ts).
 */
export class OnnxSurfaceDetector implements SurfaceDetector {
  readonly model: ModelIdentity;
  readonly manifest: SurfaceModelManifest;
  lastTimingsMs: SurfaceTimings | undefined;
  private readonly session: NetworkSession;
  private readonly tiling: TilingOptions;
  private closed = false;

  constructor(session: NetworkSession, manifest: SurfaceModelManifest, tiling: TilingOptions = defaultTiling) {
    this.session = session;
    this.manifest = manifest;
    this.model = { name: manifest.name, version: manifest.version, sha256: manifest.sha256 };
    this.tiling = tiling;
  }

  async detect(maps: CardSideMaps): Promise<SurfaceDefect[]> {
    if (this.closed) throw createError('GB_INTERNAL', 'surface detector is closed');
    const n = maps.widthPx * maps.heightPx;
    if (maps.mask.length !== n || maps.albedo.length !== n || maps.reliefUm.length !== n || maps.confidence?.length !== n || maps.normals.length !== 3 * n || !(maps.umPerPx > 0)) {
      throw createError('GB_VALIDATION', `surface detector: maps of ${maps.widthPx}×${maps.heightPx} px need mask/albedo/relief/confidence of ${n} and normals of ${3 * n} values and umPerPx > 0`);
    }
    const t0 = performance.now();
    const small = await resampleSideMapsAsync(maps, this.manifest.input.umPerPx);
    const t1 = performance.now();
    const features = await surfaceFeaturesAsync(small);
    const t2 = performance.now();
    const probs = await this.probabilities(features, small.widthPx, small.heightPx);
    const t3 = performance.now();
    const defects = surfaceDefectsOf(probs, features, small, maps, this.manifest.postprocess);
    const t4 = performance.now();
    this.lastTimingsMs = { resample: t1 - t0, features: t2 - t1, inference: t3 - t2, postprocess: t4 - t3, total: t4 - t0 };
    return defects;
  }

  /** Class probabilities over the whole map, from overlapping tiles (centres kept, seams avoided). */
  async probabilities(features: Float32Array, w: number, h: number): Promise<ProbabilityMap> {
    const C = surfaceFeatureChannels;
    const K = this.manifest.output.classes.length;
    const { overlapPx: O, batch } = this.tiling;
    const m = this.manifest.input.multipleOf;
    const b = this.manifest.input.blockPx ?? 1;
    const softmax = this.manifest.output.activation === 'logits';
    const windows = tileWindows(w, h, this.tiling, m);
    const { tileW, tileH } = windows[0];
    const out = new Float32Array(K * w * h);
    const packed: readonly number[] = [tileH / b, tileW / b];
    // One input buffer for every call (it travels to the network's thread and back with each call): a fresh
    // one per call cost its page faults again, ~1 ms per MB written. Zeroed for each call: pixels off the
    // map stay 0. Packing and unpacking (native, on libuv's pool) wait for the call: run beside it with two
    // buffers, they made a side no faster on two cores (they take a core from onnxruntime's two threads,
    // whose parallel steps wait for the slower one), only the code longer.
    let inputs: Float32Array = new Float32Array(Math.min(batch, windows.length) * C * tileW * tileH);
    for (let first = 0; first < windows.length; first += batch) {
      const group = windows.slice(first, first + batch);
      const input = inputs.subarray(0, group.length * C * tileW * tileH);
      if (first > 0) input.fill(0);
      await Promise.all(group.map((win, slot) => packTileAsync(features, w, h, C, win, b, input, slot)));
      let logits: Float32Array | undefined;
      try {
        const r = await this.session.run(this.manifest.input.name, this.manifest.output.name, input, [group.length, C * b * b, ...packed]);
        inputs = new Float32Array(r.input.buffer);
        logits = r.output;
      } catch (err) {
        throw createError('GB_MODEL_FAILED', `surface model ${this.model.name} ${this.model.version}: inference failed: ${(err as Error).message}`, { cause: err });
      }
      if (!logits || logits.length !== group.length * K * tileW * tileH) {
        throw createError('GB_MODEL_INVALID', `surface model output "${this.manifest.output.name}" has ${logits?.length ?? 0} values, expected ${group.length * K * tileW * tileH}`);
      }
      const tile = logits;
      // Each tile's centre (O px in from each side, or up to the map's border): the tiles' centres do not
      // overlap, so the slots are unpacked side by side.
      await Promise.all(group.map((win, slot) => {
        const rows: [number, number] = [Math.max(0, win.y0 + O), Math.min(h, win.y0 + tileH - O)];
        const cols: [number, number] = [Math.max(0, win.x0 + O), Math.min(w, win.x0 + tileW - O)];
        return unpackTileAsync(tile, K, win, b, slot, out, w, h, rows, cols, softmax);
      }));
    }
    return { classes: K, width: w, height: h, umPerPx: this.manifest.input.umPerPx, data: out };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.release();
  }
}
