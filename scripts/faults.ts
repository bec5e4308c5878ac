// `npm run faults`: the full fault suite against a real daemon on the simulated booth (see
// test/faults/fault-suite.ts). Prints a line per phase, then one summary line of counts; exits 1 when data
// was lost, a job was stuck, a descriptor leaked, the daemon answered 5xx or stopped serving.
import { runFaultSuite, scales, summaryLine } from '../test/faults/fault-suite.ts';

const scaleName = process.argv.includes('--fast') ? 'fast' : 'full';
const figures = await runFaultSuite(scales[scaleName], (line) => process.stdout.write(`  ${line}\n`));
for (const p of figures.problems) process.stdout.write(`  problem: ${p}\n`);
process.stdout.write(`${summaryLine(figures)}\n`);
const ok = figures.dataLost === 0 && figures.jobsStuck === 0 && figures.orphanFiles === 0 && figures.fdsLeaked === 0 && figures.serverErrors === 0 && figures.unanswered === 0 && figures.serving && figures.problems.length === 0;
process.exitCode = ok ? 0 : 1;
