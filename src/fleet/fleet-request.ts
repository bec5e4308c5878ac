import { randomUUID } from 'node:crypto';
import { connectAsync } from 'mqtt';
import type { FleetSettings } from '../config/schema.ts';
import { createError } from '../core/errors.ts';
import { mqttConnectOptions } from '../sync/connect-options.ts';
import { commandResponseSchema, parsePayload, type CommandResponse } from '../sync/payloads.ts';

/**
 * Ask one booth a fleet command as an MQTT v5 request (docs/fleet.md "Commands"): publish to
 * `<prefix>/<booth>/commands/<name>` with a response topic under `<prefix>/_fleet/responses/` and correlation
 * data, and wait for the answer. A booth that is offline does not answer: GB_FLEET_UNREACHABLE after the
 * time limit (the request is not queued for it — commands are live).
 */
export async function requestFleetCommand(fleet: FleetSettings, boothId: string, name: string, params: Record<string, unknown>, options: { timeoutMs: number; clientId?: string }): Promise<CommandResponse> {
  const client = await connectAsync(fleet.url, mqttConnectOptions(fleet, { clientId: options.clientId ?? `fleet-cli-${randomUUID().slice(0, 8)}` })).catch((err: unknown) => {
    throw createError('GB_FLEET_UNREACHABLE', `cannot connect to ${fleet.url}: ${(err as Error).message}`);
  });
  try {
    const responseTopic = `${fleet.topic_prefix}/_fleet/responses/${randomUUID()}`;
    const correlation = randomUUID();
    const answer = new Promise<CommandResponse>((resolve, reject) => {
      const timer = setTimeout(() => reject(createError('GB_FLEET_UNREACHABLE', `booth ${boothId} did not answer "${name}" within ${options.timeoutMs} ms (offline, or not subscribed)`)), options.timeoutMs);
      client.on('message', (topic, payload, packet) => {
        if (topic !== responseTopic || String(packet.properties?.correlationData) !== correlation) return;
        clearTimeout(timer);
        try {
          resolve(parsePayload<CommandResponse>(commandResponseSchema.$id, payload, `answer of ${boothId}`));
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    const granted = await client.subscribeAsync(responseTopic, { qos: 1 });
    if (granted.some((g) => g.qos >= 0x80)) throw createError('GB_FLEET_UNREACHABLE', `the broker refused the response topic ${responseTopic}`);
    await client.publishAsync(`${fleet.topic_prefix}/${boothId}/commands/${name}`, JSON.stringify({ params }), {
      qos: 1,
      properties: { responseTopic, correlationData: Buffer.from(correlation), contentType: 'application/json' },
    });
    return await answer;
  } finally {
    await client.endAsync(true);
  }
}
