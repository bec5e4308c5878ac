import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { boolOption, printJson, stringOption, type Command, requiredStringOption } from '../command.ts';
import { readPng } from '../../imaging/png.ts';
import { decodeNormalsImage, readMaskPng, writeDepthPfm } from '../../io/photometric-folder.ts';
import { integrateNormals } from '../../vision/integrate.ts';

export const integrateCommand: Command = {
  name: 'integrate',
  summary: 'integrate a normal map into a height map (depth.pfm)',
  usage: '--normals normals.png --out DIR [--mask mask.png]',
  help: `Reads a normal map (8/16-bit RGB, (n+1)/2 × full scale, x right, y up, z towards the camera) and
writes DIR/depth.pfm: 32-bit float height towards the camera in pixel units, zero mean on the mask, 0
outside. Masked least squares (multigrid-preconditioned conjugate gradients): only slopes between two
mask pixels count, so the outline is a free boundary.
Options:
  --normals FILE     normal map PNG
  --mask FILE        mask PNG, non-zero inside (default: every pixel whose normal is not (0,0,0))
  --out DIR          output folder (created)
  --json             print a one-line JSON summary`,
  options: {
    normals: { type: 'string' },
    mask: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, ctx) {
    const normalsPath = requiredStringOption(args, 'normals', 'FILE');
    const outText = requiredStringOption(args, 'out', 'DIR');
    const img = await readPng(resolve(normalsPath));
    const normals = decodeNormalsImage(img, normalsPath);
    const maskPath = stringOption(args, 'mask');
    let mask: Uint8Array;
    if (maskPath) mask = await readMaskPng(resolve(maskPath), img.width, img.height);
    else {
      mask = new Uint8Array(img.width * img.height);
      for (let i = 0; i < mask.length; i++) mask[i] = normals[3 * i + 2] !== 0 || normals[3 * i] !== 0 || normals[3 * i + 1] !== 0 ? 1 : 0;
    }
    const t0 = performance.now();
    const r = await integrateNormals(normals, img.width, img.height, { mask });
    const ms = performance.now() - t0;
    const out = resolve(outText);
    await mkdir(out, { recursive: true });
    await writeDepthPfm(join(out, 'depth.pfm'), r.heightPx, img.width, img.height);
    const summary = { width: img.width, height: img.height, iterations: r.iterations, backend: r.backend, ms, out: join(out, 'depth.pfm') };
    if (boolOption(args, 'json')) printJson(ctx, summary);
    else ctx.stdout.write(`integrated ${img.width}×${img.height} (${r.backend}, ${r.iterations} iterations, ${ms.toFixed(0)} ms) → ${summary.out}\n`);
    return 0;
  },
};
