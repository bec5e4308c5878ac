// The technician CLI end to end, as separate processes: `sim rig --pty P` in one, `rig … --port P` in
// another; and `rig identify --sim`.
import t from 'tap';
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../../bin/gradebooth.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'gb-rig-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function gradebooth(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [bin, ...args], { timeout: 60_000 });
}

t.test('sim rig --pty P in one process, rig identify --port P in another: 24 channels', async (t) => {
  const pty = join(dir, 'rig-tty');
  const sim = spawn(process.execPath, [bin, 'sim', 'rig', '--pty', pty, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  sim.stdout.setEncoding('utf8');
  const ready = new Promise<void>((resolve, reject) => {
    sim.stdout.on('data', (s: string) => {
      out += s;
      if (out.includes(`READY ${pty}`)) resolve();
    });
    sim.once('exit', (code) => reject(new Error(`sim rig exited ${code} before READY`)));
  });
  await ready;
  const exited = new Promise<number | null>((resolve) => sim.once('exit', (code) => resolve(code)));
  try {
    const { stdout } = await gradebooth(['rig', 'identify', '--port', pty]);
    const id = JSON.parse(stdout.trim().split('\n').at(-1) as string);
    t.equal(id.channels, 24);
    t.equal(id.protocolVersion, 1);
    t.match(id.firmwareVersion, /^\d+\.\d+\.\d+$/);
    t.type(id.serial, 'string');
    const status = JSON.parse((await gradebooth(['rig', 'status', '--port', pty, '--json'])).stdout.trim().split('\n').at(-1) as string);
    t.equal(status.levels.length, 24);
    t.match(status.state, /^(idle|fault)$/);
    const led = await gradebooth(['rig', 'led', '3', '4000', '--hold-ms', '200', '--port', pty, '--json']);
    t.match(JSON.parse(led.stdout.trim()), { channel: 3, level: 4000, lit: true });
    const offOut = JSON.parse((await gradebooth(['rig', 'all-off', '--port', pty, '--json'])).stdout.trim());
    t.equal(offOut.allOff, true);
  } finally {
    sim.kill('SIGTERM');
  }
  t.equal(await exited, 0, 'sim rig exits cleanly on SIGTERM');
  t.notOk(existsSync(pty), 'pty symlink removed');
});

t.test('rig identify --sim reports 24 channels', async (t) => {
  const { stdout } = await gradebooth(['rig', 'identify', '--sim']);
  const id = JSON.parse(stdout.trim().split('\n').at(-1) as string);
  t.equal(id.channels, 24);
  t.equal(id.port, 'sim');
});

t.test('rig sequence-test --sim prints 24 steps with firmware and pin timing errors within ±20 µs', async (t) => {
  const { stdout } = await gradebooth(['rig', 'sequence-test', '--sim', '--json', '--settle-us', '1000', '--exposure-us', '1500', '--trigger-us', '200']);
  const lines = stdout.trim().split('\n').map((l) => JSON.parse(l));
  const rows = lines.slice(0, -1);
  const summary = lines.at(-1);
  t.equal(rows.length, 24);
  t.same(rows.map((r) => r.channel), Array.from({ length: 24 }, (_, i) => i));
  for (const r of rows) {
    t.ok(Math.abs(r.latenessUs) <= 20 && Math.abs(r.pinRiseErrUs) <= 20 && Math.abs(r.pinFallErrUs) <= 20 && Math.abs(r.pinOffErrUs) <= 20, `step ${r.step}: ${JSON.stringify(r)}`);
    t.equal(r.pinLitMatches, true);
  }
  t.match(summary, { steps: 24, aborted: false, pinTrace: 'complete' });
});

t.test('usage errors', async (t) => {
  await t.rejects(gradebooth(['rig', 'led', '24', '10', '--sim']), /channel: expected 0..23/);
  await t.rejects(gradebooth(['rig', 'identify', '--sim', '--port', '/dev/null']), /either --port PATH or --sim/);
  await t.rejects(gradebooth(['rig', 'identify', '--port', join(dir, 'nothing-here')]), /GB_RIG_DISCONNECTED|GB_HW_ABSENT/);
});
