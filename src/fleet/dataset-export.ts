import { createHash } from 'node:crypto';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFolderAtomic } from '../storage/atomic-write.ts';
import type { Db } from '../storage/database.ts';
import { createError } from '../core/errors.ts';
import type { DatasetManifest } from '../sync/dataset-manifest.ts';
import type { ContentStore } from './content-store.ts';

export interface FleetDatasetRow {
  datasetId: string;
  boothId: string;
  scanId: string | null;
  barcode: string | null;
  side: string;
  totalBytes: number;
  complete: boolean;
  chunks: number;
  chunksHeld: number;
  receivedAt: string;
  completedAt: string | null;
}

/** The fleet index's datasets (of one booth, or all), oldest first, with how many of their chunks are held. */
export function listDatasets(index: Db, boothId?: string): FleetDatasetRow[] {
  const rows = index
    .prepare(
      `SELECT d.sha256 AS datasetId, d.booth_id AS boothId, d.scan_id AS scanId, d.barcode, json_extract(d.manifest_json, '$.scan.side') AS side,
              d.total_bytes AS totalBytes, d.complete, d.received_at AS receivedAt, d.completed_at AS completedAt,
              (SELECT count(DISTINCT chunk_sha256) FROM dataset_chunks dc WHERE dc.dataset_sha256 = d.sha256) AS chunks,
              (SELECT count(DISTINCT dc.chunk_sha256) FROM dataset_chunks dc JOIN chunks c ON c.sha256 = dc.chunk_sha256 WHERE dc.dataset_sha256 = d.sha256) AS chunksHeld
       FROM datasets d WHERE (? IS NULL OR d.booth_id = ?) ORDER BY d.received_at, d.rowid`,
    )
    .all(boothId ?? null, boothId ?? null) as Array<Omit<FleetDatasetRow, 'complete'> & { complete: number }>;
  return rows.map((r) => ({ ...r, complete: r.complete === 1 }));
}

/** The extension exportDataset adds to a file's manifest name, by media type (the converter reads them back). */
export const extensionOf: Record<string, string> = { 'image/png': '.png', 'image/x-portable-floatmap': '.pfm', 'application/json': '.json' };

/** A name safe as a path part: barcodes are operator input. */
const safe = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/^\.+/, '_').slice(0, 80) || '_';

/**
 * Write one complete dataset as a folder under `outRoot/<booth>/`: its files reassembled from their chunks
 * (each checked against the file's sha256), manifest.json and labels.json. Written into a temporary folder
 * and renamed, so a folder that exists is whole; an existing folder is kept (written: false).
 */
export async function exportDataset(index: Db, store: ContentStore, datasetId: string, outRoot: string): Promise<{ dir: string; written: boolean }> {
  const row = index.prepare('SELECT booth_id AS boothId, manifest_json AS manifest, complete FROM datasets WHERE sha256 = ?').get(datasetId) as { boothId: string; manifest: string; complete: number } | undefined;
  if (!row) throw createError('GB_NOT_FOUND', `no dataset ${datasetId} in the fleet index`);
  if (row.complete !== 1) throw createError('GB_CONFLICT', `dataset ${datasetId} is not complete; its booth is still sending it`);
  const m = JSON.parse(row.manifest) as DatasetManifest;
  const dir = join(outRoot, safe(row.boothId), `${safe(m.scan.barcode ?? m.scan.id)}-${m.scan.side}-${datasetId.slice(0, 8)}`);
  if (await stat(dir).then(() => true, () => false)) return { dir, written: false };
  // Not durable: an export is a copy of the fleet's store, made again by running the export again.
  await writeFolderAtomic(
    dir,
    join(dirname(dir), `.${datasetId}.partial`),
    async (tmp) => {
      for (const f of m.files) {
        const bytes = Buffer.concat(await Promise.all(f.chunks.map((c) => store.get(c))));
        const actual = createHash('sha256').update(bytes).digest('hex');
        if (actual !== f.sha256) throw createError('GB_STORE_CORRUPT', `dataset ${datasetId}: ${f.name} reassembles to ${actual}, not ${f.sha256}`);
        const path = join(tmp, `${f.name}${extensionOf[f.mediaType] ?? ''}`);
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, bytes);
      }
      await writeFile(join(tmp, 'manifest.json'), `${JSON.stringify(m, null, 1)}\n`);
      await writeFile(join(tmp, 'labels.json'), `${JSON.stringify({ datasetId, boothId: row.boothId, barcode: m.scan.barcode, side: m.scan.side, ...m.labels }, null, 1)}\n`);
    },
    { durable: false, replace: false },
  );
  return { dir, written: true };
}
