// The LED API against the real firmware running in simavr.
import t, { type Test } from 'tap';
import { startRig, eventually, litNow, type RigFixture } from '../../sim/rig/rig-fixture.ts';
import { oneLedPerStep } from '../../../src/hardware/rig/sequence-test.ts';
import { measureSequence } from '../../../src/sim/rig/pin-trace.ts';
import type { SeqDoneEvent, SequenceStep, StepDoneEvent } from '../../../src/hardware/rig/codecs.ts';


let rig: RigFixture;
t.before(async () => {
  rig = await startRig();
});
t.teardown(async () => {
  await rig?.close();
});

t.test('identify reports 24 channels, protocol 1 and the capabilities', async (t) => {
  const id = await rig.driver.identify();
  t.equal(id.channels, 24);
  t.equal(id.protocolVersion, 1);
  t.match(id.firmwareVersion, /^\d+\.\d+\.\d+$/);
  t.equal(id.maxSteps, 48);
  t.equal(id.maxPayload, 64);
  t.equal(id.clockHz, 16_000_000);
  t.equal(id.geometryBytes, 768);
  t.ok(id.capabilities.sequence, 'sequence capability');
  t.equal(rig.driver.health().state, 'connected');
});

t.test('setLevels latches exactly those levels on the pins; allOff clears them', async (t) => {
  const levels = Array.from({ length: 24 }, (_, n) => (n * 173 + 11) % 4096);
  await rig.driver.setLevels(levels);
  t.ok(await eventually(() => litNow(rig.sim).join() === levels.join(), 2000), 'pins show the levels with BLANK low');
  const status = await rig.driver.status();
  t.same(status.levels, levels, 'status reports the latched levels');
  t.equal(status.state, 'idle');
  await rig.driver.allOff();
  t.ok(await eventually(() => litNow(rig.sim).every((l) => l === 0), 2000), 'pins dark after allOff');
});

t.test('serial and geometry are stored in EEPROM and read back', async (t) => {
  await rig.driver.setSerial('GB-TEST-0042');
  t.equal((await rig.driver.identify()).serial, 'GB-TEST-0042');
  const blob = Buffer.from(JSON.stringify({ leds: Array.from({ length: 6 }, (_, i) => [i * 10.5, -i, 200]) }));
  await rig.driver.writeGeometry(0, blob);
  t.equal((await rig.driver.readGeometry(0, blob.length)).toString(), blob.toString(), `${blob.length} bytes over several frames`);
});

t.test('temperature from the simulated thermistor', async (t) => {
  rig.sim.setTemperature(31.5);
  t.ok(await eventually(async () => {
    const s = await rig.driver.status();
    return s.tempC !== null && Math.abs(s.tempC - 31.5) < 1;
  }, 3000), 'status temperature within 1 °C of the simulated 31.5 °C');
  rig.sim.setTemperature(25);
});

async function checkTiming(t: Test, steps: SequenceStep[]): Promise<void> {
  await rig.driver.loadSequence(steps);
  rig.trace.clear();
  const events: StepDoneEvent[] = [];
  const gen = rig.driver.runSequence();
  let r: IteratorResult<StepDoneEvent, SeqDoneEvent>;
  try {
    r = await gen.next();
    while (!r.done) {
      events.push(r.value);
      r = await gen.next();
    }
  } finally {
    t.comment(`link counters: ${JSON.stringify(rig.driver.health().counters)}`);
  }
  t.equal(r.value.steps, steps.length);
  t.equal(r.value.aborted, false);
  t.same(events.map((e) => e.step), steps.map((_, i) => i), 'a STEP_DONE for every step, in order');
  for (const e of events) {
    t.ok(Math.abs(e.latenessUs) <= 20, `step ${e.step}: firmware lateness ${e.latenessUs} µs`);
    const want = steps[e.step].channels.length ? steps[e.step].settleUs + steps[e.step].exposureUs : 0;
    t.ok(Math.abs(e.onUs - want) <= 20, `step ${e.step}: onUs ${e.onUs} vs ${want}`);
  }
  let timing = measureSequence(rig.trace.events, steps);
  if (!timing) {
    await eventually(() => (timing = measureSequence(rig.trace.events, steps)) !== undefined, 2000);
  }
  t.ok(timing, 'pin trace holds every edge');
  let worst = 0;
  for (const s of timing ?? []) {
    worst = Math.max(worst, s.maxAbsErrUs);
    t.ok(s.maxAbsErrUs <= 20, `step ${s.step}: rise ${s.riseErrUs.toFixed(3)}, fall ${s.fallErrUs.toFixed(3)}, off ${s.offErrUs.toFixed(3)} µs`);
    t.ok(s.litMatches, `step ${s.step}: the camera saw exactly the step's LEDs at the trigger`);
  }
  t.comment(`worst pin timing error ${worst.toFixed(3)} µs over ${steps.length} steps`);
  t.ok(litNow(rig.sim).every((l) => l === 0), 'LEDs off after the sequence');
}

t.test('sequence timing on the simulated pins is within ±20 µs of what was asked', async (t) => {
  const steps = oneLedPerStep({ level: 3000, settleUs: 1500, triggerUs: 300, exposureUs: 2500 });
  steps[9] = { ...steps[9], channels: [], level: 0 };
  steps[13] = { ...steps[13], triggerUs: 2500, exposureUs: 2500 };
  steps[17] = { ...steps[17], settleUs: 40 };
  await checkTiming(t, steps);
});

t.test('sequence timing with settleUs = 0 (trigger at the latch)', async (t) => {
  const steps = oneLedPerStep({ level: 3000, settleUs: 1000, triggerUs: 300, exposureUs: 1500 }).slice(0, 6);
  steps[3] = { ...steps[3], settleUs: 0 };
  await checkTiming(t, steps);
});

t.test('commands refused by the firmware fail with the NAK reason, not a retry', async (t) => {
  const steps = oneLedPerStep({ level: 100, settleUs: 20_000, triggerUs: 100, exposureUs: 20_000 });
  await rig.driver.loadSequence(steps);
  const gen = rig.driver.runSequence();
  const first = await gen.next();
  t.equal(first.done, false);
  // Rejected with the reason at once: a NAK ends the command (a retry would end in GB_RIG_TIMEOUT).
  await t.rejects(rig.driver.setLevels(new Array(24).fill(1)), { code: 'GB_RIG_REJECTED', details: { reason: 'BUSY' } });
  await rig.driver.abort();
  await t.rejects(async () => {
    for (let r = await gen.next(); !r.done; r = await gen.next());
  }, { code: 'GB_RIG_SEQUENCE_ABORTED' });
  t.ok(await eventually(() => litNow(rig.sim).every((l) => l === 0), 2000), 'LEDs off after abort');
});
