// Pass/fail thresholds of the calibration procedures (checks.ts turns them into per-figure checks).

/** Pass/fail thresholds of the procedures. */
export const calibrationThresholds = {
  /** Dark frame: mean above the black level, as a fraction of full scale. */
  darkMaxMeanFraction: 0.02,
  /** Flat: every LED's relative intensity within this factor of the mean (rings differ by design; a dead LED does not). */
  flatIntensityFactor: 10,
  /** Flat: robust spread of one LED's intensity estimate over the target, percent (dust, a tilted target). */
  flatMaxSpreadPercent: 25,
  /** Lights: rays of one LED must meet within this, mm. */
  lightsMaxResidualMm: 0.5,
  /** Lights: largest reported 1σ position uncertainty, mm. */
  lightsMaxUncertaintyMm: 2,
  /** Scale: homography fit RMS after the radial distortion is removed, px (more: a lens model is missing). */
  scaleMaxRmsResidualPx: 0.3,
  /** Verify: mean normal error on the relief target, degrees. */
  verifyMaxNormalErrorDeg: 1,
  /** Verify: sphere-cap height error, mm. */
  verifyMaxHeightErrorMm: 0.05,
} as const;
