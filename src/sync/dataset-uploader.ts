import type { IPublishPacket } from 'mqtt';
import type { Logger } from 'pino';
import type { DatasetUploadSettings } from '../config/schema.ts';
import type { Db } from '../storage/database.ts';
import type { FileStore } from '../storage/file-store.ts';
import { DatasetRepository, type DatasetRecord } from '../storage/datasets.ts';
import { enqueueOutbox, outboxPriority } from '../storage/outbox.ts';
import { createError } from '../core/errors.ts';
import { buildScanDataset } from './dataset-manifest.ts';
import { datasetNeedSchema, parsePayload, type DatasetNeedPayload } from './payloads.ts';
import { outboxTopics } from './topics.ts';
import type { FleetSubscription } from './fleet-link.ts';


export interface DatasetUploaderDeps {
  db: Db;
  store: FileStore;
  boothId: string;
  /** The booth's topic root, `<prefix>/<booth>`. */
  topicRoot: string;
  settings: DatasetUploadSettings;
  logger: Logger;
  /** Something was queued: let the outbox drain send it now. */
  kick: () => void;
  /** Publish outside the outbox (clearing a retained answer); may fail while offline. */
  publishNow: (topic: string, payload: string, options: { qos: 1; retain: boolean }) => Promise<void>;
  /** How often queued chunks are checked and the window refilled, ms. */
  pumpMs?: number;
}

export const chunkMessageId = (sha256: string): string => `chunk:${sha256}`;
const offerMessageId = (id: string, offer: number): string => (offer <= 1 ? `dataset:${id}` : `dataset:${id}:offer:${offer}`);

/**
 * The booth's side of dataset transfer (docs/fleet.md "Datasets"). Offering a scan writes its dataset rows
 * and queues its manifest in one transaction; the fleet answers on the retained `datasets/<id>/need` with the
 * chunks it lacks; those chunks go through the outbox a window at a time (bytes read from the file store
 * when queued, so the database never holds a second copy of a dataset). Everything is in SQLite, so an
 * outage or a restart resumes where it stopped; a dataset the fleet neither answers nor confirms is offered
 * again after `reoffer_s` under a new message id, and the fleet answers with what is still missing.
 */
export class DatasetUploader {
  private readonly d: DatasetUploaderDeps;
  readonly repo: DatasetRepository;
  private timer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(deps: DatasetUploaderDeps) {
    this.d = deps;
    this.repo = new DatasetRepository(deps.db);
  }

  get needFilter(): string {
    return `${this.d.topicRoot}/datasets/+/need`;
  }

  /** The link's subscription for the fleet's answers. */
  subscription(): FleetSubscription {
    return { filter: this.needFilter, onMessage: (topic, payload, packet) => this.onNeed(topic, payload, packet) };
  }

  /** Pump once a second while datasets may be uploaded (a booth set to off only answers dataset-pull's refusal). */
  start(): void {
    if (this.timer || this.d.settings.upload === 'off') return;
    this.stopped = false;
    this.timer = setInterval(() => this.pump(), this.d.pumpMs ?? 1000);
    this.timer.unref();
    this.pump();
  }

  /** The pass in flight (if any) has finished. */
  async settled(): Promise<void> {
    while (this.pumping) await this.pumping;
  }

  /** No pass starts after this; the one in flight is awaited (the database may close next). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.pumping;
  }

  /**
   * Offer a finished scan side as a dataset. GB_DATASETS_DISABLED when the settings say off. Offering the
   * same scan with the same labels again returns the existing dataset (no second manifest).
   */
  async offerScan(scanId: string, requestedBy: string): Promise<DatasetRecord & { created: boolean }> {
    if (this.d.settings.upload === 'off') throw createError('GB_DATASETS_DISABLED', 'this booth does not upload datasets (fleet.datasets.upload is "off")');
    const built = await buildScanDataset(this.d.db, this.d.store, scanId, { boothId: this.d.boothId, chunkBytes: this.d.settings.chunk_bytes });
    const created = this.d.db.transaction(() => {
      const isNew = this.repo.insert({ id: built.id, scanId, manifest: built.bytes, totalBytes: built.manifest.totalBytes, requestedBy, chunks: built.chunks });
      // The manifest and the rows announcing it commit together.
      if (isNew) enqueueOutbox(this.d.db, { topic: outboxTopics.datasetManifest(built.id), payload: built.bytes, qos: 1, priority: outboxPriority.dataset, kind: 'dataset', messageId: offerMessageId(built.id, 1) });
      return isNew;
    })();
    if (created) {
      this.d.logger.info({ datasetId: built.id, scanId, bytes: built.manifest.totalBytes, chunks: built.chunks.length }, 'dataset offered to the fleet');
      this.d.kick();
    }
    return { ...(this.repo.get(built.id) as DatasetRecord), created };
  }

