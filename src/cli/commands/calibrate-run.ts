import { boolOption, printJson, stringOption, type Command } from '../command.ts';
import { settingsFromArgs, settingsOptions, settingsOptionsHelp } from './common-options.ts';
import { startProgress, type Progress } from '../progress.ts';
import { createBooth, DEFAULT_SIM_SIZE, parseSize } from '../../booth/create-booth.ts';
import { runCalibration } from '../../calibration/run/run.ts';
import { guidedSteps } from '../../calibration/run/steps.ts';
import { openDatabase } from '../../storage/database.ts';
import { dataDirLayout } from '../../storage/data-dir.ts';
import { FileStore } from '../../storage/file-store.ts';
import { CalibrationRepository } from '../../storage/calibrations.ts';
import { loadSceneConfig } from '../../sim/scenes/scene-config.ts';

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
  --size WxH        simulated camera size (default ${DEFAULT_SIM_SIZE.widthPx}x${DEFAULT_SIM_SIZE.heightPx}; scans must use the same size)
  --json            last line: one JSON object {pass, lightPositionErrorMm, verifyNormalErrorDeg, ...}
${settingsOptionsHelp}`,
  options: { ...settingsOptions, sim: { type: 'boolean' }, size: { type: 'string' }, json: { type: 'boolean' } },
  async run(args, ctx) {
    const { settings } = settingsFromArgs(args, ctx.env);
    const sizeText = stringOption(args, 'size');
    const size = sizeText === undefined ? undefined : parseSize(sizeText);
    const { dbPath, storeDir } = dataDirLayout(settings.data_dir);
    const db = openDatabase(dbPath);
    const store = new FileStore(storeDir);
    try {
      await store.init();
      const booth = await createBooth(settings, { sim: boolOption(args, 'sim'), size, log: (l) => ctx.stderr.write(`${l}\n`) });
      let bar: Progress | undefined;
      let barStep = -1;
      try {
        await booth.start();
        const result = await runCalibration({
          booth,
          repo: new CalibrationRepository(db, store),
          targets: await loadSceneConfig(),
          createdBy: ctx.env.USER,
          progress: (e) => {
            if (e.index !== barStep) {
              bar?.finish();
              barStep = e.index;
              ctx.stderr.write(`step ${e.index + 1}/${e.total}: ${e.step.instruction}\n`);
              bar = startProgress(ctx.stderr, `  ${e.step.id}`, 100);
            }
            bar?.update(Math.round(e.fraction * 100), e.message);
          },
        });
        bar?.finish();
        for (const p of result.procedures) {
          const figs = Object.entries(p.figures).filter(([, v]) => typeof v !== 'object').map(([k, v]) => `${k}=${round(v)}`).join(' ');
          ctx.stdout.write(`${p.passed ? 'PASS' : 'FAIL'} ${p.procedure} v${p.record.version}: ${figs}\n`);
        }
        const summary = {
          pass: result.pass,
          lightPositionErrorMm: result.lightPositionErrorMm ?? null,
          verifyNormalErrorDeg: result.verifyNormalErrorDeg,
          verifyHeightErrorMm: result.verifyHeightErrorMm,
          procedures: result.procedures.map((p) => ({ procedure: p.procedure, passed: p.passed, id: p.record.id, version: p.record.version, expiresAt: p.record.expiresAt, figures: p.figures })),
          timingsMs: result.timingsMs,
        };
        if (boolOption(args, 'json')) printJson(ctx, summary);
        else ctx.stdout.write(`calibration ${result.pass ? 'PASSED' : 'FAILED'}${result.lightPositionErrorMm !== undefined ? `; LED positions ${result.lightPositionErrorMm.toFixed(3)} mm from truth` : ''}; verification normal error ${result.verifyNormalErrorDeg.toFixed(3)}°, cap height error ${(1000 * result.verifyHeightErrorMm).toFixed(1)} µm\n`);
        return result.pass ? 0 : 1;
      } finally {
        await booth.stop();
      }
    } finally {
      db.close();
    }
  },
};
