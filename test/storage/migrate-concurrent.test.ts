// Several processes opening one new database file at once (collectors of one group share one fleet index,
// and start together): each must find it migrated, not fail because another applied a step between its
// version check and its write lock ("GB_DB_MIGRATION: … table booths already exists", seen in a full suite).
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFleetIndex, fleetIndexMigrations } from '../../src/fleet/index-db.ts';
import { schemaVersion } from '../../src/storage/database.ts';

const opener = `
import { existsSync } from 'node:fs';
import { openFleetIndex } from ${JSON.stringify(new URL('../../src/fleet/index-db.ts', import.meta.url).href)};
const [path, go] = process.argv.slice(-2);
while (!existsSync(go)) await new Promise((r) => setTimeout(r, 2));
try { openFleetIndex(path).close(); process.stdout.write('ok'); } catch (err) { process.stdout.write(String(err.message)); process.exitCode = 1; }
`;

t.test('four processes open one new fleet index at the same moment: all succeed, one schema', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gb-migrate-race-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'open.mjs');
  writeFileSync(script, opener);
  for (let round = 0; round < 3; round++) {
    const path = join(dir, `index-${round}.sqlite`);
    const go = join(dir, `go-${round}`);
    const children = Array.from({ length: 4 }, () => {
      const child = spawn(process.execPath, ['--import', 'tsx', script, path, go], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      return new Promise<{ code: number | null; out: string }>((resolve) => child.on('close', (code) => resolve({ code, out })));
    });
    // Every child is waiting at the barrier (tsx loaded) before the file may be created.
    await new Promise((r) => setTimeout(r, 3000));
    t.notOk(existsSync(path), 'no child opened early');
    writeFileSync(go, '');
    const results = await Promise.all(children);
    t.same(results.map((r) => r.out), ['ok', 'ok', 'ok', 'ok'], `round ${round}: every process opened it`);
    const db = openFleetIndex(path);
    t.equal(schemaVersion(db), fleetIndexMigrations.at(-1)?.version);
    db.close();
  }
});
