// `sim dataset --maps`: the surface model's training data is the booth's own reconstruction of the
// rendered frames on the canonical card frame, with per-pixel classes from the truth on the same frame.
import t from 'tap';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../cli/run-cli.ts';
import { readSideMaps, trainingMarginPx } from '../../../src/sim/export/surface-training-maps.ts';
import { surfaceModelClasses } from '../../../src/grading/surface/classes.ts';

const args = ['sim', 'dataset', '--count', '1', '--sides', 'front', '--size', '400x546', '--maps', '--maps-um-per-px', '185'];

/**
 * Mean of `value` over the mask px of a side's maps (written at 185 µm/px with `marginPx` around a standard
 * card) whose card-frame point (u right, v up, mm) is `inside`.
 */
function meanOver(maps: Awaited<ReturnType<typeof readSideMaps>>, marginPx: number, inside: (u: number, v: number) => boolean, value: (i: number) => number): number {
  const s = 0.185, w = maps.widthPx;
  let sum = 0, n = 0;
  for (let y = 0; y < maps.heightPx; y++) for (let x = 0; x < w; x++) {
    const u = (x - marginPx + 0.5) * s - 31.75, v = 44.45 - (y - marginPx + 0.5) * s;
    if (maps.mask[y * w + x] && inside(u, v)) { sum += value(y * w + x); n++; }
  }
  return sum / n;
}

/** Inside a foil region of maps.json (0.5 mm in from its edge). */
const inFoilOf = (f: { centerMm: [number, number]; halfSizeMm: [number, number] }) => (u: number, v: number): boolean =>
  Math.abs(u - f.centerMm[0]) < f.halfSizeMm[0] - 0.5 && Math.abs(v - f.centerMm[1]) < f.halfSizeMm[1] - 0.5;

t.test('maps from the written capture and from frames kept in memory are the same; labels sit on the relief', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'gb-sim-maps-'));
  t.teardown(() => rm(out, { recursive: true, force: true }));
  const a = await runCli([...args, '--first-seed', '200008', '--out', join(out, 'folder')]);
  t.equal(a.code, 0, a.stderr);
  const b = await runCli([...args, '--first-seed', '200008', '--maps-only', '--out', join(out, 'memory')]);
  t.equal(b.code, 0, b.stderr);
  const dirA = join(out, 'folder', 'card_200008', 'front', 'maps'), dirB = join(out, 'memory', 'card_200008', 'front', 'maps');
  t.ok((await readFile(join(dirA, 'features.i16'))).equals(await readFile(join(dirB, 'features.i16'))), 'same features either way');
  const meta = JSON.parse(await readFile(join(dirA, 'maps.json'), 'utf8'));
  t.equal(meta.format, 'gradebooth-surface-maps/2');
  t.same(meta.classes, surfaceModelClasses);
  t.equal(meta.umPerPx, 185);
  const labels = await readFile(join(dirA, 'labels.u8'));
  const maps = await readSideMaps(dirA, 'front');
  t.equal(labels.length, maps.widthPx * maps.heightPx);
  // The dent's labelled pixels are the low part of the reconstructed relief: truth and reconstruction align.
  const dent = meta.defects.find((d: { kind: string }) => d.kind === 'dent');
  // The grade path's background margin (grading/capture-side.ts) around the card, labels shifted with it.
  const m = trainingMarginPx(185);
  t.equal(meta.marginPx, m);
  t.equal(maps.widthPx, Math.round(63.5 / 0.185) + 2 * m, 'card plus margin wide');
  t.equal(maps.mask[2 * maps.widthPx + 2], 0, 'background in the margin');
  const s = 0.185, w = maps.widthPx;
  const cx = Math.round((dent.centerMm[0] + 31.75) / s - 0.5) + m, cy = Math.round((44.45 - dent.centerMm[1]) / s - 0.5) + m;
  t.equal(labels[cy * w + cx], surfaceModelClasses.indexOf('dent'), 'truth centre labelled dent');
  let inside = 0, ni = 0, ring = 0, nr = 0;
  const rPx = dent.lengthMm / 2 / s;
  for (let y = cy - 3 * rPx; y <= cy + 3 * rPx; y++) for (let x = cx - 3 * rPx; x <= cx + 3 * rPx; x++) {
    const i = Math.round(y) * w + Math.round(x);
    const r = Math.hypot(x - cx, y - cy);
    if (r < rPx / 2 && labels[i] === 2) { inside += maps.reliefUm[i]; ni++; } else if (r > 1.5 * rPx && r < 3 * rPx && labels[i] === 0) { ring += maps.reliefUm[i]; nr++; }
  }
  t.ok(ring / nr - inside / ni > 0.4 * dent.depthUm, `labelled dent ${(ring / nr - inside / ni).toFixed(1)} µm below its surroundings (truth ${dent.depthUm.toFixed(1)} µm)`);
  const counts = new Map<number, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  t.ok((counts.get(surfaceModelClasses.indexOf('crease')) ?? 0) > 100, 'crease labelled');
  t.ok((counts.get(surfaceModelClasses.indexOf('scratch')) ?? 0) > 10, 'scratches labelled');
  t.equal(maps.confidence?.length, maps.widthPx * maps.heightPx, 'the PS confidence is kept');
});

