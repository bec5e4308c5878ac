import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Command } from '../command.ts';
import { boolOption, printJson, stringOption, requiredStringOption } from '../command.ts';
import { createError } from '../../core/errors.ts';
import { readPng } from '../../imaging/png.ts';
import { listChromeFolder, parseDirections } from '../../calibration/chrome-folder.ts';
import { findFolderIntrinsics, readIntrinsicsFile } from '../../geometry/camera-file.ts';
import { toLuminance } from '../../calibration/sphere-image.ts';
import { angleBetweenDeg, prepareDistantLights, sphereImpliedByDirections, type DistantLightResult } from '../../calibration/distant-lights.ts';
import type { Intrinsics } from '../../calibration/mirror-sphere.ts';
import { startProgress } from '../progress.ts';

const round = (v: number, digits: number): number => Number(v.toFixed(digits));

export const calibrateLightsCommand: Command = {
  name: 'calibrate lights',
  summary: 'distant-light directions from mirror-sphere images (one x y z per image)',
  usage: '--chrome-sphere DIR --out FILE [--camera FILE | --orthographic] [--compare FILE] [--json]',
  help: `Fits the sphere to the mask's sub-pixel outline (robust circle fit), finds each image's highlight
(weighted centroid of the strongest blob above half the peak), and reflects the view ray about the sphere
normal there: L = 2(N·V)N − V. Directions are unit x y z with x right, y up, z towards the camera.
  --chrome-sphere DIR  mirror-sphere images + one PNG whose name contains "mask"; images in the order of
                       DIR/filenames.txt, else numbered files in numeric order (chrome.2 before chrome.10)
  --out FILE           where to write the directions, one "x y z" line per image
  --camera FILE        JSON with camera.intrinsicsPx or intrinsicsPx {fx, fy, cx, cy}: perspective model
                       (default: DIR/camera.json or DIR/truth.json when they hold intrinsics)
  --orthographic       ignore any camera model: view vector (0, 0, 1) everywhere (distant camera)
  --compare FILE       reference directions (x y z per line; a leading count line is accepted): report
                       the angular error per light, and the sphere outline the reference implies for our
                       highlights (orthographic): far from the fitted outline with small residuals means
                       the reference was computed with another sphere, not that the highlights are off
  --highlight-fraction F  highlight threshold as a fraction of the peak (default 0.5)
  --json               last line: one JSON object with the sphere fit and per-light figures
Example: gradebooth calibrate lights --chrome-sphere data/psm-uw/chrome --out lights.txt --json`,
  options: {
    'chrome-sphere': { type: 'string' },
    out: { type: 'string' },
    camera: { type: 'string' },
    orthographic: { type: 'boolean' },
    compare: { type: 'string' },
    'highlight-fraction': { type: 'string' },
    json: { type: 'boolean' },
  },
  async run(args, ctx) {
    const dir = requiredStringOption(args, 'chrome-sphere', 'DIR');
    const out = requiredStringOption(args, 'out', 'FILE');
    const fractionText = stringOption(args, 'highlight-fraction');
    const highlightFraction = fractionText === undefined ? 0.5 : Number(fractionText);
    if (!(highlightFraction > 0 && highlightFraction < 1)) {
      throw createError('GB_USAGE', `--highlight-fraction: expected a number between 0 and 1, got "${fractionText}"`);
    }
    const cameraFile = stringOption(args, 'camera');
    if (cameraFile && boolOption(args, 'orthographic')) throw createError('GB_USAGE', 'calibrate lights: --camera and --orthographic exclude each other');
    const json = boolOption(args, 'json');
    const log = (line: string): void => void (json ? ctx.stderr : ctx.stdout).write(`${line}\n`);

    const { maskPath, imagePaths } = await listChromeFolder(dir);
    let intrinsics: Intrinsics | undefined;
    let cameraSource: string | undefined;
    if (cameraFile) {
      intrinsics = await readIntrinsicsFile(cameraFile);
      cameraSource = resolve(cameraFile);
    } else if (!boolOption(args, 'orthographic')) {
      const found = await findFolderIntrinsics(dir);
      if (found) ({ intrinsics, source: cameraSource } = found);
    }
    const reference = stringOption(args, 'compare');
    const refDirections = reference ? parseDirections(await readFile(reference, 'utf8'), reference) : undefined;
    if (refDirections && refDirections.length !== imagePaths.length) {
      throw createError('GB_DATASET_INVALID', `${reference}: ${refDirections.length} directions for ${imagePaths.length} images`);
    }

    const calibrator = prepareDistantLights(toLuminance(await readPng(maskPath)), { highlightFraction, intrinsics });
    const { sphere } = calibrator;
    // One frame in memory at a time: read, measure, drop.
    const lights: DistantLightResult[] = [];
    const progress = startProgress(ctx.stderr, 'measuring highlights', imagePaths.length);
    for (const [i, path] of imagePaths.entries()) {
      lights.push(calibrator.measure(toLuminance(await readPng(path)), i));
      progress.tick(basename(path));
    }

    await mkdir(dirname(resolve(out)), { recursive: true });
    await writeFile(out, lights.map((l) => l.direction.map((v) => v.toFixed(6)).join(' ')).join('\n') + '\n');

    const c = sphere.circle;
    log(`sphere: centre (${c.cxPx.toFixed(2)}, ${c.cyPx.toFixed(2)}) px, radius ${c.radiusPx.toFixed(2)} px, outline rms ${c.rmsResidualPx.toFixed(3)} px, ${c.outliers} outlier point(s)`);
    log(`camera: ${intrinsics ? `perspective, fx ${intrinsics.fxPx.toFixed(1)} px, from ${cameraSource}` : 'orthographic (no camera model)'}`);
    const errors = refDirections ? lights.map((l, i) => angleBetweenDeg(l.direction, refDirections[i])) : undefined;
    const perLight = lights.map((l, i) => {
      const warnings: string[] = [];
      if (l.radiusFraction > 0.95) warnings.push('highlight at the rim: grazing light, direction less precise');
      if (l.highlight.runnerUpRatio > 0.3) warnings.push('a second bright blob: check for inter-reflections');
      if (l.highlight.saturatedPx === 0 && l.highlight.peak < 0.2) warnings.push('dim highlight');
      const line = `${basename(imagePaths[i])}: ${l.direction.map((v) => v.toFixed(4).padStart(7)).join(' ')}  highlight (${l.highlight.xPx.toFixed(2)}, ${l.highlight.yPx.toFixed(2)}) px, ${l.highlight.areaPx} px${errors ? `, error ${errors[i].toFixed(2)}°` : ''}`;
      log(warnings.length > 0 ? `${line}  [${warnings.join('; ')}]` : line);
      return {
        index: i,
        file: basename(imagePaths[i]),
        direction: l.direction.map((v) => round(v, 6)),
        highlightPx: [round(l.highlight.xPx, 3), round(l.highlight.yPx, 3)],
        areaPx: l.highlight.areaPx,
        saturatedPx: l.highlight.saturatedPx,
        peak: round(l.highlight.peak, 4),
        blobs: l.highlight.blobs,
        runnerUpRatio: round(l.highlight.runnerUpRatio, 4),
        radiusFraction: round(l.radiusFraction, 4),
        errorDeg: errors ? round(errors[i], 3) : undefined,
        warnings,
      };
    });
    const meanErrorDeg = errors ? errors.reduce((a, b) => a + b, 0) / errors.length : undefined;
    if (errors && meanErrorDeg !== undefined) log(`against ${reference}: mean ${meanErrorDeg.toFixed(3)}°, max ${Math.max(...errors).toFixed(3)}°`);
    const implied = refDirections ? sphereImpliedByDirections(lights.map((l) => [l.highlight.xPx, l.highlight.yPx] as const), refDirections) : undefined;
    if (implied) {
      log(
        `the reference implies a sphere at (${implied.cxPx.toFixed(2)}, ${implied.cyPx.toFixed(2)}) px, radius ${implied.radiusPx.toFixed(2)} px ` +
          `(fitted outline: radius ${c.radiusPx.toFixed(2)} px, centre ${Math.hypot(implied.cxPx - c.cxPx, implied.cyPx - c.cyPx).toFixed(2)} px away); ` +
          `highlight residuals rms ${implied.rmsResidualPx.toFixed(2)} px`,
      );
    }
    log(`wrote ${lights.length} directions to ${out}`);
    if (json) {
      printJson(ctx, {
        out: resolve(out),
        images: lights.length,
        camera: intrinsics ? 'perspective' : 'orthographic',
        cameraSource,
        sphere: {
          centrePx: [round(c.cxPx, 3), round(c.cyPx, 3)],
          radiusPx: round(c.radiusPx, 3),
          rmsResidualPx: round(c.rmsResidualPx, 4),
          maxResidualPx: round(c.maxResidualPx, 4),
          outlinePoints: c.inliers + c.outliers,
          outliers: c.outliers,
          outlineRmsResidualDeg: sphere.location ? round(sphere.location.rmsResidualDeg, 5) : undefined,
        },
        lights: perLight,
        meanErrorDeg: meanErrorDeg === undefined ? undefined : round(meanErrorDeg, 3),
        maxErrorDeg: errors ? round(Math.max(...errors), 3) : undefined,
        referenceImpliedSphere: implied
          ? {
              centrePx: [round(implied.cxPx, 3), round(implied.cyPx, 3)],
              radiusPx: round(implied.radiusPx, 3),
              rmsResidualPx: round(implied.rmsResidualPx, 3),
              residualsPx: implied.residualsPx.map(([dx, dy]) => [round(dx, 3), round(dy, 3)]),
            }
          : undefined,
      });
    }
    return 0;
  },
};
