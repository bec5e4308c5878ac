// The simulated rig's own behaviour: boot-time pin safety, thermistor input, unplug/replug, and that the
// harness dies with its parent.
import t from 'tap';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SimulatedRig } from '../../../src/sim/rig/simulated-rig.ts';
import { openSerialPort } from '../../../src/hardware/rig/serial-port.ts';
import type { RigPinEvent } from '../../../src/hardware/rig/pins.ts';
import { eventually } from './rig-fixture.ts';

t.test('at reset BLANK goes high first, then 24 zero levels are latched', async (t) => {
  const rig = new SimulatedRig();
  const events: RigPinEvent[] = [];
  rig.onPinEvent((e) => events.push(e));
  await rig.start();
  t.teardown(() => rig.stop());
  t.ok(await eventually(() => events.some((e) => e.kind === 'latch'), 3000), 'a latch at boot');
  t.match(events[0], { kind: 'blank', high: true }, 'first pin event: BLANK high');
  const firstLatch = events.find((e) => e.kind === 'latch');
  t.same(firstLatch && 'levels' in firstLatch ? firstLatch.levels : undefined, new Array(24).fill(0), 'zeros latched');
  t.ok(existsSync(rig.ptyPath), 'pty symlink exists');

  rig.unplug();
  t.ok(await eventually(() => !existsSync(rig.ptyPath), 2000), 'unplug removes the pty');
  await rig.replug();
  t.ok(existsSync(rig.ptyPath), 'replug recreates it');
  const port = await openSerialPort(rig.ptyPath);
  t.ok(port.isOpen, 'serialport opens the replugged pty');
  await new Promise((r) => port.close(() => r(undefined)));
});

t.test('the harness dies with its parent process', async (t) => {
  const script = `
    import { SimulatedRig } from ${JSON.stringify(fileURLToPath(new URL('../../../src/sim/rig/simulated-rig.ts', import.meta.url)))};
    const rig = new SimulatedRig();
    await rig.start();
    process.stdout.write('PID ' + rig.pid + '\\n');
    setInterval(() => {}, 1000);
  `;
  const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const pid = await new Promise<number>((resolve, reject) => {
    let out = '';
    parent.stdout.setEncoding('utf8');
    parent.stdout.on('data', (s: string) => {
      out += s;
      const m = /PID (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    parent.once('exit', () => reject(new Error('parent exited early')));
  });
  const alive = (p: number): boolean => {
    try {
      process.kill(p, 0);
      return true;
    } catch {
      return false;
    }
  };
  t.ok(alive(pid), 'harness running');
  parent.kill('SIGKILL');
  t.ok(await eventually(() => !alive(pid), 3000), 'harness gone after the parent was killed');
});
