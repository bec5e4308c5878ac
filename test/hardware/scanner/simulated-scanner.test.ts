import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { LAYOUTS, LAYOUT_NAMES } from '../../../src/hardware/scanner/keyboard-layouts.ts';
import { KeyboardReportDecoder } from '../../../src/hardware/scanner/keyboard-decoder.ts';
import { encodeKeyboardReports } from '../../../src/sim/scanner/keyboard-encoder.ts';
import { SimulatedScannerSource } from '../../../src/sim/scanner/simulated-scanner.ts';
import { ReportScanner } from '../../../src/hardware/scanner/report-scanner.ts';
import { CodeFilter } from '../../../src/hardware/scanner/code-filter.ts';
import { decoderFor } from '../../../src/hardware/scanner/decoder-factory.ts';
import { pickHidInterface } from '../../../src/hardware/scanner/hid-source.ts';
import { createDevices } from '../../../src/main.ts';
import { validateSettings } from '../../../src/config/load.ts';
import { EventBus, type BoothEventEnvelope } from '../../../src/core/events.ts';
import { loadRecording } from './recordings.ts';
import type { BarcodeRejection, BarcodeScan } from '../../../src/hardware/scanner/scanner.ts';

const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('');

t.test('the simulated scanner types the same reports as the recorded US scanner', async (t) => {
  t.same(encodeKeyboardReports('SUB-0100', LAYOUTS.us).map((r) => [...r]), loadRecording('us-left-shift.hex').map((r) => [...r]));
  t.same(encodeKeyboardReports('SUB-0100AQ', LAYOUTS.fr).map((r) => [...r]), loadRecording('fr-azerty.hex').map((r) => [...r]));
});

t.test('every printable ASCII character a layout can type survives encode → decode, in all shift/rollover styles', async (t) => {
  for (const name of LAYOUT_NAMES) {
    const layout = LAYOUTS[name];
    const typeable = [...PRINTABLE].filter((ch) => {
      try {
        encodeKeyboardReports(ch, layout);
        return true;
      } catch {
        return false;
      }
    });
    // Every layout must be able to type the characters of submission barcodes.
    t.ok(/[A-Z]/.test(typeable.join('')) && typeable.includes('-') && typeable.includes('0'), `${name}: letters, digits and "-"`);
    const text = typeable.join('').trim();
    for (const style of [{}, { shift: 'right' as const, rollover: true }, { altGr: 'ctrl-alt' as const, terminator: 'tab' as const }]) {
      const d = new KeyboardReportDecoder({ layout, idleResetMs: 500 });
      const codes = encodeKeyboardReports(text, layout, style).flatMap((r, i) => d.push(r, i));
      t.same(codes.map((c) => [c.text, c.problems]), [[text, []]], `${name} ${JSON.stringify(style)}: ${typeable.length} characters`);
    }
  }
});

function scannerFor(source: SimulatedScannerSource, debounceMs = 1500) {
  const scanner = new ReportScanner({
    source,
    decoderFor: (info) => decoderFor(info, { layout: 'de', idleResetMs: 500 }),
    filter: new CodeFilter({ pattern: '', debounceMs }),
    reconnectMs: 50,
  });
  const scans: BarcodeScan[] = [];
  const rejected: BarcodeRejection[] = [];
  scanner.onScan((s) => scans.push(s));
  scanner.onRejected((r) => rejected.push(r));
  return { scanner, scans, rejected };
}

