import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createError } from '../../core/errors.ts';
import { printJson, stringOption, boolOption, type Command, requiredStringOption } from '../command.ts';
import { encodeNormalsPng, encodeScaledPng, parseLightSelection, readPhotometricFolder, writeDepthPfm } from '../../io/photometric-folder.ts';
import { readFile } from 'node:fs/promises';
import { distantLights, nearFieldLights } from '../../vision/lights.ts';
import { readNearFieldGeometry } from '../../io/capture-geometry.ts';
import { normalError, solvePhotometricStereo } from '../../vision/ps.ts';
import { integrateNormals } from '../../vision/integrate.ts';

/** 99.9th percentile of the values inside the mask (albedo full scale that ignores a few hot pixels). */
function highPercentile(values: Float32Array, mask: Uint8Array | undefined): number {
  const picked: number[] = [];
  const step = Math.max(1, Math.floor(values.length / 200_000));
  for (let i = 0; i < values.length; i += step) if (!mask || mask[i]) picked.push(values[i]);
  if (picked.length === 0) return 1;
  const s = Float64Array.from(picked).sort();
  return s[Math.min(s.length - 1, Math.floor(0.999 * s.length))] || 1;
}

async function countLights(dir: string): Promise<number> {
  try {
    return (await readFile(join(dir, 'filenames.txt'), 'utf8')).split(/\r?\n/).filter((l) => l.trim().length > 0).length;
  } catch {
    throw createError('GB_DATASET_INVALID', `${dir}: missing filenames.txt (expected the common photometric folder format)`);
  }
}

