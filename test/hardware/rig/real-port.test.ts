// Hardware in the loop: the same driver against a real rig on a serial port. Runs only when
// GB_TEST_RIG_PORT names the device (e.g. GB_TEST_RIG_PORT=/dev/ttyACM0 npx tap test/hardware/rig/real-port.test.ts).
import t from 'tap';
import { RigDriver } from '../../../src/hardware/rig/driver.ts';
import { serialPortFactory } from '../../../src/hardware/rig/serial-port.ts';
import { oneLedPerStep } from '../../../src/hardware/rig/sequence-test.ts';

const port = process.env.GB_TEST_RIG_PORT;
if (!port) {
  t.plan(0, 'GB_TEST_RIG_PORT is not set: no real LED rig attached (the simulated rig tests cover the same paths)');
} else {
  t.test(`real rig on ${port}: identify, one LED, a short sequence`, async (t) => {
    const driver = new RigDriver({ portFactory: serialPortFactory(port) });
    await driver.start();
    t.teardown(() => driver.stop());
    // Opening an Arduino resets it; the bootloader takes a second or two.
    const id = await driver.ready(15_000);
    t.equal(id.channels, 24);
    t.equal(id.protocolVersion, 1);
    const levels = new Array(24).fill(0);
    levels[0] = 200;
    await driver.setLevels(levels);
    t.same((await driver.status()).levels, levels);
    await driver.allOff();
    await driver.loadSequence(oneLedPerStep({ level: 200, settleUs: 1000, triggerUs: 100, exposureUs: 2000 }).slice(0, 4));
    const lateness: number[] = [];
    for await (const step of driver.runSequence()) lateness.push(step.latenessUs);
    t.equal(lateness.length, 4);
    t.ok(lateness.every((l) => Math.abs(l) <= 20), `lateness ${lateness.join(', ')} µs`);
  });
}
