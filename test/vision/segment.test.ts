import t from 'tap';
import { segmentCard, standardCard } from '../../src/vision/segment.ts';
import { roundedRectMask, warpToCanonical } from '../../src/vision/rectify.ts';
import { renderCardImage } from './card-render.ts';

const cases = [
  { name: 'upright, centred', angleDeg: 0, cx: 500, cy: 500, seed: 1 },
  { name: 'rotated 7°, offset', angleDeg: 7, cx: 470, cy: 530, seed: 2 },
  { name: 'rotated −23°', angleDeg: -23, cx: 520, cy: 490, seed: 3 },
  { name: 'lying sideways (95°)', angleDeg: 95, cx: 500, cy: 500, seed: 4 },
  { name: 'dark card on a bright background', angleDeg: 12, cx: 500, cy: 505, seed: 5, darkCard: true },
  // The light border is a thin ring (its dark keyline cuts it off from the dark print): the card, not the
  // print frame inside it, even when the scale guess is 10% high (the frame's area then fits it better).
  { name: 'light border ring, dark keyline and dark print', angleDeg: 3, cx: 500, cy: 500, seed: 6, keyline: true },
  // A holo foil's glints outshine a grey card by more than the card outshines the tray: one Otsu threshold
  // on the max over lights split foil from card and tray (a simulated holo card back: GB_VISION_FAILED).
  { name: 'grey card with a bright holo foil over a third of it', angleDeg: -4, cx: 505, cy: 495, seed: 7, holo: true },
];

for (const c of cases) {
  t.test(`card corners within 0.5 px: ${c.name}`, async (t) => {
    const umPerPx = 120;
    const img = renderCardImage({ width: 1000, height: 1000, umPerPx, angleDeg: c.angleDeg, cx: c.cx, cy: c.cy, seed: c.seed, darkCard: c.darkCard, keyline: c.keyline, holo: c.holo });
    const outline = segmentCard([img.data], img.width, img.height, { umPerPx: umPerPx * 1.1 });
    let worst = 0;
    for (let k = 0; k < 4; k++) {
      // The canonical orientation may differ from the renderer's by a half turn; match to the nearest.
      const d = Math.min(...img.corners.map((g) => Math.hypot(g[0] - outline.corners[k][0], g[1] - outline.corners[k][1])));
      worst = Math.max(worst, d);
    }
    const res = outline.sides.map((s) => s.residualPx.toFixed(3)).join(', ');
    t.comment(`worst corner error ${worst.toFixed(3)} px; side residuals ${res} px; radii ${outline.cornerRadiiPx.map((r) => r.toFixed(1)).join(', ')} px (true ${img.radiusPx.toFixed(1)}); scale ${outline.umPerPx.toFixed(2)} µm/px`);
    t.ok(worst < 0.5, 'corners within 0.5 px');
    t.ok(Math.abs(outline.umPerPx - umPerPx) < 0.5, 'scale measured within 0.5 µm/px');
    for (const r of outline.cornerRadiiPx) t.ok(Math.abs(r - img.radiusPx) < 0.2 * img.radiusPx, `corner radius ${r.toFixed(1)} within 20%`);
    // Upright canonical: top-left corner is the one with the smallest x + y for near-upright cards.
    if (Math.abs(c.angleDeg) < 45) {
      const tl = outline.corners[0];
      t.ok(outline.corners.every((q) => q[0] + q[1] >= tl[0] + tl[1] - 1e-6), 'corner 0 is the top-left');
    }
    // The canonical card image: inside the rounded rectangle it is card, the border is the card's white.
    const canon = warpToCanonical(img.data, img.width, img.height, 1, outline.canonicalToImage, outline.canonicalWidth, outline.canonicalHeight);
    const mask = roundedRectMask(outline.canonicalWidth, outline.canonicalHeight, (standardCard.cornerRadiusMm * 1000) / outline.canonicalUmPerPx);
    const cw = outline.canonicalWidth;
    let border = 0, n = 0;
    for (let y = 5; y < outline.canonicalHeight - 5; y += 3) for (const x of [3, cw - 4]) if (mask[y * cw + x]) { border += canon[y * cw + x]; n++; }
    t.ok(Math.abs(border / n - img.cardBorderLevel) < 0.05 * img.cardBorderLevel, 'canonical border samples are card border');
  });
}

t.test('no card in view', async (t) => {
  const data = new Float32Array(300 * 300).fill(0.2);
  t.throws(() => segmentCard([data], 300, 300, { umPerPx: 120 }), { code: 'GB_VISION_FAILED' });
});
