import { createError } from '../core/errors.ts';
import { encodePng } from '../imaging/png.ts';
import { captureSide, type CaptureHardware } from './sequencer.ts';

export interface PreviewOptions {
  /** LED channel that lights the preview (0..23). */
  led: number;
  /** Exposure, µs. */
  exposureUs: number;
  /** Longest side of the preview image, px (the frame is binned down by an integer factor to fit). */
  maxSidePx: number;
}

/** One preview image for people: 8-bit grey PNG, binned, stretched so that the 99.5th percentile is white. */
export interface CameraPreview {
  png: Buffer;
  widthPx: number;
  heightPx: number;
  /** The camera frame it was made from, px. */
  frameWidthPx: number;
  frameHeightPx: number;
  /** Frame samples per preview pixel along each axis. */
  binning: number;
  led: number;
  exposureUs: number;
  /** Frame value shown as white (DN of the frame's pixel format, above the dark frame). */
  whiteDn: number;
  /** Fraction of frame pixels at the pixel format's full scale. */
  saturatedFraction: number;
}

/**
 * A technician's look through the booth camera: one capture by the booth's own capture path (a dark frame
 * and one frame under `led`, so line- and software-triggered booths alike), the dark subtracted, binned
 * to fit maxSidePx and stretched for the eye. The camera's buffers are given back before encoding.
 */
export async function capturePreview(hw: CaptureHardware, options: PreviewOptions): Promise<CameraPreview> {
  const { led, exposureUs, maxSidePx } = options;
  if (!Number.isInteger(led) || led < 0 || led > 23) throw createError('GB_VALIDATION', `preview: led must be an LED channel 0..23, got ${led}`);
  const cap = await captureSide(hw, { leds: [led], exposureUs, failOnExposureError: false });
  let binned: Float32Array;
  let width: number;
  let height: number;
  let binning: number;
  const frame = cap.frames[0];
  let saturated = 0;
  try {
    const W = cap.width, H = cap.height;
    binning = Math.max(1, Math.ceil(Math.max(W, H) / maxSidePx));
    width = Math.floor(W / binning);
    height = Math.floor(H / binning);
    binned = new Float32Array(width * height);
    const lit = frame.data;
    const dark = cap.dark.data;
    for (let i = 0; i < lit.length; i++) if (lit[i] >= cap.fullScaleDn) saturated++;
    for (let y = 0; y < height * binning; y++) {
      const row = y * W;
      const out = Math.floor(y / binning) * width;
      for (let x = 0; x < width * binning; x++) binned[out + Math.floor(x / binning)] += Math.max(0, lit[row + x] - dark[row + x]);
    }
  } finally {
    cap.release();
  }
  const n = binning * binning;
  const sorted = Float32Array.from(binned).sort();
  const white = Math.max(1, sorted[Math.min(sorted.length - 1, Math.floor(0.995 * sorted.length))]);
  const pixels = new Uint8Array(width * height);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.min(255, Math.round((255 * binned[i]) / white));
  const png = await encodePng({ width, height, channels: 1, bitDepth: 8, data: pixels });
  return {
    png,
    widthPx: width,
    heightPx: height,
    frameWidthPx: cap.width,
    frameHeightPx: cap.height,
    binning,
    led,
    exposureUs: cap.exposureUs,
    whiteDn: white / n,
    saturatedFraction: saturated / frame.width / frame.height,
  };
}
