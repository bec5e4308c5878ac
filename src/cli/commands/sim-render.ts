import { resolve } from 'node:path';
import { createError } from '../../core/errors.ts';
import { writeSimCapture } from '../../sim/export/sim-capture.ts';
import { sceneKinds, type SceneKind } from '../../sim/scenes/scene.ts';
import { boolOption, intOption, printJson, stringOption, type Command, requiredStringOption } from '../command.ts';
import { loadSettings } from '../../config/load.ts';
import { loadBoothGeometry, withCameraSize, type BoothGeometry } from '../../geometry/booth-geometry.ts';
import { loadSceneConfig, type SceneConfig } from '../../geometry/targets.ts';
import type { CommandContext, ParsedArgs } from '../command.ts';

/** Default output size of `sim render`/`sim dataset`: half the 3000×4096 sensor each way (≈ 50 µm/px). */
export const defaultSimSize = '1500x2048';

/** Options shared by the simulator commands. */
export const simSharedOptions = {
  size: { type: 'string' as const },
  geometry: { type: 'string' as const },
  config: { type: 'string' as const },
  threads: { type: 'string' as const },
  'distant-lights': { type: 'boolean' as const },
  foil: { type: 'boolean' as const },
};

export const simSharedHelp = `  --size WxH         output resolution, same field of view as the 3000×4096 (12 MP) sensor; default
                     ${defaultSimSize} (~50 µm/px) for speed; 3000x4096 = full sensor (~25 µm/px)
  --distant-lights   distant lights along the directions from the card centre to each LED, uniform
                     intensity (for exchange with public photometric data); default: near-field LEDs
  --foil             print a foil/holo pattern on cards (printed reflectance, not relief)
  --geometry FILE    booth geometry (default calibration/sim-rig.json)
  --config FILE      settings file: card size comes from booth.card
  --threads N        render worker threads (default 2)`;

/** Geometry sized per --size, scene definitions with the card from settings, and the thread count. */
export async function simSetup(args: ParsedArgs, ctx: CommandContext): Promise<{ geometry: BoothGeometry; config: SceneConfig; threads: number }> {
  const size = stringOption(args, 'size') ?? defaultSimSize;
  const m = /^(\d+)x(\d+)$/.exec(size);
  if (!m) throw createError('GB_USAGE', `--size: expected WxH (e.g. ${defaultSimSize}), got "${size}"`);
  const [w, h] = [Number(m[1]), Number(m[2])];
  if (w < 16 || h < 16 || w > 12000 || h > 12000) throw createError('GB_USAGE', `--size: expected 16..12000 pixels each way, got "${size}"`);
  const base = await loadBoothGeometry(stringOption(args, 'geometry'));
  const geometry = withCameraSize(base, w, h);
  const file = stringOption(args, 'config');
  let card = {};
  if (file) {
    const c = loadSettings({ file, env: ctx.env }).settings.booth.card;
    card = { widthMm: c.width_mm, heightMm: c.height_mm, cornerRadiusMm: c.corner_radius_mm, thicknessMm: c.thickness_mm };
  }
  const config = await loadSceneConfig(undefined, card);
  const threadsText = stringOption(args, 'threads') ?? '2';
  const threads = Number(threadsText);
  if (!Number.isInteger(threads) || threads < 0 || threads > 64) throw createError('GB_USAGE', `--threads: expected an integer 0..64, got "${threadsText}"`);
  return { geometry, config, threads };
}

export const simRenderCommand: Command = {
  name: 'sim render',
  summary: 'render a simulated capture (one 16-bit frame per LED) with its ground truth',
  usage: '--scene card|chrome-sphere|white|dot-grid|relief|tray [--seed N] [--side front|back] [--distant-lights] [--size WxH] --out DIR',
  help: `Writes DIR/ in the common photometric format: led_NN.png (16-bit, black level removed, full scale =
65535 = saturated), filenames.txt, light_directions.txt (unit x y z: x right, y up, z toward the camera;
near-field: directions from the scene centre, truth.json has the real LED positions), light_intensities.txt,
mask.png, normal_gt.png (16-bit RGB (n+1)/2), albedo_gt.png, height_gt.pfm (mm), defects/*.png and
truth.json (camera, LEDs, card corners in pixels, true centering front and back, defect list).
  --scene KIND       card, chrome-sphere, white, dot-grid, relief or tray (default card)
  --seed N           scene seed: placement, print offset, artwork, defects and noise (default 1)
  --side SIDE        front or back of the card (default front)
  --exposure-us N    exposure per frame, µs (default: the geometry's default exposure)
  --gain X           analog gain, linear ≥ 1 (default 1)
  --out DIR          output folder (created)
  --json             print the summary as one JSON line
${simSharedHelp}
Example: gradebooth sim render --scene card --seed 11 --distant-lights --out /tmp/card11`,
  options: {
    scene: { type: 'string' },
    seed: { type: 'string' },
    side: { type: 'string' },
    out: { type: 'string' },
    'exposure-us': { type: 'string' },
    gain: { type: 'string' },
    json: { type: 'boolean' },
    ...simSharedOptions,
  },
  async run(args, ctx) {
    const kind = (stringOption(args, 'scene') ?? 'card') as SceneKind;
    if (!sceneKinds.includes(kind)) throw createError('GB_USAGE', `--scene: expected one of ${sceneKinds.join(', ')}, got "${kind}"`);
    const side = stringOption(args, 'side') ?? 'front';
    if (side !== 'front' && side !== 'back') throw createError('GB_USAGE', `--side: expected front or back, got "${side}"`);
    const out = requiredStringOption(args, 'out', 'DIR');
    const seed = intOption(args, 'seed', 0, 2 ** 31 - 1) ?? 1;
    const exposureUs = intOption(args, 'exposure-us', 1, 10_000_000);
    const gainText = stringOption(args, 'gain');
    const gain = gainText === undefined ? undefined : Number(gainText);
    if (gain !== undefined && !(gain >= 1 && gain <= 64)) throw createError('GB_USAGE', `--gain: expected a number from 1 to 64, got "${gainText}"`);
    const { geometry, config, threads } = await simSetup(args, ctx);
    const t0 = performance.now();
    const truth = await writeSimCapture({
      kind,
      seed,
      side,
      distantLights: boolOption(args, 'distant-lights'),
      geometry,
      config,
      out: resolve(out),
      foil: boolOption(args, 'foil'),
      exposureUs,
      gain,
      threads,
    });
    const frames = truth.frames as { files: string[]; saturatedObjectPixelFraction: number };
    const summary = {
      out: resolve(out),
      scene: kind,
      seed,
      side: kind === 'card' ? side : undefined,
      size: `${geometry.camera.widthPx}x${geometry.camera.heightPx}`,
      frames: frames.files.length,
      saturatedFraction: frames.saturatedObjectPixelFraction,
      defects: Array.isArray(truth.defects) ? truth.defects.length : undefined,
      ms: Math.round(performance.now() - t0),
    };
    if (boolOption(args, 'json')) printJson(ctx, summary);
    else ctx.stdout.write(`wrote ${summary.frames} frames ${summary.size} of ${kind}${summary.side ? ` (${side})` : ''} seed ${seed} to ${summary.out} in ${summary.ms} ms; saturated ${(summary.saturatedFraction * 100).toFixed(3)}% of object pixels\n`);
    return 0;
  },
};
