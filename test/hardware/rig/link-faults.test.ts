// Fault injection on the link: a proxy between the driver and the real pty drops, duplicates, corrupts
// and delays frames and adds garbage; the real firmware runs in simavr on the other side.
import t, { type Test } from 'tap';
import { startRig, type RigFixture } from '../../sim/rig/rig-fixture.ts';
import { seededRandom, type FaultPolicy } from './fault-proxy.ts';
import type { RigCounters } from '../../../src/hardware/rig/link.ts';
import type { SequenceStep } from '../../../src/hardware/rig/codecs.ts';

const pass: FaultPolicy = () => 'pass';
let current: FaultPolicy = pass;
let rig: RigFixture;

t.before(async () => {
  rig = await startRig({ policy: (d, f, i) => current(d, f, i) });
});
t.teardown(async () => {
  current = pass;
  await rig?.close();
});

// 25 ms steps keep these mixed-fault runs at real-time speed on a loaded machine: the firmware holds at most
// 8 unacknowledged events, so the host must acknowledge within about 8 steps. Short steps under event loss
// are covered by short-steps.test.ts.
const steps: SequenceStep[] = Array.from({ length: 8 }, (_, i) => ({ channels: [i * 3], level: 1000 + i, settleUs: 10_000, triggerUs: 200, exposureUs: 15_000 }));

/** Commands and a sequence under the current faults; returns the counter deltas. */
async function exercise(t: Test, label: string, commands = 20): Promise<RigCounters> {
  const before = rig.driver.health().counters;
  const random = seededRandom(commands * 7 + label.length);
  for (let i = 0; i < commands; i++) {
    const levels = Array.from({ length: 24 }, () => Math.floor(random() * 4096));
    await rig.driver.setLevels(levels);
    const status = await rig.driver.status();
    if (status.levels.join() !== levels.join()) t.fail(`${label}: command ${i}: status levels differ from what was set`);
  }
  await rig.driver.allOff();
  const id = await rig.driver.identify();
  t.equal(id.channels, 24, `${label}: identify still answers`);
  await rig.driver.loadSequence(steps);
  const seen: number[] = [];
  const gen = rig.driver.runSequence();
  let r = await gen.next();
  while (!r.done) {
    seen.push(r.value.step);
    r = await gen.next();
  }
  t.same(seen, [0, 1, 2, 3, 4, 5, 6, 7], `${label}: every STEP_DONE exactly once, in order`);
  t.equal(r.value.aborted, false, `${label}: sequence completed`);
  t.equal(rig.driver.health().state, 'connected', `${label}: still connected`);
  const after = rig.driver.health().counters;
  const delta = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - before[k as keyof RigCounters]])) as unknown as RigCounters;
  t.comment(`${label}: ${JSON.stringify(delta)}`);
  return delta;
}

t.test('dropped frames in both directions are recovered by retransmission', async (t) => {
  // Seeded random rather than every n-th frame: the firmware re-sends unacknowledged events in bursts,
  // and a periodic pattern can hit the same event at every retry.
  const random = seededRandom(11);
  current = () => (random() < 0.12 ? 'drop' : 'pass');
  const d = await exercise(t, 'dropped');
  t.ok(d.retransmits > 0, 'retransmissions happened');
  t.equal(d.timeouts, 0, 'no command gave up');
  t.equal(d.reconnects, 0, 'no reconnect needed');
});

t.test('duplicated frames are harmless: commands run once, events are delivered once', async (t) => {
  current = (dir, _f, i) => (dir === 'toHost' || i % 3 === 0 ? 'duplicate' : 'pass');
  const d = await exercise(t, 'duplicated');
  t.ok(d.eventsDuplicated > 0, 'duplicate events recognised');
  t.ok(d.staleResponses > 0, 'duplicate responses ignored');
});

t.test('corrupted frames are dropped by CRC; the firmware NAKs ours and we resend at once', async (t) => {
  const random = seededRandom(5);
  current = () => (random() < 0.12 ? 'corrupt' : 'pass');
  const d = await exercise(t, 'corrupted');
  t.ok(d.crcErrors > 0, 'host counted CRC errors');
  t.ok(d.naks > 0, 'firmware NAKed corrupted commands');
  t.ok(d.retransmits > 0, 'retransmissions happened');
  t.equal(d.timeouts, 0);
});

t.test('delayed frames (longer than the RTO) do not confuse response matching', async (t) => {
  const random = seededRandom(42);
  current = (dir) => (random() < 0.3 ? { delayMs: dir === 'toHost' ? 20 + random() * 60 : 5 + random() * 20 } : 'pass');
  const d = await exercise(t, 'delayed');
  t.equal(d.timeouts, 0);
});

t.test('garbage on the line in both directions is skipped by resynchronisation', async (t) => {
  const random = seededRandom(7);
  current = (_dir, _f, i) => (i % 3 === 0 ? { garbage: Buffer.from(Array.from({ length: 1 + Math.floor(random() * 12) }, (_, k) => (k === 0 ? 0xa5 : Math.floor(random() * 256)))) } : 'pass');
  const d = await exercise(t, 'garbage');
  t.ok(d.garbageBytes > 0, 'garbage bytes counted');
  t.equal(d.timeouts, 0);
});

t.test('all faults at once', async (t) => {
  const random = seededRandom(2024);
  current = (dir) => {
    const x = random();
    if (x < 0.06) return 'drop';
    if (x < 0.12) return 'duplicate';
    if (x < 0.18) return 'corrupt';
    if (x < 0.24) return { delayMs: dir === 'toHost' ? 30 : 10 };
    if (x < 0.3) return { garbage: Buffer.from([0xa5, 0x03, 0x11]) };
    return 'pass';
  };
  const d = await exercise(t, 'mixed', 30);
  t.equal(d.timeouts, 0);
  current = pass;
});
