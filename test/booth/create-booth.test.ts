import t from 'tap';
import { createBooth } from '../../src/booth/create-booth.ts';
import { validateSettings } from '../../src/config/load.ts';
import { ensureSimBuilt } from '../../src/sim/rig/simulated-rig.ts';

let skip: string | false = false;
try {
  await ensureSimBuilt();
} catch (err) {
  skip = `simulated rig unavailable: ${(err as Error).message}`;
}

t.test('the booth carries the card stock of the settings, and the simulated cards are made to it', { skip }, async (t) => {
  const settings = validateSettings({ booth: { card: { width_mm: 59, height_mm: 86, corner_radius_mm: 2.5, thickness_mm: 0.55 } } });
  const booth = await createBooth(settings, { sim: true, size: { widthPx: 150, heightPx: 205 } });
  t.teardown(() => booth.stop());
  t.same(booth.card, { widthMm: 59, heightMm: 86, cornerRadiusMm: 2.5, thicknessMm: 0.55 }, 'scan reads the card from the booth');
  t.match(booth.sim?.config.card, { widthMm: 59, heightMm: 86, cornerRadiusMm: 2.5, thicknessMm: 0.55 }, 'the simulator places cards of that stock');
});

t.test('default settings: the standard card (63.5 × 88.9 mm, 0.32 mm stock)', { skip }, async (t) => {
  const booth = await createBooth(validateSettings({}), { sim: true, size: { widthPx: 150, heightPx: 205 } });
  t.teardown(() => booth.stop());
  t.same(booth.card, { widthMm: 63.5, heightMm: 88.9, cornerRadiusMm: 3.2, thicknessMm: 0.32 });
});
