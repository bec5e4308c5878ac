// Safety watched on the simulated pins, real firmware in simavr.
import t from 'tap';
import { startRig, eventually, litNow, type RigFixture } from './rig-fixture.ts';
import { RigParser } from '../../../src/hardware/rig/parser.ts';
import type { RigFrame } from '../../../src/hardware/rig/frame.ts';
import { encodeCommand } from '../../../src/hardware/rig/writer.ts';
import { openSerialPort } from '../../../src/hardware/rig/serial-port.ts';
import { Cmd, Fault, NakReason, packLevels } from '../../../src/hardware/rig/messages.ts';
import { encodeConfig, decodeStatus, type RigEvent } from '../../../src/hardware/rig/codecs.ts';
import type { RigPinEvent } from '../../../src/hardware/rig/pins.ts';

let rig: RigFixture;
t.before(async () => {
  rig = await startRig();
});
t.teardown(async () => {
  await rig?.close();
});

/** Simulated time at which the LEDs went dark after `fromUs`: an all-zero latch or BLANK rising. */
function darkAfter(events: readonly RigPinEvent[], fromUs: number): number | undefined {
  return events.find((e) => e.timeUs > fromUs && ((e.kind === 'latch' && e.levels.every((l) => l === 0)) || (e.kind === 'blank' && e.high)))?.timeUs;
}

/**
 * A bare host on the pty that sends only the frames it is told to and never acknowledges events (an
 * EVENT_ACK is a valid frame and would feed the firmware's host timer).
 */
