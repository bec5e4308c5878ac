// The activation ranges for quantizing a surface model (scripts/train/quantize.py qdq): the model made by
// `quantize.py augment` (every tensor to quantize is a graph output) run over training sides exactly as the
// detector runs a side (the runtime's resampling and features, the default tiling's windows, packed into
// the network's layout), recording each tensor's min and max.
//
//   node --import tsx scripts/train/activation-ranges.ts --model AUGMENTED.onnx --data TRAIN_DIR... [--cards 3] [--val-every 7] --out RANGES.json
//
// Only training cards (seed not a multiple of --val-every): the validation, calibration and held-out cards
// stay unseen by every choice of the recipe. The first --cards of each folder, both sides.
import { access, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import ort from 'onnxruntime-node';
import { defaultTiling, tileWindows } from '../../src/grading/surface/detector.ts';
import { surfaceFeatureChannels, surfaceFeaturesAsync } from '../../src/grading/surface/features.ts';
import { resampleSideMapsAsync } from '../../src/grading/surface/resample.ts';
import { packTileAsync } from '../../src/grading/surface/tile-layout.ts';
import { readSideMaps } from '../../src/sim/export/surface-training-maps.ts';

const { values } = parseArgs({
  options: { model: { type: 'string' }, data: { type: 'string', multiple: true }, cards: { type: 'string' }, 'val-every': { type: 'string' }, out: { type: 'string' } },
});
function fail(message: string): never {
  console.error(`GB_USAGE: ${message}`);
  process.exit(2);
}
if (!values.model || !values.out || !values.data?.length) fail('activation-ranges.ts --model AUGMENTED.onnx --data TRAIN_DIR... [--cards 3] [--val-every 7] --out RANGES.json');
const cardsPerSet = Number(values.cards ?? 3);
const valEvery = Number(values['val-every'] ?? 7);
// The model's scale and block from the augmented graph's input shape are not stored: the recipe's (60 µm, 2×2).
const umPerPx = 60, block = 2, multipleOf = 16;

const session = await ort.InferenceSession.create(values.model, { intraOpNumThreads: 2, interOpNumThreads: 1, graphOptimizationLevel: 'basic' });
const stats = new Map<string, { min: number; max: number }>();
let sides = 0, tiles = 0;
const used: string[] = [];
for (const root of values.data) {
  const index = JSON.parse(await readFile(join(root, 'index.json'), 'utf8')) as { cards?: { seed: number; dir?: string }[] };
  const cards = (index.cards ?? []).filter((c) => c.seed % valEvery !== 0).slice(0, cardsPerSet);
  if (cards.length === 0) fail(`${root}/index.json: no training card (seed not a multiple of ${valEvery})`);
  for (const card of cards) {
    const cardDir = card.dir ?? `card_${card.seed}`;
    for (const side of ['front', 'back'] as const) {
      const dir = join(root, cardDir, side, 'maps');
      if (!(await access(join(dir, 'maps.json')).then(() => true, () => false))) continue; // a set of one side
      const maps = await readSideMaps(dir, side);
      const small = await resampleSideMapsAsync(maps, umPerPx);
      const features = await surfaceFeaturesAsync(small);
      const w = small.widthPx, h = small.heightPx, C = surfaceFeatureChannels;
      for (const win of tileWindows(w, h, defaultTiling, multipleOf)) {
        const input = new Float32Array(C * win.tileW * win.tileH);
        await packTileAsync(features, w, h, C, win, block, input, 0);
        const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, [1, C * block * block, win.tileH / block, win.tileW / block]) });
        for (const [name, t] of Object.entries({ [session.inputNames[0]]: { data: input }, ...out })) {
          const d = t.data as Float32Array;
          let lo = Infinity, hi = -Infinity;
          for (let i = 0; i < d.length; i++) {
            const v = d[i];
            if (v < lo) lo = v;
            if (v > hi) hi = v;
          }
          const s = stats.get(name);
          if (s) { s.min = Math.min(s.min, lo); s.max = Math.max(s.max, hi); } else stats.set(name, { min: lo, max: hi });
        }
        tiles++;
      }
      sides++;
    }
    used.push(`${basename(root)}/${cardDir}`);
  }
}
await session.release();
if (tiles === 0) fail(`no side with maps in ${values.data.join(', ')}`);

await writeFile(values.out, `${JSON.stringify({ calibration: { sides, tiles, tilePx: defaultTiling.tilePx, cards: used, rule: 'min and max over every value of every tile' }, tensors: Object.fromEntries(stats) }, null, 1)}\n`);
console.log(`${values.out}: ranges of ${stats.size} tensors over ${tiles} tiles of ${sides} sides`);
