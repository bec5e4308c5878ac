import { createHash, type KeyObject } from 'node:crypto';
import type { Logger } from 'pino';
import { createError } from '../core/errors.ts';
import { verifyBody } from '../core/model-signing.ts';
import { validateSurfaceManifest } from '../grading/surface/manifest.ts';
import type { FleetSubscription } from './fleet-link.ts';
import type { ModelStore } from './model-store.ts';
import { assertPayload, modelOfferSchema, modelReleaseSchema, parsePayload, type ModelOffer, type ModelRelease } from './payloads.ts';
import { TokenBucket } from './token-bucket.ts';

/** The model a booth rolls out; a release of any other model is refused. */
export const rolledOutModelName = 'surface-defects';

/** The part of the fleet link a model download needs. */
export interface ModelLink {
  readonly connected: boolean;
  subscribe(topics: string[]): Promise<boolean>;
  unsubscribe(topics: string[]): Promise<void>;
}

/** What a refused offer claims to be: read only to report the refusal, nothing in it is believed. */
export interface ClaimedRelease {
  name?: string;
  version?: string;
  releaseId?: string;
  keyId?: string | null;
}

/** An offer whose signature, release and manifest checked out, for this booth. */
export interface VerifiedOffer {
  release: ModelRelease;
  /** The signed release text (kept as is: it is what the signature covers). */
  text: string;
  keyId: string | null;
}

/**
 * What the download tells the model's lifecycle (ModelRollout, which keeps the rows and announces the states).
 * Called one at a time, in the order offers and chunks arrive.
 */
export interface DownloadListener {
  /** A verified offer for this booth: take it up with fetch(), or not (already taken up). */
  offered(offer: VerifiedOffer): Promise<void>;
  /** An offer refused before anything in it was believed: unsigned, wrongly signed, malformed, another model. */
  refused(sha256: string, claimed: ClaimedRelease, err: unknown): void;
  /** A download (re)started with `held` of its chunks already on disk (checked against their sha256). */
  resumed(sha256: string, held: number): void;
  /** One more chunk stored: `have` of the release's chunks are on disk. */
  stored(sha256: string, have: number): void;
  /** A chunk or the joined file did not match the signed sha256, or installing failed: nothing is installed. */
  failed(sha256: string, err: unknown): void;
  /** The model folder is installed in the store, whole and checked. */
  installed(release: ModelRelease): Promise<void>;
}

export interface ModelDownloadDeps {
  boothId: string;
  /** fleet.topic_prefix: offers and chunks live under `<prefix>/_all/models/`. */
  prefix: string;
  store: ModelStore;
  trustedKeys: ReadonlyMap<string, KeyObject>;
  logger: Logger;
  /** fleet.model_download_bytes_per_s (0: no cap). */
  downloadBytesPerS: number;
  /** Chunks requested at once (each a retained topic subscribed until it arrives). */
  chunkWindow?: number;
}

interface Download {
  release: ModelRelease;
  /** The signed release text, installed beside the model as release.json. */
  text: string;
  held: Set<number>;
  requested: Set<number>;
  done: boolean;
}

const sha256Hex = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

/**
 * Getting a model onto the booth (docs/fleet.md, "Model rollout"); what becomes of it is ModelRollout's:
 * - an offer (retained on `_all/models/offer`) is verified against `fleet.model_keys` before anything in it is
 *   believed; an unsigned, wrongly signed or malformed one is refused, never downloaded;
 * - the model's bytes come as retained chunks (`_all/models/<sha256>/chunks/<i>`), a few subscribed at a time
 *   within the bandwidth cap, each checked against its signed sha256 and stored atomically, so a booth killed
 *   mid-download resumes from what it has, and a booth offline during the publish fetches them when it is back;
 * - the joined file is checked against the signed sha256 and installed content-addressed in the ModelStore.
 */
export class ModelDownload {
  private readonly deps: ModelDownloadDeps;
  private listener: DownloadListener | undefined;
  private link: ModelLink | undefined;
  private readonly downloads = new Map<string, Download>();
  private readonly bucket: TokenBucket;
  /** Offers and chunks handled one at a time (file writes, then the listener's rows). */
  private chain: Promise<void> = Promise.resolve();
  private pumpTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Chunk deliveries: received, stored (each chunk once), dropped as already held (retained redelivery). */
  readonly figures = { chunksReceived: 0, chunksStored: 0, chunksDuplicate: 0 };

