import type { Db } from '../storage/database.ts';
import { enqueueOutbox, outboxFigures, outboxPriority } from '../storage/outbox.ts';
import type { DeviceStatus } from '../hardware/device.ts';
import { assertPayload, telemetryPayloadSchema, type LinkCounters, type TelemetryPayload } from './payloads.ts';
import { outboxTopics } from './topics.ts';

export interface TelemetrySources {
  db: Db;
  devices: () => DeviceStatus[];
  disk: () => Promise<{ freeBytes: number; totalBytes: number }>;
  link: () => LinkCounters;
  startedAtMs: number;
}

const rigTemperatureFreshMs = 60_000;

/** The newest passed calibration of each procedure: its age and whether it is still valid. */
function calibrationAges(db: Db, now: Date): TelemetryPayload['calibration'] {
  const rows = db
    .prepare('SELECT procedure, max(created_at) AS created_at, max(expires_at) AS expires_at FROM calibrations WHERE passed = 1 GROUP BY procedure ORDER BY procedure')
    .all() as Array<{ procedure: string; created_at: string; expires_at: string }>;
  return rows.map((r) => ({
    procedure: r.procedure,
    ageS: Math.max(0, Math.round((now.getTime() - Date.parse(r.created_at)) / 1000)),
    valid: Date.parse(r.expires_at) > now.getTime(),
  }));
}

/** One telemetry sample from the booth's own figures. */
export async function telemetrySample(s: TelemetrySources, now = new Date()): Promise<TelemetryPayload> {
  const rig = s.devices().find((d) => d.device === 'rig');
  // The firmware reports every 10 s when idle: a reading older than a minute means the rig went quiet.
  const tempAt = typeof rig?.info?.tempAt === 'string' ? Date.parse(rig.info.tempAt) : Number.NaN;
  const temp = now.getTime() - tempAt <= rigTemperatureFreshMs ? rig?.info?.tempC : undefined;
  const queue = outboxFigures(s.db);
  const disk = await s.disk();
  return assertPayload<TelemetryPayload>(
    telemetryPayloadSchema.$id,
    {
      schema: 'gradebooth.telemetry.v1',
      at: now.toISOString(),
      // Reported only when the rig's status carries a reading (a null is "no reading", never a guess).
      rigTemperatureC: typeof temp === 'number' && Number.isFinite(temp) ? temp : null,
      link: s.link(),
      calibration: calibrationAges(s.db, now),
      queue,
      disk: { freeBytes: disk.freeBytes, totalBytes: disk.totalBytes },
      uptimeS: Math.max(0, Math.round((now.getTime() - s.startedAtMs) / 100) / 10),
    },
    'telemetry',
  );
}

/**
 * Queues a telemetry sample every interval through the outbox with an expiry: while the link is down
 * samples pile up only until they expire, and the fleet gets the fresh ones after an outage.
 */
export class TelemetryReporter {
  private readonly sources: TelemetrySources;
  private readonly intervalMs: number;
  private readonly expiryMs: number;
  private readonly onQueued: () => void;
  private readonly onError: (err: unknown) => void;
  private timer: NodeJS.Timeout | undefined;

  constructor(options: { sources: TelemetrySources; intervalS: number; expiryS: number; onQueued: () => void; onError: (err: unknown) => void }) {
    this.sources = options.sources;
    this.intervalMs = options.intervalS * 1000;
    this.expiryMs = options.expiryS * 1000;
    this.onQueued = options.onQueued;
    this.onError = options.onError;
  }

  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.queueOne().catch(this.onError), this.intervalMs);
    this.timer.unref();
    void this.queueOne().catch(this.onError);
  }

  async queueOne(now = new Date()): Promise<void> {
    const sample = await telemetrySample(this.sources, now);
    enqueueOutbox(this.sources.db, {
      topic: outboxTopics.telemetry,
      payload: sample,
      qos: 1,
      priority: outboxPriority.telemetry,
      kind: 'telemetry',
      expiresAt: new Date(now.getTime() + this.expiryMs),
    });
    this.onQueued();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
