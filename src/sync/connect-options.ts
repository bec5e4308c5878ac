import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import type { FleetSettings } from '../config/schema.ts';
import { createError } from '../core/errors.ts';

function readCredential(path: string, key: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw createError('GB_CONFIG_UNREADABLE', `"fleet.${key}" ${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/**
 * mqtt.js options for a booth or a collector: MQTT v5, TLS material and the password read from their
 * files now (so a missing file is a clear GB_CONFIG_UNREADABLE at start, not a TLS error later), the
 * broker certificate always verified.
 */
export function mqttConnectOptions(fleet: FleetSettings, extra: { clientId: string; will?: IClientOptions['will'] }): IClientOptions {
  const options: IClientOptions = {
    protocolVersion: 5,
    clientId: extra.clientId,
    // The SQLite outbox is the durable queue; a clean session keeps the broker from holding a second copy.
    clean: true,
    keepalive: fleet.keepalive_s,
    connectTimeout: fleet.connect_timeout_ms,
    reconnectPeriod: fleet.reconnect_ms,
    // Never queue while offline inside mqtt.js (its queue is memory): the drain publishes only when connected.
    queueQoSZero: false,
    resubscribe: true,
    rejectUnauthorized: true,
  };
  if (extra.will) options.will = extra.will;
  if (fleet.ca_file !== '') options.ca = readCredential(fleet.ca_file, 'ca_file');
  if (fleet.cert_file !== '') options.cert = readCredential(fleet.cert_file, 'cert_file');
  if (fleet.key_file !== '') options.key = readCredential(fleet.key_file, 'key_file');
  if (fleet.username !== '') options.username = fleet.username;
  if (fleet.password_file !== '') {
    const password = readCredential(fleet.password_file, 'password_file').toString('utf8').split(/\r?\n/)[0];
    if (password === '') throw createError('GB_CONFIG_INVALID', `"fleet.password_file" ${fleet.password_file}: the first line is empty`);
    options.password = password;
  }
  return options;
}
