import type { FloatImage } from '../../imaging/image.ts';
import type { SideCapture } from '../../capture/sequencer.ts';

// Image helpers for the calibration procedures: linear, dark-subtracted frames and simple masks.

/** Each LED frame minus the capture's dark frame, divided by the usable range: linear 0..1 images. */
export function linearImages(capture: SideCapture): FloatImage[] {
  const dark = capture.dark.data;
  let darkSum = 0;
  for (let i = 0; i < dark.length; i += 17) darkSum += dark[i];
  const range = capture.fullScaleDn - darkSum / Math.ceil(dark.length / 17);
  return capture.frames.map((f) => {
    const d = f.data;
    const out = new Float32Array(d.length);
    for (let i = 0; i < out.length; i++) out[i] = (d[i] - dark[i]) / range;
    return { width: f.width, height: f.height, data: out };
  });
}

/** Per-pixel median over images (lower median for an even count). */
export function medianImage(images: readonly FloatImage[]): FloatImage {
  const { width, height } = images[0];
  const out = new Float32Array(width * height);
  const buf = new Float32Array(images.length);
  for (let i = 0; i < out.length; i++) {
    for (let k = 0; k < images.length; k++) buf[k] = images[k].data[i];
    buf.sort();
    out[i] = buf[(images.length - 1) >> 1];
  }
  return { width, height, data: out };
}

/** Per-pixel mean over images. */
export function meanImage(images: readonly FloatImage[]): FloatImage {
  const { width, height } = images[0];
  const out = new Float32Array(width * height);
  for (const img of images) for (let i = 0; i < out.length; i++) out[i] += img.data[i] / images.length;
  return { width, height, data: out };
}

/** Median of a sample of the values (every `stride`th). */
export function sampledMedian(data: Float32Array, stride = 7): number {
  const s: number[] = [];
  for (let i = 0; i < data.length; i += stride) s.push(data[i]);
  s.sort((a, b) => a - b);
  return s[s.length >> 1] ?? 0;
}

/** Label 4-connected components of a binary mask; returns labels (0 = background) and component sizes. */
export function labelComponents(mask: Uint8Array, width: number, height: number): { labels: Int32Array; sizes: number[] } {
  const labels = new Int32Array(width * height);
  const sizes: number[] = [0];
  const stack: number[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labels[start]) continue;
    const id = sizes.length;
    let size = 0;
    labels[start] = id;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop() as number;
      size++;
      const x = p % width;
      const y = (p - x) / width;
      const visit = (q: number): void => {
        if (mask[q] && !labels[q]) {
          labels[q] = id;
          stack.push(q);
        }
      };
      if (x > 0) visit(p - 1);
      if (x < width - 1) visit(p + 1);
      if (y > 0) visit(p - width);
      if (y < height - 1) visit(p + width);
    }
    sizes.push(size);
  }
  return { labels, sizes };
}

/** The largest component of a mask, holes filled (background not connected to the border becomes inside). */
export function largestFilledComponent(mask: Uint8Array, width: number, height: number): Uint8Array {
  const { labels, sizes } = labelComponents(mask, width, height);
  let best = 0;
  for (let i = 1; i < sizes.length; i++) if (sizes[i] > (sizes[best] ?? 0)) best = i;
  const keep = new Uint8Array(mask.length);
  if (best === 0) return keep;
  for (let i = 0; i < keep.length; i++) keep[i] = labels[i] === best ? 1 : 0;
  // Fill holes: flood the outside from the border; whatever is neither outside nor kept is a hole.
  const inv = new Uint8Array(mask.length);
  for (let i = 0; i < inv.length; i++) inv[i] = keep[i] ? 0 : 1;
  const { labels: bl } = labelComponents(inv, width, height);
  const outside = new Set<number>();
  for (let x = 0; x < width; x++) {
    outside.add(bl[x]);
    outside.add(bl[(height - 1) * width + x]);
  }
  for (let y = 0; y < height; y++) {
    outside.add(bl[y * width]);
    outside.add(bl[y * width + width - 1]);
  }
  for (let i = 0; i < keep.length; i++) if (!keep[i] && !outside.has(bl[i])) keep[i] = 1;
  return keep;
}
