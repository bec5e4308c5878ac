import type { CardSideMaps } from '../types.ts';
import { lineDepthUm } from './line-depth.ts';
import type { CardFrame, DefectCandidate, ProbabilityMap } from './postprocess.ts';
import { erodedCardMask } from './postprocess.ts';

// A scratch the network finds only in part. Its components are the pixels at the threshold: where a long
// scratch is crossed by a crease (their shared pixels go to the crease's component), or fades for a few
// millimetres under it, what is left of it is one piece, centred off the scratch's middle. On the held-out
// simulated sides three scratches of 17–21 mm came out so as pieces of 8–12 mm, 3.0–4.9 mm from their
// middles, each a miss and a false report. Along the rest of each line the network's defect probability
// stays high (0.5–1.0 where its neighbours on the card read 0.1–0.2), with dips of a station or two.
// Here each network scratch is followed beyond both of its ends along its own line (hysteresis, as an edge
// is followed below the threshold that found it): while the defect probability over the last millimetre
// stays above followMeanProbability, and to the last station at the threshold where the scratch is the
// likeliest defect (so it crosses a crease only to where it is a scratch again beyond it). A scratch the
// network sees faintly on one side of its piece only is followed that way only: on one held-out side a
// 5.5 mm piece of a 15.7 mm scratch, 2.4 mm from its middle, was followed 1.9 mm further from it.
// Where the network stops seeing it, the groove may go on: on that side (3.5 µm deep, over a dark ring of a
// card back where the photometric stereo's confidence falls to 0.1–0.3) the network read the rest of the
// line as background, while the relief along it stayed 1.3–2.0 µm below its surroundings 0.5–0.7 mm to
// either side, as along the piece (1.7–2.0), and fell to ~0.2 within half a millimetre of the true end. So,
// beyond where the probability ends, the scratch is followed on along its straight line while its groove
// over the last millimetre is half to three times as deep as the piece's own (a piece whose own groove is
// shallower than the relief's noise is not followed so).

/** Stations along the line, model px apart (0.12 mm at 60 µm/px). */
const stationPx = 2;
/** The mean over the last this many stations (~1 mm)… */
const followWindow = 8;
/** …of the defect probability (1 − P(background), the best of the line and 1 px either side) must stay at least this. */
export const followMeanProbability = 0.4;
/** The line may bend away from the piece's direction by this many px per px along (~1.7°; a piece's direction is its moments'). */
const maxDrift = 0.03;
/** At most this far beyond each end, mm. */
const followMaxMm = 30;
/** A groove's depth at a station: the relief's mean this far to either side (mm), less its lowest on the line (±1 px). */
const valleySidesMm = [0.5, 0.7];
/** Beyond the probability's reach, the median groove over the last window must stay at least this share of the piece's… */
export const followValleyShare = 0.5;
/** …and at most this many times it (a groove of a constant depth; a foil's relief swings far beyond)… */
export const followValleyRatioMax = 3;
/** …and the piece's own (the median over its stations) at least this deep, µm: the relief's noise there is ~0.3. */
export const followMinValleyUm = 1;

/**
 * `candidates` with each scratch's line extended beyond its ends along the network's defect probability
 * (`probs`, the model grid) at the lower, running-mean level above; its centre, length and box then describe
 * the whole scratch, its area grows with its length, and its depth is the deepest of the piece's and of the
 * followed stretches where it is the scratch's own (line-depth.ts). Not past
 * the card's edge margin (`edgeMarginPx`) nor into foil (`misfit` above `maxMisfit`). Other kinds unchanged.
 */
