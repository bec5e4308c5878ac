import { randomUUID, createHash } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { readVerifiedSurfaceModel, resolveSurfaceModelDir } from '../grading/surface/load.ts';
import { readPrivateKey, signBody } from '../core/model-signing.ts';
import { assertPayload, modelOfferSchema, modelReleaseSchema, type ModelOffer, type ModelRelease } from '../sync/payloads.ts';

export interface RolloutOptions {
  /** null: every booth. */
  booths: string[] | null;
  canary: string[];
  shadowScans: number;
  minAgreement: number;
  toleranceMm: number;
  maxSurfaceDelta: number;
  probationScans: number;
}

export const defaultRollout: RolloutOptions = { booths: null, canary: [], shadowScans: 20, minAgreement: 0.9, toleranceMm: 2, maxSurfaceDelta: 0.5, probationScans: 20 };

/** 256 KiB: small enough for any broker's message limit and a slow link's retries, few enough topics for big models. */
export const defaultChunkBytes = 256 * 1024;

export interface BuiltRelease {
  release: ModelRelease;
  /** The signed text (the offer carries it as is). */
  text: string;
  offer: ModelOffer;
  chunks: Buffer[];
}

/**
 * A signed release of the model folder `dir` (or the newest surface-defects/<version>/ under a models root):
 * the folder is checked as a booth would load it (manifest, sha256, size) before anything is signed, the file
 * is cut into chunks named by their sha256, and the release text is signed with the ed25519 key in `keyFile`.
 */
export async function buildRelease(o: { dir: string; keyFile: string; rollout: RolloutOptions; chunkBytes?: number; now?: Date }): Promise<BuiltRelease> {
  const key = readPrivateKey(o.keyFile);
  const dir = await resolveSurfaceModelDir(o.dir);
  const { manifest, bytes } = await readVerifiedSurfaceModel(dir);
  const chunkBytes = o.chunkBytes ?? defaultChunkBytes;
  const chunks: Buffer[] = [];
  for (let off = 0; off < bytes.byteLength; off += chunkBytes) chunks.push(bytes.subarray(off, Math.min(bytes.byteLength, off + chunkBytes)));
  const release: ModelRelease = {
    schema: 'gradebooth.model.release.v1',
    releaseId: randomUUID(),
    publishedAt: (o.now ?? new Date()).toISOString(),
    model: { name: manifest.name, version: manifest.version, sha256: manifest.sha256, sizeBytes: manifest.sizeBytes },
    manifest: manifest as unknown as Record<string, unknown>,
    transfer: { chunkBytes, chunks: chunks.map((c) => createHash('sha256').update(c).digest('hex')) },
    rollout: o.rollout,
  };
  assertPayload(modelReleaseSchema.$id, release, 'model release');
  const text = JSON.stringify(release);
  const offer: ModelOffer = { schema: 'gradebooth.model.offer.v1', release: text, keyId: key.keyId, signature: signBody(text, key.key) };
  assertPayload(modelOfferSchema.$id, offer, 'model offer');
  return { release, text, offer, chunks };
}

export function modelTopics(prefix: string, sha256: string): { offer: string; chunk: (i: number) => string } {
  return { offer: `${prefix}/_all/models/offer`, chunk: (i) => `${prefix}/_all/models/${sha256}/chunks/${i}` };
}

/**
 * Publish a release: every chunk retained (QoS 1, each acknowledged), then the offer retained. Chunks go first,
 * so a booth never sees an offer whose bytes are not there yet; retained, so a booth offline now fetches them
 * when it comes back (the broker must persist retained messages across its restarts: docs/fleet.md).
 */
export async function publishRelease(client: MqttClient, prefix: string, built: BuiltRelease, onChunk?: (i: number) => void): Promise<void> {
  const topics = modelTopics(prefix, built.release.model.sha256);
  const inFlight = 8;
  for (let i = 0; i < built.chunks.length; i += inFlight) {
    await Promise.all(
      built.chunks.slice(i, i + inFlight).map(async (c, k) => {
        await client.publishAsync(topics.chunk(i + k), c, { qos: 1, retain: true, properties: { contentType: 'application/octet-stream', userProperties: { sha256: built.release.transfer.chunks[i + k] } } });
        onChunk?.(i + k);
      }),
    );
  }
  await client.publishAsync(topics.offer, JSON.stringify(built.offer), { qos: 1, retain: true, properties: { contentType: 'application/json' } });
}
