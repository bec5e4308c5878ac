import { boolOption, intOption, printJson, stringOption, type Command, type CommandContext } from '../command.ts';
import { settingsFromArgs, settingsOptions, settingsOptionsHelp } from './common-options.ts';
import { startProgress } from '../progress.ts';
import { DEFAULT_SIM_SIZE, parseSize } from '../../booth/create-booth.ts';
import { validateBarcode } from '../../core/barcode.ts';
import type { SideResultSummary } from '../../scan/scan.ts';
import { createError } from '../../core/errors.ts';
import { scanProcedures } from '../../calibration/procedures.ts';
import type { JobRecord } from '../../storage/jobs.ts';
import { jobError, runJob } from '../job-run.ts';

export const scanCommand: Command = {
  name: 'scan',
  summary: 'capture and reconstruct one card side end to end, filed under its barcode',
  usage: '--barcode CODE [--sim] [--size WxH] [--seed N] [--side front|back] [--data-dir DIR] [--json]',
  help: `Needs a valid calibration (${scanProcedures.join(', ')}; see \`calibrate show\`). Captures the side,
applies the calibration (dark subtraction, per-pixel near-field light vectors, flat-field gains), segments,
rectifies, solves photometric stereo and integrates, and stores normals (16-bit PNG), albedo (16-bit PNG)
and relief (PFM, µm) with a scans row, the card (by barcode) and the job. When a daemon serves the data
directory, the scan is submitted to it as a job and followed (the daemon's booth is used); otherwise it
runs in this process. Ctrl-C or SIGTERM cancels it (LEDs off, nothing half-stored) and exits non-zero.
  --barcode CODE    submission barcode: printable ASCII, 1..128 characters
  --sim             the simulated booth (places a simulated card itself)
  --size WxH        simulated camera size (default hardware.camera.width_px × height_px, ${DEFAULT_SIM_SIZE.widthPx}x${DEFAULT_SIM_SIZE.heightPx}; as calibrated)
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
    const bars = new Map<string, ReturnType<typeof startProgress>>();
    const job = await runJob(
      {
        kind: 'scan',
        params: { barcode, side, simSeed: seed },
        settings,
        booth: { sim: boolOption(args, 'sim'), size },
        onProgress: (e) => {
          let bar = bars.get(e.stage);
          if (!bar) {
            bars.forEach((b) => b.finish());
            bar = startProgress(ctx.stderr, e.stage, 100);
            bars.set(e.stage, bar);
          }
          bar.update(Math.round(e.fraction * 100), e.message);
        },
      },
      ctx,
    );
    bars.forEach((b) => b.finish());
    if (job.state !== 'done' || !job.result) throw jobError(job);
    printScanResult(ctx, job, boolOption(args, 'json'));
    return 0;
  },
};

/** The scan's result lines (or its JSON), the same whether the job ran here or in the daemon. */
export function printScanResult(ctx: CommandContext, job: JobRecord, json: boolean): void {
  const result = job.result as { barcode: string; sides: SideResultSummary[]; grade?: Record<string, unknown> };
  const r = result.sides[0];
  const out = {
    scanId: r.scanId,
    jobId: job.id,
    barcode: result.barcode,
    side: r.side,
    files: r.files,
    frames: r.frames,
    canonical: r.canonical,
    normalErrorDeg: r.normalErrorDeg,
    exposureWarnings: r.exposureWarnings,
    timingsMs: r.timingsMs,
    grade: result.grade ?? null,
  };
  if (json) printJson(ctx, out);
  else {
    ctx.stdout.write(`scan ${r.scanId} of ${result.barcode} (${r.side}): ${r.canonical.widthPx}×${r.canonical.heightPx} at ${r.canonical.umPerPx} µm/px${r.normalErrorDeg !== null ? `; normal error ${r.normalErrorDeg.toFixed(3)}° vs simulator truth` : ''}\n`);
    for (const f of r.files) ctx.stdout.write(`  ${f.kind}: ${f.path} (sha256 ${f.sha256})\n`);
  }
}
