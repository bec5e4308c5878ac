import t from 'tap';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

t.test('hardware.camera.kind genicam: its id and parameters, validated, each bad value named', async (t) => {
  const dir = t.testdir({ 'camera.json': JSON.stringify({ intrinsicsPx: { fx: 900, fy: 900, cx: 320, cy: 240 } }) });
  const file = join(dir, 'booth.yaml');
  writeFileSync(file, [
    'hardware:',
    '  rig: { kind: serial, port: /dev/gradebooth-rig }',
    '  camera:',
    '    kind: genicam',
    '    genicam:',
    '      id: Aravis-Fake-GB001',
    '      intrinsics_file: camera.json',
    '      pixel_format: Mono12',
    '      wire_pixel_format: Mono12Packed',
    '      exposure_us: 8000',
    '      gain_db: 6',
    '      roi: { x: 16, y: 8, width: 640, height: 480 }',
    '      packet_size_bytes: 8192',
    '      packet_delay_ns: 2000',
    '      trigger: software',
    '      trigger_line: Line1',
    '      frame_timeout_ms: 5000',
    '      reconnect_ms: 500',
    '',
  ].join('\n'));
  const g = loadSettings({ file, env: {} }).settings.hardware.camera.genicam;
  t.same(g, {
    id: 'Aravis-Fake-GB001', intrinsics_file: join(dir, 'camera.json'), pixel_format: 'Mono12', wire_pixel_format: 'Mono12Packed', exposure_us: 8000, gain_db: 6,
    roi: { x: 16, y: 8, width: 640, height: 480 }, packet_size_bytes: 8192, packet_delay_ns: 2000, trigger: 'software', trigger_line: 'Line1', frame_timeout_ms: 5000, reconnect_ms: 500,
  }, 'every key read; the camera file relative to the settings file');
  const defaults = parseSettings('{}', 'd.json').hardware.camera.genicam;
  t.match(defaults, { id: '', pixel_format: 'Mono16', trigger: 'line', trigger_line: 'Line0', packet_size_bytes: 0, roi: { width: 0, height: 0 }, frame_timeout_ms: 15000 });

  const genicam = (extra: string, rig = '{ kind: serial, port: /dev/ttyACM0 }'): string => `hardware:\n  rig: ${rig}\n  camera:\n    kind: genicam\n    genicam: { intrinsics_file: c.json${extra} }\n`;
  const refused: Array<[string, RegExp]> = [
    [genicam(', pixel_format: Mono10'), /"hardware.camera.genicam.pixel_format" must be one of "Mono8", "Mono12", "Mono16"/],
    [genicam(', exposure_us: 0'), /"hardware.camera.genicam.exposure_us" must be >= 1/],
    [genicam(', exposure_us: 1.5'), /"hardware.camera.genicam.exposure_us" must be integer/],
    [genicam(', gain_db: -3'), /"hardware.camera.genicam.gain_db" must be >= 0/],
    [genicam(', gain_db: 60'), /"hardware.camera.genicam.gain_db" must be <= 48/],
    [genicam(', roi: { width: 640 }'), /"hardware.camera.genicam.roi.height" must be set together with roi.width/],
    [genicam(', roi: { x: 10 }'), /"hardware.camera.genicam.roi.x" offsets need a region size/],
    [genicam(', roi: { width: 8, height: 8 }'), /"hardware.camera.genicam.roi.width" must be at least 16 px/],
    [genicam(', roi: { w: 8 }'), /unknown key "hardware.camera.genicam.roi.w"/],
    [genicam(', packet_size_bytes: 100'), /"hardware.camera.genicam.packet_size_bytes" must be 0 \(negotiate\) or at least 576/],
    [genicam(', packet_size_bytes: 20000'), /"hardware.camera.genicam.packet_size_bytes" must be <= 16384/],
    [genicam(', packet_delay_ns: -1'), /"hardware.camera.genicam.packet_delay_ns" must be >= 0/],
    [genicam(', trigger: hardware'), /"hardware.camera.genicam.trigger" must be one of "line", "software"/],
    [genicam(', trigger_line: "Line 0"'), /"hardware.camera.genicam.trigger_line" must match pattern/],
    [genicam(', trigger_line: Software'), /"hardware.camera.genicam.trigger_line" names a camera input line/],
    [genicam(', wire_pixel_format: "Mono12 Packed"'), /"hardware.camera.genicam.wire_pixel_format" must match pattern/],
    [genicam(', frame_timeout_ms: 10'), /"hardware.camera.genicam.frame_timeout_ms" must be >= 100/],
    [genicam(', reconnect_ms: 0'), /"hardware.camera.genicam.reconnect_ms" must be >= 100/],
    [genicam(', serial: X'), /unknown key "hardware.camera.genicam.serial"/],
    [genicam('', '{ kind: simulated }'), /"hardware.camera.kind" "genicam" needs "hardware.rig.kind" "serial"/],
    ['hardware:\n  rig: { kind: serial, port: /dev/ttyACM0 }\n  camera: { kind: genicam }\n', /"hardware.camera.genicam.intrinsics_file" must name the camera file/],
  ];
  for (const [text, message] of refused) t.throws(() => parseSettings(text, 'b.yaml'), { code: 'GB_CONFIG_INVALID', message }, text.split('\n').at(-2) ?? text);
});

