// docs/fleet.md documents the fleet's payloads: each schema in src/sync/payloads.ts is printed there as is
// (regenerate with `node --import tsx scripts/fleet-schemas.ts`), and every fleet setting is described.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { payloadSchemas } from '../../src/sync/payloads.ts';
import { settingsReference } from '../../src/config/load.ts';

const doc = readFileSync(new URL('../../docs/fleet.md', import.meta.url), 'utf8');

t.test('docs/fleet.md carries every payload schema exactly as the code has it', async (t) => {
  for (const schema of payloadSchemas) {
    t.ok(doc.includes(`#### \`${schema.$id}\`\n\n\`\`\`json\n${JSON.stringify(schema, null, 2)}\n\`\`\``), `${schema.$id} is in docs/fleet.md as in src/sync/payloads.ts (regenerate with scripts/fleet-schemas.ts)`);
  }
});

t.test('docs/fleet.md names each topic the booth uses and the settings it explains', async (t) => {
  for (const topic of ['/status', '/results', '/telemetry', '/commands/<name>']) t.match(doc, topic);
  const fleetKeys = settingsReference().map((r) => r.key).filter((k) => k.startsWith('fleet.'));
  t.ok(fleetKeys.length > 10, 'fleet settings exist');
  for (const k of ['telemetry_expiry_s', 'telemetry_interval_s', 'bandwidth_bytes_per_s', 'in_flight_max', 'backoff_max_ms', 'keepalive_s']) {
    t.ok(fleetKeys.includes(`fleet.${k}`), `fleet.${k} exists`);
    t.match(doc, k, `docs/fleet.md explains ${k}`);
  }
});
