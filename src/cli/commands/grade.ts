import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createError } from '../../core/errors.ts';
import { boolOption, printJson, stringOption, requiredStringOption, type Command } from '../command.ts';
import { settingsFromArgs, settingsOptions } from './common-options.ts';
import { reconstructCaptureFolder } from '../../grading/capture-side.ts';
import { measureSideAsync } from '../../grading/measure.ts';
import { gradeCard, gradeSide } from '../../grading/grade.ts';
import { gradeJson } from '../../grading/report-json.ts';
import { buildReport, reportFiles } from '../../grading/report.ts';
import { defaultModelsDir, openSurfaceDetector } from '../../grading/surface-model.ts';

export const gradeCommand: Command = {
  name: 'grade',
  summary: 'grade one card side from a capture folder: centering, corners, edges, surface, the grade and its report',
  usage: '--input DIR [--um-per-px X] [--side front|back] [--json] [--out DIR] [--models DIR] [--config FILE]',
  help: `Reads DIR in the common photometric format (filenames.txt, light_directions.txt, optional
light_intensities.txt and mask.png; distant lights; an orthographic view of one card side lying flat),
reconstructs normals, albedo and relief, measures centering (outer edge and print frame, sub-pixel),
corners (rounding radius, fray, fill, whitening, dings) and edges (chips, whitening, roughness, dents),
finds surface defects with the learned detector, and grades (subgrades 1–10 in half points, 1000-point
score, overall capped by the weakest subgrade; every deduction with its cause). Never reads truth.json or
normal_gt.png.
  --input DIR       capture folder
  --um-per-px X     camera scale, µm per pixel (default: from mask.png's area and the card size)
  --side S          front (default) or back: which centering limits apply
  --json            print the grade as one JSON line
  --out DIR         write the report there: report.json, report.html (one self-contained page),
                    <side>-albedo-overlay.png, <side>-shaded-relief.png, <side>-normals.png, defect crops
  --models DIR      models folder (default: the checkout's models/)
  --config FILE     settings file: the card size comes from booth.card`,
  options: { ...settingsOptions, input: { type: 'string' }, 'um-per-px': { type: 'string' }, side: { type: 'string' }, json: { type: 'boolean' }, out: { type: 'string' }, models: { type: 'string' } },
  async run(args, ctx) {
    const input = resolve(requiredStringOption(args, 'input', 'DIR'));
    const side = stringOption(args, 'side') ?? 'front';
    if (side !== 'front' && side !== 'back') throw createError('GB_USAGE', `--side: expected front or back, got "${side}"`);
    const umText = stringOption(args, 'um-per-px');
    const umPerPx = umText === undefined ? undefined : Number(umText);
    if (umPerPx !== undefined && !(umPerPx > 0 && umPerPx < 10_000)) throw createError('GB_USAGE', `--um-per-px: expected a positive number of µm, got "${umText}"`);
    const outText = stringOption(args, 'out');
    const { settings } = settingsFromArgs(args, ctx.env);
    const c = settings.booth.card;
    const card = { widthMm: c.width_mm, heightMm: c.height_mm, cornerRadiusMm: c.corner_radius_mm };
    // The model first: without it there is no grade, so nothing heavy runs before that is known.
    const detector = await openSurfaceDetector(resolve(stringOption(args, 'models') ?? defaultModelsDir));
    try {
      const t0 = performance.now();
      const rec = await reconstructCaptureFolder(input, { card, side, umPerPx });
      const t1 = performance.now();
      // The measurements beside the surface detector: they yield between their steps, so the detector's
      // resampling and features (libuv's pool) and its network (onnxruntime's threads) start and finish
      // while they run. Both timings are from t1 (they overlap).
      let t3 = t1;
      const [m, surface] = await Promise.all([
        measureSideAsync(rec.maps, card),
        detector.detect(rec.maps).then((d) => { t3 = performance.now(); return d; }),
      ]);
      const t2 = t1 + m.ms;
      const sideGrade = gradeSide(side, m.frame, m.centering, m.outline, surface);
      const grade = gradeCard([sideGrade], detector.model);
      const json = { ...gradeJson(grade), timingsMs: { reconstruct: Math.round(t1 - t0), measure: Math.round(t2 - t1), surfaceModel: Math.round(t3 - t2) } };
      if (outText) {
        // The whole report: report.json, the collector's page report.html, overlays and defect crops.
        const out = resolve(outText);
        await mkdir(out, { recursive: true });
        const report = await buildReport(grade, [{ maps: rec.maps, frame: m.frame }], { title: input });
        report.json.timingsMs = json.timingsMs;
        for (const f of reportFiles(report, grade)) await writeFile(join(out, f.name), f.bytes);
      }
      if (boolOption(args, 'json')) printJson(ctx, json);
      else {
        ctx.stdout.write(`grade ${grade.grade ?? '—'} (${grade.score1000 ?? '—'}/1000): ${Object.entries(grade.subgrades).map(([k, v]) => `${k} ${v.grade}`).join(', ')}\n`);
        for (const d of sideGrade.deductions) ctx.stdout.write(`  −${d.points} ${d.subgrade}: ${d.reason}\n`);
      }
      return 0;
    } finally {
      await detector.close();
    }
  },
};
