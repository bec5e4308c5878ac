import { createError } from '../../core/errors.ts';
import { surfaceModelClasses } from './classes.ts';
import { surfaceFeatureSpec } from './features.ts';

// models/<name>/<version>/manifest.json: what the model file is (sha256), what it eats and returns, how its
// input is normalised, where it came from (training data, code) and how well it did on held-out cards.
// The loader refuses a model whose manifest does not describe exactly what this runtime feeds it.

export const modelManifestFormat = 'gradebooth-model-manifest/1';

/** How probabilities become defects (read by postprocess.ts). */
export interface SurfacePostprocess {
  /** A pixel is a defect pixel when 1 − P(background) ≥ this. */
  threshold: number;
  /** Components smaller than this are dropped, mm². */
  minAreaMm2: number;
  /** A component's mean defect probability must reach this. */
  minConfidence: number;
  /** Defect pixels closer than this to the card outline belong to the edge grader, mm. */
  edgeMarginMm: number;
  /** Components closer than this (gaps in a scratch) are one defect, mm. */
  bridgeMm: number;
  /** Square corner zone: a defect whose centre is within this of both edges of a corner names that corner, mm. */
  cornerZoneMm: number;
  /**
   * A relief defect (scratch, dent, crease: not the albedo-only kinds) whose pixels' mean photometric-stereo
   * misfit is above this is dropped. Its relief is then the integral of readings no Lambertian surface
   * explains (holo foil's view-dependent glint), not a measured dent: model 1.1.0-r3 read whole foil
   * patches under distant lights as dents of mean misfit 0.47–0.71 and hundreds of µm. Chosen on the
   * validation cards (scripts/train/surface-manifest.ts calibrate); absent: no such gate.
   */
  maxReliefMisfit?: number;
  /**
   * Pixel by pixel: a pixel whose likeliest defect class is a relief kind and whose photometric-stereo
   * misfit is above this is no defect pixel. The component gate (maxReliefMisfit) drops a holo-foil patch
   * whole, and with it a true scratch that runs into the patch and joined its component (a card from
   * scripts/eval/foreign_card.py: a 21 mm scratch lost inside a 261 mm² foil "scratch"). Chosen on the
   * validation cards; absent: no such gate.
   */
  maxPixelMisfit?: number;
  /**
   * A relief defect measured deeper than this, µm, is dropped: deeper than a card is thick (GRADING.md:
   * TCG cards 300–320 µm, sports cards ~500 µm), it is not a dent in the card stock but relief integrated
   * from readings that do not fit a Lambertian surface. On the validation cards, 6 of model 1.2.0's 7 false
   * dents and creases on holo foil under distant lights measured 399–699 µm (the 7th 207 µm); its true
   * defects 4–298 µm. Chosen on the validation cards among
   * card thicknesses (scripts/train/surface-manifest.ts calibrate); absent: no such gate.
   */
  maxReliefDepthUm?: number;
  /**
   * A dent or crease measured shallower than this, µm, is dropped: the network's pixels say "dent" but the
   * relief under them does not go down (model 1.3.1's false dents on the validation cards measured 0.8 and
   * 8.9 µm on plain cards; its true dents 13–87 µm). Scratches are not gated: a hairline scratch of a few µm
   * is real and narrower than the relief resolves its depth. Chosen on the validation cards; absent: no such gate.
   */
  minDentDepthUm?: number;
  /**
   * Fragments of one scratch or crease are joined (fragments.ts): same kind, lying on one line (directions
   * within 8°, each fragment's ends within 0.6 mm of the other's line), their nearest ends at most this far
   * apart, mm, and no farther than the shorter fragment is long. A faint stretch of a long scratch otherwise
   * splits it into pieces whose centres are each far from the scratch's: the report showed two short
   * scratches where a collector sees one long one. Chosen on the validation cards; absent: not joined.
   */
  joinLinearGapMm?: number;
  /**
   * Print lines are measured beside the network (print-lines.ts): a straight stripe along a card axis whose
   * relative albedo contrast, the median along the whole card and along each of its two ends, reaches this
   * (0.04–0.1 albedo on 0.05–0.9 print reads ~0.02–0.14 at 60 µm/px; noise, art, the keyline and foil ~0).
   * Chosen on the validation cards (scripts/train/surface-manifest.ts calibrate); absent: not measured.
   */
  printLineMinContrast?: number;
}

