import t from 'tap';
import { parseHarnessLine } from '../../../src/sim/rig/harness-lines.ts';
import { measureSequence } from '../../../src/sim/rig/pin-trace.ts';
import type { RigPinEvent } from '../../../src/hardware/rig/pins.ts';

t.test('harness lines parse per the contract', async (t) => {
  t.same(parseHarnessLine('READY /tmp/x/tty'), { kind: 'ready', ptyPath: '/tmp/x/tty' });
  const levels = Array.from({ length: 24 }, (_, i) => i * 100);
  t.same(parseHarnessLine(`L 1234.500 ${levels.join(' ')}`), { kind: 'latch', timeUs: 1234.5, levels });
  t.same(parseHarnessLine('B 10.062 1'), { kind: 'blank', timeUs: 10.062, high: true });
  t.same(parseHarnessLine('T 99.000 0'), { kind: 'trigger', timeUs: 99, high: false });
  t.same(parseHarnessLine('S 5.000 1'), { kind: 'status', timeUs: 5, on: true });
  t.same(parseHarnessLine('RESET 77.125'), { kind: 'reset', timeUs: 77.125 });
  t.same(parseHarnessLine('ERR cannot open ELF'), { kind: 'error', message: 'cannot open ELF' });
  t.equal(parseHarnessLine('L 1.0 1 2 3').kind, 'other', 'a latch needs 24 levels');
  t.equal(parseHarnessLine('L 1.0 ' + new Array(24).fill(5000).join(' ')).kind, 'other', 'levels are 12-bit');
  t.equal(parseHarnessLine('T 1.0 2').kind, 'other');
  t.equal(parseHarnessLine('Loaded 11212 .text').kind, 'other');
});

t.test('measureSequence computes edge errors against the cumulative schedule', async (t) => {
  const steps = [
    { channels: [0], level: 100, settleUs: 1000, triggerUs: 100, exposureUs: 2000 },
    { channels: [1], level: 100, settleUs: 500, triggerUs: 50, exposureUs: 1000 },
  ];
  const l = (timeUs: number, ch: number): RigPinEvent => ({ kind: 'latch', timeUs, levels: Array.from({ length: 24 }, (_, i) => (i === ch ? 100 : 0)) });
  const tr = (timeUs: number, high: boolean, ch: number): RigPinEvent => ({ kind: 'trigger', timeUs, high, litLevels: Array.from({ length: 24 }, (_, i) => (i === ch && high ? 100 : 0)) });
  const events: RigPinEvent[] = [
    l(10_000, 0), tr(11_001, true, 0), tr(11_101, false, 0),
    l(13_002, 1), tr(13_498, true, 1), tr(13_548.5, false, 1), l(14_496, -1),
  ];
  const m = measureSequence(events, steps);
  t.ok(m);
  t.equal(m?.[0].riseErrUs, 1);
  t.equal(m?.[0].offErrUs, 2);
  t.equal(m?.[1].riseErrUs, -2);
  t.equal(m?.[1].fallErrUs, -1.5);
  t.equal(m?.[1].offErrUs, -4);
  t.equal(m?.[1].maxAbsErrUs, 4);
  t.ok(m?.every((s) => s.litMatches));
  t.equal(measureSequence(events.slice(0, 4), steps), undefined, 'incomplete trace');
});
