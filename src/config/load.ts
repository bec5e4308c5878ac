import { readFileSync } from 'node:fs';
import { resolve, dirname, isAbsolute } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { createError } from '../core/errors.ts';
import { readModelKeys } from '../core/model-signing.ts';
import { MIN_GEV_PACKET_BYTES, settingsSchema, type Settings } from './schema.ts';

const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: true, strictTypes: false });
const validate = ajv.compile(settingsSchema);

/** Where each setting came from, for `config check` and the start-up log. */
export interface LoadedSettings {
  settings: Settings;
  /** Absolute path of the settings file, or undefined when running on defaults. */
  file: string | undefined;
  overrides: string[];
}

function describe(e: ErrorObject): string {
  const path = e.instancePath === '' ? '' : e.instancePath.slice(1).replaceAll('/', '.');
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const where = path === '' ? 'the top level' : `"${path}"`;
      const known = Object.keys(schemaAt(path)?.properties ?? {}).join(', ');
      return `unknown key "${path === '' ? key : `${path}.${key}`}" at ${where}; expected one of: ${known}`;
    }
    case 'enum':
      return `"${path}" must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'type':
      return `"${path || '(root)'}" must be ${e.message?.replace(/^must be /, '') ?? (e.params as { type: string }).type}`;
    default:
      return `"${path || '(root)'}" ${e.message ?? 'is invalid'}`;
  }
}

interface SchemaNode { properties?: Record<string, SchemaNode> }
function schemaAt(path: string): SchemaNode | undefined {
  let node: SchemaNode | undefined = settingsSchema as unknown as SchemaNode;
  for (const part of path === '' ? [] : path.split('.')) node = node?.properties?.[part];
  return node;
}

/** Validate a parsed settings object (filling defaults in place); throws GB_CONFIG_INVALID naming each bad key. */
export function validateSettings(raw: unknown, source = 'settings'): Settings {
  const value = raw ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw createError('GB_CONFIG_INVALID', `${source}: expected a mapping of settings at the top level, got ${Array.isArray(value) ? 'a list' : typeof value}`);
  }
  if (!validate(value)) {
    const problems = (validate.errors ?? []).map(describe);
    throw createError('GB_CONFIG_INVALID', `${source}: ${problems.join('; ')}`, { problems });
  }
  const settings = value as unknown as Settings;
  // Rules that span keys, which the schema cannot say clearly.
  if (settings.hardware.rig.kind === 'serial' && settings.hardware.rig.port === '') {
    throw createError('GB_CONFIG_INVALID', `${source}: "hardware.rig.port" must name the serial device when "hardware.rig.kind" is "serial"`);
  }
  if (settings.hardware.camera.kind === 'simulated' && settings.hardware.rig.kind !== 'simulated') {
    throw createError('GB_CONFIG_INVALID', `${source}: "hardware.camera.kind" "simulated" needs "hardware.rig.kind" "simulated" (the simulated camera sees the simulated rig's LEDs); got "${settings.hardware.rig.kind}"`);
  }
  if (settings.hardware.camera.kind === 'replay' && settings.hardware.camera.replay_dir === '') {
    throw createError('GB_CONFIG_INVALID', `${source}: "hardware.camera.replay_dir" must name a folder when "hardware.camera.kind" is "replay"`);
  }
  checkGenicam(settings, source);
  const scanner = settings.hardware.scanner;
  if (scanner.kind === 'serial' && scanner.port === '') {
    throw createError('GB_CONFIG_INVALID', `${source}: "hardware.scanner.port" must name the serial device when "hardware.scanner.kind" is "serial"`);
  }
  if (scanner.kind === 'hid' && scanner.hid_path === '' && scanner.vendor_id === 0 && scanner.protocol !== 'pos') {
    // A keyboard-wedge scanner looks like any keyboard: without ids the booth would read the technician's keyboard.
    throw createError('GB_CONFIG_INVALID', `${source}: "hardware.scanner.kind" "hid" needs "hardware.scanner.vendor_id" (and product_id) or "hardware.scanner.hid_path", unless "hardware.scanner.protocol" is "pos"`);
  }
  try {
    // Compiled the same way the scanner does (anchored, unicode), so a pattern that loads also runs.
    if (scanner.pattern !== '') new RegExp(`^(?:${scanner.pattern})$`, 'u');
  } catch (err) {
    throw createError('GB_CONFIG_INVALID', `${source}: "hardware.scanner.pattern" is not a valid regular expression: ${(err as Error).message}`);
  }
  const fleet = settings.fleet;
  if (fleet) {
    if (fleet.url.startsWith('mqtt://') && (fleet.ca_file !== '' || fleet.cert_file !== '' || fleet.key_file !== '')) {
      throw createError('GB_CONFIG_INVALID', `${source}: "fleet.ca_file", "fleet.cert_file" and "fleet.key_file" need a TLS URL (mqtts://…); "fleet.url" is "${fleet.url}"`);
    }
    if ((fleet.cert_file === '') !== (fleet.key_file === '')) {
      throw createError('GB_CONFIG_INVALID', `${source}: "fleet.cert_file" and "fleet.key_file" go together (client certificate and its key); got only one`);
    }
    if (fleet.password_file !== '' && fleet.username === '') {
      throw createError('GB_CONFIG_INVALID', `${source}: "fleet.password_file" needs "fleet.username"`);
    }
    const port = /:(\d+)\/?$/.exec(fleet.url)?.[1];
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
      throw createError('GB_CONFIG_INVALID', `${source}: "fleet.url" port must be 1..65535, got ${port}`);
    }
    if (fleet.booth_id === '') fleet.booth_id = settings.booth.id;
  }
  return settings;
}

