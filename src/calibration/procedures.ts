// The booth's calibration procedures and how long each stays valid. Dark current drifts with sensor
// temperature, so the dark frame is redone daily; LED output ages slowly (flat-field weekly); the rig and
// lens geometry only change when something is knocked or serviced (monthly, or after maintenance).

/** Procedures a scan needs a valid record of. */
export const scanProcedures = ['dark', 'flat', 'lights', 'scale'] as const;

/** Every procedure `calibrate run` performs, in order (verification last: it uses the others). */
export const allProcedures = ['dark', 'flat', 'lights', 'scale', 'verify'] as const;

export type ProcedureName = (typeof allProcedures)[number];

const DAY_MS = 86_400_000;

/** Default validity of a passed record, ms. */
export const defaultValidityMs: Readonly<Record<ProcedureName, number>> = {
  dark: 1 * DAY_MS,
  flat: 7 * DAY_MS,
  lights: 30 * DAY_MS,
  scale: 30 * DAY_MS,
  verify: 7 * DAY_MS,
};
