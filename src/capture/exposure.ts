import type { PixelFormat } from '../hardware/camera/camera.ts';

/** Full-scale sample value of a pixel format with a 12-bit ADC (Mono16 holds codes × 16). */
export function fullScaleDn(format: PixelFormat, adcBits = 12): number {
  const max = (1 << adcBits) - 1;
  if (format === 'Mono16') return max << (16 - adcBits);
  if (format === 'Mono8') return 255;
  return max;
}

/** Exposure figures of one frame against the capture's dark frame (sampled every `stepPx`th pixel). */
export interface ExposureStats {
  /** 99th percentile of (frame − dark) as a fraction of the usable range (full scale − dark median). */
  p99Fraction: number;
  /** Fraction of pixels at the ADC's full scale. */
  saturatedFraction: number;
  /** Mean of (frame − dark), DN. */
  meanSignalDn: number;
}

/** Limits that turn exposure figures into warnings or errors. */
export interface ExposureLimits {
  /** More saturated pixels than this fraction fails the capture (default 0.02). */
  maxSaturatedFraction: number;
  /** More than this warns (default 0.002). */
  warnSaturatedFraction: number;
  /** A p99 signal below this fraction fails (the LED gave no usable light; default 0.01). */
  minP99Fraction: number;
  /** Below this it warns as under-exposed (default 0.1). */
  warnP99Fraction: number;
}

export const defaultExposureLimits: ExposureLimits = { maxSaturatedFraction: 0.02, warnSaturatedFraction: 0.002, minP99Fraction: 0.01, warnP99Fraction: 0.1 };

/** One exposure finding for the technician. */
export interface ExposureIssue {
  severity: 'warning' | 'error';
  lightIndex: number;
  ledChannel: number;
  kind: 'saturated' | 'under-exposed';
  message: string;
  figures: ExposureStats;
}

/** Exposure figures of a frame versus the dark frame (sampled: 1 pixel in `stride`). */
export function exposureStats(frame: Uint16Array, dark: Uint16Array, fullScale: number, stride = 7): ExposureStats {
  const darkSamples: number[] = [];
  for (let i = 0; i < dark.length; i += stride * 13) darkSamples.push(dark[i]);
  darkSamples.sort((a, b) => a - b);
  const darkMedian = darkSamples[darkSamples.length >> 1] ?? 0;
  const range = Math.max(1, fullScale - darkMedian);
  const hist = new Uint32Array(65536);
  let n = 0;
  let saturated = 0;
  let sum = 0;
  for (let i = 0; i < frame.length; i += stride) {
    const v = frame[i];
    if (v >= fullScale) saturated++;
    const s = Math.max(0, v - dark[i]);
    hist[s]++;
    sum += s;
    n++;
  }
  let acc = 0;
  let p99 = 0;
  const want = Math.ceil(0.99 * n);
  for (let v = 0; v < hist.length; v++) {
    acc += hist[v];
    if (acc >= want) {
      p99 = v;
      break;
    }
  }
  return { p99Fraction: p99 / range, saturatedFraction: n ? saturated / n : 0, meanSignalDn: n ? sum / n : 0 };
}

/** Turn one frame's figures into issues (none when it is well exposed). */
export function checkExposure(stats: ExposureStats, lightIndex: number, ledChannel: number, limits: ExposureLimits = defaultExposureLimits): ExposureIssue[] {
  const issues: ExposureIssue[] = [];
  const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
  const what = `LED ${ledChannel} (light ${lightIndex})`;
  if (stats.saturatedFraction > limits.warnSaturatedFraction) {
    const severity = stats.saturatedFraction > limits.maxSaturatedFraction ? 'error' : 'warning';
    issues.push({
      severity, lightIndex, ledChannel, kind: 'saturated', figures: stats,
      message: `${what}: ${pct(stats.saturatedFraction)} of pixels saturated (${severity === 'error' ? 'limit' : 'warning above'} ${pct(severity === 'error' ? limits.maxSaturatedFraction : limits.warnSaturatedFraction)}); lower the exposure or LED level`,
    });
  }
  if (stats.p99Fraction < limits.warnP99Fraction) {
    const severity = stats.p99Fraction < limits.minP99Fraction ? 'error' : 'warning';
    issues.push({
      severity, lightIndex, ledChannel, kind: 'under-exposed', figures: stats,
      message: `${what}: 99th-percentile signal is ${pct(stats.p99Fraction)} of full scale (${severity === 'error' ? 'minimum' : 'warning below'} ${pct(severity === 'error' ? limits.minP99Fraction : limits.warnP99Fraction)})${severity === 'error' ? '; is the LED working?' : '; raise the exposure or LED level'}`,
    });
  }
  return issues;
}