/** `hardware.camera.genicam` rules that span keys (checked whatever the kind, so a file is right before it is switched on). */
function checkGenicam(settings: Settings, source: string): void {
  const g = settings.hardware.camera.genicam;
  const bad = (key: string, why: string): never => {
    throw createError('GB_CONFIG_INVALID', `${source}: "hardware.camera.genicam.${key}" ${why}`);
  };
  if (g.packet_size_bytes !== 0 && g.packet_size_bytes < MIN_GEV_PACKET_BYTES) bad('packet_size_bytes', `must be 0 (negotiate) or at least ${MIN_GEV_PACKET_BYTES} bytes, got ${g.packet_size_bytes}`);
  const { x, y, width, height } = g.roi;
  if ((width === 0) !== (height === 0)) bad(width === 0 ? 'roi.width' : 'roi.height', `must be set together with roi.${width === 0 ? 'height' : 'width'} (both 0 = the whole sensor), got width ${width}, height ${height}`);
  if (width === 0 && (x !== 0 || y !== 0)) bad(x !== 0 ? 'roi.x' : 'roi.y', 'offsets need a region size (roi.width and roi.height)');
  if (width !== 0 && width < 16) bad('roi.width', `must be at least 16 px, got ${width}`);
  if (height !== 0 && height < 16) bad('roi.height', `must be at least 16 px, got ${height}`);
  if (/^software$/i.test(g.trigger_line)) bad('trigger_line', 'names a camera input line (e.g. Line0); for software triggering set "hardware.camera.genicam.trigger" to "software"');
  if (settings.hardware.camera.kind !== 'genicam') return;
  if (settings.hardware.rig.kind !== 'serial') {
    throw createError('GB_CONFIG_INVALID', `${source}: "hardware.camera.kind" "genicam" needs "hardware.rig.kind" "serial" (the LED rig whose steps the camera captures); got "${settings.hardware.rig.kind}"`);
  }
  if (g.intrinsics_file === '') bad('intrinsics_file', 'must name the camera file (lens/sensor pinhole model) when "hardware.camera.kind" is "genicam"');
}

