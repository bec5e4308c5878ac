import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { connectAsync } from 'mqtt';
import { createError } from '../../core/errors.ts';
import { generateModelKeyPair } from '../../core/model-signing.ts';
import { requestBoothCommand } from '../../fleet/booth-command.ts';
import { buildRelease, defaultChunkBytes, defaultRollout, publishRelease } from '../../fleet/publish-model.ts';
import { mqttConnectOptions } from '../../sync/connect-options.ts';
import { boothIdPattern } from '../../sync/topics.ts';
import { boolOption, intOption, printJson, requiredStringOption, stringOption, type ParsedArgs, type Command } from '../command.ts';
import { settingsFromArgs } from './common-options.ts';
import type { FleetSettings } from '../../config/schema.ts';

function boothList(args: ParsedArgs, name: string): string[] | undefined {
  const raw = stringOption(args, name);
  if (raw === undefined) return undefined;
  const ids = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const id of ids) if (!boothIdPattern.test(id)) throw createError('GB_USAGE', `--${name}: "${id}" is not a booth id (1..64 of A-Z a-z 0-9 _ . -)`);
  return [...new Set(ids)];
}

function numberOption(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const raw = stringOption(args, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw createError('GB_USAGE', `--${name}: expected a number from ${min} to ${max}, got "${raw}"`);
  return n;
}

function fleetFrom(config: string, env: NodeJS.ProcessEnv): FleetSettings {
  const { settings } = settingsFromArgs({ values: { config }, positionals: [] }, env);
  if (!settings.fleet) throw createError('GB_CONFIG_INVALID', `${config}: no \`fleet\` section; the fleet side needs the broker's url and the fleet user's credentials there`);
  return settings.fleet;
}

export const fleetKeygenCommand: Command = {
  name: 'fleet keygen',
  summary: 'make an ed25519 key pair for signing model releases (fleet side)',
  usage: '--out PREFIX [--json]',
  help: `Writes PREFIX.key (the private key, PKCS#8 PEM, mode 0600: keep it on the signing host only) and
PREFIX.pub (the public key, SPKI PEM: list it in every booth's fleet.model_keys). Refuses to overwrite.
The same with openssl:
  openssl genpkey -algorithm ed25519 -out PREFIX.key && openssl pkey -in PREFIX.key -pubout -out PREFIX.pub`,
  options: { out: { type: 'string' }, json: { type: 'boolean' } },
  async run(args, ctx) {
    const prefix = resolve(requiredStringOption(args, 'out', 'PREFIX (writes PREFIX.key and PREFIX.pub)'));
    for (const p of [`${prefix}.key`, `${prefix}.pub`]) if (existsSync(p)) throw createError('GB_USAGE', `${p} exists; not overwriting a key`);
    const k = generateModelKeyPair();
    writeFileSync(`${prefix}.key`, k.privatePem, { mode: 0o600, flag: 'wx' });
    writeFileSync(`${prefix}.pub`, k.publicPem, { mode: 0o644, flag: 'wx' });
    if (boolOption(args, 'json')) printJson(ctx, { keyId: k.keyId, privateKey: `${prefix}.key`, publicKey: `${prefix}.pub` });
    else ctx.stdout.write(`key ${k.keyId}: private ${prefix}.key (keep secret), public ${prefix}.pub (fleet.model_keys on the booths)\n`);
    return 0;
  },
};

export const fleetPublishModelCommand: Command = {
  name: 'fleet publish-model',
  summary: 'sign a surface model with ed25519 and publish it to the booths, with a canary list (fleet side)',
  usage: '--config FILE --dir MODEL_DIR --key KEY_FILE [--canary B,B] [--booths B,B] [--shadow-scans N] [--min-agreement X] [--tolerance-mm X] [--max-surface-delta X] [--probation-scans N] [--chunk-bytes N] [--json]',
  help: `Checks the model folder as a booth loads it (manifest.json, the file's sha256 and size), signs the
release (manifest, sha256 of the file and of each chunk, rollout rule) with the ed25519 key, and publishes
the file as retained chunks on <prefix>/_all/models/<sha256>/chunks/<i>, then the signed offer retained on
<prefix>/_all/models/offer. Booths verify the signature against fleet.model_keys, download, check, load
and run the model in shadow beside their active model; canary booths activate it when the rule holds, the
others when told (gradebooth fleet model-command activate). See docs/fleet.md.
  --config FILE             settings file whose \`fleet\` section names the broker and the fleet user
  --dir MODEL_DIR           a model folder (manifest.json + model file) or a models root (newest version)
  --key KEY_FILE            ed25519 private key, PEM (gradebooth fleet keygen)
  --canary B,B              booths that activate on their own once the shadow rule passes
  --booths B,B              offer only to these booths (default: every booth)
  --shadow-scans N          scanned sides the model runs in shadow before it is judged (default ${defaultRollout.shadowScans})
  --min-agreement X         share of shadowed sides that must find the same defects (default ${defaultRollout.minAgreement})
  --tolerance-mm X          defects this close (same type) are the same defect (default ${defaultRollout.toleranceMm})
  --max-surface-delta X     mean surface subgrade difference allowed, grade points (default ${defaultRollout.maxSurfaceDelta})
  --probation-scans N       after activation, sides on which the previous model runs beside it (default ${defaultRollout.probationScans})
  --chunk-bytes N           transfer chunk size (default ${defaultChunkBytes})
  --json                    print the release (id, model, chunks, rollout) as JSON`,
  options: {
    config: { type: 'string' },
    dir: { type: 'string' },
    key: { type: 'string' },
    canary: { type: 'string' },
    booths: { type: 'string' },
    'shadow-scans': { type: 'string' },
    'min-agreement': { type: 'string' },
    'tolerance-mm': { type: 'string' },
    'max-surface-delta': { type: 'string' },
    'probation-scans': { type: 'string' },
    'chunk-bytes': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, ctx) {
    const config = requiredStringOption(args, 'config', 'FILE (a settings file with a `fleet` section)');
    const dir = resolve(requiredStringOption(args, 'dir', 'MODEL_DIR'));
    const keyFile = resolve(requiredStringOption(args, 'key', 'KEY_FILE (ed25519 private key, PEM)'));
    const booths = boothList(args, 'booths') ?? null;
    const canary = boothList(args, 'canary') ?? [];
    if (booths) for (const c of canary) if (!booths.includes(c)) throw createError('GB_USAGE', `--canary ${c} is not among --booths ${booths.join(',')}`);
    const rollout = {
      booths,
      canary,
      shadowScans: intOption(args, 'shadow-scans', 0, 10000) ?? defaultRollout.shadowScans,
      minAgreement: numberOption(args, 'min-agreement', 0, 1) ?? defaultRollout.minAgreement,
      toleranceMm: numberOption(args, 'tolerance-mm', 0, 50) ?? defaultRollout.toleranceMm,
      maxSurfaceDelta: numberOption(args, 'max-surface-delta', 0, 10) ?? defaultRollout.maxSurfaceDelta,
      probationScans: intOption(args, 'probation-scans', 0, 10000) ?? defaultRollout.probationScans,
    };
    const chunkBytes = intOption(args, 'chunk-bytes', 1024, 8 * 1024 * 1024) ?? defaultChunkBytes;
    const fleet = fleetFrom(config, ctx.env);
    const built = await buildRelease({ dir, keyFile, rollout, chunkBytes });
    let client;
    try {
      client = await connectAsync(fleet.url, mqttConnectOptions(fleet, { clientId: `publisher-${process.pid}` }));
    } catch (err) {
      throw createError('GB_FLEET_UNREACHABLE', `cannot connect to ${fleet.url}: ${(err as Error).message}`);
    }
    try {
      await publishRelease(client, fleet.topic_prefix, built);
    } finally {
      await client.endAsync().catch(() => undefined);
    }
    const r = built.release;
    if (boolOption(args, 'json')) printJson(ctx, { releaseId: r.releaseId, keyId: built.offer.keyId, model: r.model, chunks: r.transfer.chunks.length, chunkBytes: r.transfer.chunkBytes, rollout: r.rollout });
    else ctx.stdout.write(`published ${r.model.name} ${r.model.version} (${r.model.sha256}, ${r.model.sizeBytes} bytes in ${r.transfer.chunks.length} chunks), release ${r.releaseId}, signed by ${built.offer.keyId}; canary: ${canary.join(', ') || 'none'}; booths: ${booths?.join(', ') ?? 'all'}\n`);
    return 0;
  },
};

export const fleetModelCommand: Command = {
  name: 'fleet model-command',
  summary: "ask booths for their model state, or to activate or roll back a model (fleet side)",
  usage: '--config FILE --booth B[,B] (state | activate --sha256 HEX [--force] | rollback [--reason TEXT]) [--timeout-ms N]',
  help: `Sends the MQTT v5 command model-state, model-activate or model-rollback to each booth and prints each
answer (one JSON line per booth). A booth that does not answer within --timeout-ms (default 30000) is
reported GB_FLEET_UNREACHABLE; the exit code is 1 when any booth refused or did not answer.
activate: the model must have passed its shadow run on that booth (--force skips that).`,
  options: { config: { type: 'string' }, booth: { type: 'string' }, sha256: { type: 'string' }, force: { type: 'boolean' }, reason: { type: 'string' }, 'timeout-ms': { type: 'string' } },
  positionals: { min: 1, max: 1 },
  async run(args, ctx) {
    const config = requiredStringOption(args, 'config', 'FILE (a settings file with a `fleet` section)');
    const booths = boothList(args, 'booth') ?? [];
    if (booths.length === 0) throw createError('GB_USAGE', '--booth B[,B] is required');
    const action = args.positionals[0];
    const command = action === 'state' ? 'model-state' : action === 'activate' ? 'model-activate' : action === 'rollback' ? 'model-rollback' : undefined;
    if (!command) throw createError('GB_USAGE', `gradebooth fleet model-command: expected state, activate or rollback, got "${action}"`);
    const params: Record<string, unknown> = {};
    if (command === 'model-activate') {
      params.sha256 = requiredStringOption(args, 'sha256', 'HEX (the model to activate)');
      if (boolOption(args, 'force')) params.force = true;
    }
    const reason = stringOption(args, 'reason');
    if (command === 'model-rollback' && reason) params.reason = reason;
    const timeoutMs = intOption(args, 'timeout-ms', 100, 600_000) ?? 30_000;
    const fleet = fleetFrom(config, ctx.env);
    let client;
    try {
      client = await connectAsync(fleet.url, mqttConnectOptions(fleet, { clientId: `model-command-${process.pid}` }));
    } catch (err) {
      throw createError('GB_FLEET_UNREACHABLE', `cannot connect to ${fleet.url}: ${(err as Error).message}`);
    }
    let failed = 0;
    try {
      for (const boothId of booths) {
        try {
          const answer = await requestBoothCommand(client, { prefix: fleet.topic_prefix, boothId, command, params, timeoutMs });
          if (!answer.ok) failed += 1;
          printJson(ctx, { booth: boothId, ...answer });
        } catch (err) {
          failed += 1;
          printJson(ctx, { booth: boothId, ok: false, command, error: { code: (err as { code?: string }).code ?? 'GB_INTERNAL', message: (err as Error).message } });
        }
      }
    } finally {
      await client.endAsync().catch(() => undefined);
    }
    return failed > 0 ? 1 : 0;
  },
};
