import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSettings, parseSettings, settingsReference } from '../../src/config/load.ts';

t.test('no file: defaults for every key (the simulated booth)', async (t) => {
  const { settings, file } = loadSettings({ env: {}, cwd: '/srv' });
  t.equal(file, undefined);
  t.equal(settings.http.port, 8080);
  t.equal(settings.hardware.rig.kind, 'simulated');
  t.equal(settings.booth.card.width_mm, 63.5);
  t.equal(settings.data_dir, '/srv/var/data', 'relative default resolved against the working directory');
});

t.test('an unknown key stops start-up with a message that names it', async (t) => {
  t.throws(() => parseSettings('no_such_setting: 1\n', 'booth.yaml'), {
    code: 'GB_CONFIG_INVALID',
    message: /unknown key "no_such_setting" at the top level; expected one of: data_dir, log_level/,
  });
  t.throws(() => parseSettings('{"http": {"prot": 80}}', 'booth.json'), { code: 'GB_CONFIG_INVALID', message: /unknown key "http.prot" at "http"; expected one of: host, port/ });
});

t.test('a wrong type names the key and what was expected', async (t) => {
  t.throws(() => parseSettings('http:\n  port: eighty\n', 'b.yaml'), { code: 'GB_CONFIG_INVALID', message: /"http.port" must be integer/ });
  t.throws(() => parseSettings('hardware:\n  rig:\n    kind: usb\n', 'b.yaml'), { code: 'GB_CONFIG_INVALID', message: /"hardware.rig.kind" must be one of "simulated", "serial", "none"/ });
  t.throws(() => parseSettings('http:\n  port: 70000\n', 'b.yaml'), { code: 'GB_CONFIG_INVALID', message: /"http.port" must be <= 65535/ });
  t.throws(() => parseSettings('- a\n- b\n', 'b.yaml'), { code: 'GB_CONFIG_INVALID', message: /expected a mapping/ });
  t.throws(() => parseSettings('hardware:\n  rig:\n    kind: serial\n', 'b.yaml'), { code: 'GB_CONFIG_INVALID', message: /"hardware.rig.port" must name the serial device/ });
  t.throws(() => parseSettings('hardware:\n  rig:\n    kind: none\n', 'b.yaml'), { code: 'GB_CONFIG_INVALID', message: /"hardware.camera.kind" "simulated" needs "hardware.rig.kind" "simulated"/ });
  t.throws(() => parseSettings('hardware:\n  camera:\n    kind: replay\n', 'b.yaml'), { code: 'GB_CONFIG_INVALID', message: /"hardware.camera.replay_dir" must name a folder/ });
});

t.test('malformed YAML/JSON and duplicate keys are refused as unreadable', async (t) => {
  t.throws(() => parseSettings('{"http": ', 'b.json'), { code: 'GB_CONFIG_UNREADABLE', message: /not valid JSON/ });
  t.throws(() => parseSettings('a: [\n', 'b.yaml'), { code: 'GB_CONFIG_UNREADABLE' });
  t.throws(() => parseSettings('log_level: info\nlog_level: debug\n', 'b.yaml'), { code: 'GB_CONFIG_UNREADABLE' });
});

t.test('file, then environment, then command line; relative data_dir is relative to the file', async (t) => {
  const dir = t.testdir({});
  const file = join(dir, 'booth.yaml');
  writeFileSync(file, 'data_dir: data\nhttp:\n  port: 9000\nlog_level: warn\n');
  const fromFile = loadSettings({ file, env: {} });
  t.equal(fromFile.settings.data_dir, join(dir, 'data'));
  t.equal(fromFile.settings.http.port, 9000);
  t.equal(fromFile.settings.log_level, 'warn');
  t.equal(fromFile.settings.http.host, '127.0.0.1', 'defaults fill what the file leaves out');
  const fromEnv = loadSettings({ file, env: { GRADEBOOTH_DATA_DIR: '/var/lib/gb', GRADEBOOTH_PORT: '9100' } });
  t.equal(fromEnv.settings.data_dir, '/var/lib/gb');
  t.equal(fromEnv.settings.http.port, 9100);
  const fromCli = loadSettings({ file, env: { GRADEBOOTH_PORT: '9100' }, port: 9200, dataDir: '/x' });
  t.equal(fromCli.settings.http.port, 9200);
  t.equal(fromCli.settings.data_dir, '/x');
  t.throws(() => loadSettings({ env: { GRADEBOOTH_PORT: 'abc' } }), { code: 'GB_CONFIG_INVALID', message: /GRADEBOOTH_PORT/ });
  t.throws(() => loadSettings({ file: join(dir, 'missing.yaml'), env: {} }), { code: 'GB_CONFIG_UNREADABLE', message: /ENOENT/ });
});

t.test('the reference lists every leaf setting with a description', async (t) => {
  const rows = settingsReference();
  t.ok(rows.find((r) => r.key === 'hardware.rig.kind'));
  for (const r of rows) t.not(r.description, '', `${r.key} has a description`);
});

t.test('hardware.scanner: kinds, layouts and rules that span keys', async (t) => {
  const ok = parseSettings('hardware:\n  scanner:\n    kind: hid\n    vendor_id: 3118\n    product_id: 2913\n    layout: fr\n    pattern: "SUB-[0-9]{4}"\n', 'b.yaml');
  t.match(ok.hardware.scanner, { kind: 'hid', protocol: 'auto', vendor_id: 3118, layout: 'fr', debounce_ms: 1500, reconnect_ms: 1000 });
  t.match(parseSettings('hardware:\n  scanner:\n    kind: hid\n    protocol: pos\n', 'b.yaml').hardware.scanner, { kind: 'hid', protocol: 'pos' }, 'a POS scanner is found by its usage page');
  t.throws(() => parseSettings('hardware:\n  scanner:\n    kind: hid\n', 'b.yaml'), { code: 'GB_CONFIG_INVALID', message: /needs "hardware.scanner.vendor_id"/ });
  t.throws(() => parseSettings('hardware:\n  scanner:\n    kind: serial\n', 'b.yaml'), { code: 'GB_CONFIG_INVALID', message: /"hardware.scanner.port" must name the serial device/ });
  t.throws(() => parseSettings('hardware:\n  scanner:\n    layout: dvorak\n', 'b.yaml'), { code: 'GB_CONFIG_INVALID', message: /"hardware.scanner.layout" must be one of "us", "uk", "de", "fr"/ });
  t.throws(() => parseSettings('hardware:\n  scanner:\n    pattern: "SUB-("\n', 'b.yaml'), { code: 'GB_CONFIG_INVALID', message: /"hardware.scanner.pattern" is not a valid regular expression/ });
  t.throws(() => parseSettings('hardware:\n  scanner:\n    vendor_id: 70000\n', 'b.yaml'), { code: 'GB_CONFIG_INVALID', message: /"hardware.scanner.vendor_id" must be <= 65535/ });
});
