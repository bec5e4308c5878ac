import t from 'tap';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.ts';
import { readPhotometricFolder } from '../../src/io/photometric-folder.ts';
import { distantLights, nearFieldLights, type NearFieldRig } from '../../src/vision/lights.ts';
import { normalError, solvePhotometricStereo } from '../../src/vision/ps.ts';
import { segmentCard } from '../../src/vision/segment.ts';

// A simulated near-field capture from the booth simulator (`gradebooth sim render`): 24 LEDs with inverse
// square fall-off and cos^m beams, perspective camera, glossy card with defects, sensor noise. The rig
// model (LED positions, beam gains, pixel → card-plane points) comes from its truth.json, as calibration
// will provide it on a real booth.

interface SimTruth {
  camera: { intrinsicsPx: { fx: number; fy: number; cx: number; cy: number }; positionMm: number[] };
  card: { thicknessMm: number };
  cornersPx: { points: number[][] };
  leds: { positionMm: number[]; aimMm: number[]; radiantIntensityWSr: number; beamExponent: number }[];
}

function rigFromTruth(truth: SimTruth, W: number, H: number): NearFieldRig {
  const { fx, fy, cx, cy } = truth.camera.intrinsicsPx;
  const s = truth.camera.positionMm[2] - truth.card.thicknessMm;
  // Camera looks straight down; its pixel (0,0) centre is at (0.5, 0.5).
  const pointMm = (x: number, y: number): [number, number, number] => [(s * (x + 0.5 - cx)) / fx, (-s * (y + 0.5 - cy)) / fy, truth.card.thicknessMm];
  const gainMaps = truth.leds.map((l) => {
    const gw = 24, gh = 32, data = new Float32Array(gw * gh);
    const ax = l.aimMm.map((a, k) => a - l.positionMm[k]);
    const al = Math.hypot(ax[0], ax[1], ax[2]);
    for (let j = 0; j < gh; j++) for (let i = 0; i < gw; i++) {
      const p = pointMm(((i + 0.5) / gw) * W - 0.5, ((j + 0.5) / gh) * H - 0.5);
      const d = p.map((v, k) => v - l.positionMm[k]);
      const c = (d[0] * ax[0] + d[1] * ax[1] + d[2] * ax[2]) / (Math.hypot(d[0], d[1], d[2]) * al);
      data[j * gw + i] = Math.max(0, c) ** l.beamExponent;
    }
    return { width: gw, height: gh, data };
  });
  return { ledPositionsMm: truth.leds.flatMap((l) => l.positionMm), ledIntensities: truth.leds.map((l) => l.radiantIntensityWSr), pointMm, gainMaps };
}

t.test('simulated near-field card: normals ≤ 1°, robust ≥ LS, near-field ≫ distant, corners', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'gb-simcard-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  let err = '';
  const sink = new Writable({ write(c, _e, cb) { err += String(c); cb(); } });
  const code = await main(['sim', 'render', '--scene', 'card', '--seed', '3', '--size', '750x1024', '--out', dir], { stdout: sink, stderr: sink, stopSignal: new AbortController().signal });
  t.equal(code, 0, err);
  const ds = await readPhotometricFolder(dir);
  const truth = JSON.parse(await readFile(join(dir, 'truth.json'), 'utf8')) as SimTruth;
  const W = ds.width, H = ds.height;
  const mask = ds.mask!;
  // Score away from the outline (3 px): the edge wall and corner wear are not part of the face.
  const inner = new Uint8Array(W * H);
  for (let y = 3; y < H - 3; y++) for (let x = 3; x < W - 3; x++) {
    let ok = 1;
    for (let dy = -3; dy <= 3 && ok; dy++) for (let dx = -3; dx <= 3; dx++) if (!mask[(y + dy) * W + x + dx]) { ok = 0; break; }
    inner[y * W + x] = ok;
  }
  const rig = rigFromTruth(truth, W, H);
  const near = nearFieldLights(W, H, rig, 8);
  const rb = normalError((await solvePhotometricStereo(ds.planes, near, { mask, saturation: 65535 })).normals, ds.normalsTruth!, inner);
  const ls = normalError((await solvePhotometricStereo(ds.planes, near, { mask, saturation: 65535, method: 'ls' })).normals, ds.normalsTruth!, inner);
  const far = normalError((await solvePhotometricStereo(ds.planes, distantLights(W, H, ds.directions, ds.intensities), { mask, saturation: 65535 })).normals, ds.normalsTruth!, inner);
  t.comment(`sim card (24 near-field LEDs, 750×1024): robust mean ${rb.meanDeg.toFixed(3)}° median ${rb.medianDeg.toFixed(3)}°; LS mean ${ls.meanDeg.toFixed(3)}°; distant-light model mean ${far.meanDeg.toFixed(2)}°`);
  t.ok(rb.meanDeg <= 1, 'mean normal error on the card ≤ 1°');
  t.ok(rb.meanDeg <= ls.meanDeg, 'robust no worse than LS');
  t.ok(far.meanDeg > 5 * rb.meanDeg, 'per-pixel near-field light vectors are essential');
  // Corners against truth.json (the exact top face projected; the simulator draws it sub-sample exact).
  const { fx } = truth.camera.intrinsicsPx;
  const outline = segmentCard(ds.planes, W, H, { umPerPx: ((truth.camera.positionMm[2] - truth.card.thicknessMm) / fx) * 1000 });
  // truth.json uses pixel (0,0)'s centre at (0.5, 0.5), segmentCard at (0, 0).
  const errs = outline.corners.map((q, k) => Math.hypot(q[0] - (truth.cornersPx.points[k][0] - 0.5), q[1] - (truth.cornersPx.points[k][1] - 0.5)));
  t.comment(`corner errors vs truth.json ${errs.map((e) => e.toFixed(3)).join(', ')} px; side residuals ${outline.sides.map((s) => s.residualPx.toFixed(2)).join(', ')} px`);
  t.ok(Math.max(...errs) <= 0.5, 'corners within 0.5 px of truth.json');
});
