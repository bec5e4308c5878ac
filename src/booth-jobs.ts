// Composition of the booth's job kinds (calibration, scan) over one data directory's repositories. It sits
// beside main.ts, outside jobs/: calibration and scan import the stage contract from jobs/, so jobs/ must
// not import them back (test/architecture/folder-cycles.test.ts).

import type { Booth } from './booth/booth.ts';
import type { Settings } from './config/schema.ts';
import type { EventBus } from './core/events.ts';
import { calibrationJobKind } from './calibration/run/run.ts';
import { scanCardJobKind, scanJobKind } from './scan/scan.ts';
import { loadSceneConfig } from './geometry/targets.ts';
import { BlobRepository } from './storage/blobs.ts';
import { CalibrationRepository } from './storage/calibrations.ts';
import { CardRepository } from './storage/cards.ts';
import type { Db } from './storage/database.ts';
import type { FileStore } from './storage/file-store.ts';
import { FrameRepository } from './storage/frames.ts';
import { JobRepository } from './storage/jobs.ts';
import { ScanRepository } from './storage/scans.ts';
import { GradeRepository } from './storage/grades.ts';
import { GradeOverrideRepository } from './storage/grade-overrides.ts';
import { gradeSideStages } from './scan/grade-stage.ts';
import { gradingMarginMm } from './grading/capture-side.ts';
import { openSurfaceDetector } from './grading/surface-model.ts';
import { boothCardFromSettings } from './booth/create-booth.ts';
import { JobRunner } from './jobs/runner.ts';
import { enqueueResult } from './sync/results.ts';
import type { ResultAnnouncer } from './scan/result-messages.ts';
import { SpaceReserve } from './storage/disk-space.ts';
import { join } from 'node:path';
import type { AnyJobKind } from './jobs/stage.ts';
import type { ModelRollout, ShadowContext } from './sync/model-rollout.ts';

/** DATA_DIR/space-reserve: given up on a full disk so a failed job can still be recorded as failed. */
export const SPACE_RESERVE_FILE = 'space-reserve';
const SPACE_RESERVE_BYTES = 1 << 20;

/** Every job kind a booth runs: calibration, scan (one side) and scan-card (front, then back). */
function boothJobKinds(booth: Booth, db: Db, store: FileStore, repos: Repositories, settings: Settings, onResultsQueued: () => void, models: ModelRollout | undefined): AnyJobKind[] {
  const card = boothCardFromSettings(settings);
  // Results always go to the outbox (without \`fleet\` settings they wait there for a fleet joined later).
  const results: ResultAnnouncer = {
    enqueue: (inputs) => inputs.map((r) => enqueueResult(db, r).messageId),
    queued: onResultsQueued,
  };
  const scanServices = {
    booth, db, store, calibrations: repos.calibrations, cards: repos.cards, scans: repos.scans, blobs: repos.blobs, cardThicknessMm: card.thicknessMm,
    // Every scanned side is graded after its reconstruction; its maps keep the tray around the card so that
    // the outer edge is measured against the background.
    mapMarginMm: gradingMarginMm,
    simFlipWaitMs: settings.booth.sim_flip_wait_s * 1000,
    // The grading model: the rolled-out active one (model rollout), else the one shipped in models/.
    sideStages: gradeSideStages({
      card,
      grades: repos.grades,
      openDetector: () => (models ? models.openDetector() : openSurfaceDetector()),
      results,
      ...(models ? { compareModels: (ctx: ShadowContext) => models.compare(ctx) } : {}),
    }),
    results,
  };
  return [calibrationJobKind({ booth, repo: repos.calibrations, targets: () => loadSceneConfig() }), scanJobKind(scanServices), scanCardJobKind(scanServices)];
}

/** The repositories of one data directory. */
export interface Repositories {
  jobs: JobRepository;
  cards: CardRepository;
  scans: ScanRepository;
  frames: FrameRepository;
  blobs: BlobRepository;
  calibrations: CalibrationRepository;
  grades: GradeRepository;
  /** Operators' overrides of a subgrade, beside the machine's grades. */
  overrides: GradeOverrideRepository;
}

export function createRepositories(db: Db, store: FileStore): Repositories {
  return {
    jobs: new JobRepository(db),
    cards: new CardRepository(db),
    scans: new ScanRepository(db),
    frames: new FrameRepository(db),
    blobs: new BlobRepository(db),
    calibrations: new CalibrationRepository(db, store),
    grades: new GradeRepository(db, store),
    overrides: new GradeOverrideRepository(db),
  };
}

/**
 * The job runner for a booth and a data directory, with every job kind the booth runs (calibration,
 * scan, scan-card). The daemon builds one for its booth; a CLI command with no daemon builds one too, so
 * both run the same stages.
 */
export function createBoothJobs(deps: {
  booth: Booth | undefined;
  db: Db;
  store: FileStore;
  bus: EventBus;
  settings: Settings;
  ownJobsOnly?: boolean;
  log?: (message: string, detail?: Record<string, unknown>) => void;
  /** A job queued fleet results (the daemon's fleet link sends them at once rather than at its next poll). */
  onResultsQueued?: () => void;
  /** Model rollout: which model grades, and shadow runs beside it (absent: the shipped model only). */
  models?: ModelRollout;
}): { runner: JobRunner; repos: Repositories } {
  const { booth, db, store, bus, settings } = deps;
  const repos = createRepositories(db, store);
  const runner = new JobRunner({
    db,
    store,
    jobs: repos.jobs,
    blobs: repos.blobs,
    bus,
    // Without a booth the runner still recovers what a crash left; it runs no kinds.
    kinds: booth ? boothJobKinds(booth, db, store, repos, settings, () => deps.onResultsQueued?.(), deps.models) : [],
    lightsOff: async () => {
      await booth?.rig.allOff();
    },
    log: deps.log,
    ownJobsOnly: deps.ownJobsOnly,
    dataDir: settings.data_dir,
    reserve: new SpaceReserve(join(settings.data_dir, SPACE_RESERVE_FILE), SPACE_RESERVE_BYTES),
  });
  return { runner, repos };
}
