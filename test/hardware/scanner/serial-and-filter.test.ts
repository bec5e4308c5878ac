import t from 'tap';
import { SerialLineDecoder } from '../../../src/hardware/scanner/serial-line-decoder.ts';
import { CodeFilter, compileCodePattern } from '../../../src/hardware/scanner/code-filter.ts';
import { split } from './recordings.ts';

const bytes = (s: string) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));

t.test('serial scanner: CR, LF, CRLF and Tab end codes; reads split anywhere', async (t) => {
  const stream = bytes('SUB-0100\r\nSUB-0101\rSUB-0102\nSUB-0103\t');
  for (const sizes of [[1], [4, 9], [100]]) {
    const d = new SerialLineDecoder({ idleResetMs: 500 });
    const codes = split(stream, sizes).flatMap((c) => d.push(c, 0));
    t.same(codes.map((c) => c.text), ['SUB-0100', 'SUB-0101', 'SUB-0102', 'SUB-0103'], `reads of ${sizes.join(',')} bytes`);
  }
});

t.test('serial scanner: line noise left idle is dropped', async (t) => {
  const d = new SerialLineDecoder({ idleResetMs: 500 });
  t.same(d.push(bytes('\x00\xffQ'), 0), []);
  t.same(d.push(bytes('SUB-7\r\n'), 1000).map((c) => c.text), ['SUB-7']);
});

const decoded = (text: string, atMs = 0, problems: string[] = []) => ({ text, problems, atMs });

t.test('filter: a valid code passes; a double read within the window is one scan', async (t) => {
  const f = new CodeFilter({ pattern: '', debounceMs: 1500 });
  t.match(f.apply(decoded('SUB-0100', 0)), { kind: 'accepted', code: 'SUB-0100' });
  t.match(f.apply(decoded('SUB-0100', 300)), { kind: 'duplicate' });
  t.match(f.apply(decoded('SUB-0100', 1700)), { kind: 'duplicate' }, 'a scanner held over the label keeps it one scan (window slides)');
  t.match(f.apply(decoded('SUB-0101', 1800)), { kind: 'accepted', code: 'SUB-0101' });
  t.match(f.apply(decoded('SUB-0100', 1900)), { kind: 'accepted' }, 'another code in between: a new scan of the first');
  t.match(f.apply(decoded('SUB-0100', 5000)), { kind: 'accepted' }, 'after the window: a new scan');
});

t.test('filter: what does not parse is GB_BARCODE_INVALID with a reason', async (t) => {
  const f = new CodeFilter({ pattern: 'SUB-[0-9]{4}', debounceMs: 0 });
  const cases: Array<[ReturnType<typeof decoded>, RegExp]> = [
    [decoded('SUB-12'), /expected a code matching SUB-\[0-9\]\{4\}/],
    [decoded('SUB-0100é'), /only printable ASCII.*character 9 is U\+00E9/],
    [decoded('SUB\x07-0100'), /SUB\\x07-0100.*character 4 is U\+0007/],
    [decoded('a', 0, ['character 2: key 0x3a types nothing on the us layout']), /key 0x3a types nothing/],
    [decoded(' SUB-0100'), /leading or trailing spaces/],
    [decoded('X'.repeat(129)), /at most 128 characters/],
  ];
  for (const [input, why] of cases) {
    const out = f.apply(input);
    t.equal(out.kind, 'rejected');
    if (out.kind === 'rejected') {
      t.equal(out.error.code, 'GB_BARCODE_INVALID');
      t.match(out.error.message, why);
    }
  }
  t.match(f.apply(decoded('SUB-0100')), { kind: 'accepted' });
});

t.test('a pattern that does not compile is a settings error naming the key', async (t) => {
  t.throws(() => compileCodePattern('SUB-('), { code: 'GB_CONFIG_INVALID', message: /hardware\.scanner\.pattern/ });
});
