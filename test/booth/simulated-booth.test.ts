import t from 'tap';
import { createSimulatedBooth } from '../../src/booth/simulated-booth.ts';
import { ensureSimBuilt } from '../../src/sim/rig/simulated-rig.ts';

let skip: string | false = false;
try {
  await ensureSimBuilt();
} catch (err) {
  skip = `simulated rig unavailable: ${(err as Error).message}`;
}

t.test('simulated booth: start, place scenes with truth, stop cleanly (twice)', { skip }, async (t) => {
  const booth = await createSimulatedBooth({ widthPx: 150, heightPx: 205, threads: 1 });
  t.equal(booth.rig.health().state, 'stopped', 'the constructor does nothing');
  await booth.start();
  t.teardown(() => booth.stop());
  t.equal(booth.camera.state, 'open');
  t.equal(booth.rig.health().state, 'connected');
  t.ok(booth.sim.rig.pid, 'simavr harness running');
  t.same([booth.widthPx, booth.heightPx], [150, 205]);
  t.ok(Math.abs(booth.intrinsics.cxPx - 75) < 1e-9 && booth.intrinsics.fxPx > 0, 'nominal intrinsics scaled to the size');
  const truth = await booth.sim.place({ kind: 'chrome-sphere', seed: 2 });
  t.equal(truth.kind, 'chrome-sphere');
  t.equal(booth.sim.placed?.placement.seed, 2);
  const card = await booth.sim.place({ kind: 'card', seed: 1, side: 'back' });
  t.equal(card.kind, 'card');
  await booth.stop();
  t.equal(booth.sim.rig.pid, undefined, 'harness ended');
  t.equal(booth.camera.state, 'closed');
  await booth.stop();
  t.pass('a second stop is harmless');
});
