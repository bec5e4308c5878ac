// The recipe's quantization step (scripts/train/quantize-surface.sh: quantize.py augment, activation-ranges.ts
// on a simulated training card, quantize.py qdq) on a small float network with every op the recipe's U-Net
// has (3×3 convolutions with ReLU, max-pooling, a 2×2 transposed convolution, a skip Concat, the 1×1 head):
// the 8-bit model onnxruntime-node runs must give the float model's logits on a real card's features up to
// the quantization's rounding, be the same bytes every run, and keep what must stay float in float.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ort from 'onnxruntime-node';
import { surfaceFeatureChannels, surfaceFeaturesAsync } from '../../../src/grading/surface/features.ts';
import { resampleSideMapsAsync } from '../../../src/grading/surface/resample.ts';
import { packTile } from '../../../src/grading/surface/tile-layout.ts';
import { readSideMaps } from '../../../src/sim/export/surface-training-maps.ts';

const run = promisify(execFile);
const repo = new URL('../../../', import.meta.url).pathname;
const PY = '/usr/bin/python3';

// A float network shaped like scripts/train/surface.py's s2d-unet (width 8, one level), random weights.
const buildFloat = `
import sys, numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto
rng = np.random.default_rng(5)
inits = []
def conv(name, cin, cout, k):
    w = (rng.standard_normal((cout, cin, k, k)) * np.sqrt(2.0 / (cin * k * k))).astype(np.float32)
    b = (rng.standard_normal(cout) * 0.1).astype(np.float32)
    inits.extend([numpy_helper.from_array(w, name + ".w"), numpy_helper.from_array(b, name + ".b")])
    return [name + ".w", name + ".b"]
n = []
n.append(helper.make_node("Conv", ["features"] + conv("e1a", 24, 8, 3), ["e1a"], pads=[1, 1, 1, 1]))
n.append(helper.make_node("Relu", ["e1a"], ["e1a_r"]))
n.append(helper.make_node("Conv", ["e1a_r"] + conv("e1b", 8, 8, 3), ["e1b"], pads=[1, 1, 1, 1]))
n.append(helper.make_node("Relu", ["e1b"], ["skip"]))
n.append(helper.make_node("MaxPool", ["skip"], ["pool"], kernel_shape=[2, 2], strides=[2, 2]))
n.append(helper.make_node("Conv", ["pool"] + conv("mid", 8, 16, 3), ["mid"], pads=[1, 1, 1, 1]))
n.append(helper.make_node("Relu", ["mid"], ["mid_r"]))
wt = (rng.standard_normal((16, 8, 2, 2)) * 0.25).astype(np.float32)
inits.extend([numpy_helper.from_array(wt, "up.w"), numpy_helper.from_array((rng.standard_normal(8) * 0.1).astype(np.float32), "up.b")])
n.append(helper.make_node("ConvTranspose", ["mid_r", "up.w", "up.b"], ["up"], kernel_shape=[2, 2], strides=[2, 2]))
n.append(helper.make_node("Concat", ["up", "skip"], ["cat"], axis=1))
n.append(helper.make_node("Conv", ["cat"] + conv("d1", 16, 8, 3), ["d1"], pads=[1, 1, 1, 1]))
n.append(helper.make_node("Relu", ["d1"], ["d1_r"]))
n.append(helper.make_node("Conv", ["d1_r"] + conv("head", 8, 24, 1), ["logits"]))
g = helper.make_graph(n, "tiny", [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", 24, "H", "W"])],
                      [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 24, "H", "W"])], inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 7
onnx.checker.check_model(m)
onnx.save(m, sys.argv[1])
`;

