import type { Logger } from 'pino';
import type { Db } from '../storage/database.ts';
import { createError } from '../core/errors.ts';
import { sha256Hex } from '../storage/file-store.ts';
import { datasetManifestSchema, datasetNeedSchema, parsePayload, assertPayload, type DatasetNeedPayload } from '../sync/payloads.ts';
import type { DatasetManifest } from '../sync/dataset-manifest.ts';
import type { CollectorHandler } from './collector.ts';
import type { ContentStore } from './content-store.ts';

const SHA256_RE = /^[0-9a-f]{64}$/;

export interface DatasetCollectorDeps {
  index: Db;
  store: ContentStore;
  prefix: string;
  logger: Logger;
}

/** Where answers go: the collector's own connection (resolves on PUBACK; never awaited in a handler). */
export interface AnswerPublisher {
  publish(topic: string, payload: string, options: { qos: 1; retain: boolean }): Promise<void>;
}

export interface DatasetCollectorFigures {
  manifests: number;
  chunksStored: number;
  chunksDuplicate: number;
  chunksInvalid: number;
  chunkBytesStored: number;
  datasetsComplete: number;
}

/**
 * The fleet's side of dataset transfer. A manifest (`<booth>/datasets/<id>/manifest`) is checked (its bytes
 * hash to the id in its topic, its chunk lists fit its file sizes), recorded in the fleet index, and answered
 * on the retained `<booth>/datasets/<id>/need` with the chunks the content store lacks — so a chunk the fleet
 * holds is never sent again, whichever booth or dataset it came with. A chunk (`<booth>/datasets/chunks/<sha>`)
 * is verified against its sha256, stored, recorded, and completes every dataset it was the last missing
 * piece of (answered `complete: true`). Everything is stored before the broker gets its PUBACK, so a
 * collector that dies mid-way gets the message again; a repeated chunk or manifest is harmless.
 */
export class DatasetCollector {
  private readonly d: DatasetCollectorDeps;
  private publisher: AnswerPublisher | undefined;
  readonly figures: DatasetCollectorFigures = { manifests: 0, chunksStored: 0, chunksDuplicate: 0, chunksInvalid: 0, chunkBytesStored: 0, datasetsComplete: 0 };

  constructor(deps: DatasetCollectorDeps) {
    this.d = deps;
  }

  /** Answer booths through this connection (the collector whose handlers these are). */
  answerThrough(publisher: AnswerPublisher): void {
    this.publisher = publisher;
  }

  handlers(): CollectorHandler[] {
    return [
      { filter: '+/datasets/+/manifest', shared: true, handle: (boothId, topic, payload) => this.onManifest(boothId, topic, payload) },
      { filter: '+/datasets/chunks/+', shared: true, handle: (boothId, topic, payload) => this.onChunk(boothId, topic, payload) },
    ];
  }

  private needTopic(boothId: string, datasetId: string): string {
    return `${this.d.prefix}/${boothId}/datasets/${datasetId}/need`;
  }

  /**
   * Answer a booth on the retained `…/datasets/<id>/need`. Not awaited: mqtt.js reads the answer's PUBACK only
   * after the handler that sends it returns. An answer lost with a dying collector costs one re-offer.
   */
  private answer(boothId: string, datasetId: string, missing: string[]): void {
    const need: DatasetNeedPayload = { schema: 'gradebooth.dataset.need.v1', datasetId, missing, complete: missing.length === 0, at: new Date().toISOString() };
    assertPayload(datasetNeedSchema.$id, need, 'dataset answer');
    // Retained: a booth that went offline meanwhile reads it when it is back; the booth clears it once read.
    if (!this.publisher) throw createError('GB_INTERNAL', 'dataset collector has no connection to answer through (answerThrough)');
    this.publisher.publish(this.needTopic(boothId, datasetId), JSON.stringify(need), { qos: 1, retain: true }).catch((err: unknown) => {
      this.d.logger.warn({ err: (err as Error).message, datasetId }, 'dataset answer not sent; the booth will offer the dataset again');
    });
  }

