import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import pino from 'pino';
import { createError } from '../../core/errors.ts';
import { collectorFromSettings } from '../../fleet/collector.ts';
import { openFleetIndex } from '../../fleet/index-db.ts';
import { FilesystemContentStore } from '../../fleet/content-store.ts';
import { DatasetCollector } from '../../fleet/dataset-collector.ts';
import { boolOption, intOption, printJson, requiredStringOption, stringOption, type Command } from '../command.ts';
import { settingsFromArgs } from './common-options.ts';

const namePattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * The fleet side's entry point: one collector process. It runs on a fleet server, not on a booth: it needs
 * no hardware and no booth data directory, only the broker (the `fleet` section of its settings file, with
 * the fleet user's credentials) and the fleet index file.
 */
export const fleetCollectCommand: Command = {
  name: 'fleet collect',
  summary: "collect every booth's results, telemetry and status from the broker into the fleet index (fleet side)",
  usage: '--config FILE --index FILE [--store DIR] [--group NAME] [--name NAME] [--session-expiry-s N] [--json]',
  help: `Subscribes to gradebooth/v1/+/results and …/telemetry through the shared subscription
$share/GROUP/…, so several collectors in one group split the booths' messages, and to …/+/status
(retained). Each message is stored in the fleet index (SQLite) under its message id before the broker
gets its acknowledgement: a resend or a duplicate delivery is stored once. Runs until SIGINT/SIGTERM,
then prints its figures. See docs/fleet.md.
  --config FILE          settings file whose \`fleet\` section names the broker (url, ca_file,
                         username + password_file or cert_file + key_file, topic_prefix)
  --index FILE           the fleet index (SQLite; created with its folder when absent)
  --store DIR            also receive datasets (…/+/datasets/…) into this content-addressed store (created when
                         absent); collectors of one group share one index and one store
  --group NAME           shared-subscription group (default collectors)
  --name NAME            this collector's name, also its MQTT client id collector-NAME (default: the host's pid)
  --session-expiry-s N   how long the broker keeps this collector's session and its share of messages while
                         it is away (default 86400; 0 = none). A collector retired for good keeps taking its
                         share until this runs out: retire it with 0, or let it expire.
  --json                 one JSON line per message stored, duplicate or invalid, and the figures at the end

Example: gradebooth fleet collect --config /etc/gradebooth/fleet.yaml --index /var/lib/gradebooth-fleet/index.sqlite`,
  options: {
    config: { type: 'string' },
    index: { type: 'string' },
    store: { type: 'string' },
    group: { type: 'string' },
    name: { type: 'string' },
    'session-expiry-s': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, ctx) {
    const config = requiredStringOption(args, 'config', 'FILE (a settings file with a `fleet` section)');
    const indexPath = resolve(requiredStringOption(args, 'index', 'FILE (the fleet index)'));
    const group = stringOption(args, 'group') ?? 'collectors';
    const name = stringOption(args, 'name') ?? `pid${process.pid}`;
    for (const [key, value] of [['group', group], ['name', name]] as const) {
      if (!namePattern.test(value)) throw createError('GB_USAGE', `gradebooth fleet collect: --${key} must be 1..64 of A-Z a-z 0-9 _ . - (starting with a letter or digit), got ${JSON.stringify(value)}`);
    }
    const sessionExpiryS = intOption(args, 'session-expiry-s', 0, 4_294_967_295) ?? 86_400;
    const json = boolOption(args, 'json');
    const { settings } = settingsFromArgs({ values: { config }, positionals: [] }, ctx.env);
    const fleet = settings.fleet;
    if (!fleet) throw createError('GB_CONFIG_INVALID', `${config}: no \`fleet\` section; the collector needs the broker's url and the fleet user's credentials there`);

    mkdirSync(dirname(indexPath), { recursive: true });
    const index = openFleetIndex(indexPath);
    const logger = pino({ level: 'warn' }, pino.destination(2));
    const storeDir = stringOption(args, 'store');
    const datasets = storeDir === undefined ? undefined : new DatasetCollector({ index, store: await FilesystemContentStore.open(resolve(storeDir)), prefix: fleet.topic_prefix, logger });
    const collector = collectorFromSettings(fleet, { group, name, index, logger, sessionExpiryS, ...(datasets ? { handlers: datasets.handlers() } : {}) });
    datasets?.answerThrough(collector);
    if (json) collector.onMessage((e) => printJson(ctx, { event: e.kind, topic: e.topic, ...(e.messageId ? { messageId: e.messageId } : {}) }));
    try {
      try {
        await collector.start();
      } catch (err) {
        throw createError('GB_FLEET_UNREACHABLE', `collector could not subscribe at ${fleet.url}: ${(err as Error).message}`);
      }
      if (!json) ctx.stdout.write(`collecting from ${fleet.url} (${fleet.topic_prefix}/+/…) as ${name} in group ${group}; index ${indexPath}\n`);
      else printJson(ctx, { event: 'started', url: fleet.url, prefix: fleet.topic_prefix, group, name, index: indexPath });
      if (!ctx.stopSignal.aborted) await new Promise<void>((done) => ctx.stopSignal.addEventListener('abort', () => done(), { once: true }));
    } finally {
      await collector.stop().catch(() => undefined);
      index.close();
    }
    const figures = collector.figures;
    if (json) printJson(ctx, { event: 'stopped', figures, ...(datasets ? { datasets: datasets.figures } : {}) });
    else ctx.stdout.write(`stopped: ${figures.received} received, ${figures.stored} stored, ${figures.duplicates} duplicates, ${figures.invalid} invalid (results: ${figures.results.stored} stored, ${figures.results.duplicates} duplicates)${datasets ? `; datasets: ${datasets.figures.datasetsComplete} complete, ${datasets.figures.chunksStored} chunks stored (${datasets.figures.chunkBytesStored} bytes), ${datasets.figures.chunksDuplicate} repeated` : ''}\n`);
    return 0;
  },
};
