// Camera frame: the OpenCV convention — x right, y down, z forward (into the scene), millimetres, origin at
// the pinhole. Pixel coordinates: x right, y down, top-left image corner at (0, 0), pixel centres at +0.5.
// Shared by the booth, calibration, capture I/O and the simulator, so it depends on nothing of theirs.

export type Vec3 = [number, number, number];

/** Pinhole intrinsics in pixels; `toNormalized` overrides the plain model (e.g. to undo lens distortion). */
export interface Intrinsics {
  fxPx: number;
  fyPx: number;
  cxPx: number;
  cyPx: number;
  /** Undistorted normalised image coordinates (x/z, y/z) of a pixel position. */
  toNormalized?: (xPx: number, yPx: number) => [number, number];
}

function unit(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
}

/** Unit camera-frame ray through a pixel position. */
export function pixelRay(k: Intrinsics, xPx: number, yPx: number): Vec3 {
  const [x, y] = k.toNormalized ? k.toNormalized(xPx, yPx) : [(xPx - k.cxPx) / k.fxPx, (yPx - k.cyPx) / k.fyPx];
  return unit([x, y, 1]);
}

/** Camera-frame (x right, y down, z forward) vector in the interchange axes (x right, y up, z to camera). */
export function cameraToViewAxes(v: Vec3): Vec3 {
  return [v[0], -v[1], -v[2]];
}
