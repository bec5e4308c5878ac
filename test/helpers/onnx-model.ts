import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { surfaceModelClasses } from '../../src/grading/surface/classes.ts';
import { surfaceFeatureSpec } from '../../src/grading/surface/features.ts';
import { modelManifestFormat, type SurfaceModelManifest } from '../../src/grading/surface/manifest.ts';

/**
 * Small, valid surface-defect models for tests, written as ONNX protobuf bytes here (no python, no
 * committed binaries): a 1×1 convolution from the feature channels to the classes, then a softmax over
 * the classes — the surface model's exact input/output contract (manifest.ts), so the real loader, the real
 * onnxruntime and the real detector run them. These are test fixtures, never product models: they live in
 * temporary folders, never in models/.
 */

// Protobuf wire format (enough of it for ModelProto): varints, length-delimited fields.
function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n; // two's complement for negative int64 (unused: all dims are positive)
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}
const key = (field: number, wire: number): number[] => varint((field << 3) | wire);
const int = (field: number, n: number): number[] => [...key(field, 0), ...varint(n)];
const bytes = (field: number, b: Uint8Array | number[]): number[] => [...key(field, 2), ...varint(b.length), ...b];
const str = (field: number, s: string): number[] => bytes(field, [...Buffer.from(s, 'utf8')]);
const msg = (field: number, parts: number[][]): number[] => bytes(field, parts.flat());

const FLOAT = 1;

function tensor(name: string, dims: number[], values: Float32Array): number[][] {
  return [...dims.map((d) => int(1, d)), int(2, FLOAT), str(8, name), bytes(9, [...new Uint8Array(values.buffer, values.byteOffset, values.byteLength)])];
}

/** ValueInfoProto of a float tensor; a string dim is symbolic (dim_param), a number fixed (dim_value). */
function valueInfo(field: number, name: string, dims: Array<number | string>): number[] {
  const shape = dims.map((d) => msg(1, [typeof d === 'number' ? int(1, d) : str(2, d)]));
  return msg(field, [str(1, name), msg(2, [msg(1, [int(1, FLOAT), msg(2, shape)])])]);
}

function node(inputs: string[], outputs: string[], name: string, op: string, attrs: number[][][] = []): number[] {
  return msg(1, [...inputs.map((i) => str(1, i)), ...outputs.map((o) => str(2, o)), str(3, name), str(4, op), ...attrs.map((a) => msg(5, a))]);
}

export interface TestModelOptions {
  /** Conv weights [class][channel] (classes × feature channels) and biases per class; the defaults give an all-background model. */
  weights?: number[][];
  bias?: number[];
  /** Fixed spatial input size: the model loads, but any other tile size fails at run time. */
  fixedInputPx?: number;
  /** A distinguishing value baked into the bytes (a different sha256 for otherwise equal models). */
  salt?: number;
  /** Bytes of an extra, unused initializer: a model large enough to be cut into many transfer chunks. */
  padBytes?: number;
  /**
   * The packed layout of the recipe's s2d-unet models (manifest blockPx): the same per-pixel 1×1 conv on features packed
   * space-to-depth by this block, as a block-diagonal 1×1 conv from C·b² to K·b² channels.
   */
  blockPx?: number;
  /** Output the conv's logits (manifest activation "logits": the detector applies the softmax). */
  logits?: boolean;
}

const C = surfaceFeatureSpec.channels.length;
const K = surfaceModelClasses.length;

/** Incompressible filler (a broker or link that compresses must not make the transfer trivially small). */
function padding(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let x = (seed * 2654435761 + 1) >>> 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = (x / 4294967296) - 0.5;
  }
  return out;
}

