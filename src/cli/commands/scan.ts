import { boolOption, intOption, printJson, stringOption, type Command } from '../command.ts';
import { settingsFromArgs, settingsOptions, settingsOptionsHelp } from './common-options.ts';
import { startProgress } from '../progress.ts';
import { createBooth, DEFAULT_SIM_SIZE, parseSize } from '../../booth/create-booth.ts';
import { validateBarcode } from '../../scan/barcode.ts';
import { runScan } from '../../scan/scan.ts';
import { EventBus } from '../../core/events.ts';
import { createError } from '../../core/errors.ts';
import { openDatabase } from '../../storage/database.ts';
import { dataDirLayout } from '../../storage/data-dir.ts';
import { FileStore } from '../../storage/file-store.ts';
import { CalibrationRepository } from '../../storage/calibrations.ts';
import { scanProcedures } from '../../calibration/procedures.ts';

export const scanCommand: Command = {
  name: 'scan',
  summary: 'capture and reconstruct one card side end to end, filed under its barcode',
  usage: '--barcode CODE [--sim] [--size WxH] [--seed N] [--side front|back] [--data-dir DIR] [--json]',
  help: `Needs a valid calibration (${scanProcedures.join(', ')}; see \`calibrate show\`). Captures the side,
applies the calibration (dark subtraction, per-pixel near-field light vectors, flat-field gains), segments,
rectifies, solves photometric stereo and integrates, and stores normals (16-bit PNG), albedo (16-bit PNG)
and relief (PFM, µm) with a scans row, the card (by barcode) and the job.
  --barcode CODE    submission barcode: printable ASCII, 1..128 characters
  --sim             the simulated booth (places a simulated card itself)
  --size WxH        simulated camera size (default ${DEFAULT_SIM_SIZE.widthPx}x${DEFAULT_SIM_SIZE.heightPx}; as calibrated)
  --seed N          simulated card (default 1)
  --side S          front (default) or back
  --json            last line: one JSON object {scanId, files, normalErrorDeg (simulated booth), ...}
${settingsOptionsHelp}`,
  options: { ...settingsOptions, barcode: { type: 'string' }, sim: { type: 'boolean' }, size: { type: 'string' }, seed: { type: 'string' }, side: { type: 'string' }, json: { type: 'boolean' } },
  async run(args, ctx) {
    // Everything the operator typed is checked before the booth starts.
    const barcode = validateBarcode(stringOption(args, 'barcode'));
    const side = stringOption(args, 'side') ?? 'front';
    if (side !== 'front' && side !== 'back') throw createError('GB_USAGE', `--side: expected front or back, got "${side}"`);
    const seed = intOption(args, 'seed', 0, 2 ** 31 - 1) ?? 1;
    const sizeText = stringOption(args, 'size');
    const size = sizeText === undefined ? undefined : parseSize(sizeText);
    const { settings } = settingsFromArgs(args, ctx.env);
    const { dbPath, storeDir } = dataDirLayout(settings.data_dir);
    const db = openDatabase(dbPath);
    const store = new FileStore(storeDir);
    try {
      await store.init();
      const repo = new CalibrationRepository(db, store);
      const check = repo.validFor(scanProcedures);
      if (!check.ok) throw createError('GB_NOT_CALIBRATED', `cannot scan: ${check.message}`, { missing: check.missing, expired: check.expired, failed: check.failed });
      const booth = await createBooth(settings, { sim: boolOption(args, 'sim'), size, log: (l) => ctx.stderr.write(`${l}\n`) });
      const bus = new EventBus();
      const bars = new Map<string, ReturnType<typeof startProgress>>();
      bus.on('job.progress', (e) => {
        let bar = bars.get(e.data.stage);
        if (!bar) {
          bars.forEach((b) => b.finish());
          bar = startProgress(ctx.stderr, e.data.stage, 100);
          bars.set(e.data.stage, bar);
        }
        bar.update(Math.round(e.data.fraction * 100), e.data.message);
      });
      try {
        await booth.start();
        const r = await runScan({ booth, db, store, repo, barcode, side, simSeed: seed, bus, requestedBy: ctx.env.USER });
        bars.forEach((b) => b.finish());
        const out = {
          scanId: r.scanId,
          jobId: r.jobId,
          barcode: r.barcode,
          side: r.side,
          files: r.files.map((f) => ({ kind: f.kind, sha256: f.sha256, path: f.path, mediaType: f.mediaType })),
          frames: r.frames.length,
          canonical: { widthPx: r.widthPx, heightPx: r.heightPx, umPerPx: r.umPerPx },
          normalErrorDeg: r.normalErrorDeg ?? null,
          exposureWarnings: r.exposureWarnings,
          timingsMs: r.timingsMs,
        };
        if (boolOption(args, 'json')) printJson(ctx, out);
        else {
          ctx.stdout.write(`scan ${r.scanId} of ${r.barcode} (${r.side}): ${r.widthPx}×${r.heightPx} at ${r.umPerPx} µm/px${r.normalErrorDeg !== undefined ? `; normal error ${r.normalErrorDeg.toFixed(3)}° vs simulator truth` : ''}\n`);
          for (const f of r.files) ctx.stdout.write(`  ${f.kind}: ${f.path} (sha256 ${f.sha256})\n`);
        }
        return 0;
      } finally {
        await booth.stop();
      }
    } finally {
      db.close();
    }
  },
};
