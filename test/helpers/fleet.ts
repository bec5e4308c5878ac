import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import pino from 'pino';
import type { Test } from 'tap';
import { validateSettings } from '../../src/config/load.ts';
import type { FleetSettings } from '../../src/config/schema.ts';
import { openDatabase, type Db } from '../../src/storage/database.ts';
import { FleetLink, type FleetCommandHandler } from '../../src/sync/fleet-link.ts';
import { enqueueResult } from '../../src/sync/results.ts';
import { collectorFromSettings, type Collector } from '../../src/fleet/collector.ts';
import { openFleetIndex } from '../../src/fleet/index-db.ts';
import { mqttConnectOptions } from '../../src/sync/connect-options.ts';
import type { Broker } from './mosquitto.ts';

export const silent = pino({ level: 'silent' });

/** Fleet settings for a booth (or the fleet user) on the broker's password listener, validated as a settings file would be. */
export function fleetSettings(broker: Broker, user: string, extra: Record<string, unknown> = {}): FleetSettings {
  const s = validateSettings({
    booth: { id: user },
    fleet: { url: broker.url, ca_file: broker.caFile, username: user, password_file: broker.passwordFile(user), reconnect_ms: 200, backoff_max_ms: 1000, keepalive_s: 5, ...extra },
  });
  if (!s.fleet) throw new Error('no fleet settings');
  return s.fleet;
}

export function tempDir(t: Test, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface TestBooth {
  db: Db;
  link: FleetLink;
  fleet: FleetSettings;
  dbPath: string;
  /** Queue one side result in its own transaction (as the grade stage does); returns its message id. */
  grade(barcode: string): string;
}

export function startBooth(t: Test, broker: Broker, boothId: string, options: { extra?: Record<string, unknown>; commands?: Map<string, FleetCommandHandler>; dir?: string } = {}): TestBooth {
  const dir = options.dir ?? tempDir(t, `gb-booth-${boothId}-`);
  const dbPath = join(dir, 'booth.sqlite');
  const db = openDatabase(dbPath);
  const fleet = fleetSettings(broker, boothId, options.extra);
  const link = new FleetLink({ fleet, db, logger: silent, commands: options.commands ?? new Map() });
  link.start();
  let closed = false;
  t.teardown(async () => {
    if (closed) return;
    closed = true;
    await link.stop();
    db.close();
  });
  return {
    db,
    link,
    fleet,
    dbPath,
    grade(barcode) {
      const scanId = randomUUID();
      let id = '';
      db.transaction(() => {
        id = enqueueResult(db, sideResult(barcode, scanId)).messageId;
      })();
      link.kick();
      return id;
    },
  };
}

export function sideResult(barcode: string, scanId: string): Parameters<typeof enqueueResult>[1] {
  return {
    kind: 'side',
    barcode,
    jobId: null,
    scanId,
    side: 'front',
    gradeId: null,
    grades: { overall: 8.5, centering: 9, corners: 8.5, edges: 8, surface: 9 },
    score1000: 850,
    defects: [{ side: 'front', category: 'corner', kind: 'whitening', xMm: -30, yMm: 42, lengthMm: 0.6, widthMm: 0.3, depthUm: null, severity: 0.2 }],
    model: null,
    reason: null,
    gradedAt: new Date().toISOString(),
  };
}

/** A collector as the fleet user; its session ends with it (sessionExpiryS 0) so no later test's messages queue for it. */
export async function startCollector(t: Test, broker: Broker, indexPath: string, name: string, group = 'collectors', sessionExpiryS = 0): Promise<Collector> {
  const fleet = fleetSettings(broker, 'fleet');
  const collector = collectorFromSettings(fleet, { group, name, index: openFleetIndex(indexPath), logger: silent, sessionExpiryS });
  await collector.start();
  t.teardown(() => collector.stop());
  return collector;
}

/** Poll until `check` is true (the test's own deadline guards against forever). */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, limitMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Lost and duplicated after de-duplication, against the message ids the booth queued. */
export function countDelivery(indexPath: string, sent: string[]): { lost: number; duplicated: number; stored: number } {
  const index = openFleetIndex(indexPath);
  try {
    const rows = index.prepare('SELECT message_id FROM results').all() as Array<{ message_id: string }>;
    const seen = new Map<string, number>();
    for (const r of rows) seen.set(r.message_id, (seen.get(r.message_id) ?? 0) + 1);
    // A logical result stored twice under two ids would show as two rows with the same scan id.
    const byScan = index.prepare('SELECT count(*) - count(DISTINCT scan_id) AS d FROM results').get() as { d: number };
    return { lost: sent.filter((id) => !seen.has(id)).length, duplicated: byScan.d + [...seen.values()].filter((n) => n > 1).length, stored: rows.length };
  } finally {
    index.close();
  }
}

/** An observer client as the fleet user (reads retained status and anything else). */
export async function observer(t: Test, broker: Broker): Promise<MqttClient> {
  const fleet = fleetSettings(broker, 'fleet');
  const client = await connectAsync(fleet.url, mqttConnectOptions(fleet, { clientId: `observer-${randomUUID().slice(0, 8)}` }));
  t.teardown(() => client.endAsync(true));
  return client;
}
