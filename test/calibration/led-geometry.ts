// Exact forward model for tests: where an LED's highlight appears on a mirror sphere seen by a pinhole
// camera at the origin (camera frame, mm; pixel centres at +0.5). Independent of src/calibration.
export type V3 = [number, number, number];
const norm = (v: V3): V3 => {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
};

/** The specular point: the sphere point whose normal bisects the directions to the camera and the LED. */
export function specularPoint(centre: V3, radius: number, led: V3): V3 {
  const toCam = norm([-centre[0], -centre[1], -centre[2]]);
  const toLed = norm([led[0] - centre[0], led[1] - centre[1], led[2] - centre[2]]);
  let n = norm([toCam[0] + toLed[0], toCam[1] + toLed[1], toCam[2] + toLed[2]]);
  for (let i = 0; i < 200; i++) {
    const p: V3 = [centre[0] + radius * n[0], centre[1] + radius * n[1], centre[2] + radius * n[2]];
    const a = norm([-p[0], -p[1], -p[2]]);
    const b = norm([led[0] - p[0], led[1] - p[1], led[2] - p[2]]);
    const next = norm([a[0] + b[0], a[1] + b[1], a[2] + b[2]]);
    const delta = Math.hypot(next[0] - n[0], next[1] - n[1], next[2] - n[2]);
    n = next;
    if (delta < 1e-15) break;
  }
  return [centre[0] + radius * n[0], centre[1] + radius * n[1], centre[2] + radius * n[2]];
}

/** Pinhole projection (px) of a camera-frame point. */
export function project(k: { fx: number; fy: number; cx: number; cy: number }, p: V3): [number, number] {
  return [k.fx * (p[0] / p[2]) + k.cx, k.fy * (p[1] / p[2]) + k.cy];
}