  constructor(deps: ModelDownloadDeps) {
    this.deps = deps;
    this.bucket = new TokenBucket(deps.downloadBytesPerS);
  }

  get offerTopic(): string {
    return `${this.deps.prefix}/_all/models/offer`;
  }

  chunkTopic(sha256: string, index: number): string {
    return `${this.deps.prefix}/_all/models/${sha256}/chunks/${index}`;
  }

  /** Clear what a crash left half-made and report to `listener` from now on. Call before the link starts. */
  async start(listener: DownloadListener): Promise<void> {
    this.listener = listener;
    await this.deps.store.sweep();
  }

  /** The fleet link's subscriptions for model offers and chunks. */
  subscriptions(): FleetSubscription[] {
    return [
      { filter: this.offerTopic, onMessage: (_topic, payload) => this.enqueue(() => this.onOffer(payload)) },
      { filter: `${this.deps.prefix}/_all/models/+/chunks/+`, subscribeOnConnect: false, onMessage: (topic, payload) => this.enqueue(() => this.onChunk(topic, payload)) },
    ];
  }

  /** Attach the fleet link (after it was built with subscriptions()). */
  attach(link: ModelLink): void {
    this.link = link;
  }

  /** The link (re)connected: ask again for every chunk still missing. */
  onConnected(): void {
    for (const d of this.downloads.values()) d.requested.clear();
    this.pump();
  }

  /** Wait until offers and chunks received so far are handled (tests, shutdown). */
  async settled(): Promise<void> {
    await this.chain;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    await this.chain;
  }

  private heard(): DownloadListener {
    if (!this.listener) throw new Error('ModelDownload: start() was not called before the link delivered a message');
    return this.listener;
  }

  private enqueue(task: () => Promise<void>): void {
    this.chain = this.chain.then(task).catch((err: unknown) => this.deps.logger.error({ err }, 'model rollout'));
  }

  /**
   * Download `release` (`text`: its signed text), or resume it from the chunks on disk; `installed` at once when
   * it already is. A download of any other release stops: one candidate at a time.
   */
  async fetch(release: ModelRelease, text: string): Promise<void> {
    const sha = release.model.sha256;
    for (const [other, d] of this.downloads) {
      if (other === sha) continue;
      d.done = true;
      this.downloads.delete(other);
      await this.unsubscribe([...d.requested].map((i) => this.chunkTopic(other, i)));
    }
    if (await this.deps.store.installed(sha)) {
      await this.heard().installed(release);
      return;
    }
    const held = await this.deps.store.heldChunks(release);
    const d: Download = { release, text, held, requested: new Set(), done: false };
    this.downloads.set(sha, d);
    this.heard().resumed(sha, held.size);
    if (held.size === release.transfer.chunks.length) {
      await this.finish(d);
      return;
    }
    this.pump();
  }

  /** Check an offer: its signature first, then the release and its manifest, then whether it is for this booth. */
  private async onOffer(payload: Buffer): Promise<void> {
    if (payload.length === 0) return; // a cleared retained offer
    const events = this.heard();
    let offer: ModelOffer;
    try {
      offer = parsePayload<ModelOffer>(modelOfferSchema.$id, payload, 'model offer');
    } catch (err) {
      events.refused(sha256Hex(payload), {}, err);
      return;
    }
    // Read the release's identity only to report a refusal; nothing else of it is believed before the signature.
    let claimed: Partial<ModelRelease> = {};
    try {
      claimed = JSON.parse(offer.release) as Partial<ModelRelease>;
    } catch {
      claimed = {};
    }
    const claimedSha = typeof claimed.model?.sha256 === 'string' && /^[0-9a-f]{64}$/.test(claimed.model.sha256) ? claimed.model.sha256 : sha256Hex(payload);
    const info = { name: typeof claimed.model?.name === 'string' ? claimed.model.name : undefined, version: typeof claimed.model?.version === 'string' ? claimed.model.version : undefined, releaseId: typeof claimed.releaseId === 'string' ? claimed.releaseId : undefined, keyId: offer.keyId };
    let release: ModelRelease;
    try {
      verifyBody(offer.release, offer.keyId, offer.signature, this.deps.trustedKeys);
      release = assertPayload<ModelRelease>(modelReleaseSchema.$id, JSON.parse(offer.release), 'model release');
      const manifest = validateSurfaceManifest(release.manifest, `release ${release.releaseId} manifest`);
      if (manifest.sha256 !== release.model.sha256 || manifest.sizeBytes !== release.model.sizeBytes || manifest.name !== release.model.name || manifest.version !== release.model.version) {
        throw createError('GB_MODEL_INVALID', `release ${release.releaseId}: the manifest describes ${manifest.name} ${manifest.version} ${manifest.sha256} (${manifest.sizeBytes} bytes), the release ${release.model.name} ${release.model.version} ${release.model.sha256} (${release.model.sizeBytes} bytes)`);
      }
      if (manifest.name !== rolledOutModelName) throw createError('GB_MODEL_INVALID', `release ${release.releaseId}: model "${manifest.name}", this booth rolls out "${rolledOutModelName}"`);
      const expectChunks = Math.ceil(release.model.sizeBytes / release.transfer.chunkBytes);
      if (release.transfer.chunks.length !== expectChunks) throw createError('GB_MODEL_INVALID', `release ${release.releaseId}: ${release.transfer.chunks.length} chunks listed, ${release.model.sizeBytes} bytes in ${release.transfer.chunkBytes}-byte chunks are ${expectChunks}`);
    } catch (err) {
      events.refused(claimedSha, info, err);
      return;
    }
    const targeted = release.rollout.booths === null || release.rollout.booths.includes(this.deps.boothId);
    if (!targeted) {
      this.deps.logger.info({ sha256: release.model.sha256, releaseId: release.releaseId }, 'model offer is for other booths');
      return;
    }
    await events.offered({ release, text: offer.release, keyId: offer.keyId });
  }

