/**
 * A linear image in memory: interleaved channels, row-major, top row first.
 * `data` holds the sample values as stored (0..255 for 8-bit, 0..65535 for 16-bit); stages that need
 * floats convert explicitly, so no stage guesses the bit depth.
 */
export interface RasterImage {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  bitDepth: 8 | 16;
  data: Uint8Array | Uint16Array;
}

/** A single-channel float image (heights, albedo, confidence), row-major, top row first. */
export interface FloatImage {
  width: number;
  height: number;
  data: Float32Array;
}
