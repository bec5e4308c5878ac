import t from 'tap';
import { KeyboardReportDecoder } from '../../../src/hardware/scanner/keyboard-decoder.ts';
import { LAYOUTS, type LayoutName } from '../../../src/hardware/scanner/keyboard-layouts.ts';
import type { ScanDecoder } from '../../../src/hardware/scanner/decoded-code.ts';
import { concat, loadRecording, split } from './recordings.ts';

function decoder(layout: LayoutName, reportId?: number): KeyboardReportDecoder {
  return new KeyboardReportDecoder({ layout: LAYOUTS[layout], idleResetMs: 500, ...(reportId === undefined ? {} : { reportId }) });
}

function feed(d: ScanDecoder, chunks: Uint8Array[], stepMs = 2): Array<{ text: string; problems: string[] }> {
  const out: Array<{ text: string; problems: string[] }> = [];
  chunks.forEach((c, i) => out.push(...d.push(c, i * stepMs).map(({ text, problems }) => ({ text, problems }))));
  return out;
}

const cases: Array<{ file: string; layout: LayoutName; text: string }> = [
  { file: 'us-left-shift.hex', layout: 'us', text: 'SUB-0100' },
  { file: 'us-right-shift-rollover.hex', layout: 'us', text: 'AB-12#x' },
  { file: 'de-qwertz.hex', layout: 'de', text: 'Zy-7/@_' },
  { file: 'fr-azerty.hex', layout: 'fr', text: 'SUB-0100AQ' },
  { file: 'us-noisy.hex', layout: 'us', text: 'K9' },
];

for (const c of cases) {
  t.test(`recorded stream ${c.file} decodes on the ${c.layout} layout`, async (t) => {
    const chunks = loadRecording(c.file);
    t.same(feed(decoder(c.layout), chunks), [{ text: c.text, problems: [] }], 'one report per read');
    const stream = concat(chunks);
    t.same(feed(decoder(c.layout), [stream]), [{ text: c.text, problems: [] }], 'the whole stream in one read');
    for (const sizes of [[1], [3, 5], [7, 9, 2], [13]]) {
      t.same(feed(decoder(c.layout), split(stream, sizes)), [{ text: c.text, problems: [] }], `split into reads of ${sizes.join(',')} bytes`);
    }
  });
}

t.test('the layout matters: the same reports read differently on another layout', async (t) => {
  t.same(feed(decoder('us'), loadRecording('de-qwertz.hex')), [{ text: 'Yz/7&?', problems: ['character 6: key 0x14 with AltGr types nothing on the us layout'] }]);
  t.same(feed(decoder('us'), loadRecording('fr-azerty.hex')), [{ text: 'SUB6)!))QA', problems: [] }]);
  t.same(feed(decoder('de'), loadRecording('us-left-shift.hex')), [{ text: 'SUBß0100', problems: [] }]);
});

t.test('two codes back to back, then Enter alone, give two codes', async (t) => {
  const one = loadRecording('us-left-shift.hex');
  const enter = [Uint8Array.from([0, 0, 0x28, 0, 0, 0, 0, 0]), new Uint8Array(8)];
  t.same(feed(decoder('us'), [...one, ...one, ...enter]).map((c) => c.text), ['SUB-0100', 'SUB-0100']);
});

t.test('keypad digits and keypad Enter', async (t) => {
  const r = (mods: number, key: number) => [Uint8Array.from([mods, 0, key, 0, 0, 0, 0, 0]), new Uint8Array(8)];
  const chunks = [...r(0, 0x59), ...r(0, 0x62), ...r(0, 0x56), ...r(0, 0x61), ...r(0, 0x58)];
  t.same(feed(decoder('fr'), chunks), [{ text: '10-9', problems: [] }], 'the keypad types digits without Shift even on AZERTY');
});

t.test('Caps Lock inverts letters only; Shift with Caps Lock gives lower case', async (t) => {
  const r = (mods: number, key: number) => [Uint8Array.from([mods, 0, key, 0, 0, 0, 0, 0]), new Uint8Array(8)];
  const chunks = [...r(0, 0x39), ...r(0, 0x04), ...r(0x02, 0x05), ...r(0, 0x1e), ...r(0, 0x39), ...r(0, 0x06), ...r(0, 0x28)];
  t.same(feed(decoder('us'), chunks), [{ text: 'Ab1c', problems: [] }]);
});

t.test('dead keys: accent then Space types the accent; AltGr as Ctrl+Alt', async (t) => {
  const r = (mods: number, key: number) => [Uint8Array.from([mods, 0, key, 0, 0, 0, 0, 0]), new Uint8Array(8)];
  // DE: ^ is a dead key (0x35), "{" is AltGr+7 sent as LCtrl+LAlt.
  const chunks = [...r(0, 0x35), ...r(0, 0x2c), ...r(0x05, 0x24), ...r(0, 0x28)];
  t.same(feed(decoder('de'), chunks), [{ text: '^{', problems: [] }]);
});

t.test('keys that type no barcode character are reported as problems, not dropped', async (t) => {
  const r = (mods: number, key: number) => [Uint8Array.from([mods, 0, key, 0, 0, 0, 0, 0]), new Uint8Array(8)];
  const [code] = feed(decoder('us'), [...r(0, 0x04), ...r(0, 0x3a), ...r(0x01, 0x06), ...r(0, 0x28)]);
  t.equal(code.text, 'a');
  t.match(code.problems[0], /character 2: key 0x3a types nothing on the us layout/);
  t.match(code.problems[1], /control chord/);
});

t.test('a partial code left idle is dropped before the next code', async (t) => {
  const d = decoder('us');
  const r = (mods: number, key: number) => [Uint8Array.from([mods, 0, key, 0, 0, 0, 0, 0]), new Uint8Array(8)];
  t.same(d.push(concat(r(0, 0x14)), 0), [], 'a stray "q" without Enter');
  const later = concat(loadRecording('us-left-shift.hex'));
  t.same(d.push(later, 2000).map((c) => c.text), ['SUB-0100'], 'two seconds later: the stray key is gone');
});

t.test('reports with a report-id byte (report protocol, composite device)', async (t) => {
  const reports = loadRecording('us-left-shift.hex').map((r) => Uint8Array.from([1, ...r]));
  const keyboardWithOtherReports = [Uint8Array.from([3, 0xaa, 0xbb]), ...reports];
  t.same(feed(decoder('us', 1), keyboardWithOtherReports), [{ text: 'SUB-0100', problems: [] }]);
});

t.test('reset() drops a half-read code (after a reconnect)', async (t) => {
  const d = decoder('us');
  const chunks = loadRecording('us-left-shift.hex');
  feed(d, chunks.slice(0, 6));
  d.reset();
  t.same(feed(d, chunks.slice(6)).map((c) => c.text), ['-0100']);
});
