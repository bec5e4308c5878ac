import { join, resolve } from 'node:path';
import { createError, isGradeboothError } from '../../core/errors.ts';
import { writeSimCapture } from '../../sim/export/sim-capture.ts';
import { SceneRenderer } from '../../sim/render/scene-renderer.ts';
import { boolOption, intOption, stringOption, type Command, type CommandContext, requiredStringOption } from '../command.ts';
import { simSetup, simSharedHelp, simSharedOptions } from './sim-render.ts';
import { writeFile } from 'node:fs/promises';
import { buildScene } from '../../sim/scenes/build-scene.ts';
import type { SceneConfig } from '../../geometry/targets.ts';
import { hashSeed, SeededRandom } from '../../sim/random.ts';
import { footprintUmAtCentre } from '../../geometry/camera-model.ts';
import { reconstructCaptureFolder, renderAndReconstructSide, writeSurfaceTrainingMaps } from '../../sim/export/surface-training-maps.ts';

/** Seeded per-card variation for training data: exposure (signal and noise level) and gloss. */
function augmentation(seed: number, side: 'front' | 'back', config: SceneConfig, defaultExposureUs: number): { config: SceneConfig; exposureUs: number } {
  const rng = new SeededRandom(hashSeed(seed, side === 'front' ? 1 : 2, 0xa06));
  const exposureUs = Math.round(defaultExposureUs * rng.range(0.45, 1.25));
  // Gloss from near-mirror coatings to satin stock (GGX alpha). Rougher coatings blur the card's edge
  // against the tray until segmentation loses it (α ≈ 0.18 fails), so training stays below that.
  const g = Math.exp(rng.range(Math.log(0.03), Math.log(0.13)));
  return { config: { ...config, card: { ...config.card, glossRoughness: [g, g] } }, exposureUs };
}

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
  usage: '--count N --out DIR [--first-seed S] [--size WxH] [--distant-lights] [--foil-every N [--holo-every M]] [--maps [--maps-only] [--clean-every N] [--augment]]',
  help: `Writes DIR/card_<seed>/{front,back}/ capture folders (see gradebooth sim render --help) and
DIR/index.json listing every card with its centering and defect counts. Every third card (or every Nth
with --foil-every N) carries a foil unless --foil (all) is given: a glossy printed patch, or with
--holo-every M an embossed metallised hologram on the foil cards whose seed is also a multiple of M. Progress goes to stderr (a bar on a terminal).
  --count N          number of cards (1..100000)
  --first-seed S     seed of the first card (default 1); card i has seed S + i
  --out DIR          output folder (created)
  --sides LIST       front,back (default) or one of them
  --maps             also reconstruct each side (photometric stereo → canonical card frame) and write
                     <side>/maps/: side.bin (normals, albedo, relief, mask), features.i16 (the surface
                     model's input), labels.u8 (per-pixel defect class from the truth) and maps.json —
                     training data for the surface-defect model (scripts/train-surface-model.sh)
  --maps-only        with --maps: skip the frame PNGs and truth files (reconstruct the frames in memory)
  --maps-um-per-px X canonical map scale, µm per px (default 60, the surface model's scale)
  --clean-every N    every Nth card (seed % N == 0) has no defects at all
  --foil-every N     every Nth card (seed % N == 0) has foil (default 3)
  --holo-every M     of those, every card whose seed is a multiple of M has a holo foil (embossed,
                     metallised, micro-faceted: its normals wander, not only its glints) instead of a
                     printed one
  --augment          vary exposure (0.45–1.25×) and gloss (GGX α 0.03–0.13) per card, seeded
${simSharedHelp}`,
  options: {
    count: { type: 'string' },
    'first-seed': { type: 'string' },
    out: { type: 'string' },
    sides: { type: 'string' },
    maps: { type: 'boolean' },
    'maps-only': { type: 'boolean' },
    'maps-um-per-px': { type: 'string' },
    'clean-every': { type: 'string' },
    'foil-every': { type: 'string' },
    'holo-every': { type: 'string' },
    augment: { type: 'boolean' },
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
    const maps = boolOption(args, 'maps');
    const mapsOnly = boolOption(args, 'maps-only');
    const distant = boolOption(args, 'distant-lights');
    if (mapsOnly && !maps) throw createError('GB_USAGE', '--maps-only needs --maps');
    const umText = stringOption(args, 'maps-um-per-px') ?? '60';
    const mapsUmPerPx = Number(umText);
    if (!(mapsUmPerPx >= 5 && mapsUmPerPx <= 500)) throw createError('GB_USAGE', `--maps-um-per-px: expected a number 5..500, got "${umText}"`);
    const cleanEvery = intOption(args, 'clean-every', 1, 1000000);
    const foilEvery = intOption(args, 'foil-every', 1, 1000000) ?? 3;
    const holoEvery = intOption(args, 'holo-every', 1, 1000000);
    const augment = boolOption(args, 'augment');
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
        const foil = boolOption(args, 'foil') || seed % foilEvery === 0;
        const foilStyle = foil ? (holoEvery !== undefined && seed % holoEvery === 0 ? 'holo' : 'print') : false;
        const entry: Record<string, unknown> = { seed, foil, ...(foilStyle === 'holo' ? { foilStyle } : {}), dir: `card_${seed}` };
        const clean = cleanEvery !== undefined && seed % cleanEvery === 0;
        if (clean) entry.clean = true;
        for (const side of sides as ('front' | 'back')[]) {
          const aug = augment ? augmentation(seed, side, config, geometry.sensor.defaultExposureUs) : { config, exposureUs: geometry.sensor.defaultExposureUs };
          const dir = join(out, `card_${seed}`, side);
          if (!mapsOnly) {
            const truth = await writeSimCapture({ kind: 'card', seed, side, distantLights: distant, geometry, config: aug.config, out: dir, foil: foilStyle, defects: !clean, exposureUs: aug.exposureUs, renderer });
            entry[side] = { centering: (truth.card as { centering: unknown }).centering, defects: (truth.defects as unknown[]).length };
          }
          if (maps) {
            // The same seed and config rebuild the very scene the capture rendered: its maps give the labels.
            const built = buildScene({ kind: 'card', seed, side, geometry, config: aug.config, foil: foilStyle, defects: !clean });
            if (built.truth.kind !== 'card' || !built.scene.surface) throw createError('GB_INTERNAL', 'card scene without card truth');
            const card = built.truth.card;
            if (mapsOnly) entry[side] = { centering: card.centering, defects: card.defects.length };
            const cameraUmPerPx = footprintUmAtCentre(renderer.camera);
            try {
              const sideMaps = mapsOnly
                ? await renderAndReconstructSide(renderer, built.scene, geometry, aug.exposureUs, seed * 1000 + (side === 'back' ? 500 : 0), cameraUmPerPx, mapsUmPerPx, side)
                : await reconstructCaptureFolder(dir, cameraUmPerPx, mapsUmPerPx, side);
              await writeSurfaceTrainingMaps(dir, sideMaps, built.scene.surface.maps, card, { seed, foil, clean, exposureUs: aug.exposureUs, distantLights: distant });
            } catch (err) {
              // A side the reconstruction cannot segment is left out of the training data, and said so.
              if (!isGradeboothError(err) || err.code !== 'GB_VISION_FAILED') throw err;
              (entry[side] as Record<string, unknown>).mapsError = `${err.code}: ${err.message}`;
              ctx.stderr.write(`card ${seed} ${side}: no maps (${err.code}: ${err.message})\n`);
            }
          }
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