  private async onManifest(boothId: string, topic: string, payload: Buffer): Promise<void> {
    const id = topic.split('/').at(-2) ?? '';
    if (!SHA256_RE.test(id) || sha256Hex(payload) !== id) throw createError('GB_VALIDATION', `dataset manifest on ${topic}: its bytes do not hash to the id in its topic`);
    const m = parsePayload<DatasetManifest>(datasetManifestSchema.$id, payload, `dataset manifest from ${boothId}`);
    if (m.boothId !== boothId) throw createError('GB_VALIDATION', `dataset manifest on ${topic} names booth ${m.boothId}`);
    for (const f of m.files) {
      if (f.chunks.length !== Math.ceil(f.sizeBytes / m.chunkBytes)) {
        throw createError('GB_VALIDATION', `dataset manifest ${id}: file ${f.name} has ${f.sizeBytes} bytes but ${f.chunks.length} chunks of ${m.chunkBytes}`);
      }
    }
    const ix = this.d.index;
    const now = new Date().toISOString();
    const chunks = m.files.flatMap((f) => f.chunks);
    ix.transaction(() => {
      ix.prepare('INSERT INTO booths (id, first_seen, last_seen) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen').run(boothId, now, now);
      const r = ix
        .prepare(
          `INSERT INTO datasets (sha256, booth_id, scan_id, barcode, manifest_json, total_bytes, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (sha256) DO UPDATE SET offers = offers + 1`,
        )
        .run(id, boothId, m.scan.id, m.scan.barcode, payload.toString('utf8'), m.totalBytes, now);
      const known = ix.prepare('SELECT count(*) FROM dataset_chunks WHERE dataset_sha256 = ?').pluck().get(id) as number;
      if (r.changes === 1 && known === 0) {
        const ins = ix.prepare('INSERT INTO dataset_chunks (dataset_sha256, seq, chunk_sha256) VALUES (?, ?, ?)');
        chunks.forEach((c, seq) => ins.run(id, seq, c));
      }
    })();
    this.figures.manifests += 1;
    const missing = this.missingChunks(id);
    if (missing.length === 0) this.markComplete(id);
    this.answer(boothId, id, missing);
  }

  /** The distinct chunks of a dataset the store does not hold, in manifest order. */
  private missingChunks(datasetId: string): string[] {
    return this.d.index
      .prepare(
        `SELECT dc.chunk_sha256 FROM dataset_chunks dc LEFT JOIN chunks c ON c.sha256 = dc.chunk_sha256
         WHERE dc.dataset_sha256 = ? AND c.sha256 IS NULL GROUP BY dc.chunk_sha256 ORDER BY min(dc.seq)`,
      )
      .pluck()
      .all(datasetId) as string[];
  }

  private markComplete(datasetId: string): boolean {
    const r = this.d.index.prepare('UPDATE datasets SET complete = 1, completed_at = ? WHERE sha256 = ? AND complete = 0').run(new Date().toISOString(), datasetId);
    if (r.changes === 1) this.figures.datasetsComplete += 1;
    return r.changes === 1;
  }

  private async onChunk(boothId: string, topic: string, payload: Buffer): Promise<void> {
    const sha = topic.split('/').at(-1) ?? '';
    if (!SHA256_RE.test(sha) || sha256Hex(payload) !== sha) {
      this.figures.chunksInvalid += 1;
      throw createError('GB_VALIDATION', `dataset chunk on ${topic}: its ${payload.byteLength} bytes do not hash to the sha256 in its topic`);
    }
    const ix = this.d.index;
    const held = ix.prepare('SELECT 1 FROM chunks WHERE sha256 = ?').pluck().get(sha) === 1;
    if (held) this.figures.chunksDuplicate += 1;
    else {
      // The bytes are durable before the index says so; the index is what "held" means to the booths.
      await this.d.store.put(sha, payload);
      ix.prepare('INSERT INTO chunks (sha256, size_bytes, booth_id, stored_at) VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING').run(sha, payload.byteLength, boothId, new Date().toISOString());
      this.figures.chunksStored += 1;
      this.figures.chunkBytesStored += payload.byteLength;
    }
    // Every incomplete dataset this chunk belongs to that now has all its chunks (also after a duplicate: the
    // collector may have died between storing the last chunk and answering).
    const datasets = ix
      .prepare(
        `SELECT DISTINCT d.sha256, d.booth_id AS boothId FROM dataset_chunks dc JOIN datasets d ON d.sha256 = dc.dataset_sha256
         WHERE dc.chunk_sha256 = ? AND d.complete = 0`,
      )
      .all(sha) as Array<{ sha256: string; boothId: string }>;
    for (const d of datasets) {
      if (this.missingChunks(d.sha256).length > 0) continue;
      this.markComplete(d.sha256);
      this.d.logger.info({ datasetId: d.sha256, boothId: d.boothId }, 'dataset complete');
      this.answer(d.boothId, d.sha256, []);
    }
  }
}
