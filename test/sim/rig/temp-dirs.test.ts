import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createSimRigTempDir, removeDeadSimRigTempDirs, SIMRIG_OWNER_FILE, SIMRIG_TEMP_PREFIX } from '../../../src/sim/rig/temp-dirs.ts';
import { processStartTicks } from '../../../src/core/process-identity.ts';

t.test('temp folders of dead owners are removed; live, reused-pid and ownerless ones are judged by their owner file', async (t) => {
  const parent = t.testdir({});
  const mine = createSimRigTempDir(parent);
  t.ok(basename(mine).startsWith(SIMRIG_TEMP_PREFIX));
  t.match(JSON.parse(readFileSync(join(mine, SIMRIG_OWNER_FILE), 'utf8')), { pid: process.pid, startTicks: processStartTicks(process.pid) });

  const deadPid = spawnSync(process.execPath, ['-e', '']).pid!;
  const dead = join(parent, `${SIMRIG_TEMP_PREFIX}dead`);
  mkdirSync(dead);
  writeFileSync(join(dead, SIMRIG_OWNER_FILE), JSON.stringify({ pid: deadPid }));
  writeFileSync(join(dead, 'tty'), '');

  const reused = join(parent, `${SIMRIG_TEMP_PREFIX}reused`);
  mkdirSync(reused);
  writeFileSync(join(reused, SIMRIG_OWNER_FILE), JSON.stringify({ pid: process.pid, startTicks: processStartTicks(process.pid)! - 1 }));

  const ownerless = join(parent, `${SIMRIG_TEMP_PREFIX}old`);
  mkdirSync(ownerless);
  const unrelated = join(parent, 'something-else');
  mkdirSync(unrelated);
  writeFileSync(join(unrelated, SIMRIG_OWNER_FILE), JSON.stringify({ pid: deadPid }));

  t.same(removeDeadSimRigTempDirs(parent).sort(), [dead, reused].sort());
  t.notOk(existsSync(dead), 'a dead owner’s folder is removed');
  t.notOk(existsSync(reused), 'a pid now used by a later process is not the owner');
  t.ok(existsSync(mine), 'this process’s folder stays');
  t.ok(existsSync(ownerless), 'a folder without an owner file stays (its owner is unknown)');
  t.ok(existsSync(unrelated), 'other folders are not touched');
});
