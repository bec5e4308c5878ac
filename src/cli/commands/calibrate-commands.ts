import type { Command } from '../command.ts';
import { calibrateLightsCommand } from './calibrate-lights.ts';
import { calibrateHistoryCommand, calibrateShowCommand } from './calibrate-records.ts';

/** The technician's `calibrate …` commands, in help order. */
export const calibrateCommands: readonly Command[] = [calibrateShowCommand, calibrateHistoryCommand, calibrateLightsCommand];
