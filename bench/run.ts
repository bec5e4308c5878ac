// `npm run bench [-- --json] [-- --quick] [-- --only NAME] [-- --models DIR]`: prints benchmark figures. Human-readable by
// default; with --json one JSON object per line: {"name","width","height","lights","ms",...}.
import { parseArgs } from 'node:util';
import type { BenchSuite } from './bench.ts';
import { simBench } from './sim.bench.ts';
import { rigBench } from './rig.bench.ts';
import { visionSuite } from './vision.bench.ts';
import { calibrationBench } from './calibration.bench.ts';
import { boothBench } from './booth.bench.ts';
import { gradingBench } from './grading.bench.ts';
import { cameraBench } from './camera.bench.ts';
import { datasetsBench } from './datasets.bench.ts';

// Suites are listed explicitly; add one by importing it here.
const suites: BenchSuite[] = [simBench, rigBench, visionSuite, calibrationBench, boothBench, gradingBench, cameraBench, datasetsBench];

const { values } = parseArgs({
  options: { json: { type: 'boolean' }, quick: { type: 'boolean' }, only: { type: 'string' }, models: { type: 'string' } },
});

for (const suite of suites) {
  if (values.only && !suite.name.includes(values.only)) continue;
  if (!values.json) process.stdout.write(`# ${suite.name}\n`);
  for await (const r of suite.run({ quick: values.quick === true, modelsDir: values.models })) {
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ name: r.name, width: r.width, height: r.height, lights: r.lights, ms: Math.round(r.ms * 100) / 100, ...r.extra })}\n`);
    } else {
      const size = r.width && r.height ? ` ${r.width}×${r.height}` : '';
      const lights = r.lights ? ` × ${r.lights} lights` : '';
      const extra = r.extra ? `  ${Object.entries(r.extra).map(([k, v]) => `${k}=${v}`).join(' ')}` : '';
      process.stdout.write(`${r.name}${size}${lights}: ${Number.isFinite(r.ms) ? `${r.ms.toFixed(1)} ms (median)` : 'not run'}${extra}\n`);
    }
  }
}