  /**
   * The fleet's `dataset-pull` command: offer the finished scans named by `scanId`, or a card's by `barcode`,
   * or those since an ISO time `since` (at most `limit`, default 20, newest first). GB_NOT_FOUND when none match.
   */
  async pull(params: Record<string, unknown>): Promise<{ datasets: Array<{ datasetId: string; scanId: string; created: boolean; state: string; totalBytes: number }> }> {
    const { scanId, barcode, since } = params;
    const limit = params.limit ?? 20;
    const bad = (what: string): never => {
      throw createError('GB_VALIDATION', `dataset-pull: ${what}`);
    };
    if (scanId !== undefined && (typeof scanId !== 'string' || scanId.length === 0 || scanId.length > 128)) bad('scanId must be a scan id');
    if (barcode !== undefined && (typeof barcode !== 'string' || barcode.length === 0 || barcode.length > 128)) bad('barcode must be 1..128 characters');
    if (since !== undefined && (typeof since !== 'string' || Number.isNaN(Date.parse(since)))) bad('since must be an ISO 8601 time');
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 100) bad('limit must be an integer 1..100');
    if (scanId === undefined && barcode === undefined && since === undefined) bad('name the scans: scanId, barcode or since');
    if (this.d.settings.upload === 'off') throw createError('GB_DATASETS_DISABLED', 'this booth does not upload datasets (fleet.datasets.upload is "off")');
    const where: string[] = ['s.normals_sha256 IS NOT NULL'];
    const args: unknown[] = [];
    if (scanId !== undefined) { where.push('s.id = ?'); args.push(scanId); }
    if (barcode !== undefined) { where.push('c.barcode = ?'); args.push(barcode); }
    if (since !== undefined) { where.push('s.created_at >= ?'); args.push(new Date(since as string).toISOString()); }
    const ids = this.d.db
      .prepare(`SELECT s.id FROM scans s LEFT JOIN cards c ON c.id = s.card_id WHERE ${where.join(' AND ')} ORDER BY s.created_at DESC LIMIT ?`)
      .pluck()
      .all(...args, limit) as string[];
    if (ids.length === 0) throw createError('GB_NOT_FOUND', `dataset-pull: no finished scan matches ${JSON.stringify({ scanId, barcode, since })}`);
    const datasets = [];
    for (const id of ids) {
      const d = await this.offerScan(id, 'fleet');
      datasets.push({ datasetId: d.id, scanId: id, created: d.created, state: d.state, totalBytes: d.totalBytes });
    }
    return { datasets };
  }

  /**
   * every-scan: offer the finished scans of a job that just ended, and any a crash kept from being offered; and
   * again those whose grade an operator overrode since their dataset was made (an override is a label, and it is
   * always made after the job, so after its first offer).
   */
  async offerFinished(sinceIso: string): Promise<number> {
    if (this.d.settings.upload !== 'every-scan') return 0;
    let n = 0;
    for (const id of [...this.repo.scansWithoutDataset(sinceIso), ...this.repo.scansWithNewOverrides(sinceIso)]) {
      try {
        if ((await this.offerScan(id, 'every-scan')).created) n += 1;
      } catch (err) {
        this.d.logger.error({ err, scanId: id }, 'dataset of a finished scan not offered');
      }
    }
    return n;
  }

  private onNeed(topic: string, payload: Buffer, _packet: IPublishPacket): void {
    if (payload.length === 0) return; // our own clearing of a retained answer
    let need: DatasetNeedPayload;
    try {
      need = parsePayload<DatasetNeedPayload>(datasetNeedSchema.$id, payload, `dataset answer on ${topic}`);
    } catch (err) {
      this.d.logger.warn({ topic, err: (err as Error).message }, 'dataset answer refused');
      return;
    }
    if (topic !== `${this.d.topicRoot}/datasets/${need.datasetId}/need`) {
      this.d.logger.warn({ topic, datasetId: need.datasetId }, 'dataset answer on the wrong topic ignored');
      return;
    }
    const known = this.repo.applyNeed(need.datasetId, need.missing, need.complete);
    if (!known) {
      this.d.logger.warn({ datasetId: need.datasetId }, 'the fleet answered about a dataset this booth does not know');
      return;
    }
    if (need.complete) {
      this.d.logger.info({ datasetId: need.datasetId }, 'dataset complete at the fleet');
      // The answer is retained for a booth that was away; once read, clear it so the broker does not keep one per dataset.
      this.d.publishNow(topic, '', { qos: 1, retain: true }).catch(() => undefined);
    }
    this.pump();
  }

  /** Refill the send window and offer stalled datasets again; serialised (one pass at a time). */
  pump(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pumpOnce()
      .catch((err: unknown) => this.d.logger.error({ err }, 'dataset upload'))
      .finally(() => {
        this.pumping = undefined;
        if (this.again) {
          this.again = false;
          this.pump();
        }
      });
  }

  private async pumpOnce(): Promise<void> {
    const { db, store, settings } = this.d;
    this.repo.markOffersSent();
    this.repo.markAcknowledged(chunkMessageId);
    let queued = 0;
    let file: { sha256: string; bytes: Buffer } | undefined;
    while (this.repo.queuedBytes() < settings.window_bytes) {
      const next = this.repo.nextNeeded();
      if (!next) break;
      if (file?.sha256 !== next.fileSha256) file = { sha256: next.fileSha256, bytes: await store.get(next.fileSha256) };
      const bytes = file.bytes.subarray(next.offsetBytes, next.offsetBytes + next.sizeBytes);
      db.transaction(() => {
        enqueueOutbox(db, { topic: outboxTopics.datasetChunk(next.sha256), payload: bytes, qos: 1, priority: outboxPriority.dataset, kind: 'dataset', messageId: chunkMessageId(next.sha256) });
        this.repo.markQueued(next.sha256);
      })();
      queued += 1;
    }
    if (queued > 0) this.d.kick();
    for (const id of this.repo.dueForReoffer(settings.reoffer_s)) {
      const manifest = this.repo.manifest(id) as Buffer;
      db.transaction(() => {
        const offer = this.repo.reoffered(id);
        enqueueOutbox(db, { topic: outboxTopics.datasetManifest(id), payload: manifest, qos: 1, priority: outboxPriority.dataset, kind: 'dataset', messageId: offerMessageId(id, offer) });
      })();
      this.d.logger.info({ datasetId: id }, 'dataset offered again (no answer or confirmation from the fleet)');
      this.d.kick();
    }
  }
}