export interface SurfaceModelManifest {
  format: typeof modelManifestFormat;
  name: string;
  version: string;
  task: 'surface-defect-segmentation';
  file: string;
  sha256: string;
  sizeBytes: number;
  opset: number;
  /**
   * blockPx b > 1: the graph takes the features packed space-to-depth, [N, C·b², H/b, W/b] with feature
   * channel c of pixel (b·y + dy, b·x + dx) at channel c·b² + dy·b + dx (torch's pixel_unshuffle). Absent: 1.
   * multipleOf is in map pixels (before packing).
   */
  input: { name: string; type: 'float32'; layout: 'NCHW'; channels: string[]; umPerPx: number; multipleOf: number; blockPx?: number };
  /**
   * activation 'softmax': the graph outputs probabilities; 'logits': raw class scores, the detector applies
   * the softmax over the classes. blockPx b > 1: packed as the input is (class k of pixel (b·y + dy,
   * b·x + dx) at channel k·b² + dy·b + dx, torch's pixel_shuffle), and then always logits. Absent: 1.
   */
  output: { name: string; type: 'float32'; layout: 'NCHW'; classes: string[]; activation: 'softmax' | 'logits'; blockPx?: number };
  normalisation: { code: string; scales: typeof surfaceFeatureSpec.scales; windowsMm: typeof surfaceFeatureSpec.windowsMm; offCard: 0 };
  postprocess: SurfacePostprocess;
  trainingData: { id: string; generator: string; sides: number; cards: number };
  code: { commit: string; recipe: string };
  metrics?: Record<string, unknown>;
  /**
   * Informational (the runtime needs nothing from it: the graph's input and output stay float32). How the
   * network was quantized to 8 bits (scripts/train/quantize.py): the scheme, the float network's sha256 and
   * the calibration tiles the activation ranges came from.
   */
  quantization?: { scheme: string; tool: string; floatSha256: string; quantizedConvolutions: number; floatConvolutions: number; quantizedTensors: number; calibration: Record<string, unknown> };
  /** Informational: the model whose network this one was made from without training (its version, sha256, how). */
  derivedFrom?: { version: string; sha256: string; by: string; commit?: string };
}

