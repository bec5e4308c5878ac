// Robust vs plain least-squares photometric stereo, measured end to end:
//  1. DiLiGenT-like shiny spheres and bowls (test/vision/diligent-like.ts: 96 lights, RGB intensities,
//     GGX highlights, attached and (bowls) cast shadows, 16-bit) in the common folder format, through the
//     real CLI (`gradebooth reconstruct --method robust|ls`), normals.png scored against the analytic normals;
//     plus the confidence where readings were rejected (highlights) vs where none were;
//  2. the real psm-uw objects (when ../shared/data/psm-uw exists beside the checkout): gray-sphere normal error against
//     the sphere fitted to its mask, and leave-one-out prediction error of all six objects.
// Usage: npx tsx scripts/ps-robust-eval.ts [--size PX] [--skip-real]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readPng } from '../src/imaging/png.ts';
import { decodeNormalsImage, readPhotometricFolder } from '../src/io/photometric-folder.ts';
import { distantLights } from '../src/vision/lights.ts';
import { normalError, solvePhotometricStereo } from '../src/vision/ps.ts';
import { highlightConfidence, renderShinySphere, writeShinySphereFolder, type ShinySphereOptions } from '../test/vision/diligent-like.ts';
import { gradebooth, grayReference, looScore } from '../test/vision/ps-eval.ts';
import { psmUwDir, psmUwFolder, psmUwObjects } from '../test/vision/psm-uw.ts';

const { values } = parseArgs({ options: { size: { type: 'string' }, 'skip-real': { type: 'boolean' } } });
const size = Number(values.size ?? 256);

const root = await mkdtemp(join(tmpdir(), 'gb-ps-eval-'));
try {
  const cases: { name: string; opt: Partial<ShinySphereOptions> }[] = [
    { name: 'glossy (GGX α 0.15)', opt: { roughness: 0.15, specular: 1.5 } },
    { name: 'sharp (α 0.08)', opt: { roughness: 0.08, specular: 1.5 } },
    { name: 'broad sheen (α 0.3)', opt: { roughness: 0.3, specular: 1.0 } },
    { name: 'glossy + calibration error 1°/3% + 2% ambient', opt: { roughness: 0.15, specular: 1.5, directionErrorDeg: 1, intensityError: 0.03, ambient: 0.02 } },
    { name: 'bowl (cast shadows) + calibration error + ambient', opt: { shape: 'bowl', roughness: 0.15, specular: 1.5, directionErrorDeg: 1, intensityError: 0.03, ambient: 0.02 } },
    { name: 'hemispherical bowl (deep cast shadows) + calibration error + ambient', opt: { shape: 'bowl', rimHeight: 0, roughness: 0.15, specular: 1.5, directionErrorDeg: 1, intensityError: 0.03, ambient: 0.02 } },
  ];
  for (const c of cases) {
    const cap = renderShinySphere({ sizePx: size, radiusPx: size * 0.45, ...c.opt });
    const dir = join(root, 'sphere');
    await rm(dir, { recursive: true, force: true });
    await writeShinySphereFolder(dir, cap);
    const line: string[] = [];
    for (const method of ['ls', 'robust'] as const) {
      const out = join(root, `out-${method}`);
      await gradebooth(['reconstruct', '--input', dir, '--out', out, '--method', method]);
      const est = decodeNormalsImage(await readPng(join(out, 'normals.png')), 'normals.png');
      const e = normalError(est, cap.normals, cap.mask);
      line.push(`${method} mean ${e.meanDeg.toFixed(2)}° median ${e.medianDeg.toFixed(2)}°`);
    }
    const conf = await highlightConfidence(dir, cap);
    console.log(`DiLiGenT-like ${size}px, ${c.name}: ${line.join('; ')}; robust confidence ${conf.clean.toFixed(2)} without highlights, ${conf.highlight.toFixed(2)} with ≥ 3 specular readings`);
  }
  if (!values['skip-real'] && psmUwDir) {
    const g = await grayReference(join(root, 'gray'));
    for (const method of ['ls', 'robust'] as const) {
      const r = await solvePhotometricStereo(g.ds.planes, distantLights(g.ds.width, g.ds.height, g.ds.directions), { mask: g.ds.mask, method });
      const e = normalError(r.normals, g.reference, g.ds.mask);
      console.log(`psm-uw gray sphere ${method}: mean ${e.meanDeg.toFixed(2)}° median ${e.medianDeg.toFixed(2)}°`);
    }
    for (const obj of psmUwObjects) {
      const dir = join(root, `uw-${obj}`);
      await psmUwFolder(obj, dir);
      const ds = await readPhotometricFolder(dir);
      const ls = await looScore(ds, 'ls');
      const rb = await looScore(ds, 'robust');
      console.log(`psm-uw ${obj}: leave-one-out median |error| LS ${ls.toFixed(3)} robust ${rb.toFixed(3)} (${((100 * (ls - rb)) / ls).toFixed(1)}% lower)`);
    }
  } else if (!values['skip-real']) console.log('psm-uw: ../shared/data/psm-uw not present, skipped');
} finally {
  await rm(root, { recursive: true, force: true });
}
