import { boolOption, intOption, printJson, type Command } from '../command.ts';
import { DEFAULT_SEQUENCE_TEST, oneLedPerStep, runSequenceTest } from '../../hardware/rig/sequence-test.ts';
import { PinTrace, measureSequence, type StepPinTiming } from '../../sim/rig/pin-trace.ts';
import { rigOptions, rigOptionsHelp, withRig } from './rig-session.ts';

export const rigSequenceTestCommand: Command = {
  name: 'rig sequence-test',
  summary: 'run a 24-step sequence (one LED per step) and print each step\'s timing error in µs',
  usage: '[--level N] [--settle-us US] [--trigger-us US] [--exposure-us US] [--port PATH | --sim] [--data-dir DIR] [--json]',
  help: `Uploads 24 steps, step n lighting channel n, runs them on the rig's hardware timer and prints each
step's trigger lateness reported by the firmware (STEP_DONE) and its LED on-time error. With --sim it also
prints the errors measured on the simulated pins (latch, trigger rise/fall, switch-off vs the schedule).
  --level N         LED level 0..4095 (default ${DEFAULT_SEQUENCE_TEST.level})
  --settle-us US    latch → trigger (default ${DEFAULT_SEQUENCE_TEST.settleUs})
  --trigger-us US   trigger pulse (default ${DEFAULT_SEQUENCE_TEST.triggerUs})
  --exposure-us US  trigger → LED off (default ${DEFAULT_SEQUENCE_TEST.exposureUs})
${rigOptionsHelp}`,
  options: { ...rigOptions, level: { type: 'string' }, 'settle-us': { type: 'string' }, 'trigger-us': { type: 'string' }, 'exposure-us': { type: 'string' } },
  async run(args, ctx) {
    const d = DEFAULT_SEQUENCE_TEST;
    const timing = {
      level: intOption(args, 'level', 0, 4095) ?? d.level,
      settleUs: intOption(args, 'settle-us', 0, 4_000_000) ?? d.settleUs,
      triggerUs: intOption(args, 'trigger-us', 1, 65535) ?? d.triggerUs,
      exposureUs: intOption(args, 'exposure-us', 1, 4_000_000) ?? d.exposureUs,
    };
    const json = boolOption(args, 'json');
    const steps = oneLedPerStep(timing);
    return withRig(args, ctx, async ({ driver, sim }) => {
      const trace = sim ? new PinTrace(sim) : undefined;
      trace?.start();
      const result = await runSequenceTest(driver, steps);
      let pins: StepPinTiming[] | undefined;
      if (trace) {
        // Pin lines and UART frames travel different pipes: wait for the last switch-off latch to show.
        const deadline = Date.now() + 2000;
        while (!(pins = measureSequence(trace.events, steps)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        trace.stop();
      }
      for (const s of result.steps) {
        const pin = pins?.[s.step];
        const row = { step: s.step, channel: s.channels[0], latenessUs: s.latenessUs, onErrUs: s.onErrUs, ...(pin ? { pinRiseErrUs: round(pin.riseErrUs), pinFallErrUs: round(pin.fallErrUs), pinOffErrUs: round(pin.offErrUs), pinLitMatches: pin.litMatches } : {}) };
        if (json) printJson(ctx, row);
        else {
          const pinText = pin ? `  pins: rise ${fmt(pin.riseErrUs)} fall ${fmt(pin.fallErrUs)} off ${fmt(pin.offErrUs)} µs${pin.litMatches ? '' : ' (WRONG LEDs lit)'}` : '';
          ctx.stdout.write(`step ${String(s.step).padStart(2)} ch ${String(s.channels[0]).padStart(2)}: lateness ${fmt(s.latenessUs)} µs, on-time ${fmt(s.onErrUs)} µs${pinText}\n`);
        }
      }
      const maxPinErrUs = pins ? Math.max(...pins.map((p) => p.maxAbsErrUs)) : undefined;
      const summary = { steps: result.steps.length, aborted: result.done.aborted, maxAbsLatenessUs: result.maxAbsLatenessUs, ...(maxPinErrUs === undefined ? {} : { maxAbsPinErrUs: round(maxPinErrUs) }), pinTrace: pins ? 'complete' : sim ? 'incomplete' : 'not available' };
      if (json) printJson(ctx, summary);
      else ctx.stdout.write(`${summary.steps} steps, max |lateness| ${summary.maxAbsLatenessUs} µs${maxPinErrUs === undefined ? '' : `, max |pin error| ${maxPinErrUs.toFixed(3)} µs`}\n`);
      return result.steps.length === steps.length && (!sim || pins !== undefined) ? 0 : 1;
    });
  },
};

function round(us: number): number {
  return Math.round(us * 1000) / 1000;
}

function fmt(us: number): string {
  return (us >= 0 ? '+' : '') + (Number.isInteger(us) ? String(us) : us.toFixed(3));
}
