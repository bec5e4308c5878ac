import { mqttConnectOptions } from '../sync/connect-options.ts';
import type { FleetSettings } from '../config/schema.ts';
import { connect, type MqttClient, type IPublishPacket, type IClientOptions } from 'mqtt';
import type { Logger } from 'pino';
import type { Db } from '../storage/database.ts';
import { createError, isGradeboothError } from '../core/errors.ts';
import { boothIdOf, boothIdPattern, topicMatches } from '../sync/topics.ts';
import { modelsStatePayloadSchema, parsePayload, resultPayloadSchema, telemetryPayloadSchema, type ModelsStatePayload, type ResultPayload, type TelemetryPayload } from '../sync/payloads.ts';

/** A topic handler beyond results/telemetry/status (datasets, model states); may be async (stored before PUBACK). */
export interface CollectorHandler {
  /** Filter below the prefix with the booth as `+`, e.g. `+/datasets/#`. */
  filter: string;
  shared: boolean;
  handle(boothId: string, topic: string, payload: Buffer, packet: IPublishPacket, messageId: string | undefined): Promise<void> | void;
}

export interface CollectorOptions {
  url: string;
  connectOptions: IClientOptions;
  prefix: string;
  /** Shared-subscription group: collectors in one group split the booths' messages between them. */
  group: string;
  /** This collector's name (recorded with each message it stored). */
  name: string;
  index: Db;
  logger: Logger;
  handlers?: CollectorHandler[];
  /** How long the broker keeps this collector's session (and queued messages) while it is away, s. */
  sessionExpiryS?: number;
}

export interface CollectorFigures {
  received: number;
  stored: number;
  duplicates: number;
  invalid: number;
  /** Results alone (the figures above include status, telemetry and datasets). */
  results: { stored: number; duplicates: number };
}

/** The message id a booth sent as the MQTT v5 user property `message-id`. */
export function messageIdOf(packet: IPublishPacket): string | undefined {
  const v = packet.properties?.userProperties?.['message-id'];
  const id = Array.isArray(v) ? v[0] : v;
  return typeof id === 'string' && id.length > 0 && id.length <= 128 ? id : undefined;
}

/**
 * `gradebooth fleet collect`: receives every booth's results, telemetry and status into the fleet index.
 * Results and telemetry come through a shared subscription (`$share/<group>/…`), so N collectors split the
 * load; each message is stored in one transaction keyed by its message id before its PUBACK goes back, so
 * a resend or a duplicate delivery is recognised and stored once, and a crash before the commit makes the
 * broker deliver it again.
 */
export class Collector {
  private readonly o: CollectorOptions;
  private client: MqttClient | undefined;
  readonly figures: CollectorFigures = { received: 0, stored: 0, duplicates: 0, invalid: 0, results: { stored: 0, duplicates: 0 } };
  private listeners: Array<(e: { kind: 'stored' | 'duplicate' | 'invalid'; topic: string; messageId?: string }) => void> = [];

  constructor(options: CollectorOptions) {
    this.o = options;
  }

  /** Observe each message's fate (tests and the CLI's progress line). */
  onMessage(listener: (e: { kind: 'stored' | 'duplicate' | 'invalid'; topic: string; messageId?: string }) => void): () => void {
    this.listeners.push(listener);
    return () => (this.listeners = this.listeners.filter((l) => l !== listener));
  }