t.test('fleet: absent = offline; url, credentials and paths checked; files relative to the settings file', async (t) => {
  t.equal(parseSettings('{}', 'b.json').fleet, undefined, 'no fleet settings: the booth runs offline');
  const s = parseSettings('booth:\n  id: b-7\nfleet:\n  url: mqtts://broker.example:8883\n  ca_file: ca.pem\n  username: b-7\n  password_file: pw\n', 'b.yaml');
  t.match(s.fleet, { url: 'mqtts://broker.example:8883', booth_id: 'b-7', topic_prefix: 'gradebooth/v1', bandwidth_bytes_per_s: 262144, telemetry_interval_s: 60 });
  t.throws(() => parseSettings('fleet:\n  booth_id: x\n', 'b.yaml'), { code: 'GB_CONFIG_INVALID', message: /"fleet" must have required property 'url'/ });
  t.throws(() => parseSettings('fleet:\n  url: http://broker:1883\n', 'b.yaml'), { code: 'GB_CONFIG_INVALID', message: /"fleet.url" must match pattern/ });
  t.throws(() => parseSettings('fleet:\n  url: mqtt://broker:1883\n  ca_file: ca.pem\n', 'b.yaml'), { code: 'GB_CONFIG_INVALID', message: /need a TLS URL/ });
  t.throws(() => parseSettings('fleet:\n  url: mqtts://broker:8883\n  cert_file: c.pem\n', 'b.yaml'), { code: 'GB_CONFIG_INVALID', message: /go together/ });
  t.throws(() => parseSettings('fleet:\n  url: mqtts://broker:8883\n  password_file: pw\n', 'b.yaml'), { code: 'GB_CONFIG_INVALID', message: /needs "fleet.username"/ });
  t.throws(() => parseSettings('fleet:\n  url: mqtt://broker:70000\n', 'b.yaml'), { code: 'GB_CONFIG_INVALID', message: /port must be 1..65535/ });
  t.throws(() => parseSettings('fleet:\n  url: mqtt://broker:1883\n  booth_id: "a/+"\n', 'b.yaml'), { code: 'GB_CONFIG_INVALID', message: /"fleet.booth_id" must match pattern/ });
  const dir = mkdtempSync(join(tmpdir(), 'gb-fleet-cfg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'gb.yaml'), 'fleet:\n  url: mqtts://broker:8883\n  ca_file: certs/ca.pem\n  username: u\n  password_file: /etc/gradebooth/pw\n');
  const loaded = loadSettings({ file: join(dir, 'gb.yaml'), env: {} });
  t.equal(loaded.settings.fleet?.ca_file, join(dir, 'certs/ca.pem'), 'relative to the settings file');
  t.equal(loaded.settings.fleet?.password_file, '/etc/gradebooth/pw');
});

t.test('fleet.model_keys: ed25519 public keys, read when the settings load, relative to the settings file', async (t) => {
  const { generateKeyPairSync } = await import('node:crypto');
  const { generateModelKeyPair } = await import('../../src/core/model-signing.ts');
  const dir = mkdtempSync(join(tmpdir(), 'gb-model-keys-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'fleet.pub'), generateModelKeyPair().publicPem);
  writeFileSync(join(dir, 'rsa.pub'), generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }).toString());
  writeFileSync(join(dir, 'junk.pub'), 'not a key');
  const file = (keys: string[]): string => {
    const p = join(dir, 'gb.yaml');
    writeFileSync(p, `fleet:\n  url: mqtt://broker:1883\n  model_keys: ${JSON.stringify(keys)}\n`);
    return p;
  };
  t.same(parseSettings('fleet:\n  url: mqtt://broker:1883\n', 'b.yaml').fleet?.model_keys, [], 'none by default: every model release is refused');
  t.same(loadSettings({ file: file(['fleet.pub']), env: {} }).settings.fleet?.model_keys, [join(dir, 'fleet.pub')], 'resolved beside the settings file');
  t.throws(() => loadSettings({ file: file(['missing.pub']), env: {} }), { code: 'GB_CONFIG_UNREADABLE', message: /"fleet.model_keys" .*missing.pub: cannot read/ });
  t.throws(() => loadSettings({ file: file(['rsa.pub']), env: {} }), { code: 'GB_CONFIG_INVALID', message: /an rsa key; model releases are signed with ed25519/ });
  t.throws(() => loadSettings({ file: file(['junk.pub']), env: {} }), { code: 'GB_CONFIG_INVALID', message: /not a PEM public key/ });
  t.throws(() => parseSettings('fleet:\n  url: mqtt://broker:1883\n  model_keys: [a.pub, a.pub]\n', 'b.yaml'), { code: 'GB_CONFIG_INVALID', message: /model_keys/ });
});
