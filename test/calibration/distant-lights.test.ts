import t from 'tap';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { angleBetweenDeg, calibrateDistantLights, lightFromHighlight, sphereImpliedByDirections } from '../../src/calibration/distant-lights.ts';
import { listChromeFolder, parseDirections } from '../../src/calibration/chrome-folder.ts';
import { toLuminance } from '../../src/calibration/sphere-image.ts';
import { readPng } from '../../src/imaging/png.ts';
import { renderMirrorSphere, type V3 } from './synthetic-sphere.ts';

const fromElevation = (azDeg: number, elDeg: number): V3 => {
  const a = (azDeg * Math.PI) / 180;
  const e = (elDeg * Math.PI) / 180;
  return [Math.cos(e) * Math.cos(a), Math.cos(e) * Math.sin(a), Math.sin(e)];
};
const lights: V3[] = [fromElevation(0, 60), fromElevation(70, 45), fromElevation(160, 35), fromElevation(230, 70), fromElevation(300, 25), [0, 0, 1]];
const mean = (a: number[]): number => a.reduce((s, x) => s + x, 0) / a.length;

t.test('reflection geometry: highlight at the centre is a frontal light; half-way to the rim is 60° off', async (t) => {
  const c = { cxPx: 100, cyPx: 100, radiusPx: 50 };
  t.same(lightFromHighlight(c, 100, 100).direction.map((v) => Math.round(v * 1e9) / 1e9), [0, 0, 1]);
  const r = lightFromHighlight(c, 100, 100 - 25); // up in the image = +y
  t.ok(Math.abs(angleBetweenDeg(r.direction, [0, 1, 0]) - 30) < 1e-9, 'normal 30° off axis reflects to 60° off axis, towards +y');
});

t.test('orthographic synthetic sphere: directions within 0.3° of truth', async (t) => {
  const opts = { width: 180, height: 160, circle: { cx: 92.3, cy: 77.6, r: 64.2 } };
  const mask = renderMirrorSphere({ ...opts, lightDirection: [0, 0, 1] }).mask;
  const images = lights.map((l) => renderMirrorSphere({ ...opts, lightDirection: l }).image);
  const { sphere, lights: got } = calibrateDistantLights(mask, images);
  t.ok(Math.abs(sphere.circle.cxPx - 92.3) < 0.05 && Math.abs(sphere.circle.cyPx - 77.6) < 0.05 && Math.abs(sphere.circle.radiusPx - 64.2) < 0.05, `circle (${sphere.circle.cxPx}, ${sphere.circle.cyPx}) r ${sphere.circle.radiusPx}`);
  const errors = got.map((g, i) => angleBetweenDeg(g.direction, lights[i]));
  t.ok(mean(errors) < 0.3 && Math.max(...errors) < 0.6, `errors ${errors.map((e) => e.toFixed(3)).join(' ')}`);
});

t.test('the sphere a reference implies: the true lights give back the true outline', async (t) => {
  const opts = { width: 180, height: 160, circle: { cx: 92.3, cy: 77.6, r: 64.2 } };
  const mask = renderMirrorSphere({ ...opts, lightDirection: [0, 0, 1] }).mask;
  const images = lights.map((l) => renderMirrorSphere({ ...opts, lightDirection: l }).image);
  const { lights: got } = calibrateDistantLights(mask, images);
  const highlights = got.map((g) => [g.highlight.xPx, g.highlight.yPx] as const);
  const implied = sphereImpliedByDirections(highlights, lights);
  t.ok(Math.hypot(implied.cxPx - 92.3, implied.cyPx - 77.6) < 0.3 && Math.abs(implied.radiusPx - 64.2) < 0.3, `implied (${implied.cxPx.toFixed(2)}, ${implied.cyPx.toFixed(2)}) r ${implied.radiusPx.toFixed(2)}`);
  t.ok(implied.rmsResidualPx < 0.3, `residual rms ${implied.rmsResidualPx.toFixed(3)} px`);
  // Directions computed with a 10% larger sphere (less tilted) imply that larger sphere.
  const bigger = highlights.map(([x, y]) => lightFromHighlight({ cxPx: 92.3, cyPx: 77.6, radiusPx: 64.2 * 1.1 }, x, y).direction);
  t.ok(Math.abs(sphereImpliedByDirections(highlights, bigger).radiusPx - 64.2 * 1.1) < 0.3, 'a reference made with another sphere shows as that sphere');
  t.throws(() => sphereImpliedByDirections(highlights.slice(1), lights), { code: 'GB_DATASET_INVALID' });
});

