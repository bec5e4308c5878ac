import { boolOption, printJson, stringOption, type Command, type CommandContext } from '../command.ts';
import { settingsFromArgs, settingsOptions, settingsOptionsHelp } from './common-options.ts';
import { startProgress, type Progress } from '../progress.ts';
import { DEFAULT_SIM_SIZE, parseSize } from '../../booth/create-booth.ts';
import { guidedSteps } from '../../calibration/run/steps.ts';
import { jobError, runJob } from '../job-run.ts';

const round = (v: unknown): unknown => (typeof v === 'number' ? Number(v.toPrecision(4)) : v);

export const calibrateRunCommand: Command = {
  name: 'calibrate run',
  summary: 'full booth calibration: dark, flat-field, LED positions, scale, verification (guided)',
  usage: '[--sim] [--size WxH] [--data-dir DIR] [--json]',
  help: `Runs every procedure in order, with the technician's steps:
${guidedSteps.map((s, i) => `  ${i + 1}. ${s.instruction}`).join('\n')}
Each procedure is saved as a versioned, expiring record (see \`calibrate show\`), with its figures and
pass/fail. In the simulated booth the targets are placed by the simulator and the figures also hold the
error against its truth.
  --sim             the simulated booth (firmware in simavr, rendered camera)
  --size WxH        simulated camera size (default hardware.camera.width_px × height_px, ${DEFAULT_SIM_SIZE.widthPx}x${DEFAULT_SIM_SIZE.heightPx}; scans must use the same size)
  --json            last line: one JSON object {pass, lightPositionErrorMm, verifyNormalErrorDeg, ...}
${settingsOptionsHelp}`,
  options: { ...settingsOptions, sim: { type: 'boolean' }, size: { type: 'string' }, json: { type: 'boolean' } },
  async run(args, ctx) {
    const { settings } = settingsFromArgs(args, ctx.env);
    const sizeText = stringOption(args, 'size');
    const size = sizeText === undefined ? undefined : parseSize(sizeText);
    let bar: Progress | undefined;
    let barStage = '';
    const job = await runJob(
      {
        kind: 'calibration',
        params: {},
        settings,
        booth: { sim: boolOption(args, 'sim'), size },
        onProgress: (e) => {
          const index = guidedSteps.findIndex((g) => g.id === e.stage);
          if (e.stage !== barStage) {
            bar?.finish();
            barStage = e.stage;
            if (index >= 0) ctx.stderr.write(`step ${index + 1}/${guidedSteps.length}: ${guidedSteps[index].instruction}\n`);
            bar = startProgress(ctx.stderr, `  ${e.stage}`, 100);
          }
          // The job's fraction is over all stages; the bar shows the stage's own.
          bar?.update(Math.round(stageFraction(e.fraction, e.stage) * 100), e.message);
        },
      },
      ctx,
    );
    bar?.finish();
    if (job.state !== 'done' || !job.result) throw jobError(job);
    return printCalibrationResult(ctx, job.result as unknown as CalibrationSummary, boolOption(args, 'json'));
  },
};

/** The calibration job's result as stored (and as `--json` prints it). */
export interface CalibrationSummary {
  pass: boolean;
  lightPositionErrorMm?: number | null;
  verifyNormalErrorDeg: number;
  verifyHeightErrorMm: number;
  procedures: Array<{ procedure: string; passed: boolean; id: string; version: number; expiresAt: string; figures: Record<string, unknown> }>;
  timingsMs: Record<string, number>;
}

/** Stages of the calibration job in order: the guided steps, then solve and publish. */
const stageNames = [...guidedSteps.map((g) => g.id), 'solve', 'publish'];

/** The fraction within one stage from the job's overall fraction (stages weigh the same). */
function stageFraction(overall: number, stage: string): number {
  const i = stageNames.indexOf(stage);
  if (i < 0) return overall;
  return Math.min(1, Math.max(0, overall * stageNames.length - i));
}

/** PASS/FAIL lines per procedure and the summary (or the JSON), the same wherever the job ran; the exit code. */
export function printCalibrationResult(ctx: CommandContext, result: CalibrationSummary, json: boolean): number {
  for (const p of result.procedures) {
    const figs = Object.entries(p.figures).filter(([, v]) => typeof v !== 'object').map(([k, v]) => `${k}=${round(v)}`).join(' ');
    ctx.stdout.write(`${p.passed ? 'PASS' : 'FAIL'} ${p.procedure} v${p.version}: ${figs}\n`);
  }
  const summary = { ...result, lightPositionErrorMm: result.lightPositionErrorMm ?? null };
  if (json) printJson(ctx, summary);
  else ctx.stdout.write(`calibration ${result.pass ? 'PASSED' : 'FAILED'}${typeof result.lightPositionErrorMm === 'number' ? `; LED positions ${result.lightPositionErrorMm.toFixed(3)} mm from truth` : ''}; verification normal error ${result.verifyNormalErrorDeg.toFixed(3)}°, cap height error ${(1000 * result.verifyHeightErrorMm).toFixed(1)} µm\n`);
  return result.pass ? 0 : 1;
}
