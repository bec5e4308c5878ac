// The grading contract: what a reconstructed card side hands to the graders, and what the learned surface
// detector returns. Measurements (centering, corners, edges), the surface detector (ONNX) and the grade
// combine through these types only.

export type CardSide = 'front' | 'back';

/**
 * One reconstructed card side in the canonical card frame: rows top to bottom as the card is seen, x to the
 * right; normals x right, y up, z towards the camera. Maps may extend past the card outline (mask 0 there).
 */
export interface CardSideMaps {
  side: CardSide;
  widthPx: number;
  heightPx: number;
  /** Map scale, µm per px (square pixels). */
  umPerPx: number;
  /** 1 on the card, 0 off it. */
  mask: Uint8Array;
  /** Unit normals, 3 per px. */
  normals: Float32Array;
  /** Grey albedo, 1 per px (relative; print and foil live here, not in the relief). */
  albedo: Float32Array;
  /** Height relative to the undamaged surface, µm, warp removed, 1 per px (0 off the card). */
  reliefUm: Float32Array;
  /**
   * Photometric-stereo fit confidence 0..1, 1 per px (vision/ps-kernel.ts: Lambertian residual and lit
   * readings rejected as highlights). Holo foil and other non-Lambertian print read low; relief (a dent)
   * is still Lambertian. The surface model takes it as an input; absent for maps that no PS solve made.
   */
  confidence?: Float32Array;
  /**
   * 1 where the normals came from photometric stereo at the block scale (vision/ps-coarse-fallback.ts: a
   * holo grating that fits no normal per pixel), 1 per px; absent where no block was used. Relief there is
   * smooth at ~0.4 mm, so a scratch is a shallow, blurred groove (surface/block-scratches.ts).
   */
  blockSolved?: Uint8Array;
}

/** Surface defect kinds (GRADING.md "Surface"). */
export type SurfaceDefectType =
  | 'scratch'
  | 'dent'
  | 'crease'
  | 'indentation'
  | 'print-line'
  | 'roller-mark'
  | 'print-spot'
  | 'stain';

export type CornerName = 'tl' | 'tr' | 'bl' | 'br';

/** One surface defect found on a side. Positions in the card frame: origin at the card centre, x right, y up, mm. */
export interface SurfaceDefect {
  type: SurfaceDefectType;
  side: CardSide;
  centerMm: [number, number];
  lengthMm: number;
  widthMm: number;
  /** Deepest point below the surrounding surface, µm (0 for albedo-only defects such as stains). */
  depthUm: number;
  areaMm2: number;
  /** 0..1, from the model's per-pixel probabilities over the defect. */
  confidence: number;
  /** Bounding box in map pixels [x0, y0, x1, y1), for crops and overlays. */
  boxPx: [number, number, number, number];
  /** Set when the defect lies within a corner's zone. */
  corner?: CornerName;
}

/** Which model produced a result; recorded with every grade. */
export interface ModelIdentity {
  name: string;
  version: string;
  sha256: string;
}

/** The learned surface-defect detector (ONNX, run off the event loop). */
export interface SurfaceDetector {
  readonly model: ModelIdentity;
  detect(maps: CardSideMaps): Promise<SurfaceDefect[]>;
  close(): Promise<void>;
}
