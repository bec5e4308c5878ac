// The fast subset of the fault suite (npm run faults runs the full one): a few kill -9s, rig faults,
// malformed requests, refused handshakes, token guessing, a slow body, SIGTERM under load, a corrupt database.
import t from 'tap';
import { ensureSimBuilt } from '../../src/sim/rig/simulated-rig.ts';
import { runFaultSuite, scales, summaryLine } from './fault-suite.ts';

let skip: string | false = false;
try {
  await ensureSimBuilt();
} catch (err) {
  skip = `simulated rig unavailable: ${(err as Error).message}`;
}

t.test('fault suite (fast subset): nothing lost, nothing stuck, nothing leaked, still serving', { skip }, async (t) => {
  const f = await runFaultSuite(scales.fast, (line) => t.comment(line));
  t.comment(summaryLine(f));
  t.ok(f.faultsInjected > 400, 'faults were injected');
  t.equal(f.dataLost, 0, 'data lost');
  t.equal(f.jobsStuck, 0, 'jobs stuck');
  t.equal(f.orphanFiles, 0, 'orphan files');
  t.equal(f.fdsLeaked, 0, 'fds leaked');
  t.equal(f.serverErrors, 0, 'server errors');
  t.equal(f.unanswered, 0, 'unanswered requests');
  t.equal(f.serving, true, 'daemon serving');
  t.same(f.problems, [], 'no problem found (each names the fault and what was wrong)');
});