/** ONNX bytes of a 1×1 conv + softmax surface model (or its packed / logits variants). */
export function surfaceModelOnnx(o: TestModelOptions = {}): Buffer {
  const bb = (o.blockPx ?? 1) ** 2;
  const w = new Float32Array(K * bb * C * bb);
  const b = new Float32Array(K * bb);
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < bb; j++) {
      // Class k of block position j reads channel c of the same position only.
      for (let c = 0; c < C; c++) w[(k * bb + j) * C * bb + c * bb + j] = o.weights?.[k]?.[c] ?? 0;
      b[k * bb + j] = o.bias?.[k] ?? (k === 0 ? 8 : 0); // background wins by default
    }
  }
  const spatial: Array<number | string> = o.fixedInputPx ? [o.fixedInputPx, o.fixedInputPx] : ['h', 'w'];
  const batch: number | string = o.fixedInputPx ? 1 : 'n';
  const out = o.logits ? 'logits' : 'probabilities';
  const graph = [
    node(['features', 'W', 'B'], ['logits'], 'conv', 'Conv', [[str(1, 'kernel_shape'), int(20, 7), int(8, 1), int(8, 1)]]),
    ...(o.logits ? [] : [node(['logits'], ['probabilities'], 'softmax', 'Softmax', [[str(1, 'axis'), int(3, 1), int(20, 2)]])]),
    str(2, `gradebooth-test-${o.salt ?? 0}`),
    msg(5, tensor('W', [K * bb, C * bb, 1, 1], w)),
    msg(5, tensor('B', [K * bb], b)),
    ...(o.padBytes ? [msg(5, tensor('pad', [Math.ceil(o.padBytes / 4)], padding(Math.ceil(o.padBytes / 4), o.salt ?? 0)))] : []),
    valueInfo(11, 'features', [batch, C * bb, ...spatial]),
    valueInfo(12, out, [batch, K * bb, ...spatial]),
  ];
  const model = [int(1, 8), str(2, 'gradebooth-tests'), msg(7, graph), msg(8, [str(1, ''), int(2, 13)])];
  return Buffer.from(model.flat());
}

/** A weight row over the feature channels by name (src/grading/surface/features.ts), so the fixtures follow its order. */
function row(w: Partial<Record<(typeof surfaceFeatureSpec.channels)[number], number>>): number[] {
  return surfaceFeatureSpec.channels.map((c) => w[c] ?? 0);
}

/** Weights that call a pixel a dent where the relief lies well below its surroundings. */
export const dentSensitive: Pick<TestModelOptions, 'weights' | 'bias'> = {
  weights: [row({ relief: 4 }), row({}), row({ relief: -4 }), row({}), row({}), row({})],
  bias: [4, -20, -4, -20, -20, -20],
};

/** Weights that call every card pixel a scratch (a model whose health regressed). */
export const scratchEverywhere: Pick<TestModelOptions, 'weights' | 'bias'> = {
  weights: [row({}), row({ mask: 20 }), row({}), row({}), row({}), row({})],
  bias: [8, 0, -20, -20, -20, -20],
};

/** The manifest the loader expects for `bytes`, with a test version. */
export function surfaceManifest(bytes: Buffer, version: string, extra: Partial<SurfaceModelManifest> = {}): SurfaceModelManifest {
  return {
    format: modelManifestFormat,
    name: 'surface-defects',
    version,
    task: 'surface-defect-segmentation',
    file: 'model.onnx',
    sha256: createHash('sha256').update(bytes).digest('hex'),
    sizeBytes: bytes.byteLength,
    opset: 13,
    input: { name: 'features', type: 'float32', layout: 'NCHW', channels: [...surfaceFeatureSpec.channels], umPerPx: 100, multipleOf: 16 },
    output: { name: 'probabilities', type: 'float32', layout: 'NCHW', classes: [...surfaceModelClasses], activation: 'softmax' },
    normalisation: { code: 'src/grading/surface/features.ts', scales: surfaceFeatureSpec.scales, windowsMm: surfaceFeatureSpec.windowsMm, offCard: 0 },
    postprocess: { threshold: 0.5, minAreaMm2: 0.05, minConfidence: 0.6, edgeMarginMm: 0.4, bridgeMm: 0.4, cornerZoneMm: 6 },
    trainingData: { id: 'test-fixture', generator: 'test/helpers/onnx-model.ts', sides: 1, cards: 1 },
    code: { commit: 'test', recipe: 'test/helpers/onnx-model.ts' },
    ...extra,
  };
}

/** Write a model folder (model.onnx + manifest.json) under `dir`; returns its path and sha256. */
export function writeSurfaceModel(dir: string, version: string, o: TestModelOptions = {}): { dir: string; sha256: string; bytes: Buffer } {
  const bytes = surfaceModelOnnx(o);
  const modelDir = join(dir, version);
  mkdirSync(modelDir, { recursive: true });
  writeFileSync(join(modelDir, 'model.onnx'), bytes);
  const manifest = surfaceManifest(bytes, version);
  writeFileSync(join(modelDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { dir: modelDir, sha256: manifest.sha256, bytes };
}
