import t from 'tap';
import { Writable } from 'node:stream';
import { startProgress } from '../../src/cli/progress.ts';

function sink(isTTY: boolean): Writable & { text: () => string } {
  let out = '';
  const w = new Writable({
    write(chunk, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  }) as Writable & { text: () => string; isTTY?: boolean };
  w.isTTY = isTTY;
  w.text = () => out;
  return w;
}

t.test('plain lines when not a terminal: every 10% and the end, one line each', async (t) => {
  const s = sink(false);
  const p = startProgress(s, 'frames', 40);
  for (let i = 0; i < 40; i++) p.tick(`led ${i}`);
  p.finish(); // idempotent
  const lines = s.text().trim().split('\n');
  t.equal(lines.length, 11, lines.join('|'));
  t.equal(lines[0], 'frames: 1/40 (2%)  led 0');
  t.equal(lines.at(-1), 'frames: 40/40 (100%)  led 39');
  t.notMatch(s.text(), /\r|\x1b/, 'no control characters in logs');
});

t.test('a redrawn bar on a terminal, ending with a newline', async (t) => {
  const s = sink(true);
  const p = startProgress(s, 'fit', 4, { widthChars: 8 });
  p.update(2, 'half');
  t.match(s.text(), /\r\x1b\[2Kfit \[####\.\.\.\.\] 2\/4 50%  half$/);
  p.update(4);
  t.match(s.text(), /fit \[########\] 4\/4 100%\n$/);
  p.tick('late');
  t.notMatch(s.text(), /late/, 'nothing after finish');
});

t.test('the tty option overrides detection; zero total is safe', async (t) => {
  const s = sink(true);
  startProgress(s, 'x', 0, { tty: false }).finish();
  t.equal(s.text(), 'x: 0/0 (100%)\n');
});
