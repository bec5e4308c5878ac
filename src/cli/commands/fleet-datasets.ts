import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createError } from '../../core/errors.ts';
import { openFleetIndex } from '../../fleet/index-db.ts';
import { FilesystemContentStore } from '../../fleet/content-store.ts';
import { requestFleetCommand } from '../../fleet/fleet-request.ts';
import { exportDataset, listDatasets } from '../../fleet/dataset-export.ts';
import { boothIdPattern } from '../../sync/topics.ts';
import { boolOption, intOption, printJson, requiredStringOption, stringOption, type Command } from '../command.ts';
import { settingsFromArgs } from './common-options.ts';

/** `gradebooth fleet dataset-pull`: ask a booth to upload the datasets of some scans (fleet side). */
export const fleetDatasetPullCommand: Command = {
  name: 'fleet dataset-pull',
  summary: 'ask a booth to upload the datasets (frames, maps, calibration, labels) of some of its scans (fleet side)',
  usage: '--config FILE --booth ID (--barcode CODE | --scan ID | --since ISO) [--limit N] [--timeout-s N] [--json]',
  help: `Sends the booth the MQTT v5 request commands/dataset-pull and prints its answer: one dataset per
finished scan side, offered to the fleet; a running \`gradebooth fleet collect --store DIR\` receives them.
The booth must allow it (fleet.datasets.upload on-request or every-scan; otherwise GB_DATASETS_DISABLED).
  --config FILE    settings file whose \`fleet\` section names the broker and the fleet user's credentials
  --booth ID       the booth (its fleet.booth_id)
  --barcode CODE   the scans of this card
  --scan ID        one scan side
  --since ISO      scans since this time (e.g. 2026-12-01T00:00:00Z)
  --limit N        at most N scans, newest first (1..100, default 20)
  --timeout-s N    wait this long for the booth's answer (default 30)
  --json           print the answer as one JSON line`,
  options: { config: { type: 'string' }, booth: { type: 'string' }, barcode: { type: 'string' }, scan: { type: 'string' }, since: { type: 'string' }, limit: { type: 'string' }, 'timeout-s': { type: 'string' }, json: { type: 'boolean' } },
  async run(args, ctx) {
    const config = requiredStringOption(args, 'config', 'FILE (a settings file with a `fleet` section)');
    const booth = requiredStringOption(args, 'booth', 'ID (the booth to ask)');
    if (!boothIdPattern.test(booth)) throw createError('GB_USAGE', `gradebooth fleet dataset-pull: --booth must be a booth id, got ${JSON.stringify(booth)}`);
    const params: Record<string, unknown> = {};
    const barcode = stringOption(args, 'barcode');
    const scan = stringOption(args, 'scan');
    const since = stringOption(args, 'since');
    if (barcode !== undefined) params.barcode = barcode;
    if (scan !== undefined) params.scanId = scan;
    if (since !== undefined) params.since = since;
    if (Object.keys(params).length === 0) throw createError('GB_USAGE', 'gradebooth fleet dataset-pull: name the scans with --barcode, --scan or --since');
    const limit = intOption(args, 'limit', 1, 100);
    if (limit !== undefined) params.limit = limit;
    const timeoutS = intOption(args, 'timeout-s', 1, 3600) ?? 30;
    const { settings } = settingsFromArgs({ values: { config }, positionals: [] }, ctx.env);
    if (!settings.fleet) throw createError('GB_CONFIG_INVALID', `${config}: no \`fleet\` section; dataset-pull needs the broker's url and the fleet user's credentials there`);
    const answer = await requestFleetCommand(settings.fleet, booth, 'dataset-pull', params, { timeoutMs: timeoutS * 1000 });
    if (!answer.ok) throw createError(answer.error.code as Parameters<typeof createError>[0], `booth ${booth}: ${answer.error.message}`);
    const result = answer.result as { datasets: Array<{ datasetId: string; scanId: string; created: boolean; state: string; totalBytes: number }> };
    if (boolOption(args, 'json')) printJson(ctx, { booth, ...result });
    else for (const d of result.datasets) ctx.stdout.write(`${d.datasetId}  scan ${d.scanId}  ${d.totalBytes} bytes  ${d.created ? 'offered' : `already ${d.state}`}\n`);
    return 0;
  },
};

/** `gradebooth fleet datasets`: what the fleet index holds; with --out, complete datasets written as folders. */
export const fleetDatasetsCommand: Command = {
  name: 'fleet datasets',
  summary: 'list the datasets in the fleet index, or export complete ones as folders for training (fleet side)',
  usage: '--index FILE [--booth ID] [--store DIR --out DIR] [--json]',
  help: `Lists every dataset the collectors received (booth, scan, barcode, size, complete or not). With --store and
--out, writes each complete dataset (of --booth, or all) as a folder OUT/<booth>/<barcode>-<side>-<id8>/:
frames/, maps/, calibration/, grade/report.json as the booth stored them (each file checked against its
sha256), manifest.json and labels.json (the machine's grade and defects, operators' overrides). A folder
already exported is kept. See docs/fleet.md "From collected data to a new model".
  --index FILE   the fleet index written by \`gradebooth fleet collect\`
  --booth ID     only this booth's datasets
  --store DIR    the collectors' content store (\`fleet collect --store\`)
  --out DIR      export complete datasets here
  --json         one JSON line per dataset`,
  options: { index: { type: 'string' }, booth: { type: 'string' }, store: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } },
  async run(args, ctx) {
    const indexPath = resolve(requiredStringOption(args, 'index', 'FILE (the fleet index)'));
    if (!existsSync(indexPath)) throw createError('GB_NOT_FOUND', `no fleet index at ${indexPath}`);
    const booth = stringOption(args, 'booth');
    const storeDir = stringOption(args, 'store');
    const out = stringOption(args, 'out');
    if ((storeDir === undefined) !== (out === undefined)) throw createError('GB_USAGE', 'gradebooth fleet datasets: --store and --out go together (export needs both)');
    const json = boolOption(args, 'json');
    const index = openFleetIndex(indexPath);
    try {
      const rows = listDatasets(index, booth);
      if (storeDir === undefined || out === undefined) {
        for (const r of rows) {
          if (json) printJson(ctx, r);
          else ctx.stdout.write(`${r.datasetId}  ${r.boothId}  ${r.barcode ?? '-'} ${r.side}  ${r.totalBytes} bytes  ${r.complete ? 'complete' : `incomplete (${r.chunksHeld}/${r.chunks} chunks)`}\n`);
        }
        return 0;
      }
      const store = await FilesystemContentStore.open(resolve(storeDir));
      await mkdir(resolve(out), { recursive: true });
      let written = 0;
      for (const r of rows.filter((x) => x.complete)) {
        const e = await exportDataset(index, store, r.datasetId, resolve(out));
        if (e.written) written += 1;
        if (json) printJson(ctx, { ...r, dir: e.dir, written: e.written });
        else ctx.stdout.write(`${e.written ? 'exported' : 'kept    '}  ${join(e.dir)}\n`);
      }
      if (!json) ctx.stdout.write(`${written} dataset(s) exported, ${rows.filter((x) => x.complete).length - written} already there, ${rows.filter((x) => !x.complete).length} incomplete\n`);
      return 0;
    } finally {
      index.close();
    }
  },
};
