import type { Command } from './command.ts';
import { serveCommand } from './commands/serve.ts';
import { configCheckCommand } from './commands/config.ts';
import { tokenCreateCommand, tokenListCommand, tokenRevokeCommand } from './commands/token.ts';
import { dbBackupCommand, dbCheckCommand, dbMigrateCommand, dbRestoreCommand, dbStatusCommand } from './commands/db.ts';
import { rigCommands } from './commands/rig-commands.ts';
import { reconstructCommand } from './commands/reconstruct.ts';
import { integrateCommand } from './commands/integrate.ts';
import { simDatasetCommand } from './commands/sim-dataset.ts';
import { simRenderCommand } from './commands/sim-render.ts';
import { calibrateCommands } from './commands/calibrate-commands.ts';
import { calibrateRunCommand } from './commands/calibrate-run.ts';
import { scanCommand } from './commands/scan.ts';
import { gradeCommand } from './commands/grade.ts';
import { simBarcodeCommand } from './commands/sim-barcode.ts';
import { cameraCommands } from './commands/camera.ts';
import { fleetCollectCommand } from './commands/fleet-collect.ts';
import { fleetDatasetPullCommand, fleetDatasetsCommand } from './commands/fleet-datasets.ts';
import { fleetKeygenCommand, fleetModelCommand, fleetPublishModelCommand } from './commands/fleet-models.ts';

/**
 * Every `gradebooth` command, listed explicitly (no directory autoloading), so `--help` and the README's
 * CLI reference come from one list. Add a command by importing it here.
 */
export const commands: readonly Command[] = [
  serveCommand,
  configCheckCommand,
  tokenCreateCommand,
  tokenListCommand,
  tokenRevokeCommand,
  dbStatusCommand,
  dbCheckCommand,
  dbBackupCommand,
  dbRestoreCommand,
  dbMigrateCommand,
  ...rigCommands,
  ...cameraCommands,
  reconstructCommand,
  integrateCommand,
  simRenderCommand,
  simDatasetCommand,
  simBarcodeCommand,
  ...calibrateCommands,
  calibrateRunCommand,
  scanCommand,
  gradeCommand,
  fleetCollectCommand,
  fleetDatasetPullCommand,
  fleetDatasetsCommand,
  fleetKeygenCommand,
  fleetPublishModelCommand,
  fleetModelCommand,
];
