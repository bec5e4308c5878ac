import t from 'tap';
import { loadBoothGeometry } from '../../../src/geometry/booth-geometry.ts';
import { buildHelperReady, setBuildHelperEnabled } from '../../../src/sim/scenes/build-helper.ts';
import { buildCardScene } from '../../../src/sim/scenes/card.ts';
import { loadSceneConfig } from '../../../src/geometry/targets.ts';
import type { SurfaceMaps } from '../../../src/sim/scenes/surface-maps.ts';

const geometry = await loadBoothGeometry();
const config = await loadSceneConfig();

function build(seed: number, side: 'front' | 'back'): SurfaceMaps {
  return buildCardScene({ seed, side, spec: config.card, tray: geometry.tray, pitchMm: 0.06, foil: seed % 2 === 0 }).scene.surface!.maps;
}

t.test('a card drawn on two threads equals the card drawn on one', async (t) => {
  setBuildHelperEnabled(false);
  const single = [build(3, 'front'), build(4, 'back')];
  setBuildHelperEnabled(true);
  const t0 = Date.now();
  while (!buildHelperReady() && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
  t.ok(buildHelperReady(), 'the helper thread loaded');
  const split = [build(3, 'front'), build(4, 'back')];
  for (const [k, a] of single.entries()) {
    const b = split[k];
    for (const key of ['height', 'albedo', 'roughness', 'specularF0', 'cover', 'label', 'slopeU', 'slopeV'] as const) {
      const x = a[key];
      const y = b[key];
      let diff = 0;
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) diff++;
      t.equal(diff, 0, `card ${k}: ${key} identical`);
    }
  }
});
