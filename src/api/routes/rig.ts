import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authErrorResponses } from '../schemas.ts';
import { createError } from '../../core/errors.ts';
import type { RigDiagnostics } from '../../hardware/rig/diagnostics.ts';

const counterNames = ['txFrames', 'rxFrames', 'retransmits', 'crcErrors', 'garbageBytes', 'interByteTimeouts', 'naks', 'timeouts', 'reconnects', 'eventsReceived', 'eventsDuplicated', 'staleResponses'] as const;

const readingSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['state', 'firmwareVersion', 'protocolVersion', 'serial', 'bootId', 'channels', 'rig', 'statusError', 'faults', 'lit', 'counters', 'rtoMs', 'srttMs', 'at'],
  properties: {
    state: { enum: ['stopped', 'connecting', 'connected', 'disconnected', 'fault'] },
    firmwareVersion: { type: ['string', 'null'] },
    protocolVersion: { type: ['integer', 'null'] },
    serial: { type: ['string', 'null'] },
    bootId: { type: ['integer', 'null'] },
    channels: { type: 'integer' },
    rig: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['state', 'tempC', 'adcRaw', 'tempLimitC', 'maxOnMs', 'hostTimeoutMs', 'levels', 'blanked'],
      properties: {
        state: { enum: ['idle', 'running', 'fault'] },
        tempC: { type: ['number', 'null'], description: 'thermistor temperature, °C (null: sensor open or shorted)' },
        adcRaw: { type: 'integer' },
        tempLimitC: { type: 'number' },
        maxOnMs: { type: 'integer' },
        hostTimeoutMs: { type: 'integer' },
        levels: { type: 'array', items: { type: 'integer' } },
        blanked: { type: 'boolean' },
      },
    },
    statusError: { type: ['object', 'null'], additionalProperties: false, required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
    faults: { type: 'array', items: { type: 'string' } },
    lit: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['led', 'level', 'offAt'],
      properties: { led: { type: 'integer' }, level: { type: 'integer' }, offAt: { type: 'string', description: 'when the daemon turns it off (before the firmware on-time limit)' } },
    },
    counters: { type: 'object', additionalProperties: false, required: [...counterNames], properties: Object.fromEntries(counterNames.map((n) => [n, { type: 'integer' }])) },
    rtoMs: { type: 'number' },
    srttMs: { type: ['number', 'null'] },
    at: { type: 'string' },
  },
} as const;

const responses = { 200: readingSchema, ...authErrorResponses, 400: { $ref: 'Error#' }, 409: { $ref: 'Error#' }, 503: { $ref: 'Error#' } } as const;

/** Who acts, as the audit log names them: a touchscreen technician or a token. */
const actorOf = (request: FastifyRequest): string => {
  const id = request.principal!.id;
  return id.startsWith('op:') ? `operator:${id.slice(3)}` : `token:${id}`;
};

/**
 * Rig diagnostics for technicians, through the real rig driver: identity, live status (temperature,
 * levels, faults) and link counters; light one LED, all off, clear faults. Refused with 409 GB_CONFLICT
 * naming the job while one holds the booth; LED and fault commands are audited.
 */
export async function rigRoutes(app: FastifyInstance): Promise<void> {
  const diagnostics = (): RigDiagnostics => {
    if (!app.services.accepting()) throw createError('GB_SHUTTING_DOWN', 'the booth is stopping; no rig diagnostics now');
    const d = app.services.rigDiagnostics;
    if (!d) throw createError('GB_HW_ABSENT', 'this daemon has no booth (LED rig and camera) configured; see hardware.* in the settings');
    return d;
  };

  app.get(
    '/api/rig/diagnostics',
    { config: { role: 'technician' }, schema: { summary: "The LED rig's identity, live status (temperature, levels, faults) and link counters; technicians only", tags: ['rig'], response: responses } },
    async () => diagnostics().read(),
  );

  app.post(
    '/api/rig/leds',
    {
      config: { role: 'technician' },
      schema: {
        summary: 'Light one LED (every other off) until turned off, another is lit, or just before the firmware on-time limit; technicians only',
        tags: ['rig'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['led'],
          properties: { led: { type: 'integer', minimum: 0, maximum: 23 }, level: { type: 'integer', minimum: 1, maximum: 4095, default: 4095 } },
        },
        response: responses,
      },
    },
    async (request) => {
      const { led, level } = request.body as { led: number; level: number };
      const reading = await diagnostics().light(led, level);
      app.services.audit.record(actorOf(request), 'rig.led_on', String(led), { led, level, offAt: reading.lit?.offAt });
      return reading;
    },
  );

  app.delete(
    '/api/rig/leds',
    { config: { role: 'technician' }, schema: { summary: 'All LEDs off; technicians only', tags: ['rig'], response: responses } },
    async (request) => {
      const reading = await diagnostics().off();
      app.services.audit.record(actorOf(request), 'rig.leds_off', undefined);
      return reading;
    },
  );

  app.post(
    '/api/rig/faults/clear',
    { config: { role: 'technician' }, schema: { summary: "Clear the firmware's latched faults (LEDs off); what stays latched shows in the reading; technicians only", tags: ['rig'], response: responses } },
    async (request) => {
      const reading = await diagnostics().clearFaults();
      app.services.audit.record(actorOf(request), 'rig.faults_cleared', undefined, { stillLatched: reading.faults });
      return reading;
    },
  );
}