export function followScratches(candidates: DefectCandidate[], probs: ProbabilityMap, small: CardSideMaps, side: CardSideMaps, misfit: Float32Array | undefined, maxMisfit: number | undefined, threshold: number, edgeMarginPx: number, frame: CardFrame): DefectCandidate[] {
  const { width: w, height: h, data } = probs;
  const inner = erodedCardMask(small.mask, w, h, edgeMarginPx);
  const n = w * h, C = probs.classes;
  // The model px at (x, y) on the usable card, whatever its misfit (−1 off it): the groove is followed
  // where the photometric stereo fits poorly too (see grooveEnd for why that cannot wander into a foil).
  const cardPixelAt = (x: number, y: number): number => {
    const xi = Math.round(x), yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= w || yi >= h) return -1;
    const i = yi * w + xi;
    return inner[i] ? i : -1;
  };
  // The model px at (x, y), −1 off the usable card or in foil (misfit above maxMisfit).
  const pixelAt = (x: number, y: number): number => {
    const i = cardPixelAt(x, y);
    return i >= 0 && misfit && maxMisfit !== undefined && misfit[i] > maxMisfit ? -1 : i;
  };
  // Whether the scratch is the likeliest defect class at px i (a crossing crease's pixels are not).
  const scratchAt = (i: number): boolean => {
    for (let k = 2; k < C; k++) if (data[k * n + i] > data[n + i]) return false;
    return true;
  };
  const relief = small.reliefUm;
  const sidesPx = valleySidesMm.map((mm) => mm / frame.mmPerPx);
  // The groove at (x, y) across the unit normal (nx, ny), µm; NaN where a sample is off the usable card.
  const valleyAt = (x: number, y: number, nx: number, ny: number): number => {
    let line = Infinity, sides = 0;
    for (let o = -1; o <= 1; o++) {
      const i = cardPixelAt(x + nx * o, y + ny * o);
      if (i < 0) return NaN;
      line = Math.min(line, relief[i]);
    }
    for (const d of sidesPx) for (const sgn of [-1, 1]) {
      const i = cardPixelAt(x + nx * d * sgn, y + ny * d * sgn);
      if (i < 0) return NaN;
      sides += relief[i];
    }
    return sides / (2 * sidesPx.length) - line;
  };
  return candidates.map((c) => {
    if (c.defect.type !== 'scratch') return c;
    const [x0, y0, x1, y1] = c.axisPx;
    const len = Math.hypot(x1 - x0, y1 - y0);
    if (!(len > 0)) return c;
    const ux = (x1 - x0) / len, uy = (y1 - y0) / len, nx = -uy, ny = ux;
    const maxSteps = Math.floor(followMaxMm / frame.mmPerPx / stationPx);
    // Beyond one end (dir −1: before (x0, y0), +1: past (x1, y1)): the last station at the threshold where
    // the scratch is the likeliest class, as its point on the card (undefined: none), and the runs of such
    // stations (their first and last points: where the line is the scratch's own, not a crossing's).
    const reach = (dir: -1 | 1): { end: [number, number] | undefined; runs: [number, number, number, number][] } => {
      const ex = dir < 0 ? x0 : x1, ey = dir < 0 ? y0 : y1;
      const recent = new Float64Array(followWindow);
      let sum = 0, across = 0, end: [number, number] | undefined;
      const runs: [number, number, number, number][] = [];
      let run: [number, number, number, number] | undefined;
      for (let k = 1; k <= maxSteps; k++) {
        const t = k * stationPx;
        const cx = ex + ux * t * dir, cy = ey + uy * t * dir;
        // The best of the line and 1 px either side of where it was last seen, within the allowed drift.
        let best = -1, at = across, px = -1;
        for (let o = across - 1; o <= across + 1; o++) {
          if (Math.abs(o) > 1 + maxDrift * t) continue;
          const i = pixelAt(cx + nx * o, cy + ny * o);
          if (i >= 0 && 1 - data[i] > best) { best = 1 - data[i]; at = o; px = i; }
        }
        if (px < 0) break;
        across = at;
        sum += best - recent[k % followWindow];
        recent[k % followWindow] = best;
        // Judged once a whole window is in (a piece's end may sit in a dip of a station or two).
        if (k >= followWindow && sum / followWindow < followMeanProbability) break;
        // The scratch ends where it is last seen as a scratch: across a crease it goes on only if it is
        // seen again beyond.
        const p: [number, number] = [cx + nx * across, cy + ny * across];
        if (best >= threshold && scratchAt(px)) {
          end = p;
          if (run) { run[2] = p[0]; run[3] = p[1]; } else runs.push((run = [p[0], p[1], p[0], p[1]]));
        } else run = undefined;
      }
      return { end, runs: runs.filter((r) => Math.hypot(r[2] - r[0], r[3] - r[1]) >= 1 / frame.mmPerPx) };
    };
    // The piece's own groove: the median over its stations.
    const own: number[] = [];
    for (let t = 0; t <= len; t += stationPx) {
      const v = valleyAt(x0 + ux * t, y0 + uy * t, nx, ny);
      if (v === v) own.push(v);
    }
    own.sort((a, b) => a - b);
    const ownValley = own.length ? own[own.length >> 1] : NaN;
    // Beyond `from` (the probability's end, or the piece's) along the straight line while the groove goes
    // on: the last station whose groove is the piece's (followValleyShare to followValleyRatioMax times its
    // depth) before the median over the last window leaves that band. A foil's relief wanders by tens to
    // hundreds of µm from pixel to pixel, so its 'grooves' leave the band within a window, where a mean
    // could sit inside it by chance.
    const grooveEnd = (from: [number, number], dir: -1 | 1): [number, number] | undefined => {
      if (!(ownValley >= followMinValleyUm)) return undefined;
      const lo = followValleyShare * ownValley, hi = followValleyRatioMax * ownValley;
      const recent = new Float64Array(followWindow);
      const sorted = new Float64Array(followWindow);
      let end: [number, number] | undefined;
      for (let k = 1; k <= maxSteps; k++) {
        const cx = from[0] + ux * k * stationPx * dir, cy = from[1] + uy * k * stationPx * dir;
        const v = valleyAt(cx, cy, nx, ny);
        if (v !== v) break;
        recent[k % followWindow] = v;
        if (k >= followWindow) {
          sorted.set(recent);
          sorted.sort();
          const median = (sorted[(followWindow >> 1) - 1] + sorted[followWindow >> 1]) / 2;
          if (!(median >= lo && median <= hi)) break;
        }
        if (v >= lo && v <= hi) end = [cx, cy];
      }
      return end;
    };
    const ahead = reach(-1), past = reach(1);
    const before = grooveEnd(ahead.end ?? [x0, y0], -1) ?? ahead.end, after = grooveEnd(past.end ?? [x1, y1], 1) ?? past.end;
    if (!before && !after) return c;
    const axisPx: [number, number, number, number] = [...(before ?? [x0, y0]), ...(after ?? [x1, y1])] as [number, number, number, number];
    const total = Math.hypot(axisPx[2] - axisPx[0], axisPx[3] - axisPx[1]);
    const centerMm = frame.toCardMm((axisPx[0] + axisPx[2]) / 2, (axisPx[1] + axisPx[3]) / 2);
    const f = small.umPerPx / side.umPerPx; // side px per model px
    const xs = [axisPx[0], axisPx[2]].map((v) => (v + 0.5) * f), ys = [axisPx[1], axisPx[3]].map((v) => (v + 0.5) * f);
    const pad = Math.ceil((c.defect.widthMm / 2) * (1000 / side.umPerPx)) + 1;
    const boxPx: [number, number, number, number] = [
      Math.max(0, Math.min(c.defect.boxPx[0], Math.floor(Math.min(...xs)) - pad)), Math.max(0, Math.min(c.defect.boxPx[1], Math.floor(Math.min(...ys)) - pad)),
      Math.min(side.widthPx, Math.max(c.defect.boxPx[2], Math.ceil(Math.max(...xs)) + pad)), Math.min(side.heightPx, Math.max(c.defect.boxPx[3], Math.ceil(Math.max(...ys)) + pad)),
    ];
    const lengthMm = (total + 1) * frame.mmPerPx;
    // Its depth: the deepest of the piece's and of each run ≥ 1 mm beyond it that is the scratch's own (the
    // whole line's would take in a crease it crosses).
    let depthUm = c.defect.depthUm;
    for (const r of [...ahead.runs, ...past.runs]) {
      const d = lineDepthUm(side, r, c.defect.widthMm, small.umPerPx);
      if (d > depthUm) depthUm = d;
    }
    const defect = { ...c.defect, centerMm, lengthMm, boxPx, areaMm2: (c.defect.areaMm2 * lengthMm) / c.defect.lengthMm, depthUm };
    const corner = frame.cornerAt(centerMm);
    if (corner) defect.corner = corner;
    else delete defect.corner;
    return { ...c, defect, axisPx };
  });
}