function fail(where: string, what: string): never {
  throw createError('GB_MODEL_INVALID', `${where}: ${what}`);
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(o: Record<string, unknown>, key: string, where: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length === 0) fail(where, `"${key}" must be a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

function num(o: Record<string, unknown>, key: string, where: string, min: number, max: number): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) fail(where, `"${key}" must be a number ${min}..${max}, got ${JSON.stringify(v)}`);
  return v;
}

function sameList(got: unknown, want: readonly string[], where: string, key: string): void {
  if (!Array.isArray(got) || got.length !== want.length || got.some((g, i) => g !== want[i])) {
    fail(where, `"${key}" must be ${JSON.stringify(want)} (what this gradebooth computes), got ${JSON.stringify(got)}`);
  }
}

/** A side's optional "blockPx" (1, 2 or 4; absent means 1). */
function blockOf(o: Record<string, unknown>, where: string): number {
  if (o.blockPx === undefined) return 1;
  if (o.blockPx !== 1 && o.blockPx !== 2 && o.blockPx !== 4) fail(where, `"blockPx" must be 1, 2 or 4, got ${JSON.stringify(o.blockPx)}`);
  return o.blockPx;
}

/**
 * Validate a parsed manifest.json against the schema and against this runtime's features and classes.
 * Throws GB_MODEL_INVALID naming the key that is wrong, what was expected and what was found.
 */
export function validateSurfaceManifest(raw: unknown, where: string): SurfaceModelManifest {
  if (!isObj(raw)) fail(where, 'not a JSON object');
  if (raw.format !== modelManifestFormat) fail(where, `"format" must be "${modelManifestFormat}", got ${JSON.stringify(raw.format)}`);
  str(raw, 'name', where);
  str(raw, 'version', where);
  if (raw.task !== 'surface-defect-segmentation') fail(where, `"task" must be "surface-defect-segmentation", got ${JSON.stringify(raw.task)}`);
  const file = str(raw, 'file', where);
  if (file.includes('/') || file.includes('\\') || file.startsWith('.')) fail(where, `"file" must be a file name in the model folder, got "${file}"`);
  if (typeof raw.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(raw.sha256)) fail(where, `"sha256" must be 64 lowercase hex digits, got ${JSON.stringify(raw.sha256)}`);
  num(raw, 'sizeBytes', where, 1, 1e9);
  num(raw, 'opset', where, 7, 30);
  const input = raw.input;
  if (!isObj(input)) fail(where, '"input" must be an object');
  str(input, 'name', `${where} input`);
  if (input.type !== 'float32' || input.layout !== 'NCHW') fail(where, `input must be float32 NCHW, got ${JSON.stringify(input.type)} ${JSON.stringify(input.layout)}`);
  sameList(input.channels, surfaceFeatureSpec.channels, where, 'input.channels');
  num(input, 'umPerPx', `${where} input`, 1, 1000);
  const m = num(input, 'multipleOf', `${where} input`, 1, 256);
  if (!Number.isInteger(m)) fail(where, `"input.multipleOf" must be an integer, got ${m}`);
  const output = raw.output;
  if (!isObj(output)) fail(where, '"output" must be an object');
  str(output, 'name', `${where} output`);
  if (output.type !== 'float32' || output.layout !== 'NCHW' || (output.activation !== 'softmax' && output.activation !== 'logits')) {
    fail(where, `output must be float32 NCHW with activation "softmax" (probabilities) or "logits", got ${JSON.stringify(output.type)} ${JSON.stringify(output.layout)} ${JSON.stringify(output.activation)}`);
  }
  sameList(output.classes, surfaceModelClasses, where, 'output.classes');
  const inBlock = blockOf(input, `${where} input`);
  const outBlock = blockOf(output, `${where} output`);
  // The detector unpacks the output on the input's grid: both sides use the same block.
  if (inBlock !== outBlock) fail(where, `"input.blockPx" (${inBlock}) and "output.blockPx" (${outBlock}) must be equal`);
  if (m % inBlock !== 0) fail(where, `"input.multipleOf" (${m}) must be a multiple of "input.blockPx" (${inBlock})`);
  // A packed graph outputs logits: a Softmax op on the packed tensor would mix block positions.
  if (outBlock > 1 && output.activation !== 'logits') fail(where, `a packed output ("blockPx" ${outBlock}) must have activation "logits", got ${JSON.stringify(output.activation)}`);
  const norm = raw.normalisation;
  if (!isObj(norm) || JSON.stringify(norm.scales) !== JSON.stringify(surfaceFeatureSpec.scales) || JSON.stringify(norm.windowsMm) !== JSON.stringify(surfaceFeatureSpec.windowsMm)) {
    fail(where, `"normalisation" must have scales ${JSON.stringify(surfaceFeatureSpec.scales)} and windowsMm ${JSON.stringify(surfaceFeatureSpec.windowsMm)} (src/grading/surface/features.ts), got ${JSON.stringify(norm)}`);
  }
  const pp = raw.postprocess;
  if (!isObj(pp)) fail(where, '"postprocess" must be an object');
  num(pp, 'threshold', `${where} postprocess`, 0.01, 0.99);
  num(pp, 'minAreaMm2', `${where} postprocess`, 0, 100);
  num(pp, 'minConfidence', `${where} postprocess`, 0, 1);
  num(pp, 'edgeMarginMm', `${where} postprocess`, 0, 10);
  num(pp, 'bridgeMm', `${where} postprocess`, 0, 5);
  num(pp, 'cornerZoneMm', `${where} postprocess`, 0, 30);
  if (pp.maxReliefMisfit !== undefined) num(pp, 'maxReliefMisfit', `${where} postprocess`, 0, 1);
  if (pp.maxReliefDepthUm !== undefined) num(pp, 'maxReliefDepthUm', `${where} postprocess`, 1, 5000);
  if (pp.maxPixelMisfit !== undefined) num(pp, 'maxPixelMisfit', `${where} postprocess`, 0, 1);
  if (pp.minDentDepthUm !== undefined) num(pp, 'minDentDepthUm', `${where} postprocess`, 0, 1000);
  if (pp.joinLinearGapMm !== undefined) num(pp, 'joinLinearGapMm', `${where} postprocess`, 0, 50);
  if (pp.printLineMinContrast !== undefined) num(pp, 'printLineMinContrast', `${where} postprocess`, 0.0005, 1);
  const td = raw.trainingData;
  if (!isObj(td)) fail(where, '"trainingData" must be an object');
  str(td, 'id', `${where} trainingData`);
  num(td, 'sides', `${where} trainingData`, 1, 1e9);
  const code = raw.code;
  if (!isObj(code)) fail(where, '"code" must be an object');
  str(code, 'commit', `${where} code`);
  return raw as unknown as SurfaceModelManifest;
}
