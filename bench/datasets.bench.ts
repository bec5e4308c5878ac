// Datasets for retraining on the booth (docs/fleet.md "Datasets"): building a scan side's manifest (every file
// read from the store, verified and hashed in chunks) and queueing its chunks into the outbox a window at a
// time (bytes read back from the store), for a side of 25 frames at the booth's 12 MP sensor size. No broker:
// these are the booth's own costs; the link's are the bandwidth cap's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { BenchResult, BenchSuite } from './bench.ts';
import { openDatabase } from '../src/storage/database.ts';
import { FileStore } from '../src/storage/file-store.ts';
import { buildScanDataset } from '../src/sync/dataset-manifest.ts';
import { DatasetUploader } from '../src/sync/dataset-uploader.ts';
import { storeFinishedScan } from '../test/sync/dataset-fixture.ts';

const rssMb = (): number => Math.round(process.memoryUsage().rss / 2 ** 20);

export const datasetsBench: BenchSuite = {
  name: 'datasets',
  async *run({ quick }): AsyncIterable<BenchResult> {
    // A 4000×3000 Mono16 frame as PNG of a textured card is ~12–18 MB; random bytes do not compress, so 12 MB each.
    const frameBytes = quick ? 2 * 2 ** 20 : 12 * 2 ** 20;
    const frames = 25;
    const dir = mkdtempSync(join(tmpdir(), 'gb-bench-datasets-'));
    const db = openDatabase(join(dir, 'db.sqlite'));
    const store = new FileStore(join(dir, 'store'));
    try {
      await store.init();
      const { scanId } = await storeFinishedScan(db, store, { barcode: 'BENCH-1', frames, frameBytes });
      const before = rssMb();
      let t0 = performance.now();
      const built = await buildScanDataset(db, store, scanId, { boothId: 'bench', chunkBytes: 2 ** 20 });
      const buildMs = performance.now() - t0;
      const mb = built.manifest.totalBytes / 2 ** 20;
      yield { name: 'dataset manifest (read, verify, hash in 1 MiB chunks)', ms: buildMs, extra: { files: built.manifest.files.length, chunks: built.chunks.length, MB: Math.round(mb), MBps: Math.round(mb / (buildMs / 1000)), manifestKB: Math.round(built.bytes.byteLength / 1024), rssGrowthMb: rssMb() - before } };

      const uploader = new DatasetUploader({
        db, store, boothId: 'bench', topicRoot: 'gradebooth/v1/bench',
        settings: { upload: 'on-request', chunk_bytes: 2 ** 20, window_bytes: 8 * 2 ** 20, reoffer_s: 3600 },
        logger: pino({ level: 'silent' }), kick: () => undefined, publishNow: async () => undefined, pumpMs: 3_600_000,
      });
      const offered = await uploader.offerScan(scanId, 'bench');
      const allChunks = db.prepare('SELECT DISTINCT sha256 FROM dataset_chunks WHERE dataset_id = ?').pluck().all(offered.id) as string[];
      uploader.repo.applyNeed(offered.id, allChunks, false);
      // Drain the outbox as a broker would acknowledge it, and refill the window until every chunk went out.
      t0 = performance.now();
      let windows = 0;
      for (;;) {
        uploader.pump();
        await uploader.settled();
        windows += 1;
        db.prepare("DELETE FROM outbox WHERE kind = 'dataset'").run();
        uploader.repo.markAcknowledged((sha) => `chunk:${sha}`);
        if ((uploader.repo.get(offered.id)?.chunks.needed ?? 0) === 0) break;
      }
      const queueMs = performance.now() - t0;
      yield { name: 'dataset chunks queued (8 MiB windows, read back from the store)', ms: queueMs, extra: { windows, MBps: Math.round(mb / (queueMs / 1000)), rssMb: rssMb() } };
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
