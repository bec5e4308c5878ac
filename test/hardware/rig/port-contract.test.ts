// One contract, every RigPort the link may be given: serialport's SerialPortMock (the mock binding, which
// enforces the real port's rules), a real SerialPort on the simulated rig's pty, and the fault proxy
// passing everything through. The link relies on exactly these behaviours.
import t from 'tap';
import { SerialPortMock } from 'serialport';
import type { RigPort } from '../../../src/hardware/rig/link.ts';
import { openSerialPort } from '../../../src/hardware/rig/serial-port.ts';
import { encodeCommand } from '../../../src/hardware/rig/writer.ts';
import { RigParser } from '../../../src/hardware/rig/parser.ts';
import type { RigFrame } from '../../../src/hardware/rig/frame.ts';
import { Cmd } from '../../../src/hardware/rig/messages.ts';
import { SimulatedRig } from '../../../src/sim/rig/simulated-rig.ts';
import { FaultProxyPort } from './fault-proxy.ts';

interface Subject {
  name: string;
  open(): Promise<RigPort>;
  /** The frame type that comes back for a PING: the firmware answers, the mock echoes. */
  replyType: number;
}

const sim = new SimulatedRig();
t.before(() => sim.start());
t.teardown(() => sim.stop());

const subjects: Subject[] = [
  {
    name: 'SerialPortMock (echo)',
    replyType: Cmd.PING,
    open: () =>
      new Promise((resolve, reject) => {
        SerialPortMock.binding.createPort('/dev/gb-rig-mock', { echo: true });
        const port = new SerialPortMock({ path: '/dev/gb-rig-mock', baudRate: 250_000 }, (err) => (err ? reject(err) : resolve(port)));
      }),
  },
  { name: 'SerialPort on the simulated rig pty', replyType: Cmd.PING | 0x80, open: () => openSerialPort(sim.ptyPath) },
  { name: 'FaultProxyPort passing through', replyType: Cmd.PING | 0x80, open: async () => new FaultProxyPort(await openSerialPort(sim.ptyPath), () => 'pass') },
];

for (const subject of subjects) {
  t.test(`RigPort contract: ${subject.name}`, async (t) => {
    const port = await subject.open();
    t.equal(port.isOpen, true, 'open when handed over');
    const parser = new RigParser();
    const frames: RigFrame[] = [];
    parser.on('data', (f: RigFrame) => frames.push(f));
    const onData = (chunk: Buffer): void => {
      t.ok(Buffer.isBuffer(chunk), 'data events carry Buffers');
      parser.write(chunk);
    };
    port.on('data', onData);
    const written = await new Promise<Error | null | undefined>((resolve) => port.write(encodeCommand(Cmd.PING, 77), resolve));
    t.notOk(written, 'write calls back without an error');
    await new Promise<void>((resolve, reject) => port.drain((err) => (err ? reject(err) : resolve())));
    const deadline = Date.now() + 3000;
    while (!frames.some((f) => f.seq === 77) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    t.match(frames.find((f) => f.seq === 77), { type: subject.replyType }, 'the reply comes back as bytes');
    port.off('data', onData);
    const closed = new Promise<void>((resolve) => port.on('close', () => resolve()));
    await new Promise<void>((resolve) => port.close(() => resolve()));
    await closed;
    t.equal(port.isOpen, false, 'closed: isOpen false and a close event');
    parser.destroy();
  });
}