t.test('holo foil fits the Lambertian model worse than the dented card around it: the PS confidence the model reads', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'gb-sim-maps-'));
  t.teardown(() => rm(out, { recursive: true, force: true }));
  // Seed 200010 with --foil-every 2 carries foil; the card's own dent is elsewhere.
  const r = await runCli([...args, '--first-seed', '200010', '--maps-only', '--foil-every', '2', '--out', out]);
  t.equal(r.code, 0, r.stderr);
  const dir = join(out, 'card_200010', 'front', 'maps');
  const meta = JSON.parse(await readFile(join(dir, 'maps.json'), 'utf8'));
  t.equal(meta.foil, true);
  const maps = await readSideMaps(dir, 'front');
  const mean = (inside: (u: number, v: number) => boolean): number => meanOver(maps, meta.marginPx, inside, (i) => maps.confidence![i]);
  const inFoil = inFoilOf(meta.foilRegion);
  const dent = meta.defects.find((d: { kind: string }) => d.kind === 'dent');
  const inDent = (u: number, v: number): boolean => Math.hypot(u - dent.centerMm[0], v - dent.centerMm[1]) < dent.lengthMm / 2 && !inFoil(u, v);
  const foil = mean(inFoil), dented = mean(inDent);
  t.ok(foil < dented - 0.2, `mean PS confidence on the foil ${foil.toFixed(2)}, on the dent ${dented.toFixed(2)}`);
});

t.test('--holo-every: an embossed holo foil, which photometric stereo cannot explain anywhere on it', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'gb-sim-maps-'));
  t.teardown(() => rm(out, { recursive: true, force: true }));
  // Seeds 200010 and 200011, foil on both, holo on the even one.
  const r = await runCli([...args, '--count', '2', '--first-seed', '200010', '--maps-only', '--foil-every', '1', '--holo-every', '2', '--out', out]);
  t.equal(r.code, 0, r.stderr);
  const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8'));
  t.same(index.cards.map((c: { foil: boolean; foilStyle?: string }) => [c.foil, c.foilStyle]), [[true, 'holo'], [true, undefined]]);
  const misfitInFoil = async (seed: number): Promise<{ style: string; misfit: number }> => {
    const dir = join(out, `card_${seed}`, 'front', 'maps');
    const meta = JSON.parse(await readFile(join(dir, 'maps.json'), 'utf8'));
    const maps = await readSideMaps(dir, 'front');
    return { style: meta.foilRegion.style, misfit: meanOver(maps, meta.marginPx, inFoilOf(meta.foilRegion), (i) => 1 - maps.confidence![i]) };
  };
  const holo = await misfitInFoil(200010), print = await misfitInFoil(200011);
  t.equal(holo.style, 'holo');
  t.equal(print.style, 'print');
  t.ok(holo.misfit > 0.7, `mean PS misfit on the holo foil ${holo.misfit.toFixed(2)} (on this printed one ${print.misfit.toFixed(2)})`);
  const bad = await runCli([...args, '--holo-every', '0', '--out', join(out, 'x')]);
  t.match(bad.stderr, /GB_USAGE.*holo-every/);
});

t.test('--clean-every makes defect-free cards with no labels; --maps-only needs --maps', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'gb-sim-maps-'));
  t.teardown(() => rm(out, { recursive: true, force: true }));
  const r = await runCli([...args, '--first-seed', '200010', '--maps-only', '--clean-every', '2', '--out', out]);
  t.equal(r.code, 0, r.stderr);
  const labels = await readFile(join(out, 'card_200010', 'front', 'maps', 'labels.u8'));
  t.ok(labels.every((l) => l === 0), 'no defect pixels');
  const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8'));
  t.equal(index.cards[0].clean, true);
  t.equal(index.cards[0].front.defects, 0);
  const bad = await runCli(['sim', 'dataset', '--count', '1', '--maps-only', '--out', join(out, 'x')]);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /GB_USAGE.*--maps-only needs --maps/);
});