t.test('perspective synthetic sphere off-axis: the camera model removes the orthographic error', async (t) => {
  const camera = { fx: 1400, fy: 1400, cx: 120, cy: 100 };
  const opts = { width: 240, height: 200, camera, centreMm: [8, -4, 280] as V3, radiusMm: 12.7 };
  // Lights in the camera frame (y down, z forward): flip the view-axes directions.
  const camLights = lights.map((l) => [l[0], -l[1], -l[2]] as V3);
  const mask = renderMirrorSphere({ ...opts, lightDirection: [0, 0, -1] }).mask;
  const images = camLights.map((l) => renderMirrorSphere({ ...opts, lightDirection: l }).image);
  const intrinsics = { fxPx: camera.fx, fyPx: camera.fy, cxPx: camera.cx, cyPx: camera.cy };
  const persp = calibrateDistantLights(mask, images, { intrinsics });
  const ortho = calibrateDistantLights(mask, images);
  const ePersp = persp.lights.map((g, i) => angleBetweenDeg(g.direction, lights[i]));
  const eOrtho = ortho.lights.map((g, i) => angleBetweenDeg(g.direction, lights[i]));
  t.ok(mean(ePersp) < 0.3, `perspective mean ${mean(ePersp).toFixed(3)}° (${ePersp.map((e) => e.toFixed(2)).join(' ')})`);
  t.ok(mean(eOrtho) > 2 * mean(ePersp), `orthographic is worse off-axis: ${mean(eOrtho).toFixed(3)}°`);
  t.ok((persp.sphere.location?.rmsResidualDeg ?? 1) < 0.01, 'the outline fits one cone');
});

const psm = new URL('../../../shared/data/psm-uw/', import.meta.url);
t.test('real public mirror sphere (psm-uw chrome) against the published directions', { skip: existsSync(psm) ? false : `no public data at ${psm.pathname} (a fresh clone without ../shared/data)` }, async (t) => {
  const { maskPath, imagePaths } = await listChromeFolder(new URL('chrome', psm).pathname);
  t.equal(imagePaths.length, 12);
  t.match(imagePaths[10], /chrome\.10\.png$/, 'numeric, not lexical, order');
  const ref = parseDirections(await readFile(new URL('lights.txt', psm), 'utf8'), 'lights.txt');
  const mask = toLuminance(await readPng(maskPath));
  const images = await Promise.all(imagePaths.map(async (p) => toLuminance(await readPng(p))));
  const { sphere, lights: got } = calibrateDistantLights(mask, images);
  t.ok(sphere.circle.rmsResidualPx < 0.3, `sphere outline rms ${sphere.circle.rmsResidualPx.toFixed(3)} px`);
  const errors = got.map((g, i) => angleBetweenDeg(g.direction, ref[i]));
  const flipped = got.map((g, i) => angleBetweenDeg([g.direction[0], -g.direction[1], g.direction[2]], ref[i]));
  t.comment(`psm-uw per-light error (deg): ${errors.map((e) => e.toFixed(2)).join(' ')}; mean ${mean(errors).toFixed(3)}, max ${Math.max(...errors).toFixed(3)}`);
  // Measured 3.09° mean: lights 0 and 1 disagree by 6.0° and 8.5° with a highlight that is unambiguous in
  // the image (see the report); the 2° target is not met on this reference. Guard the figure.
  t.ok(mean(errors) < 3.2, `mean ${mean(errors).toFixed(3)}°`);
  t.ok(errors.filter((e) => e < 2.7).length >= 8, 'most lights agree within 2.7°');
  t.ok(mean(flipped) > 20, `the published file's y axis points up like ours (flipped: ${mean(flipped).toFixed(1)}°)`);
  // Why the 2° target is out of reach on this reference: for our highlights, the published directions
  // imply a sphere 13 px (11%) larger than the one in the images, whose outline the mask and the images
  // agree on (outline rms < 0.3 px above). No honest fit of the visible sphere can reproduce them.
  const implied = sphereImpliedByDirections(got.map((g) => [g.highlight.xPx, g.highlight.yPx] as const), ref);
  t.comment(`published directions imply centre (${implied.cxPx.toFixed(2)}, ${implied.cyPx.toFixed(2)}) r ${implied.radiusPx.toFixed(2)} px vs fitted (${sphere.circle.cxPx.toFixed(2)}, ${sphere.circle.cyPx.toFixed(2)}) r ${sphere.circle.radiusPx.toFixed(2)} px; residual rms ${implied.rmsResidualPx.toFixed(2)} px`);
  t.ok(implied.radiusPx > sphere.circle.radiusPx + 10, 'the reference implies a sphere more than 10 px larger than the visible one');
});