/** Parse a settings file's text as YAML (JSON is valid YAML) and validate it. */
export function parseSettings(text: string, source: string): Settings {
  let raw: unknown;
  try {
    raw = source.endsWith('.json') ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    throw createError('GB_CONFIG_UNREADABLE', `${source}: not valid ${source.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
  return validateSettings(raw, source);
}

/**
 * Load settings: defaults, then the file (if given), then environment overrides (GRADEBOOTH_DATA_DIR,
 * GRADEBOOTH_PORT), then command-line overrides. A relative data_dir in a file is relative to the file.
 */
export function loadSettings(options: {
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  dataDir?: string | undefined;
  port?: number | undefined;
  cwd?: string;
}): LoadedSettings {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  let settings: Settings;
  let file: string | undefined;
  if (options.file) {
    file = resolve(cwd, options.file);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw createError('GB_CONFIG_UNREADABLE', `${file}: cannot read settings file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    settings = parseSettings(text, file);
    if (!isAbsolute(settings.data_dir)) settings.data_dir = resolve(dirname(file), settings.data_dir);
    const genicam = settings.hardware.camera.genicam;
    if (genicam.intrinsics_file !== '' && !isAbsolute(genicam.intrinsics_file)) genicam.intrinsics_file = resolve(dirname(file), genicam.intrinsics_file);
    const fleet = settings.fleet;
    if (fleet) {
      // Credential files sit beside the settings file more often than beside the working directory.
      for (const key of ['ca_file', 'cert_file', 'key_file', 'password_file'] as const) {
        if (fleet[key] !== '' && !isAbsolute(fleet[key])) fleet[key] = resolve(dirname(file), fleet[key]);
      }
      const base = dirname(file);
      fleet.model_keys = fleet.model_keys.map((k) => (isAbsolute(k) ? k : resolve(base, k)));
      // Read now: a key file that is missing or not an ed25519 public key is a settings error, not a refused model later.
      readModelKeys(fleet.model_keys);
    }
  } else {
    settings = validateSettings({});
    settings.data_dir = resolve(cwd, settings.data_dir);
  }
  const overrides: string[] = [];
  const envDir = env.GRADEBOOTH_DATA_DIR;
  if (envDir) {
    settings.data_dir = resolve(cwd, envDir);
    overrides.push('data_dir from GRADEBOOTH_DATA_DIR');
  }
  const envPort = env.GRADEBOOTH_PORT;
  if (envPort !== undefined && envPort !== '') {
    const port = Number(envPort);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw createError('GB_CONFIG_INVALID', `GRADEBOOTH_PORT: expected an integer from 0 to 65535, got "${envPort}"`);
    }
    settings.http.port = port;
    overrides.push('http.port from GRADEBOOTH_PORT');
  }
  if (options.dataDir !== undefined) {
    settings.data_dir = resolve(cwd, options.dataDir);
    overrides.push('data_dir from --data-dir');
  }
  if (options.port !== undefined) {
    settings.http.port = options.port;
    overrides.push('http.port from --port');
  }
  return { settings, file, overrides };
}

/** Flatten the schema into reference rows (key, type, default, description) for docs and `config check`. */
export function settingsReference(): Array<{ key: string; type: string; default: string; description: string }> {
  const rows: Array<{ key: string; type: string; default: string; description: string }> = [];
  const walk = (node: Record<string, unknown>, prefix: string): void => {
    const props = node.properties as Record<string, Record<string, unknown>> | undefined;
    if (!props) return;
    for (const [key, child] of Object.entries(props)) {
      const full = prefix ? `${prefix}.${key}` : key;
      if (child.type === 'object') {
        walk(child, full);
        continue;
      }
      const type = child.enum ? (child.enum as unknown[]).map((v) => JSON.stringify(v)).join(' \\| ') : String(child.type);
      rows.push({ key: full, type, default: JSON.stringify(child.default) ?? '(required)', description: String(child.description ?? '') });
    }
  };
  walk(settingsSchema as unknown as Record<string, unknown>, '');
  return rows;
}
