import t from 'tap';
import { COMMON_POS_DESCRIPTOR, PosReportDecoder, scannedDataReports } from '../../../src/hardware/scanner/pos-decoder.ts';
import { parseReportDescriptor, readBits } from '../../../src/hardware/scanner/hid-descriptor.ts';
import { concat, loadRecording, split } from './recordings.ts';

// The boot keyboard descriptor of the HID 1.11 specification, appendix B.1.
const BOOT_KEYBOARD = Uint8Array.from([
  0x05, 0x01, 0x09, 0x06, 0xa1, 0x01, 0x05, 0x07, 0x19, 0xe0, 0x29, 0xe7, 0x15, 0x00, 0x25, 0x01, 0x75, 0x01, 0x95, 0x08,
  0x81, 0x02, 0x95, 0x01, 0x75, 0x08, 0x81, 0x01, 0x95, 0x05, 0x75, 0x01, 0x05, 0x08, 0x19, 0x01, 0x29, 0x05, 0x91, 0x02,
  0x95, 0x01, 0x75, 0x03, 0x91, 0x01, 0x95, 0x06, 0x75, 0x08, 0x15, 0x00, 0x25, 0x65, 0x05, 0x07, 0x19, 0x00, 0x29, 0x65,
  0x81, 0x00, 0xc0,
]);

t.test('descriptor parser: the boot keyboard descriptor of the HID spec', async (t) => {
  const layout = parseReportDescriptor(BOOT_KEYBOARD);
  t.same(layout.applications, [{ usagePage: 0x01, usage: 0x06 }]);
  t.equal(layout.usesReportIds, false);
  t.same(
    layout.fields.map((f) => [f.usagePage, f.bitOffset, f.reportSize, f.reportCount, f.flags & 1]),
    [[0x07, 0, 1, 8, 0], [0x07, 8, 8, 1, 1], [0x07, 16, 8, 6, 0]],
    'modifier bits, the constant reserved byte, six key slots; the LED output report does not move input offsets',
  );
  t.equal(layout.fields[0].usages.length, 8);
  t.equal(layout.fields[2].usages.at(-1), 0x65);
});

t.test('descriptor parser: the common HID-POS layout', async (t) => {
  const [report] = scannedDataReports(parseReportDescriptor(COMMON_POS_DESCRIPTOR));
  t.equal(report.reportId, 2);
  t.equal(report.lengthBytes, 64);
  t.equal(report.byteCount?.bitOffset, 0);
  t.equal(report.symbology?.bitOffset, 8);
  t.equal(report.data.bitOffset, 32);
  t.equal(report.data.reportCount, 56);
  t.equal(report.continued?.bitOffset, 62 * 8, 'the last byte of the 64-byte report');
});

t.test('a truncated descriptor is a clear error', async (t) => {
  t.throws(() => parseReportDescriptor(Uint8Array.from([0x05, 0x8c, 0x26, 0xff])), /truncated at byte 2/);
});

t.test('readBits reads little-endian bit fields', async (t) => {
  t.equal(readBits(Uint8Array.from([0b1010_0000, 0b0000_0011]), 5, 6), 0b011101);
});

t.test('recorded HID-POS report (Honeywell-style common layout), whole and split', async (t) => {
  const chunks = loadRecording('pos-honeywell-common.hex');
  t.equal(chunks[0].length, 64);
  const d = new PosReportDecoder();
  t.same(d.push(chunks[0], 5), [{ text: 'SUB-0100', problems: [], atMs: 5, symbology: ']C0' }]);
  const stream = concat(chunks);
  for (const sizes of [[1], [10, 7], [63]]) {
    const dd = new PosReportDecoder();
    const codes = split(stream, sizes).flatMap((c, i) => dd.push(c, i));
    t.same(codes.map((c) => c.text), ['SUB-0100'], `reads of ${sizes.join(',')} bytes`);
  }
});

function commonReport(data: string, continued: boolean, symbology = ']Q1'): Uint8Array {
  const r = new Uint8Array(64);
  r[0] = 2;
  r[1] = data.length;
  r.set([...symbology].map((c) => c.charCodeAt(0)), 2);
  r.set([...data].map((c) => c.charCodeAt(0)), 5);
  r[63] = continued ? 1 : 0;
  return r;
}

t.test('a long code over several reports flagged "decode data continued"', async (t) => {
  const code = 'HTTPS://EXAMPLE.INVALID/SUBMISSION/2026/12/06/SUB-0100/CARD-0007?BOOTH=017';
  const d = new PosReportDecoder();
  t.same(d.push(commonReport(code.slice(0, 56), true), 1), []);
  const [got] = d.push(commonReport(code.slice(56), false, '\0\0\0'), 2);
  t.equal(got.text, code);
  t.equal(got.symbology, ']Q1', 'the symbology of the first report');
});

t.test('garbage and other reports between scanned-data reports are skipped; a CR suffix is dropped', async (t) => {
  const d = new PosReportDecoder();
  const noise = Uint8Array.from([0x00, 0x77, 0x01]);
  const codes = [...d.push(noise, 0), ...d.push(commonReport('A-1\r', false), 1), ...d.push(commonReport('B-2', false), 2)];
  t.same(codes.map((c) => c.text), ['A-1', 'B-2']);
});

t.test('a descriptor without report ids or byte count: data up to the first NUL', async (t) => {
  const descriptor = Uint8Array.from([
    0x05, 0x8c, 0x09, 0x02, 0xa1, 0x01, 0x09, 0x12, 0xa1, 0x02, 0x15, 0x00, 0x26, 0xff, 0x00, 0x75, 0x08,
    0x95, 0x20, 0x09, 0xfe, 0x81, 0x02, // 32 data bytes
    0x09, 0xff, 0x25, 0x01, 0x75, 0x01, 0x95, 0x01, 0x81, 0x02, 0x75, 0x07, 0x81, 0x03, 0xc0, 0xc0,
  ]);
  const d = new PosReportDecoder(descriptor);
  const report = new Uint8Array(33);
  report.set([...'SUB-0042'].map((c) => c.charCodeAt(0)), 0);
  t.same(d.push(report, 0).map((c) => [c.text, c.symbology]), [['SUB-0042', undefined]]);
});

t.test('a descriptor with no scanned-data report is refused', async (t) => {
  t.throws(() => new PosReportDecoder(Uint8Array.from([0x05, 0x01, 0x09, 0x06, 0xa1, 0x01, 0x75, 0x08, 0x95, 0x08, 0x81, 0x02, 0xc0])), /no scanned-data report/);
});
