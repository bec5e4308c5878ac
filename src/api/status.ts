import type { DeviceStatus } from '../hardware/device.ts';
import { fleetStatusSchema, type FleetStatus } from '../sync/fleet-sync.ts';

const { $id: _fleetId, ...fleetStatusProperties } = fleetStatusSchema;

/** What /api/status reports: the booth at a glance for an operator or a technician. */
export interface BoothStatus {
  status: 'ok' | 'degraded' | 'stopping';
  /** Why the status is not ok, one line each. */
  problems: string[];
  boothId: string;
  versions: { gradebooth: string; node: string; sqlite: string; schema: number };
  startedAt: string;
  uptimeS: number;
  hardware: DeviceStatus[];
  database: { path: string; journalMode: string; schemaVersion: number; sizeBytes: number; walBytes: number };
  /** scanSideBytes: what one scanned side needs on disk with every LED lit (0 without a booth); scans are refused below it. */
  disk: { path: string; freeBytes: number; totalBytes: number; minFreeBytes: number; scanSideBytes: number };
  events: { websocketClients: number };
  /** Fleet link and outbox figures (the queue also without `fleet` settings). */
  fleet: FleetStatus;
}

export const boothStatusSchema = {
  $id: 'BoothStatus',
  type: 'object',
  additionalProperties: false,
  required: ['status', 'problems', 'boothId', 'versions', 'startedAt', 'uptimeS', 'hardware', 'database', 'disk', 'events', 'fleet'],
  properties: {
    status: { enum: ['ok', 'degraded', 'stopping'] },
    problems: { type: 'array', items: { type: 'string' } },
    boothId: { type: 'string' },
    versions: {
      type: 'object',
      additionalProperties: false,
      required: ['gradebooth', 'node', 'sqlite', 'schema'],
      properties: { gradebooth: { type: 'string' }, node: { type: 'string' }, sqlite: { type: 'string' }, schema: { type: 'integer' } },
    },
    startedAt: { type: 'string', format: 'date-time' },
    uptimeS: { type: 'number' },
    hardware: { type: 'array', items: { $ref: 'DeviceStatus#' } },
    database: {
      type: 'object',
      additionalProperties: false,
      required: ['path', 'journalMode', 'schemaVersion', 'sizeBytes', 'walBytes'],
      properties: {
        path: { type: 'string' },
        journalMode: { type: 'string' },
        schemaVersion: { type: 'integer' },
        sizeBytes: { type: 'integer' },
        walBytes: { type: 'integer' },
      },
    },
    disk: {
      type: 'object',
      additionalProperties: false,
      required: ['path', 'freeBytes', 'totalBytes', 'minFreeBytes', 'scanSideBytes'],
      properties: { path: { type: 'string' }, freeBytes: { type: 'integer' }, totalBytes: { type: 'integer' }, minFreeBytes: { type: 'integer' }, scanSideBytes: { type: 'integer' } },
    },
    events: { type: 'object', additionalProperties: false, required: ['websocketClients'], properties: { websocketClients: { type: 'integer' } } },
    fleet: fleetStatusProperties,
  },
} as const;
