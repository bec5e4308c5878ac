import { createError } from '../../core/errors.ts';
import { stringOption, type Command, requiredStringOption } from '../command.ts';
import { SimulatedRig } from '../../sim/rig/simulated-rig.ts';

export const simRigCommand: Command = {
  name: 'sim rig',
  summary: 'run the simulated LED rig (real firmware in simavr) on a pseudo-terminal until stopped',
  usage: '--pty PATH [--speed X]',
  help: `Runs the rig firmware in simavr with its UART on a pty symlinked at PATH; open PATH like a real rig
(e.g. gradebooth rig identify --port PATH). Pin events are printed to stdout. Stops on Ctrl-C/SIGTERM.
  --pty PATH   where to create the pty symlink
  --speed X    simulated-time speed relative to real time (default 1)
  --quiet      do not print pin events`,
  options: { pty: { type: 'string' }, speed: { type: 'string' }, quiet: { type: 'boolean' } },
  async run(args, ctx) {
    const ptyPath = requiredStringOption(args, 'pty', 'PATH');
    const speedText = stringOption(args, 'speed');
    const speed = speedText === undefined ? undefined : Number(speedText);
    if (speed !== undefined && !(speed > 0 && speed <= 100)) throw createError('GB_USAGE', `--speed: expected a number in (0, 100], got "${speedText}"`);
    const rig = new SimulatedRig({ ptyPath, speed, log: (line) => ctx.stderr.write(`${line}\n`) });
    if (args.values.quiet !== true) {
      rig.onPinEvent((e) => {
        const text = e.kind === 'latch' ? `L ${e.timeUs.toFixed(3)} ${e.levels.join(' ')}` : `${e.kind === 'blank' ? 'B' : 'T'} ${e.timeUs.toFixed(3)} ${e.high ? 1 : 0}`;
        ctx.stdout.write(`${text}\n`);
      });
    }
    await rig.start();
    ctx.stdout.write(`READY ${ptyPath}\n`);
    await new Promise<void>((resolve) => {
      if (ctx.stopSignal.aborted) resolve();
      else ctx.stopSignal.addEventListener('abort', () => resolve(), { once: true });
    });
    await rig.stop();
    return 0;
  },
};
