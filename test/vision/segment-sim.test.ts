import t from 'tap';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.ts';
import { readPhotometricFolder } from '../../src/io/photometric-folder.ts';
import { writeSimCapture } from '../../src/sim/export/sim-capture.ts';
import { loadBoothGeometry, withCameraSize } from '../../src/geometry/booth-geometry.ts';
import { loadSceneConfig } from '../../src/geometry/targets.ts';
import { segmentCard, type CardOutline } from '../../src/vision/segment.ts';

// Card corners on the booth simulator's near-field renders at its default size (1500×2048, ~49 µm/px),
// against truth.json's corners (the exact sharp-cornered top face projected through the camera). The
// simulator draws the outline sub-sample exact (anti-aliased coverage, src/sim/scenes/card-outline.ts), so
// truth.json is what the drawn card shows to ≲ 0.05 px.

interface SimCardTruth {
  camera: { intrinsicsPx: { fx: number }; positionMm: number[] };
  card: { thicknessMm: number; bow: { amplitudeMm: number }; placement: { rotationDeg: number } };
  cornersPx: { points: number[][] };
}

async function segmentFolder(dir: string): Promise<{ outline: CardOutline; truth: SimCardTruth; errors: number[] }> {
  const ds = await readPhotometricFolder(dir);
  const truth = JSON.parse(await readFile(join(dir, 'truth.json'), 'utf8')) as SimCardTruth;
  const umPerPx = ((truth.camera.positionMm[2] - truth.card.thicknessMm) / truth.camera.intrinsicsPx.fx) * 1000;
  const outline = segmentCard(ds.planes, ds.width, ds.height, { umPerPx });
  // truth.json uses pixel (0,0)'s centre at (0.5, 0.5), segmentCard at (0, 0).
  const errors = outline.corners.map((q, k) => Math.hypot(q[0] - (truth.cornersPx.points[k][0] - 0.5), q[1] - (truth.cornersPx.points[k][1] - 0.5)));
  return { outline, truth, errors };
}

const fmt = (e: number[]): string => e.map((v) => v.toFixed(3)).join(', ');

t.test('thin flat simulated card (1 µm, 1500×2048): corners within 0.25 px of truth.json', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gb-segsim-thin-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // No edge wall, (almost) no bow: only the drawn outline and the segmentation are left.
  const geometry = withCameraSize(await loadBoothGeometry(), 1500, 2048);
  const config = await loadSceneConfig(undefined, { thicknessMm: 0.001, maxBowMm: 0.0011 });
  await writeSimCapture({ kind: 'card', seed: 3, side: 'front', distantLights: false, geometry, config, out: dir, threads: 2 });
  const { outline, truth, errors } = await segmentFolder(dir);
  t.ok(truth.card.thicknessMm <= 0.001, 'thin card rendered');
  t.comment(`thin card: corners vs truth.json ${fmt(errors)} px; side residuals ${outline.sides.map((s) => s.residualPx.toFixed(3)).join(', ')} px`);
  t.ok(Math.max(...errors) <= 0.25, 'every corner within 0.25 px of truth.json');
});

for (const seed of [3, 4]) {
  t.test(`simulated card seed ${seed} (0.32 mm, bowed, \`sim render\` default size): corners within 0.5 px of truth.json`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'gb-segsim-'));
    t.teardown(() => rm(dir, { recursive: true, force: true }));
    let err = '';
    const sink = new Writable({ write(c, _e, cb) { err += String(c); cb(); } });
    const code = await main(['sim', 'render', '--scene', 'card', '--seed', String(seed), '--out', dir], { stdout: sink, stderr: sink, stopSignal: new AbortController().signal });
    t.equal(code, 0, err);
    const { outline, truth, errors } = await segmentFolder(dir);
    t.comment(`card seed ${seed} (bow ${truth.card.bow.amplitudeMm.toFixed(3)} mm, rotation ${truth.card.placement.rotationDeg.toFixed(2)}°): corners vs truth.json ${fmt(errors)} px; side residuals ${outline.sides.map((s) => s.residualPx.toFixed(3)).join(', ')} px`);
    t.ok(Math.max(...errors) <= 0.5, 'every corner within 0.5 px of truth.json');
  });
}
