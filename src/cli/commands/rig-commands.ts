import type { Command } from '../command.ts';
import { rigAllOffCommand, rigIdentifyCommand, rigLedCommand, rigStatusCommand } from './rig.ts';
import { rigSequenceTestCommand } from './rig-sequence-test.ts';
import { simRigCommand } from './sim-rig.ts';

/** The LED-rig technician commands and `sim rig`, registered together. */
export const rigCommands: readonly Command[] = [rigIdentifyCommand, rigStatusCommand, rigLedCommand, rigAllOffCommand, rigSequenceTestCommand, simRigCommand];
