import type { Command } from '../command.ts';
import { calibrateLightsCommand } from './calibrate-lights.ts';

/** The technician's `calibrate …` commands, in help order. */
export const calibrateCommands: readonly Command[] = [calibrateLightsCommand];
