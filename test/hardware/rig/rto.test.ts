import t from 'tap';
import { RtoEstimator, INITIAL_RTO_MS, MIN_RTO_MS, MAX_RTO_MS } from '../../../src/hardware/rig/rto.ts';
import { Mutex } from '../../../src/hardware/rig/mutex.ts';
import { SequenceRun } from '../../../src/hardware/rig/sequence-run.ts';
import { createError } from '../../../src/core/errors.ts';

t.test('RTO follows RFC 6298: first sample, smoothing, clamps, backoff', async (t) => {
  const rto = new RtoEstimator();
  t.equal(rto.currentMs, INITIAL_RTO_MS);
  rto.sample(20); // SRTT 20, RTTVAR 10 → 60
  t.equal(rto.currentMs, 60);
  rto.sample(20); // RTTVAR 7.5, SRTT 20 → 50
  t.equal(rto.currentMs, 50);
  for (let i = 0; i < 50; i++) rto.sample(1);
  t.equal(rto.currentMs, MIN_RTO_MS, 'clamped to the minimum');
  rto.backoff();
  t.equal(rto.currentMs, 2 * MIN_RTO_MS, 'backoff doubles');
  for (let i = 0; i < 20; i++) rto.backoff();
  t.equal(rto.currentMs, MAX_RTO_MS, 'clamped to the maximum');
  t.equal(rto.timeoutMs(2), 4 * MAX_RTO_MS, 'doubled per retransmission of one command');
  rto.sample(5000);
  t.equal(rto.currentMs, MAX_RTO_MS);
});

t.test('mutex serialises', async (t) => {
  const m = new Mutex();
  const order: string[] = [];
  const job = async (name: string, ms: number) => {
    const release = await m.acquire();
    order.push(`${name}+`);
    await new Promise((r) => setTimeout(r, ms));
    order.push(`${name}-`);
    release();
  };
  await Promise.all([job('a', 20), job('b', 1), job('c', 5)]);
  t.same(order, ['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
  t.equal(m.busy, false);
});

t.test('sequence run delivers steps in order and holds SEQ_DONE for a late step', async (t) => {
  const run = new SequenceRun();
  const step = (n: number) => ({ kind: 'stepDone' as const, step: n, triggerUs: n, latenessUs: 0, onUs: 1 });
  run.push(step(0));
  run.push(step(2));
  run.push({ kind: 'seqDone', steps: 3, aborted: false, faults: 0 });
  t.equal(((await run.next(100, 'x')) as { step: number }).step, 0);
  setTimeout(() => run.push(step(1)), 30);
  t.equal(((await run.next(100, 'x')) as { step: number }).step, 1, 'waits for the retransmitted step');
  t.equal(((await run.next(100, 'x')) as { step: number }).step, 2);
  t.match(await run.next(100, 'x'), { kind: 'seqDone', steps: 3 });
  const lost = new SequenceRun();
  lost.push({ kind: 'seqDone', steps: 1, aborted: false, faults: 0x10 });
  await t.rejects(lost.next(100, 'x'), { code: 'GB_RIG_PROTOCOL' }, 'a step that never arrives is an error, not silence');
  const timeout = new SequenceRun();
  await t.rejects(timeout.next(20, 'STEP_DONE 0'), { code: 'GB_RIG_TIMEOUT' });
  const failed = new SequenceRun();
  setTimeout(() => failed.fail(createError('GB_RIG_RESET', 'reset')), 10);
  await t.rejects(failed.next(1000, 'x'), { code: 'GB_RIG_RESET' });
});
