import { pino, type Logger } from 'pino';
import type { Settings } from '../config/schema.ts';

/** Structured JSON logs, one line per event, to stdout (journald keeps them under systemd). */
export function createLogger(level: Settings['log_level'], destination: NodeJS.WritableStream = process.stdout): Logger {
  return pino(
    {
      level,
      base: { service: 'gradebooth', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Websocket clients may pass their token as ?access_token=; never write it to a log.
      redact: { paths: ['req.headers.authorization', 'req.query.access_token'], censor: '[redacted]' },
      serializers: {
        req: (req: { method: string; url: string; id: string; ip?: string }) => ({ id: req.id, method: req.method, url: req.url.split('?')[0], ip: req.ip }),
      },
    },
    destination as pino.DestinationStream,
  );
}
