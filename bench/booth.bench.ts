// The simulated booth end to end: full calibration run, one-side capture (firmware in simavr + rendered
// camera), frame storage (25 × 16-bit PNG + rows), and a whole scan — at a working size and (not --quick)
// at half the sensor size. Figures include the accuracy against the simulator, for context.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult, BenchSuite } from './bench.ts';
import { createBooth } from '../src/booth/create-booth.ts';
import { captureSide } from '../src/capture/sequencer.ts';
import { storeSideCapture } from '../src/capture/frame-store.ts';
import { loadSettings } from '../src/config/load.ts';
import { openDatabase } from '../src/storage/database.ts';
import { FileStore } from '../src/storage/file-store.ts';
import { EventBus } from '../src/core/events.ts';
import { createBoothJobs } from '../src/booth-jobs.ts';

export const boothBench: BenchSuite = {
  name: 'booth',
  async *run({ quick }): AsyncIterable<BenchResult> {
    const sizes = quick ? [[750, 1024]] : [[750, 1024], [1500, 2048]];
    for (const [width, height] of sizes) {
      const dir = mkdtempSync(join(tmpdir(), 'gb-bench-booth-'));
      const { settings } = loadSettings({ dataDir: dir, env: {} });
      const booth = await createBooth(settings, { sim: true, size: { widthPx: width, heightPx: height } });
      const db = openDatabase(join(dir, 'db.sqlite'));
      const store = new FileStore(join(dir, 'store'));
      try {
        await store.init();
        await booth.start();
        const { runner } = createBoothJobs({ booth, db, store, bus: new EventBus(), settings, ownJobsOnly: true });
        await runner.start();
        let t0 = performance.now();
        const calJob = await runner.wait((await runner.submit('calibration', {})).id);
        const cal = calJob.result as { pass: boolean; lightPositionErrorMm: number | null; verifyNormalErrorDeg: number };
        yield { name: 'calibrate run (8 captures + all procedures)', width, height, lights: 24, ms: performance.now() - t0, extra: { pass: String(cal.pass), ledErrorMm: Number((cal.lightPositionErrorMm ?? NaN).toFixed(3)), verifyNormalDeg: Number(cal.verifyNormalErrorDeg.toFixed(3)) } };
        await booth.sim?.place({ kind: 'card', seed: 7 });
        const captures: number[] = [];
        const stores: number[] = [];
        for (let i = 0; i < 3; i++) {
          t0 = performance.now();
          const cap = await captureSide(booth, { exposureUs: 7600 });
          captures.push(performance.now() - t0);
          const now = new Date().toISOString();
          t0 = performance.now();
          await storeSideCapture(db, store, cap, { scanId: `bench-${i}` }, (d) => {
            d.prepare("INSERT INTO jobs (id, kind, state, created_at, updated_at) VALUES (?, 'scan', 'running', ?, ?)").run(`bench-${i}`, now, now);
            d.prepare("INSERT INTO scans (id, job_id, side, created_at) VALUES (?, ?, 'front', ?)").run(`bench-${i}`, `bench-${i}`, now);
          });
          stores.push(performance.now() - t0);
          cap.release();
        }
        const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1];
        yield { name: 'capture one side (dark + 24 LEDs, bases cached)', width, height, lights: 24, ms: median(captures) };
        yield { name: 'store one side (25 × 16-bit PNG + rows, one transaction)', width, height, lights: 24, ms: median(stores) };
        t0 = performance.now();
        const scanJob = await runner.wait((await runner.submit('scan', { barcode: `BENCH-${width}`, simSeed: 7 })).id);
        const scan = (scanJob.result as { sides: Array<{ normalErrorDeg: number | null; timingsMs: Record<string, number> }> }).sides[0];
        yield { name: 'scan job end to end (queue + place + capture + store + reconstruct + publish)', width, height, lights: 24, ms: performance.now() - t0, extra: { normalErrorDeg: Number((scan.normalErrorDeg ?? NaN).toFixed(3)), ...Object.fromEntries(Object.entries(scan.timingsMs).map(([k, v]) => [`${k}Ms`, Math.round(v)])) } };
        await runner.stop();
      } finally {
        await booth.stop();
        db.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  },
};
