import { connect, type MqttClient, type IPublishPacket } from 'mqtt';
import type { Logger } from 'pino';
import type { FleetSettings } from '../config/schema.ts';
import type { Db } from '../storage/database.ts';
import { outboxFigures, type OutboxFigures } from '../storage/outbox.ts';
import { createError, isGradeboothError } from '../core/errors.ts';
import { mqttConnectOptions } from './connect-options.ts';
import { OutboxDrain } from './outbox-drain.ts';
import { boothTopics, topicMatches, type BoothTopics } from './topics.ts';
import { assertPayload, commandRequestSchema, commandResponseSchema, type CommandRequest, type CommandResponse, type LinkCounters } from './payloads.ts';

/** Answers one fleet command; throw a coded error to refuse. */
export type FleetCommandHandler = (params: Record<string, unknown>) => Promise<unknown>;

/** Another subscription a sync feature needs (model offers, dataset acknowledgements). */
export interface FleetSubscription {
  filter: string;
  onMessage(topic: string, payload: Buffer, packet: IPublishPacket): void;
  /**
   * false: only route messages matching `filter` here; the feature subscribes to the exact topics it wants with
   * subscribe() (model chunks: one retained topic per missing chunk, a few at a time). Default true: subscribed
   * on every connection.
   */
  subscribeOnConnect?: boolean;
}

export interface FleetLinkDeps {
  fleet: FleetSettings;
  db: Db;
  logger: Logger;
  commands: ReadonlyMap<string, FleetCommandHandler>;
  subscriptions?: FleetSubscription[];
  /** Longest a command may take before the fleet gets GB_INTERNAL instead of silence, ms. */
  commandTimeoutMs?: number;
  /** Called after each (re)connection once the subscriptions stand (a model download resumes here). */
  onConnected?: () => void;
}

export type FleetLinkState = 'stopped' | 'connecting' | 'connected' | 'disconnected';

export interface FleetFigures {
  configured: true;
  state: FleetLinkState;
  url: string;
  boothId: string;
  topicRoot: string;
  lastConnectedAt: string | null;
  lastError: string | null;
  inFlight: number;
  counters: LinkCounters;
  queue: OutboxFigures;
}

/**
 * The booth's MQTT v5 link: availability (`status` retained `online`, `offline` as the last will and on a
 * clean stop), the outbox drain while connected, and the fleet's commands as request/response. The booth
 * never waits for it: start() returns at once and the link connects (and reconnects) in the background.
 */
export class FleetLink {
  private readonly deps: FleetLinkDeps;
  readonly topics: BoothTopics;
  private client: MqttClient | undefined;
  private drain: OutboxDrain | undefined;
  private state: FleetLinkState = 'stopped';
  private lastConnectedAt: string | null = null;
  private lastError: string | null = null;
  /** MQTT packet id → our message id, to read each PUBACK's reason code (mqtt.js does not hand it over). */
  private readonly packetMessageIds = new Map<number, string>();
  /** Message ids whose PUBACK said 0x10 "no matching subscribers": the broker dropped them. */
  private readonly unrouted = new Set<string>();

  constructor(deps: FleetLinkDeps) {
    this.deps = deps;
    this.topics = boothTopics(deps.fleet.topic_prefix, deps.fleet.booth_id);
  }