  async start(): Promise<void> {
    const { prefix, group } = this.o;
    // A persistent session: while this collector restarts, the broker keeps its share of the messages.
    const client = connect(this.o.url, {
      ...this.o.connectOptions,
      clean: false,
      properties: { ...this.o.connectOptions.properties, sessionExpiryInterval: this.o.sessionExpiryS ?? 86_400 },
    });
    this.client = client;
    client.handleMessage = (packet, done) => {
      this.handle(packet).then(
        () => done(),
        (err: unknown) => {
          // Not acknowledged: the broker delivers it again on the next connection.
          this.o.logger.error({ err, topic: packet.topic }, 'collector could not store a message');
          done(err as Error);
        },
      );
    };
    client.on('error', (err) => this.o.logger.warn({ err: err.message }, 'collector link error'));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      client.once('connect', () => {
        client.off('error', onError);
        resolve();
      });
      client.once('error', onError);
    });
    const share = (f: string): string => `$share/${group}/${prefix}/${f}`;
    const filters: Record<string, { qos: 1 }> = {
      [share('+/results')]: { qos: 1 },
      [share('+/telemetry')]: { qos: 1 },
      // Retained messages are never sent to shared subscriptions, and status is retained: every collector reads it.
      [`${prefix}/+/status`]: { qos: 1 },
      // Retained too (each booth's model rollout state): a plain subscription for the same reason.
      [`${prefix}/+/models/state`]: { qos: 1 },
    };
    for (const h of this.o.handlers ?? []) filters[h.shared ? share(h.filter) : `${prefix}/${h.filter}`] = { qos: 1 };
    const granted = await client.subscribeAsync(filters);
    const refused = granted.filter((g) => g.qos >= 0x80);
    if (refused.length > 0) throw new Error(`broker refused subscriptions: ${refused.map((g) => `${g.topic} (0x${g.qos.toString(16)})`).join(', ')}`);
  }

  private emit(kind: 'stored' | 'duplicate' | 'invalid', topic: string, messageId?: string): void {
    if (kind === 'stored') this.figures.stored += 1;
    else if (kind === 'duplicate') this.figures.duplicates += 1;
    else this.figures.invalid += 1;
    for (const l of this.listeners) l({ kind, topic, ...(messageId === undefined ? {} : { messageId }) });
  }

  private async handle(packet: IPublishPacket): Promise<void> {
    const topic = packet.topic;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    this.figures.received += 1;
    const boothId = boothIdOf(this.o.prefix, topic);
    if (boothId === undefined || !boothIdPattern.test(boothId)) {
      this.emit('invalid', topic);
      return;
    }
    const sub = topic.slice(this.o.prefix.length + boothId.length + 2);
    const messageId = messageIdOf(packet);
    try {
      if (sub === 'status') this.storeStatus(boothId, payload);
      else if (sub === 'results') this.storeResult(boothId, topic, payload, messageId);
      else if (sub === 'telemetry') this.storeTelemetry(boothId, topic, payload, messageId);
      else if (sub === 'models/state') this.storeModelsState(boothId, topic, payload, messageId);
      else {
        const h = (this.o.handlers ?? []).find((x) => topicMatches(x.filter, `${boothId}/${sub}`));
        if (!h) {
          this.emit('invalid', topic, messageId);
          return;
        }
        await h.handle(boothId, topic, payload, packet, messageId);
      }
    } catch (err) {
      if (isGradeboothError(err) && (err.code === 'GB_VALIDATION' || err.code === 'GB_BAD_REQUEST')) {
        // A message that will never parse is acknowledged and counted, not redelivered forever.
        this.o.logger.warn({ topic, err: err.message }, 'collector dropped an invalid message');
        this.emit('invalid', topic, messageId);
        return;
      }
      throw err;
    }
  }

  private touchBooth(boothId: string, now: string): void {
    this.o.index
      .prepare('INSERT INTO booths (id, first_seen, last_seen) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen')
      .run(boothId, now, now);
  }

  /** Record a message id; false when it was stored before (a resend or a duplicate delivery). */
  private claim(messageId: string, boothId: string, topic: string, now: string): boolean {
    const r = this.o.index
      .prepare('INSERT INTO messages (message_id, booth_id, topic, received_at, collector) VALUES (?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING')
      .run(messageId, boothId, topic, now, this.o.name);
    return r.changes === 1;
  }

  private storeStatus(boothId: string, payload: Buffer): void {
    const status = payload.toString('utf8');
    if (status !== 'online' && status !== 'offline') {
      this.emit('invalid', `${boothId}/status`);
      return;
    }
    const now = new Date().toISOString();
    this.o.index.transaction(() => {
      this.touchBooth(boothId, now);
      this.o.index.prepare('UPDATE booths SET status = ?, status_at = ? WHERE id = ?').run(status, now, boothId);
    })();
    this.emit('stored', `${boothId}/status`);
  }

  private storeResult(boothId: string, topic: string, payload: Buffer, messageId: string | undefined): void {
    const r = parsePayload<ResultPayload>(resultPayloadSchema.$id, payload, `result from ${boothId}`);
    const id = messageId ?? r.messageId;
    const now = new Date().toISOString();
    const stored = this.o.index.transaction(() => {
      this.touchBooth(boothId, now);
      if (!this.claim(id, boothId, topic, now)) return false;
      this.o.index
        .prepare(
          `INSERT INTO results (message_id, booth_id, kind, barcode, scan_id, side, grade_id, overall, model_name, model_version, payload_json, graded_at, received_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(id, boothId, r.kind, r.barcode, r.scanId, r.side, r.gradeId, r.grades.overall, r.model?.name ?? null, r.model?.version ?? null, payload.toString('utf8'), r.gradedAt, now);
      if (r.kind === 'card') {
        this.o.index
          .prepare(
            `INSERT INTO cards (barcode, booth_id, overall, last_result_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (barcode) DO UPDATE SET booth_id = excluded.booth_id, overall = excluded.overall, last_result_at = excluded.last_result_at
             WHERE excluded.last_result_at >= cards.last_result_at`,
          )
          .run(r.barcode, boothId, r.grades.overall, r.gradedAt);
      }
      return true;
    })();
    if (stored) this.figures.results.stored += 1;
    else this.figures.results.duplicates += 1;
    this.emit(stored ? 'stored' : 'duplicate', topic, id);
  }

  private storeTelemetry(boothId: string, topic: string, payload: Buffer, messageId: string | undefined): void {
    const t = parsePayload<TelemetryPayload>(telemetryPayloadSchema.$id, payload, `telemetry from ${boothId}`);
    const now = new Date().toISOString();
    const stored = this.o.index.transaction(() => {
      this.touchBooth(boothId, now);
      if (messageId !== undefined && !this.claim(messageId, boothId, topic, now)) return false;
      this.o.index
        .prepare('UPDATE booths SET telemetry_json = ?, telemetry_at = ? WHERE id = ? AND (telemetry_at IS NULL OR telemetry_at <= ?)')
        .run(payload.toString('utf8'), t.at, boothId, t.at);
      return true;
    })();
    this.emit(stored ? 'stored' : 'duplicate', topic, messageId);
  }

  /**
   * Publish on the collector's connection (answers to booths); resolves on PUBACK. Do not await it inside a
   * handler: mqtt.js reads the PUBACK only after the handler's message is acknowledged, so it would wait forever.
   */
  async publish(topic: string, payload: string, options: { qos: 1; retain: boolean }): Promise<void> {
    const client = this.client;
    if (!client) throw createError('GB_SHUTTING_DOWN', 'collector is not connected');
    await client.publishAsync(topic, payload, { qos: options.qos, retain: options.retain, properties: { contentType: 'application/json' } });
  }

  /** A booth's model rollout state (retained): the newest by its `at` is kept on the booth's row. */
  private storeModelsState(boothId: string, topic: string, payload: Buffer, messageId: string | undefined): void {
    const m = parsePayload<ModelsStatePayload>(modelsStatePayloadSchema.$id, payload, `models/state from ${boothId}`);
    const now = new Date().toISOString();
    const stored = this.o.index.transaction(() => {
      this.touchBooth(boothId, now);
      if (messageId !== undefined && !this.claim(messageId, boothId, topic, now)) return false;
      this.o.index
        .prepare("UPDATE booths SET models_json = ? WHERE id = ? AND (models_json IS NULL OR json_extract(models_json, '$.at') <= ?)")
        .run(payload.toString('utf8'), boothId, m.at);
      return true;
    })();
    this.emit(stored ? 'stored' : 'duplicate', topic, messageId);
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync();
  }
}

/** A collector for these fleet settings (the fleet user's broker url, credentials and topic prefix). */
export function collectorFromSettings(fleet: FleetSettings, o: Pick<CollectorOptions, 'group' | 'name' | 'index' | 'logger' | 'sessionExpiryS' | 'handlers'>): Collector {
  return new Collector({ ...o, url: fleet.url, connectOptions: mqttConnectOptions(fleet, { clientId: `collector-${o.name}` }), prefix: fleet.topic_prefix });
}
