import t from 'tap';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../cli/run-cli.ts';

t.test('sim dataset writes seeded cards with truth and reports progress as plain lines off a TTY', async (t) => {
  const out = await mkdtemp(join(tmpdir(), 'gb-sim-dataset-'));
  t.teardown(() => rm(out, { recursive: true, force: true }));
  const r = await runCli(['sim', 'dataset', '--count', '2', '--first-seed', '20', '--size', '120x164', '--out', out]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /1\/4 card 20 front\n2\/4 card 20 back\n3\/4 card 21 front\n4\/4 card 21 back\n/);
  const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8'));
  t.same(index.cards.map((c: { seed: number }) => c.seed), [20, 21]);
  for (const c of index.cards) {
    for (const side of ['front', 'back']) {
      const truth = JSON.parse(await readFile(join(out, c.dir, side, 'truth.json'), 'utf8'));
      t.equal(truth.card.side, side);
      t.same(truth.centering[side], c[side].centering, `${c.dir} ${side}: centering in index and truth`);
      t.ok((await stat(join(out, c.dir, side, 'normal_gt.png'))).size > 0);
    }
  }
});
