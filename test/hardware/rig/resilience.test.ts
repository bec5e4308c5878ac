// Unplug and firmware reset in the middle of a sequence, with the real firmware in simavr.
import t from 'tap';
import { startRig, eventually, litNow, sleep, type RigFixture } from '../../sim/rig/rig-fixture.ts';
import { oneLedPerStep } from '../../../src/hardware/rig/sequence-test.ts';
import { RigDriver, type RigHealth } from '../../../src/hardware/rig/driver.ts';
import { SIMULATED_INTER_BYTE_TIMEOUT_MS } from '../../../src/sim/rig/simulated-rig.ts';
import { EventBus } from '../../../src/core/events.ts';
import { publishRigStatus } from '../../../src/hardware/rig/status-bridge.ts';

let rig: RigFixture;
const states: string[] = [];
const bus = new EventBus();
const published: string[] = [];
bus.on('hardware.status', (e) => { published.push(`${e.data.device}:${e.data.state}`); });
t.before(async () => {
  rig = await startRig();
  rig.driver.onStatus((h: RigHealth) => states.push(h.state));
  publishRigStatus(rig.driver, bus);
});
t.teardown(async () => {
  await rig?.close();
});

// 24 steps of 60 ms: long enough to interrupt after a few steps.
const steps = oneLedPerStep({ level: 2000, settleUs: 20_000, triggerUs: 1000, exposureUs: 40_000 });

t.test('unplug mid-sequence: the run fails with GB_RIG_DISCONNECTED, the driver reconnects and restores its state', async (t) => {
  await rig.driver.setConfig({ hostTimeoutMs: 600 });
  await rig.driver.loadSequence(steps);
  const bootBefore = (await rig.driver.identify()).bootId;
  const reconnectsBefore = rig.driver.health().counters.reconnects;
  const gen = rig.driver.runSequence();
  const seen: number[] = [];
  const failure = await (async () => {
    try {
      for (let r = await gen.next(); !r.done; r = await gen.next()) {
        seen.push(r.value.step);
        if (seen.length === 3) rig.sim.unplug();
      }
    } catch (err) {
      return err as { code: string };
    }
    return undefined;
  })();
  t.equal(failure?.code, 'GB_RIG_DISCONNECTED', 'the sequence fails with a coded error');
  t.ok(seen.length >= 3 && seen.length < 24, `stopped after ${seen.length} steps`);
  t.ok(await eventually(() => rig.driver.health().state === 'disconnected', 3000), 'health says disconnected');
  // The firmware is alone now: its host timeout turns the LEDs off.
  t.ok(await eventually(() => litNow(rig.sim).every((l) => l === 0), 3000), 'LEDs off on the pins while unplugged');
  await sleep(300);
  await rig.sim.replug();
  t.ok(await eventually(() => rig.driver.health().state === 'connected', 8000), 'reconnected after replug');
  const health = rig.driver.health();
  t.equal(health.counters.reconnects, reconnectsBefore + 1, 'one reconnect counted');
  const status = await rig.driver.status();
  t.equal(status.stepsLoaded, steps.length, 'sequence re-uploaded');
  t.equal(status.hostTimeoutMs, 600, 'config re-applied');
  t.equal(status.faults, 0, 'the host-timeout fault left by the unplug was cleared at reconnect');
  t.equal((await rig.driver.identify()).bootId, bootBefore, 'no firmware reset happened');
  t.ok(states.includes('disconnected') && states.at(-1) === 'connected', `status changes were emitted: ${states.join(' → ')}`);
  t.ok(published.includes('rig:disconnected') && published.at(-1) === 'rig:connected', `published as hardware.status: ${published.join(' → ')}`);
  // And it works again.
  let n = 0;
  for await (const _ of rig.driver.runSequence()) {
    n++;
    if (n === 2) break; // leaving early aborts the sequence on the rig
  }
  t.ok(await eventually(() => litNow(rig.sim).every((l) => l === 0), 2000), 'LEDs off after leaving the loop early');
});

t.test('firmware reset mid-sequence: GB_RIG_RESET, LEDs off, re-identified with a new bootId, state restored', async (t) => {
  await rig.driver.loadSequence(steps);
  const bootBefore = rig.driver.health().identity?.bootId;
  const resets: number[] = [];
  const off = rig.sim.onReset((us) => resets.push(us));
  const gen = rig.driver.runSequence();
  let seen = 0;
  const failure = await (async () => {
    try {
      for (let r = await gen.next(); !r.done; r = await gen.next()) {
        if (++seen === 3) rig.sim.reset();
      }
    } catch (err) {
      return err as { code: string; message: string };
    }
    return undefined;
  })();
  // The RESET line comes through the harness's stdout, the BOOT event through the pty: either may be first.
  await eventually(() => resets.length > 0, 2000);
  off();
  t.equal(failure?.code, 'GB_RIG_RESET', `the sequence fails with GB_RIG_RESET (${failure?.message})`);
  t.equal(resets.length, 1, 'the MCU reset once');
  t.ok(await eventually(() => litNow(rig.sim).every((l) => l === 0), 1000), 'LEDs off after the reset');
  t.ok(await eventually(() => rig.driver.health().identity?.bootId !== bootBefore, 3000), 'driver re-identified: bootId changed');
  t.ok(await eventually(async () => (await rig.driver.status()).stepsLoaded === steps.length, 3000), 'sequence re-uploaded after the reset');
  t.equal((await rig.driver.status()).hostTimeoutMs, 600, 'config re-applied after the reset');
  t.equal(rig.driver.health().state, 'connected');
});

t.test('a reset while the driver connects (a real Arduino resets when its port opens) still ends configured', async (t) => {
  await rig.driver.stop();
  const driver = new RigDriver({ portFactory: () => rig.sim.portFactory()(), config: { hostTimeoutMs: 700 }, interByteTimeoutMs: SIMULATED_INTER_BYTE_TIMEOUT_MS });
  const boots: number[] = [];
  driver.onEvent((e) => e.kind === 'boot' && boots.push(e.bootId));
  await driver.start();
  t.teardown(() => driver.stop());
  await sleep(3);
  rig.sim.reset();
  await driver.ready(10_000);
  t.ok(await eventually(() => boots.length > 0, 3000), 'BOOT seen');
  t.ok(await eventually(async () => (await driver.status()).hostTimeoutMs === 700 && driver.health().identity?.bootId === boots.at(-1), 3000), 'config applied to the firmware as it runs after the reset, identity is the new boot');
  t.equal(driver.health().state, 'connected');
});
