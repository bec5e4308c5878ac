import { randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../../src/storage/database.ts';
import type { FileStore } from '../../src/storage/file-store.ts';
import { CalibrationRepository } from '../../src/storage/calibrations.ts';
import { CardRepository } from '../../src/storage/cards.ts';
import { FrameRepository } from '../../src/storage/frames.ts';
import { GradeRepository } from '../../src/storage/grades.ts';
import { ScanRepository } from '../../src/storage/scans.ts';

/**
 * A finished, graded scan side written through the booth's own repositories (as a scan job does), with
 * frames of random bytes (incompressible, so chunk counts are what the sizes say). `calibrationId` reuses a
 * calibration record (scans of one booth share them); without it a new one is saved.
 */
export async function storeFinishedScan(
  db: Db,
  store: FileStore,
  options: { barcode: string; side?: 'front' | 'back'; frames?: number; frameBytes?: number; calibrationId?: string; graded?: boolean },
): Promise<{ scanId: string; jobId: string; calibrationId: string; fileShas: string[] }> {
  const side = options.side ?? 'front';
  const calibrations = new CalibrationRepository(db, store);
  const calibrationId = options.calibrationId ?? (await calibrations.save({ procedure: 'lights', passed: true, figures: { rmsDeg: 0.4 }, data: { lights: Array.from({ length: 8 }, (_, i) => [i, 0, 1]) }, validForMs: 86_400_000 })).id;
  const cardId = new CardRepository(db).ensure(options.barcode);
  const jobId = randomUUID();
  const now = new Date().toISOString();
  db.prepare("INSERT INTO jobs (id, kind, card_id, state, created_at, updated_at) VALUES (?, 'scan', ?, 'done', ?, ?)").run(jobId, cardId, now, now);
  const scanId = randomUUID();
  const scans = new ScanRepository(db);
  scans.create({ id: scanId, jobId, cardId, side, calibrations: { lights: calibrationId } });
  const fileShas: string[] = [];
  const put = async (bytes: Buffer, mediaType: string): Promise<string> => {
    const p = await store.put(bytes);
    db.prepare('INSERT OR IGNORE INTO blobs (sha256, size_bytes, media_type, created_at) VALUES (?, ?, ?, ?)').run(p.sha256, p.sizeBytes, mediaType, now);
    fileShas.push(p.sha256);
    return p.sha256;
  };
  const frames = [];
  for (let i = 0; i < (options.frames ?? 3); i++) {
    const sha = await put(randomBytes(options.frameBytes ?? 200_000), 'image/png');
    frames.push({ lightIndex: i, ledChannel: i, exposureUs: 20_000, gainDb: 0, width: 375, height: 512, pixelFormat: 'Mono16', sha256: sha, path: `${sha.slice(0, 2)}/${sha.slice(2)}`, timestampUs: i * 1000, meta: {} });
  }
  new FrameRepository(db).insertMany({ scanId }, frames);
  const maps = { normals: await put(randomBytes(150_000), 'image/png'), albedo: await put(randomBytes(80_000), 'image/png'), depth: await put(randomBytes(120_000), 'image/x-portable-floatmap') };
  db.transaction(() => scans.complete(scanId, maps, { lights: 3 }))();
  if (options.graded !== false) {
    await new GradeRepository(db, store).save({
      cardId, jobId, overall: 8.5, centering: 9, corners: 8.5, edges: 9, surface: 8.5, score1000: 850,
      report: { name: 'report.json', mediaType: 'application/json', bytes: Buffer.from(JSON.stringify({ barcode: options.barcode, grade: 8.5 })) },
      defects: [{ side, category: 'surface', kind: 'scratch', xMm: 4.2, yMm: -11, lengthMm: 6, widthMm: 0.2, depthUm: 9, severity: 0.3 }],
    });
  }
  return { scanId, jobId, calibrationId, fileShas };
}