  /** Ask for more missing chunks, within the window and the download bandwidth cap. */
  private pump(): void {
    if (this.stopped || !this.link?.connected) return;
    const window = this.deps.chunkWindow ?? 4;
    for (const [sha, d] of this.downloads) {
      if (d.done) continue;
      const want: number[] = [];
      for (let i = 0; i < d.release.transfer.chunks.length && d.requested.size + want.length < window; i++) {
        if (d.held.has(i) || d.requested.has(i)) continue;
        const wait = this.bucket.waitMs(d.release.transfer.chunkBytes);
        if (wait > 0) {
          if (!this.pumpTimer) this.pumpTimer = setTimeout(() => { this.pumpTimer = undefined; this.pump(); }, wait);
          break;
        }
        this.bucket.spend(d.release.transfer.chunkBytes);
        want.push(i);
      }
      if (want.length === 0) continue;
      for (const i of want) d.requested.add(i);
      this.link.subscribe(want.map((i) => this.chunkTopic(sha, i))).catch((err: unknown) => {
        for (const i of want) d.requested.delete(i);
        this.deps.logger.warn({ err: (err as Error).message }, 'model chunk subscription failed; retrying on the next connection');
      });
    }
  }

  private async unsubscribe(topics: string[]): Promise<void> {
    await this.link?.unsubscribe(topics).catch(() => undefined);
  }

  private async onChunk(topic: string, payload: Buffer): Promise<void> {
    const m = /\/_all\/models\/([0-9a-f]{64})\/chunks\/(\d+)$/.exec(topic);
    if (!m) return;
    const sha = m[1];
    const index = Number(m[2]);
    const d = this.downloads.get(sha);
    this.figures.chunksReceived += 1;
    if (!d || d.done || d.held.has(index)) {
      this.figures.chunksDuplicate += 1;
      await this.unsubscribe([topic]);
      return;
    }
    try {
      await this.deps.store.putChunk(d.release, index, payload);
    } catch (err) {
      await this.fail(d, err);
      return;
    }
    d.held.add(index);
    d.requested.delete(index);
    this.figures.chunksStored += 1;
    await this.unsubscribe([topic]);
    this.heard().stored(sha, d.held.size);
    if (d.held.size === d.release.transfer.chunks.length) await this.finish(d);
    else this.pump();
  }

  /** A chunk did not match its signed sha256: the download stops and its chunks go. */
  private async fail(d: Download, err: unknown): Promise<void> {
    const sha = d.release.model.sha256;
    d.done = true;
    this.downloads.delete(sha);
    await this.unsubscribe([...d.requested].map((i) => this.chunkTopic(sha, i)));
    await this.deps.store.dropPartial(sha);
    this.heard().failed(sha, err);
  }

  private async finish(d: Download): Promise<void> {
    const sha = d.release.model.sha256;
    d.done = true;
    this.downloads.delete(sha);
    try {
      await this.deps.store.install(d.release, d.text);
    } catch (err) {
      this.heard().failed(sha, err);
      return;
    }
    await this.heard().installed(d.release);
  }
}
