import { randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { createError } from '../core/errors.ts';
import { parsePayload, commandResponseSchema, type CommandResponse } from '../sync/payloads.ts';

/**
 * Ask one booth something as an MQTT v5 request (docs/fleet.md, "Commands"): publish to
 * `<prefix>/<booth>/commands/<name>` with a response topic under `<prefix>/_fleet/responses/` and correlation
 * data, and wait for the answer. GB_FLEET_UNREACHABLE when none comes within timeoutMs (the booth is offline:
 * commands are not queued for it, unlike the retained model offer).
 */
export async function requestBoothCommand(client: MqttClient, o: { prefix: string; boothId: string; command: string; params?: Record<string, unknown>; timeoutMs?: number }): Promise<CommandResponse> {
  const id = randomUUID();
  const responseTopic = `${o.prefix}/_fleet/responses/${id}`;
  const correlation = Buffer.from(id);
  let onMessage: ((topic: string, payload: Buffer, packet: { properties?: { correlationData?: Buffer } }) => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const answer = new Promise<CommandResponse>((resolve, reject) => {
      onMessage = (topic, payload, packet) => {
        if (topic !== responseTopic || !packet.properties?.correlationData?.equals(correlation)) return;
        try {
          resolve(parsePayload<CommandResponse>(commandResponseSchema.$id, payload, `answer of ${o.boothId}`));
        } catch (err) {
          reject(err);
        }
      };
      client.on('message', onMessage);
      timer = setTimeout(() => reject(createError('GB_FLEET_UNREACHABLE', `booth ${o.boothId} did not answer "${o.command}" within ${o.timeoutMs ?? 30_000} ms (offline?)`)), o.timeoutMs ?? 30_000);
    });
    await client.subscribeAsync(responseTopic, { qos: 1 });
    await client.publishAsync(`${o.prefix}/${o.boothId}/commands/${o.command}`, JSON.stringify({ params: o.params ?? {} }), {
      qos: 1,
      properties: { responseTopic, correlationData: correlation, contentType: 'application/json' },
    });
    return await answer;
  } finally {
    clearTimeout(timer);
    if (onMessage) client.off('message', onMessage);
    await client.unsubscribeAsync(responseTopic).catch(() => undefined);
  }
}