  /** Connect in the background. Throws only for unreadable credential files (GB_CONFIG_UNREADABLE). */
  start(): void {
    const { fleet, db, logger } = this.deps;
    const options = mqttConnectOptions(fleet, {
      clientId: `gradebooth-${fleet.booth_id}`,
      will: { topic: this.topics.status, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    const drain = new OutboxDrain({
      db,
      publish: (row, expiryS) => this.publishRow(row.topic, row.payload, row.qos, row.retain, row.messageId, expiryS),
      bandwidthBytesPerS: fleet.bandwidth_bytes_per_s,
      inFlightMax: fleet.in_flight_max,
      backoffBaseMs: fleet.reconnect_ms,
      backoffMaxMs: fleet.backoff_max_ms,
      onError: (err) => logger.error({ err }, 'fleet outbox drain'),
    });
    this.drain = drain;
    this.state = 'connecting';
    const client = connect(fleet.url, options);
    this.client = client;
    client.on('connect', () => {
      this.state = 'connected';
      this.lastConnectedAt = new Date().toISOString();
      drain.counters.connects += 1;
      logger.info({ url: fleet.url, boothId: fleet.booth_id }, 'fleet link connected');
      void this.afterConnect(client, drain);
    });
    client.on('close', () => {
      if (this.state === 'connected') {
        drain.counters.disconnects += 1;
        logger.warn({ url: fleet.url }, 'fleet link lost; results stay queued in the outbox');
      }
      if (this.state !== 'stopped') this.state = 'disconnected';
      drain.setConnected(false);
    });
    client.on('error', (err) => {
      this.lastError = err.message;
      logger.warn({ err: err.message }, 'fleet link error');
    });
    client.on('message', (topic, payload, packet) => this.onMessage(client, topic, payload, packet));
    // A broker that restarted without persistence has no subscriptions until the collectors come back, and
    // drops what it receives meanwhile while still acknowledging it (MQTT v5 PUBACK reason 0x10). Such a
    // row must stay queued, so the reason code is read off the wire here.
    client.on('packetsend', (packet) => {
      if (packet.cmd !== 'publish' || packet.qos === 0 || packet.messageId === undefined) return;
      const id = packet.properties?.userProperties?.['message-id'];
      if (typeof id === 'string') this.packetMessageIds.set(packet.messageId, id);
    });
    client.on('packetreceive', (packet) => {
      if (packet.cmd !== 'puback' || packet.messageId === undefined) return;
      const id = this.packetMessageIds.get(packet.messageId);
      this.packetMessageIds.delete(packet.messageId);
      if (id !== undefined && packet.reasonCode === 0x10) this.unrouted.add(id);
    });
    drain.start();
  }

  private async afterConnect(client: MqttClient, drain: OutboxDrain): Promise<void> {
    try {
      await client.publishAsync(this.topics.status, 'online', { qos: 1, retain: true });
      const filters = [this.topics.commandsFilter, ...(this.deps.subscriptions ?? []).filter((s) => s.subscribeOnConnect !== false).map((s) => s.filter)];
      await client.subscribeAsync(filters.map((f) => f), { qos: 1 });
      drain.setConnected(true);
      this.deps.onConnected?.();
    } catch (err) {
      this.lastError = (err as Error).message;
      this.deps.logger.warn({ err: (err as Error).message }, 'fleet link: announcing online failed; retrying on the next connection');
    }
  }

  private publishRow(topic: string, payload: Buffer, qos: 0 | 1 | 2, retain: boolean, messageId: string, expiryS: number | undefined): Promise<void> {
    const client = this.client;
    if (!client || !client.connected) return Promise.reject(createError('GB_SHUTTING_DOWN', 'fleet link is not connected'));
    const properties: NonNullable<Parameters<MqttClient['publishAsync']>[2]>['properties'] = { userProperties: { 'message-id': messageId } };
    if (expiryS !== undefined) properties.messageExpiryInterval = expiryS;
    if (payload[0] === 0x7b) properties.contentType = 'application/json';
    return client.publishAsync(`${this.topics.root}/${topic}`, payload, { qos, retain, properties }).then(() => {
      if (this.unrouted.delete(messageId)) {
        throw createError('GB_FLEET_UNDELIVERED', `no fleet collector subscribes to ${this.topics.root}/${topic} (PUBACK 0x10); kept for resend`);
      }
    });
  }

  /** Publish now, outside the outbox (answers to live requests). Resolves on PUBACK. */
  async publishNow(topic: string, payload: string | Buffer, options: { qos?: 0 | 1; retain?: boolean; correlationData?: Buffer } = {}): Promise<void> {
    const client = this.client;
    if (!client || !client.connected) throw createError('GB_SHUTTING_DOWN', 'fleet link is not connected');
    await client.publishAsync(topic, payload, {
      qos: options.qos ?? 1,
      retain: options.retain ?? false,
      properties: options.correlationData ? { correlationData: options.correlationData, contentType: 'application/json' } : { contentType: 'application/json' },
    });
  }

  get connected(): boolean {
    return this.client?.connected === true && this.state === 'connected';
  }

  /** Subscribe to more topics now (QoS 1); false when not connected (the caller retries on onConnected). */
  async subscribe(topics: string[]): Promise<boolean> {
    const client = this.client;
    if (!client || !client.connected || topics.length === 0) return false;
    const granted = await client.subscribeAsync(topics, { qos: 1 });
    const refused = granted.filter((g) => g.qos >= 0x80);
    if (refused.length > 0) throw createError('GB_FLEET_UNREACHABLE', `broker refused subscriptions: ${refused.map((g) => g.topic).join(', ')}`);
    return true;
  }

  async unsubscribe(topics: string[]): Promise<void> {
    const client = this.client;
    if (!client || !client.connected || topics.length === 0) return;
    await client.unsubscribeAsync(topics);
  }

  /** Something was queued: send it now rather than at the next poll. */
  kick(): void {
    this.drain?.wake();
  }

  private onMessage(client: MqttClient, topic: string, payload: Buffer, packet: IPublishPacket): void {
    if (topic.startsWith(`${this.topics.commands}/`)) {
      void this.answerCommand(client, topic.slice(this.topics.commands.length + 1), payload, packet);
      return;
    }
    for (const s of this.deps.subscriptions ?? []) {
      if (topicMatches(s.filter, topic)) {
        try {
          s.onMessage(topic, payload, packet);
        } catch (err) {
          this.deps.logger.error({ err, topic }, 'fleet message handler failed');
        }
      }
    }
  }

  private async answerCommand(client: MqttClient, name: string, payload: Buffer, packet: IPublishPacket): Promise<void> {
    const responseTopic = packet.properties?.responseTopic;
    const correlationData = packet.properties?.correlationData;
    if (!responseTopic || /[+#]/.test(responseTopic)) {
      // Nowhere to answer: an MQTT v5 request must name its response topic.
      this.deps.logger.warn({ command: name }, 'fleet command without a usable response topic ignored');
      return;
    }
    let response: CommandResponse;
    try {
      const request = assertPayload<CommandRequest>(commandRequestSchema.$id, payload.length === 0 ? {} : JSON.parse(payload.toString('utf8')), `command ${name}`);
      const handler = this.deps.commands.get(name);
      if (!handler) throw createError('GB_NOT_FOUND', `unknown fleet command "${name}"; known: ${[...this.deps.commands.keys()].join(', ')}`);
      const timeoutMs = this.deps.commandTimeoutMs ?? 30_000;
      let timer: NodeJS.Timeout | undefined;
      const result = await Promise.race([
        handler(request.params ?? {}),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(createError('GB_INTERNAL', `fleet command "${name}" took longer than ${timeoutMs} ms`)), timeoutMs);
        }),
      ]).finally(() => clearTimeout(timer));
      response = { ok: true, command: name, result: result ?? null };
    } catch (err) {
      const code = isGradeboothError(err) ? err.code : err instanceof SyntaxError ? 'GB_VALIDATION' : 'GB_INTERNAL';
      response = { ok: false, command: name, error: { code, message: (err as Error).message } };
    }
    assertPayload(commandResponseSchema.$id, response, 'command response');
    try {
      await client.publishAsync(responseTopic, JSON.stringify(response), {
        qos: 1,
        properties: { ...(correlationData ? { correlationData } : {}), contentType: 'application/json' },
      });
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message, command: name }, 'fleet command answer not delivered');
    }
  }

  figures(): FleetFigures {
    const { fleet, db } = this.deps;
    return {
      configured: true,
      state: this.state,
      url: fleet.url,
      boothId: fleet.booth_id,
      topicRoot: this.topics.root,
      lastConnectedAt: this.lastConnectedAt,
      lastError: this.lastError,
      inFlight: this.drain?.inFlightCount ?? 0,
      counters: { ...(this.drain?.counters ?? { connects: 0, disconnects: 0, published: 0, acknowledged: 0, failed: 0, expired: 0, bytesSent: 0 }) },
      queue: outboxFigures(db),
    };
  }

  get counters(): LinkCounters {
    return { ...(this.drain?.counters ?? { connects: 0, disconnects: 0, published: 0, acknowledged: 0, failed: 0, expired: 0, bytesSent: 0 }) };
  }

  /** Clean stop: stop draining, publish `offline` (retained) if connected, disconnect. */
  async stop(): Promise<void> {
    const client = this.client;
    const wasConnected = client?.connected === true;
    this.state = 'stopped';
    await this.drain?.stop();
    if (!client) return;
    if (wasConnected) {
      try {
        await Promise.race([client.publishAsync(this.topics.status, 'offline', { qos: 1, retain: true }), new Promise((r) => setTimeout(r, 2000))]);
      } catch {
        // The last will says the same when the broker notices we are gone.
      }
    }
    await client.endAsync(true);
    this.client = undefined;
  }
}
