import type { Logger } from 'pino';
import type { FleetSettings } from '../config/schema.ts';
import type { Db } from '../storage/database.ts';
import { outboxFigures } from '../storage/outbox.ts';
import { FleetLink, type FleetCommandHandler, type FleetFigures, type FleetSubscription } from './fleet-link.ts';
import { TelemetryReporter, type TelemetrySources } from './telemetry.ts';
import { DatasetUploader } from './dataset-uploader.ts';
import type { FileStore } from '../storage/file-store.ts';

export interface FleetSyncDeps {
  fleet: FleetSettings;
  db: Db;
  logger: Logger;
  commands: ReadonlyMap<string, FleetCommandHandler>;
  subscriptions?: FleetSubscription[];
  onConnected?: () => void;
  telemetry: Omit<TelemetrySources, 'db' | 'link'>;
  /** The booth's file store: datasets are read from it (no dataset upload without it). */
  store?: FileStore;
}

/** What /api/status shows about the fleet; without `fleet` settings only the queue. */
export type FleetStatus = FleetFigures | { configured: false; queue: ReturnType<typeof outboxFigures> };

/** The booth's fleet side: the MQTT link and its outbox drain, the telemetry timer, the fleet's commands. */
export class FleetSync {
  private readonly deps: FleetSyncDeps;
  readonly link: FleetLink;
  private readonly telemetry: TelemetryReporter;
  /** Dataset upload (absent without a file store). */
  readonly datasets: DatasetUploader | undefined;

  constructor(deps: FleetSyncDeps) {
    this.deps = deps;
    const root = `${deps.fleet.topic_prefix}/${deps.fleet.booth_id}`;
    const datasets = deps.store
      ? new DatasetUploader({
          db: deps.db,
          store: deps.store,
          boothId: deps.fleet.booth_id,
          topicRoot: root,
          settings: deps.fleet.datasets,
          logger: deps.logger.child({ part: 'datasets' }),
          kick: () => this.link.kick(),
          publishNow: (topic, payload, options) => this.link.publishNow(topic, payload, options),
        })
      : undefined;
    this.datasets = datasets;
    const commands = new Map(deps.commands);
    if (datasets) commands.set('dataset-pull', (params) => datasets.pull(params));
    const subscriptions = [...(deps.subscriptions ?? []), ...(datasets ? [datasets.subscription()] : [])];
    this.link = new FleetLink({ fleet: deps.fleet, db: deps.db, logger: deps.logger, commands, subscriptions, ...(deps.onConnected ? { onConnected: deps.onConnected } : {}) });
    this.telemetry = new TelemetryReporter({
      sources: { ...deps.telemetry, db: deps.db, link: () => this.link.counters },
      intervalS: deps.fleet.telemetry_interval_s,
      expiryS: deps.fleet.telemetry_expiry_s,
      onQueued: () => this.link.kick(),
      onError: (err) => deps.logger.error({ err }, 'telemetry sample failed'),
    });
  }

  start(): void {
    this.link.start();
    this.telemetry.start();
    this.datasets?.start();
  }

  /** A stage queued something: send it now rather than at the next poll. */
  kick(): void {
    this.link.kick();
  }

  figures(): FleetFigures {
    return this.link.figures();
  }

  async stop(): Promise<void> {
    this.telemetry.stop();
    await this.datasets?.stop();
    await this.link.stop();
  }
}

export const fleetStatusSchema = {
  $id: 'FleetStatus',
  type: 'object',
  required: ['configured', 'queue'],
  properties: {
    configured: { type: 'boolean' },
    state: { enum: ['stopped', 'connecting', 'connected', 'disconnected'] },
    url: { type: 'string' },
    boothId: { type: 'string' },
    topicRoot: { type: 'string' },
    lastConnectedAt: { type: ['string', 'null'] },
    lastError: { type: ['string', 'null'] },
    inFlight: { type: 'integer' },
    counters: {
      type: 'object',
      properties: {
        connects: { type: 'integer' },
        disconnects: { type: 'integer' },
        published: { type: 'integer' },
        acknowledged: { type: 'integer' },
        failed: { type: 'integer' },
        expired: { type: 'integer' },
        bytesSent: { type: 'integer' },
      },
    },
    queue: {
      type: 'object',
      properties: {
        rows: { type: 'integer' },
        bytes: { type: 'integer' },
        oldestCreatedAt: { type: ['string', 'null'] },
        byKind: { type: 'object', additionalProperties: { type: 'object', properties: { rows: { type: 'integer' }, bytes: { type: 'integer' } } } },
      },
    },
  },
} as const;