async function bareHost(path: string): Promise<{ send(type: number, payload?: Buffer): Promise<RigFrame>; close(): Promise<void> }> {
  const port = await openSerialPort(path);
  const parser = new RigParser();
  port.on('data', (chunk: Buffer) => parser.write(chunk));
  let seq = 40;
  return {
    send(type, payload = Buffer.alloc(0)) {
      const mySeq = seq++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no response to type ${type}`)), 2000);
        const onFrame = (f: RigFrame): void => {
          if (f.seq === mySeq && (f.type === (type | 0x80) || f.type === 0xff)) {
            clearTimeout(timer);
            parser.off('data', onFrame);
            resolve(f);
          }
        };
        parser.on('data', onFrame);
        port.write(encodeCommand(type, mySeq, payload));
      });
    },
    close: () => new Promise((r) => port.close(() => r())),
  };
}

t.test('host silent: every LED is off within hostTimeoutMs, and HOST_TIMEOUT is latched', async (t) => {
  // Take the port away from the driver and talk as a bare host that then falls silent.
  await rig.driver.stop();
  const host = await bareHost(rig.sim.ptyPath);
  const hostTimeoutMs = 400;
  await host.send(Cmd.CLEAR_FAULTS);
  await host.send(Cmd.SET_CONFIG, encodeConfig({ hostTimeoutMs, maxOnMs: 5000, tempLimitC: 70 }));
  rig.trace.clear();
  // Pin lines and UART frames travel different pipes: listen before asking.
  const litSeen = rig.trace.waitFor((e) => e.kind === 'latch' && e.levels.every((l) => l === 1234), 2000);
  await host.send(Cmd.SET_LEVELS, packLevels(new Array(24).fill(1234)));
  const lit = await litSeen;
  t.ok(lit, 'LEDs lit');
  t.ok(await eventually(() => darkAfter(rig.trace.events, lit?.timeUs ?? 0) !== undefined, hostTimeoutMs * 4), 'LEDs went dark');
  const darkUs = darkAfter(rig.trace.events, lit?.timeUs ?? 0) ?? Infinity;
  const silentMs = (darkUs - (lit?.timeUs ?? 0)) / 1000;
  t.comment(`dark ${silentMs.toFixed(2)} ms (simulated) after the last host frame was acted on`);
  t.ok(silentMs <= hostTimeoutMs + 5, `off within hostTimeoutMs (${silentMs.toFixed(2)} ≤ ${hostTimeoutMs} ms + 5 ms polling)`);
  t.ok(silentMs >= hostTimeoutMs - 5, 'not earlier than the timeout either');
  t.ok(litNow(rig.sim).every((l) => l === 0), 'outputs off');
  const status = decodeStatus((await host.send(Cmd.GET_STATUS)).payload);
  t.ok(status.faults & Fault.HOST_TIMEOUT, 'HOST_TIMEOUT latched');
  const refused = await host.send(Cmd.SET_LEVELS, packLevels(new Array(24).fill(1)));
  t.same([refused.type, refused.payload[0]], [0xff, NakReason.FAULT_ACTIVE], 'LEDs refused (NAK FAULT_ACTIVE) while latched');
  await host.close();
  // The driver clears a previous session's host timeout when it connects.
  await rig.driver.start();
  await rig.driver.ready(8000);
  t.equal((await rig.driver.status()).faults, 0);
});

t.test('on-time limit: a channel left on longer than maxOnMs is switched off and ON_TIME reported', async (t) => {
  const maxOnMs = 250;
  await rig.driver.setConfig({ maxOnMs, hostTimeoutMs: 1500 });
  const faults: RigEvent[] = [];
  const off = rig.driver.onEvent((e) => e.kind === 'fault' && faults.push(e));
  rig.trace.clear();
  const levels = new Array(24).fill(0);
  levels[7] = 4095;
  const litSeen = rig.trace.waitFor((e) => e.kind === 'latch' && e.levels[7] === 4095, 2000);
  await rig.driver.setLevels(levels);
  const lit = await litSeen;
  t.ok(lit, 'LED 7 lit');
  t.ok(await eventually(() => darkAfter(rig.trace.events, lit?.timeUs ?? 0) !== undefined, 3000), 'switched off while the host keeps talking');
  const onMs = ((darkAfter(rig.trace.events, lit?.timeUs ?? 0) ?? Infinity) - (lit?.timeUs ?? 0)) / 1000;
  t.comment(`LED was on ${onMs.toFixed(2)} ms (simulated), limit ${maxOnMs} ms`);
  t.ok(onMs <= maxOnMs + 5, 'on-time limit holds');
  t.ok(onMs >= maxOnMs - 5, 'and is not cut early');
  // Look for ON_TIME among the FAULT events: a retransmitted HOST_TIMEOUT event from the previous test may come first.
  const onTime = (): boolean => faults.some((e) => e.kind === 'fault' && (e.raised & Fault.ON_TIME) !== 0 && (e.latched & Fault.ON_TIME) !== 0);
  t.ok(await eventually(onTime, 1000), 'FAULT event raising and latching ON_TIME delivered');
  t.ok(await eventually(() => rig.driver.health().state === 'fault', 1000), 'health says fault');
  await t.rejects(rig.driver.setLevels(levels), { code: 'GB_RIG_FAULT' });
  t.equal(await rig.driver.clearFaults(), 0, 'fault clears');
  t.equal(rig.driver.health().state, 'connected');
  off();
  await rig.driver.setConfig({ maxOnMs: 5000 });
});

t.test('a fault during a sequence stops it with GB_RIG_FAULT and the LEDs off', async (t) => {
  await rig.driver.setConfig({ maxOnMs: 30 });
  await rig.driver.loadSequence([
    { channels: [1], level: 800, settleUs: 1000, triggerUs: 100, exposureUs: 10_000 },
    { channels: [2], level: 800, settleUs: 1000, triggerUs: 100, exposureUs: 80_000 },
    { channels: [3], level: 800, settleUs: 1000, triggerUs: 100, exposureUs: 10_000 },
  ]);
  const seen: number[] = [];
  await t.rejects(async () => {
    for await (const s of rig.driver.runSequence()) seen.push(s.step);
  }, { code: 'GB_RIG_FAULT', message: /ON_TIME/ });
  t.same(seen, [0], 'the first step completed, the second was cut by the on-time limit');
  t.ok(await eventually(() => litNow(rig.sim).every((l) => l === 0), 1000), 'LEDs off');
  t.equal(await rig.driver.clearFaults(), 0);
  await rig.driver.setConfig({ maxOnMs: 5000 });
});

t.test('over-temperature cuts the LEDs and is reported; it clears only below limit − 5 °C', async (t) => {
  await rig.driver.setLevels(new Array(24).fill(500));
  t.ok(await eventually(() => litNow(rig.sim).every((l) => l === 500), 2000), 'lit');
  rig.sim.setTemperature(80);
  t.ok(await eventually(() => litNow(rig.sim).every((l) => l === 0), 3000), 'off at 80 °C');
  t.ok(await eventually(() => (rig.driver.health().faults & Fault.OVER_TEMP) !== 0, 3000), 'OVER_TEMP reported');
  rig.sim.setTemperature(67);
  await new Promise((r) => setTimeout(r, 300));
  t.ok((await rig.driver.clearFaults()) & Fault.OVER_TEMP, 'still latched at 67 °C (hysteresis)');
  rig.sim.setTemperature(25);
  t.ok(await eventually(async () => (await rig.driver.clearFaults()) === 0, 3000), 'clears at 25 °C');
});
