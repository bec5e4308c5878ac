import { createError } from '../../core/errors.ts';
import { boolOption, stringOption, type CommandContext, type ParsedArgs } from '../command.ts';
import { RigDriver } from '../../hardware/rig/driver.ts';
import type { Rig } from '../../hardware/rig/rig.ts';
import { acquireDataDirLock, type DataDirLock } from '../../storage/data-dir-lock.ts';
import { serialPortFactory } from '../../hardware/rig/serial-port.ts';
import { SIMULATED_INTER_BYTE_TIMEOUT_MS, SimulatedRig } from '../../sim/rig/simulated-rig.ts';

/** Options every `rig …` command takes. */
export const rigOptions = {
  port: { type: 'string' as const },
  sim: { type: 'boolean' as const },
  json: { type: 'boolean' as const },
  'data-dir': { type: 'string' as const },
};

export const rigOptionsHelp = `  --port PATH   serial device of the rig (e.g. /dev/ttyACM0, or a simulated rig's pty)
  --sim         run the rig firmware in the simulator (the default when --port is absent)
  --json        machine-readable output (one JSON object per line)
  --data-dir DIR  the booth's data directory: refuse (GB_DATA_DIR_LOCKED) while its daemon or another
                command owns the hardware, and own it meanwhile`;

/** An open rig for one technician command: the driver, and the simulated rig when --sim. */
export interface RigSession {
  driver: Rig;
  sim: SimulatedRig | undefined;
  close(): Promise<void>;
}

/** Connect to the rig named by --port, or start a simulated one; waits until identified. */
export async function openRigSession(args: ParsedArgs, ctx: CommandContext): Promise<RigSession> {
  const port = stringOption(args, 'port');
  if (port !== undefined && boolOption(args, 'sim')) throw createError('GB_USAGE', 'give either --port PATH or --sim, not both');
  const dataDir = stringOption(args, 'data-dir');
  // The rig of a booth whose daemon runs is the daemon's: two hosts on one rig would fight over it.
  const lock: DataDirLock | undefined = dataDir === undefined ? undefined : acquireDataDirLock(dataDir, { command: 'rig command' }, (line) => ctx.stderr.write(`${line}\n`));
  let sim: SimulatedRig | undefined;
  let driver: RigDriver | undefined;
  try {
    if (port === undefined) {
      sim = new SimulatedRig({ log: (line) => ctx.stderr.write(`${line}\n`) });
      await sim.start();
    }
    driver = new RigDriver({
      portFactory: port === undefined ? (sim as SimulatedRig).portFactory() : serialPortFactory(port),
      reconnectMaxMs: 1000,
      ...(sim ? { interByteTimeoutMs: SIMULATED_INTER_BYTE_TIMEOUT_MS } : {}),
    });
    await driver.start();
    await driver.ready(10_000, { failFast: true });
  } catch (err) {
    await driver?.stop();
    await sim?.stop();
    lock?.release();
    throw err;
  }
  const opened = driver;
  return {
    driver: opened,
    sim,
    async close() {
      try {
        await opened.stop();
        await sim?.stop();
      } finally {
        lock?.release();
      }
    },
  };
}

/** Open a session, run `body`, and always close it. */
export async function withRig<T>(args: ParsedArgs, ctx: CommandContext, body: (session: RigSession) => Promise<T>): Promise<T> {
  const session = await openRigSession(args, ctx);
  try {
    return await body(session);
  } finally {
    await session.close();
  }
}