export const reconstructCommand: Command = {
  name: 'reconstruct',
  summary: 'photometric stereo on a common-format folder: normals, albedo, depth and a summary',
  usage: '--input DIR --out DIR [--lights 1,5,9,…] [--method robust|ls] [--light-model auto|distant|near-field]',
  help: `Reads DIR in the common public photometric format (filenames.txt, light_directions.txt, optional
light_intensities.txt, mask.png, normal_gt.png; 8/16-bit grey or RGB PNGs) and writes to the output folder:
  normals.png    16-bit RGB, (n+1)/2 × 65535, x right, y up, z towards the camera
  albedo.png     16-bit grey, albedo / albedoFullScale (in summary.json) × 65535
  depth.pfm      32-bit float height towards the camera in pixel units (on the mask; 0 outside)
  summary.json   sizes, lights, backend, timings (ms), and mean/median angular error if normal_gt.png exists
Options:
  --input DIR        capture folder
  --out DIR          output folder (created)
  --lights LIST      1-based light numbers in file order, e.g. 1,5,9 (default: all)
  --method M         robust (default: trimmed solve, then residual- and shadow-gated re-solves; clipped
                     readings skipped) or ls (plain least squares over every reading)
  --light-model L    auto (default): near-field when DIR/truth.json (a \`sim render\` capture) holds the
                     camera and LED geometry, else distant; distant: light_directions.txt (and
                     light_intensities.txt) for every pixel; near-field: per-pixel vectors from truth.json's
                     LED positions, intensities and beam profiles (an error when it has none)
  --json             print the summary as one JSON line`,
  options: {
    input: { type: 'string' },
    out: { type: 'string' },
    lights: { type: 'string' },
    method: { type: 'string' },
    'light-model': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, ctx) {
    const input = requiredStringOption(args, 'input', 'DIR');
    const outText = requiredStringOption(args, 'out', 'DIR');
    const method = stringOption(args, 'method') ?? 'robust';
    if (method !== 'robust' && method !== 'ls') throw createError('GB_USAGE', `--method: expected robust or ls, got "${method}"`);
    const lightModel = stringOption(args, 'light-model') ?? 'auto';
    if (lightModel !== 'auto' && lightModel !== 'distant' && lightModel !== 'near-field') {
      throw createError('GB_USAGE', `--light-model: expected auto, distant or near-field, got "${lightModel}"`);
    }
    const inDir = resolve(input);
    const out = resolve(outText);
    const t0 = performance.now();
    const lightsSpec = stringOption(args, 'lights');
    const selection = lightsSpec === undefined ? undefined : parseLightSelection(lightsSpec, await countLights(inDir));
    const ds = await readPhotometricFolder(inDir, selection, { markClipped: method === 'robust' });
    const tRead = performance.now();
    const geometry = lightModel === 'distant' ? undefined : await readNearFieldGeometry(inDir, ds.names, ds.lightNumbers.map((n) => n - 1), ds.width, ds.height);
    if (lightModel === 'near-field' && !geometry) {
      throw createError('GB_DATASET_INVALID', `${inDir}: --light-model near-field needs a truth.json with a near-field light model (camera and LED geometry)`);
    }
    const field = geometry ? nearFieldLights(ds.width, ds.height, geometry.rig) : distantLights(ds.width, ds.height, ds.directions, ds.intensities);
    // Integer grey images: full scale means clipped, so the robust solve drops those readings; colour
    // images mark their clipped pixels +Infinity (markClipped above), which any limit drops.
    const p0 = ds.planes[0];
    const saturation = p0 instanceof Uint16Array ? 65535 : p0 instanceof Uint8Array ? 255 : Infinity;
    const ps = await solvePhotometricStereo(ds.planes, field, { mask: ds.mask, method, saturation });
    const tPs = performance.now();
    const depth = await integrateNormals(ps.normals, ds.width, ds.height, { mask: ds.mask });
    const tInt = performance.now();
    await mkdir(out, { recursive: true });
    const albedoFullScale = highPercentile(ps.albedo, ds.mask);
    await writeFile(join(out, 'normals.png'), await encodeNormalsPng(ps.normals, ds.width, ds.height));
    await writeFile(join(out, 'albedo.png'), await encodeScaledPng(ps.albedo, ds.width, ds.height, albedoFullScale));
    await writeDepthPfm(join(out, 'depth.pfm'), depth.heightPx, ds.width, ds.height);
    const tWrite = performance.now();
    let meanConfidence = 0, n = 0;
    for (let i = 0; i < ps.confidence.length; i++) if (!ds.mask || ds.mask[i]) { meanConfidence += ps.confidence[i]; n++; }
    const summary: Record<string, unknown> = {
      input: inDir,
      width: ds.width,
      height: ds.height,
      lights: ds.lightNumbers,
      method,
      lightModel: geometry ? 'near-field' : 'distant',
      lightSource: geometry ? geometry.source : join(inDir, 'light_directions.txt'),
      backend: ps.backend,
      integrationBackend: depth.backend,
      integrationIterations: depth.iterations,
      maskPixels: n,
      meanConfidence: n ? meanConfidence / n : 0,
      albedoFullScale,
      timingsMs: { read: tRead - t0, ps: tPs - tRead, integrate: tInt - tPs, write: tWrite - tInt, total: tWrite - t0 },
    };
    if (ds.normalsTruth) {
      // Score only where the truth is defined (non-zero) and inside the mask.
      const valid = new Uint8Array(ds.width * ds.height);
      for (let i = 0; i < valid.length; i++) valid[i] = (!ds.mask || ds.mask[i]) && ds.normalsTruth[3 * i + 2] !== 0 ? 1 : 0;
      const e = normalError(ps.normals, ds.normalsTruth, valid);
      summary.normalError = { meanDeg: e.meanDeg, medianDeg: e.medianDeg, pixels: e.count };
    }
    await writeFile(join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    if (boolOption(args, 'json')) printJson(ctx, summary);
    else {
      const err = summary.normalError as { meanDeg: number; medianDeg: number } | undefined;
      ctx.stdout.write(
        `reconstructed ${ds.width}×${ds.height} from ${ds.planes.length} ${geometry ? 'near-field' : 'distant'} lights (${method}, ${ps.backend}) in ${(tWrite - t0).toFixed(0)} ms → ${out}` +
          (err ? `; normal error mean ${err.meanDeg.toFixed(2)}° median ${err.medianDeg.toFixed(2)}°` : '') + '\n',
      );
    }
    return 0;
  },
};
