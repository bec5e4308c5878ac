// The technician's guided step list for `gradebooth calibrate run`: what to put on the tray, in order.
// The simulated booth performs the placements itself; a real booth waits for the technician.

export interface GuidedStep {
  id: string;
  /** What the technician does before the booth captures. */
  instruction: string;
  /** What lies on the tray for this step. */
  target: string;
  /** The procedure(s) this step feeds. */
  feeds: string[];
}

/** Number of mirror-sphere placements (≥ 2 are needed; 4 spread ones give < 1 mm LED positions). */
export const SPHERE_PLACEMENTS = 4;

export const guidedSteps: readonly GuidedStep[] = [
  { id: 'dark', instruction: 'Empty the tray and close the booth hood (dark frame).', target: 'nothing: the empty tray, hood closed', feeds: ['dark'] },
  { id: 'white', instruction: 'Lay the matte white target flat on the tray (auto-exposure and flat-field).', target: 'the matte white target', feeds: ['flat'] },
  { id: 'dot-grid', instruction: 'Lay the dot-grid target on the tray (scale, tray plane, lens distortion).', target: 'the dot-grid target', feeds: ['scale'] },
  ...Array.from({ length: SPHERE_PLACEMENTS }, (_, i) => ({
    id: `sphere-${i + 1}`,
    instruction: `Put the mirror sphere on the tray, position ${i + 1} of ${SPHERE_PLACEMENTS} (${['top left', 'bottom right', 'top right', 'bottom left'][i % 4]} quarter).`,
    target: 'the mirror sphere',
    feeds: ['lights'],
  })),
  { id: 'relief', instruction: 'Lay the relief target on the tray (verification).', target: 'the relief target', feeds: ['verify'] },
];
