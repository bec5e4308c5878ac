import { join, resolve } from 'node:path';
import { createError } from '../../core/errors.ts';
import { writeSimCapture } from '../../sim/export/sim-capture.ts';
import { SceneRenderer } from '../../sim/render/scene-renderer.ts';
import { boolOption, intOption, stringOption, type Command, type CommandContext, requiredStringOption } from '../command.ts';
import { simSetup, simSharedHelp, simSharedOptions } from './sim-render.ts';
import { writeFile } from 'node:fs/promises';

/** A progress line: a bar on a TTY (redrawn in place), plain lines otherwise. */
function progressReporter(ctx: CommandContext, total: number): (done: number, label: string) => void {
  const tty = (ctx.stderr as NodeJS.WriteStream).isTTY === true;
  return (done, label) => {
    if (tty) {
      const width = 30;
      const filled = Math.round((done / total) * width);
      ctx.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${label}   `);
      if (done === total) ctx.stderr.write('\n');
    } else {
      ctx.stderr.write(`${done}/${total} ${label}\n`);
    }
  };
}

export const simDatasetCommand: Command = {
  name: 'sim dataset',
  summary: 'render many seeded simulated cards (front and back) with their ground truth',
  usage: '--count N --out DIR [--first-seed S] [--size WxH] [--distant-lights]',
  help: `Writes DIR/card_<seed>/{front,back}/ capture folders (see gradebooth sim render --help) and
DIR/index.json listing every card with its centering and defect counts. Every third card carries a foil
pattern unless --foil (all) is given. Progress goes to stderr (a bar on a terminal).
  --count N          number of cards (1..100000)
  --first-seed S     seed of the first card (default 1); card i has seed S + i
  --out DIR          output folder (created)
  --sides LIST       front,back (default) or one of them
${simSharedHelp}`,
  options: {
    count: { type: 'string' },
    'first-seed': { type: 'string' },
    out: { type: 'string' },
    sides: { type: 'string' },
    ...simSharedOptions,
  },
  async run(args, ctx) {
    const count = intOption(args, 'count', 1, 100000);
    if (count === undefined) throw createError('GB_USAGE', 'sim dataset: --count N is required');
    const outText = requiredStringOption(args, 'out', 'DIR');
    const out = resolve(outText);
    const first = intOption(args, 'first-seed', 0, 2 ** 31 - 1 - count) ?? 1;
    const sides = (stringOption(args, 'sides') ?? 'front,back').split(',');
    for (const s of sides) if (s !== 'front' && s !== 'back') throw createError('GB_USAGE', `--sides: expected front and/or back, got "${s}"`);
    const { geometry, config, threads } = await simSetup(args, ctx);
    const progress = progressReporter(ctx, count * sides.length);
    // One renderer (and its workers) for the whole dataset.
    const renderer = new SceneRenderer({ geometry, threads, distantLights: boolOption(args, 'distant-lights') });
    await renderer.start();
    const index: Record<string, unknown>[] = [];
    let done = 0;
    try {
      for (let i = 0; i < count; i++) {
        if (ctx.stopSignal.aborted) break;
        const seed = first + i;
        const foil = boolOption(args, 'foil') || seed % 3 === 0;
        const entry: Record<string, unknown> = { seed, foil, dir: `card_${seed}` };
        for (const side of sides as ('front' | 'back')[]) {
          const truth = await writeSimCapture({ kind: 'card', seed, side, distantLights: boolOption(args, 'distant-lights'), geometry, config, out: join(out, `card_${seed}`, side), foil, renderer });
          entry[side] = { centering: (truth.card as { centering: unknown }).centering, defects: (truth.defects as unknown[]).length };
          progress(++done, `card ${seed} ${side}`);
        }
        index.push(entry);
      }
    } finally {
      await renderer.stop();
    }
    await writeFile(join(out, 'index.json'), `${JSON.stringify({ format: 'gradebooth-sim-dataset/1', size: [geometry.camera.widthPx, geometry.camera.heightPx], cards: index }, null, 2)}\n`);
    ctx.stdout.write(`wrote ${index.length} cards to ${out}\n`);
    return ctx.stopSignal.aborted ? 130 : 0;
  },
};