const until = async (cond: () => boolean, what: string, timeoutMs = 3000) => {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

t.test('simulated scanner through ReportScanner: scans, double reads, bad codes, unplug and reconnect', async (t) => {
  const source = new SimulatedScannerSource({ layout: 'de' });
  const { scanner, scans, rejected } = scannerFor(source);
  await scanner.start();
  t.teardown(() => scanner.stop());
  t.equal(scanner.health().state, 'connected');
  await source.scan('SUB-0100');
  await source.scan('SUB-0100');
  t.same(scans.map((s) => s.code), ['SUB-0100'], 'a double read is one scan');
  t.equal(scanner.health().counters.duplicates, 1);
  await source.scan('SUB-0100ü');
  t.equal(rejected.length, 1);
  t.equal(rejected[0].error.code, 'GB_BARCODE_INVALID');
  t.match(rejected[0].error.message, /"SUB-0100ü" does not parse: barcode: only printable ASCII/);

  source.unplug();
  t.equal(scanner.health().state, 'disconnected');
  await t.rejects(source.scan('SUB-0200'), { code: 'GB_HW_ABSENT' });
  await new Promise((r) => setTimeout(r, 120));
  t.equal(scanner.health().state, 'disconnected', 'still unplugged: retrying');
  source.plug();
  await until(() => scanner.health().state === 'connected', 'reconnect');
  await source.scan('SUB-0200');
  t.same(scans.map((s) => s.code), ['SUB-0100', 'SUB-0200']);
  t.match(scanner.health(), { counters: { scans: 2, rejected: 1, connects: 2, disconnects: 1 }, lastCode: 'SUB-0200' });
});

t.test('the daemon device: the default settings give a simulated scanner whose scans reach the bus', async (t) => {
  const settings = validateSettings({ hardware: { rig: { kind: 'none' }, camera: { kind: 'none' } } });
  t.equal(settings.hardware.scanner.kind, 'simulated');
  const bus = new EventBus();
  const events: Array<BoothEventEnvelope<'hardware.status'>> = [];
  bus.on('hardware.status', (e) => events.push(e));
  const { devices } = await createDevices(settings, pino({ level: 'silent' }), bus);
  const scanner = devices[2];
  await scanner.start();
  t.teardown(() => scanner.stop());
  t.match(scanner.status(), { device: 'scanner', kind: 'simulated', state: 'connected' });
  t.ok(events.some((e) => e.data.device === 'scanner' && e.data.state === 'connected'));
});

t.test('a HID scanner that is not there: disconnected with a reason, retried, node-hid loaded only then', async (t) => {
  const settings = validateSettings({ hardware: { rig: { kind: 'none' }, camera: { kind: 'none' }, scanner: { kind: 'hid', vendor_id: 0x0c2e, product_id: 0x0b61, reconnect_ms: 100 } } });
  const { devices } = await createDevices(settings, pino({ level: 'silent' }), new EventBus());
  const scanner = devices[2];
  await scanner.start();
  t.teardown(() => scanner.stop());
  t.match(scanner.status(), { kind: 'hid', state: 'disconnected', detail: /GB_HW_ABSENT: no HID barcode scanner matches HID 0c2e:0b61 \(auto\)/ });
});

t.test('node-hid is never imported statically (it needs libusb at load time)', async (t) => {
  const src = join(dirname(fileURLToPath(import.meta.url)), '../../../src');
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && /^import (?!type )[^;]*from 'node-hid'/m.test(readFileSync(p, 'utf8'))) offenders.push(p);
    }
  };
  walk(src);
  t.same(offenders, []);
});

t.test('HID interface choice: POS before keyboard on auto, the asked protocol otherwise, ids filter', async (t) => {
  const base = { vendorId: 0x0c2e, productId: 0x0b61, release: 1, interface: 0 };
  const devices = [
    { ...base, path: '/dev/hidraw1', usagePage: 0x01, usage: 0x06 },
    { ...base, path: '/dev/hidraw2', usagePage: 0x8c, usage: 0x02 },
    { ...base, productId: 1, path: '/dev/hidraw3', usagePage: 0x8c, usage: 0x02 },
  ];
  const o = { vendorId: 0x0c2e, productId: 0x0b61, path: '' };
  t.equal(pickHidInterface(devices, { ...o, protocol: 'auto' })?.path, '/dev/hidraw2');
  t.equal(pickHidInterface(devices, { ...o, protocol: 'keyboard' })?.path, '/dev/hidraw1');
  t.equal(pickHidInterface(devices, { vendorId: 0, productId: 0, path: '', protocol: 'pos' })?.path, '/dev/hidraw2');
  t.equal(pickHidInterface(devices, { ...o, path: '/dev/hidraw3', protocol: 'auto' })?.path, '/dev/hidraw3');
  t.equal(pickHidInterface(devices, { ...o, productId: 0x9999, protocol: 'auto' }), undefined);
});