const opsOf = `
import sys, json, onnx, collections
m = onnx.load(sys.argv[1])
ops = collections.Counter(n.op_type for n in m.graph.node)
int8 = sorted(i.name for i in m.graph.initializer if i.data_type == onnx.TensorProto.INT8 and not i.name.endswith("_zp"))
from onnx import numpy_helper
peak = max(int(abs(numpy_helper.to_array(i).astype(int)).max()) for i in m.graph.initializer if i.name in int8)
print(json.dumps({"ops": ops, "int8": int8, "peak": peak, "inputs": [(i.name, i.type.tensor_type.elem_type) for i in m.graph.input], "outputs": [(o.name, o.type.tensor_type.elem_type) for o in m.graph.output]}))
`;

t.test('quantize-surface.sh: an 8-bit twin of a float network, measured on a simulated training card', async (t) => {
  const haveOnnx = await run(PY, ['-c', 'import onnx, numpy']).then(() => true, () => false);
  if (!haveOnnx) {
    t.fail(`${PY} cannot import onnx and numpy: install Debian's python3-onnx (scripts/apt-packages.txt)`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'gb-quantize-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const float = join(dir, 'float.onnx'), int8 = join(dir, 'int8.onnx'), work = join(dir, 'work'), data = join(dir, 'train');
  await writeFile(join(dir, 'build.py'), buildFloat);
  await run(PY, [join(dir, 'build.py'), float]);
  // One training card (seed 1: not a validation seed), its front reconstructed into maps.
  await run('node', [join(repo, 'bin/gradebooth.js'), 'sim', 'dataset', '--count', '1', '--first-seed', '1', '--maps', '--maps-only', '--size', '750x1024', '--sides', 'front', '--out', data], { cwd: repo });
  await run('bash', [join(repo, 'scripts/train/quantize-surface.sh'), float, int8, work, data], { cwd: repo });

  const report = JSON.parse(await readFile(join(work, 'quantization.json'), 'utf8'));
  t.equal(report.quantizedConvolutions, 4, 'the four 3×3 convolutions are 8-bit');
  t.equal(report.floatConvolutions, 2, 'the transposed convolution and the head stay float');
  t.equal(report.calibration.sides, 1, 'ranges from the one training side');
  t.ok(report.calibration.tiles >= 1, `${report.calibration.tiles} tiles`);
  t.same(report.calibration.cards, ['train/card_1'], 'the card the ranges came from is named');
  const float8 = await readFile(float);
  const { createHash } = await import('node:crypto');
  t.equal(report.floatSha256, createHash('sha256').update(float8).digest('hex'), 'the float network is named by its sha256');

  const graph = JSON.parse((await run(PY, ['-c', opsOf, int8])).stdout);
  t.ok(graph.ops.QuantizeLinear >= 6 && graph.ops.DequantizeLinear >= 6, `Q/DQ pairs: ${JSON.stringify(graph.ops)}`);
  t.same(graph.int8, ['d1.w_int8', 'e1a.w_int8', 'e1b.w_int8', 'mid.w_int8'], 'int8 weights for exactly the 3×3 convolutions');
  // 7 bits: a CPU without VNNI sums uint8 × int8 pairs in int16, which |w| ≤ 63 cannot overflow.
  t.equal(graph.peak, 63, 'the weights use 7 bits: the largest is ±63');
  t.same(graph.inputs, [['features', 1]], 'the input stays float32 "features"');
  t.same(graph.outputs, [['logits', 1]], 'the output stays float32 "logits"');

  // The card's own features, as the detector makes them, through both networks.
  const maps = await readSideMaps(join(data, 'card_1', 'front', 'maps'), 'front');
  const small = await resampleSideMapsAsync(maps, 60);
  const features = await surfaceFeaturesAsync(small);
  const T = 192, C = surfaceFeatureChannels;
  const input = new Float32Array(C * T * T);
  packTile(features, small.widthPx, small.heightPx, C, { x0: Math.floor(small.widthPx / 2) - T / 2, y0: Math.floor(small.heightPx / 3), tileW: T, tileH: T }, 2, input, 0);
  const logitsOf = async (path: string): Promise<Float32Array> => {
    const s = await ort.InferenceSession.create(path, { intraOpNumThreads: 1, graphOptimizationLevel: 'all' });
    try {
      const r = await s.run({ features: new ort.Tensor('float32', input, [1, C * 4, T / 2, T / 2]) });
      return r.logits.data as Float32Array;
    } finally {
      await s.release();
    }
  };
  const a = await logitsOf(float), b = await logitsOf(int8);
  let lo = Infinity, hi = -Infinity, worst = 0, sumSq = 0;
  for (let i = 0; i < a.length; i++) {
    lo = Math.min(lo, a[i]); hi = Math.max(hi, a[i]);
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    sumSq += (a[i] - b[i]) ** 2;
  }
  const rms = Math.sqrt(sumSq / a.length);
  t.ok(rms < 0.015 * (hi - lo), `rms difference ${rms.toFixed(4)} < 1.5 % of the logits' range ${(hi - lo).toFixed(2)}`);
  t.ok(worst < 0.1 * (hi - lo), `worst difference ${worst.toFixed(4)} < 10 % of the range`);
  // The class each pixel would take (argmax over the 6 classes of each of its 4 packed positions), where the
  // float network's choice is not a near tie (random weights leave many: a margin under the rounding's size).
  const plane = (T / 2) * (T / 2);
  let same = 0, total = 0;
  for (let q = 0; q < 4; q++) {
    for (let i = 0; i < plane; i++) {
      const at = (k: number): number => (k * 4 + q) * plane + i;
      let ba = 0, bb = 0;
      for (let k = 1; k < 6; k++) {
        if (a[at(k)] > a[at(ba)]) ba = k;
        if (b[at(k)] > b[at(bb)]) bb = k;
      }
      let second = -Infinity;
      for (let k = 0; k < 6; k++) if (k !== ba) second = Math.max(second, a[at(k)]);
      if (a[at(ba)] - second < 4 * rms) continue;
      total++;
      if (ba === bb) same++;
    }
  }
  t.ok(total > plane, `${total} of ${4 * plane} pixels with a clear class`);
  t.ok(same / total > 0.995, `the same likeliest class at ${((100 * same) / total).toFixed(3)} % of them`);

  // The same inputs give the same bytes.
  const again = join(dir, 'again.onnx');
  await run(PY, [join(repo, 'scripts/train/quantize.py'), 'qdq', '--model', float, '--ranges', join(work, 'activation-ranges.json'), '--out', again]);
  t.ok((await readFile(again)).equals(await readFile(int8)), 'quantizing again gives the same file');

  // Ranges measured on another network are refused by name, and a set without training cards is too.
  const ranges = JSON.parse(await readFile(join(work, 'activation-ranges.json'), 'utf8'));
  delete ranges.tensors.mid_r;
  await writeFile(join(dir, 'partial.json'), JSON.stringify(ranges));
  const err = await run(PY, [join(repo, 'scripts/train/quantize.py'), 'qdq', '--model', float, '--ranges', join(dir, 'partial.json'), '--out', join(dir, 'x.onnx')]).then(() => undefined, (e: { stderr: string }) => e);
  t.match(err?.stderr ?? '', /GB_USAGE: .*no range for tensor mid_r/, 'a missing range is named');
  const index = JSON.parse(await readFile(join(data, 'index.json'), 'utf8'));
  index.cards[0].seed = 7;
  await writeFile(join(data, 'index.json'), JSON.stringify(index));
  const err2 = await run('node', ['--import', 'tsx', join(repo, 'scripts/train/activation-ranges.ts'), '--model', join(work, 'model-augmented.onnx'), '--data', data, '--out', join(dir, 'r.json')], { cwd: repo }).then(() => undefined, (e: { stderr: string }) => e);
  t.match(err2?.stderr ?? '', /GB_USAGE: .*no training card/, 'validation cards only: refused');
});
