import type { SideCapture } from './sequencer.ts';

/** Dark-subtracted planes for photometric stereo: saturated readings are set to full scale (PS drops them). */
export function psPlanes(capture: SideCapture): { planes: Float32Array[]; saturation: number } {
  const dark = capture.dark.data;
  const fs = capture.fullScaleDn;
  const planes = capture.frames.map((f) => {
    const d = f.data;
    const out = new Float32Array(d.length);
    for (let i = 0; i < out.length; i++) out[i] = d[i] >= fs ? fs : d[i] - dark[i];
    return out;
  });
  return { planes, saturation: fs };
}
