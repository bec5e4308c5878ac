import { stat } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Settings } from '../config/schema.ts';
import { EventBus } from '../core/events.ts';
import { packageVersion } from '../core/version.ts';
import { databaseError, openDatabase, schemaVersion, type Db } from '../storage/database.ts';
import { diskFullError, isDiskFullError } from '../storage/disk-space.ts';
import { FileStore } from '../storage/file-store.ts';
import { TokenRepository } from '../storage/tokens.ts';
import { AuditLog } from '../storage/audit-log.ts';
import { OperatorRepository, SessionRepository } from '../storage/operators.ts';
import { dataDirLayout } from '../storage/data-dir.ts';
import { acquireDataDirLock, type DataDirLock } from '../storage/data-dir-lock.ts';
import { buildApp } from '../api/app.ts';
import type { ManagedDevice } from '../hardware/device.ts';
import type { BoothStatus } from '../api/status.ts';
import { SdNotifier } from './sd-notify.ts';
import { checkApi, EventLoopStallMeter, type ProbeFailure } from './health-probe.ts';
import { ControlSocket, type ControlHandler } from './control-socket.ts';
import { listenError } from './listen-error.ts';
import type { Booth } from '../booth/booth.ts';
import { createBoothJobs, type Repositories } from '../booth-jobs.ts';
import { sideBytesNeeded } from '../scan/scan.ts';
import { CHANNELS } from '../hardware/rig/messages.ts';
import type { JobRunner } from '../jobs/runner.ts';
import { jobControls } from './job-controls.ts';
import { startJobsFromBarcodes } from './barcode-jobs.ts';
import { outboxFigures } from '../storage/outbox.ts';
import { FleetSync } from '../sync/fleet-sync.ts';
import { capturePreview } from '../capture/preview.ts';
import { RigDiagnostics } from '../hardware/rig/diagnostics.ts';
import type { ApiServices } from '../api/services.ts';
import type { FleetCommandHandler } from '../sync/fleet-link.ts';
import { ModelDownload } from '../sync/model-download.ts';
import { ModelRollout } from '../sync/model-rollout.ts';
import { ModelStore } from '../sync/model-store.ts';
import { readModelKeys } from '../core/model-signing.ts';
import { loadSurfaceDetector } from '../grading/surface/load.ts';
import { openSurfaceDetector } from '../grading/surface-model.ts';
import { join } from 'node:path';

export interface DaemonDeps {
  settings: Settings;
  logger: Logger;
  /** The hardware the composition root picked (real, simulated or absent). */
  devices: ManagedDevice[];
  env: NodeJS.ProcessEnv;
  bus?: EventBus;
  /** Commands the local control socket answers (e.g. the simulated scanner's `sim.barcode`). */
  controls?: ReadonlyMap<string, ControlHandler>;
  /** The booth the composition root built (its rig and camera are among the devices); undefined: no jobs. */
  booth?: Booth;
}

/**
 * The booth daemon's lifecycle: storage, hardware, API, systemd notifications. The constructor only
 * stores its collaborators; start() does the work and stop() undoes it in reverse order.
 */
export class Daemon {
  private readonly deps: DaemonDeps;
  private readonly bus: EventBus;
  private readonly notifier: SdNotifier;
  private db: Db | undefined;
  private store: FileStore | undefined;
  private app: FastifyInstance | undefined;
  private watchdogTimer: NodeJS.Timeout | undefined;
  private watchdogProbing = false;
  private readonly stallMeter = new EventLoopStallMeter();
  private listenPort = 0;
  private control: ControlSocket | undefined;
  private lock: DataDirLock | undefined;
  private runner: JobRunner | undefined;
  private repos: Repositories | undefined;
  private fleet: FleetSync | undefined;
  private stopDatasetSweep: () => void = () => undefined;
  private models: ModelRollout | undefined;
  private startedAtMs = 0;
  private stopRunner: () => Promise<void> = async () => undefined;
  private diagnostics: RigDiagnostics | undefined;
  private stopBarcodeJobs: () => void = () => undefined;
  private stopping = false;
  private stopped: Promise<void> | undefined;

  constructor(deps: DaemonDeps) {
    this.deps = deps;
    this.bus = deps.bus ?? new EventBus();
    this.notifier = new SdNotifier(deps.env);
  }

  /**
   * Take the data directory, open storage, listen, then start the hardware; resolves with the bound address
   * once READY=1 has been sent. It listens before any device starts so that a busy port fails at once
   * (GB_PORT_IN_USE) and leaves no rig or simulator behind; on any failure call stop().
   */
  async start(): Promise<{ address: string; port: number }> {
    const { settings, logger } = this.deps;
    this.startedAtMs = Date.now();
    this.bus.emit('daemon.state', { state: 'starting' });
    const { dbPath, storeDir, controlSocket } = dataDirLayout(settings.data_dir);
    // Before anything touches the data directory or the hardware: a second daemon refuses here.
    this.lock = acquireDataDirLock(settings.data_dir, { command: 'serve', socketPath: controlSocket }, (message) => logger.warn({ dataDir: settings.data_dir }, message));
    this.db = openDatabase(dbPath);
    this.store = new FileStore(storeDir);
    await this.store.init();
    logger.info({ dataDir: settings.data_dir, schema: schemaVersion(this.db) }, 'storage ready');

    // The job runner on the one booth. It is built before the API so that routes and the control socket
    // can queue jobs; it starts (crash recovery, then the queue) once the hardware has started.
    // Model rollout: which model grades (the active one survives restarts in SQLite) and what the fleet offers.
    const boothId = settings.fleet?.booth_id ?? settings.booth.id;
    const modelStore = new ModelStore(join(settings.data_dir, 'models'));
    const modelLogger = logger.child({ component: 'models' });
    const modelDownload = new ModelDownload({
      boothId,
      prefix: settings.fleet?.topic_prefix ?? 'gradebooth/v1',
      store: modelStore,
      trustedKeys: readModelKeys(settings.fleet?.model_keys ?? []),
      logger: modelLogger,
      downloadBytesPerS: settings.fleet?.model_download_bytes_per_s ?? 0,
    });
    const models = new ModelRollout({
      db: this.db,
      boothId,
      download: modelDownload,
      store: modelStore,
      logger: modelLogger,
      loadModel: (dir) => loadSurfaceDetector(dir),
      openShipped: () => openSurfaceDetector(),
      onQueued: () => this.kickFleet(),
      onChange: (s) => this.bus.emit('models.state', {
        active: s.active ? { sha256: s.active.sha256, version: s.active.version } : null,
        models: s.models.slice(0, 5).map((m) => ({ sha256: m.sha256, version: m.version, state: m.state, reason: m.reason?.code ?? null })),
      }),
    });
    await models.start();
    this.models = models;
    const jobs = createBoothJobs({ booth: this.deps.booth, db: this.db, store: this.store, bus: this.bus, settings, log: (msg, detail) => logger.error(detail ?? {}, msg), onResultsQueued: () => this.kickFleet(), models });
    this.repos = jobs.repos;
    this.runner = this.deps.booth ? jobs.runner : undefined;
    // A barcode read at the booth starts grading that card (queued until the runner starts below).
    if (this.runner) this.stopBarcodeJobs = startJobsFromBarcodes({ bus: this.bus, runner: this.runner, log: (msg, detail) => logger.warn(detail, msg) });

    const tokens = new TokenRepository(this.db);
    const audit = new AuditLog(this.db);
    const operators = new OperatorRepository(this.db);
    const sessions = new SessionRepository(this.db, { idleMs: settings.ui.idle_lock_s * 1000, maxMs: settings.ui.session_max_h * 3_600_000 });
    this.app = await buildApp(
      { bus: this.bus, tokens, audit, operators, sessions, status: () => this.status(), accepting: () => !this.stopping, repos: jobs.repos, store: this.store, jobs: this.runner, cameraPreview: this.previewService(), rigDiagnostics: this.rigDiagnostics(), models: () => models.state() },
      { bodyLimitBytes: settings.http.body_limit_bytes, headersTimeoutMs: settings.http.headers_timeout_ms, requestTimeoutMs: settings.http.request_timeout_ms, logger },
    );
    try {
      await this.app.listen({ host: settings.http.host, port: settings.http.port });
    } catch (err) {
      throw listenError(err, settings.http.host, settings.http.port);
    }
    const addr = this.app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : settings.http.port;
    this.lock.update({ port });

    const handlers = new Map([...(this.deps.controls ?? new Map<string, ControlHandler>()), ...jobControls(() => this.runner, () => jobs.repos.jobs, this.bus)]);
    const control = new ControlSocket(controlSocket, handlers);
    try {
      await control.start();
      this.control = control;
    } catch (err) {
      // The booth serves without it; only CLI commands that act on the running daemon need it.
      logger.error({ err }, 'control socket not available');
    }

    for (const device of this.deps.devices) {
      try {
        await device.start();
      } catch (err) {
        // A missing or broken device must not keep the booth from serving status and history.
        logger.error({ err, device: device.status().device }, 'device failed to start');
      }
      const s = device.status();
      this.bus.emit('hardware.status', { device: s.device, state: s.state, detail: s.detail });
    }
    this.listenPort = port;

    // Crash recovery (jobs left running become interrupted, their uncommitted files go), then the queue.
    if (this.deps.booth) {
      // Jobs capture at once: let the rig finish connecting first (it keeps retrying on its own).
      await this.deps.booth.rig.ready(10_000).catch((err: unknown) => logger.warn({ err }, 'LED rig not ready; jobs will fail until it connects'));
    }
    const recovered = await jobs.runner.start();
    if (recovered.interrupted.length > 0) logger.warn({ jobs: recovered.interrupted }, 'jobs left running by a crash marked interrupted');
    this.stopRunner = () => jobs.runner.stop();

    if (settings.fleet) {
      // Offline first: the link connects in the background; the booth serves whether or not a broker answers.
      const db = this.db;
      const store = this.store;
      const fleet = new FleetSync({
        fleet: settings.fleet,
        db,
        logger: logger.child({ component: 'fleet' }),
        commands: this.fleetCommands(),
        subscriptions: modelDownload.subscriptions(),
        onConnected: () => modelDownload.onConnected(),
        telemetry: { devices: () => this.deps.devices.map((d) => d.status()), disk: () => store.diskSpace(), startedAtMs: this.startedAtMs },
        ...(store ? { store } : {}),
      });
      try {
        fleet.start();
        this.fleet = fleet;
        const datasets = fleet.datasets;
        if (datasets && settings.fleet.datasets.upload === 'every-scan') {
          // Each finished job's scans, and (at start) the last day's scans a crash kept from being offered; an
          // operator's override offers its card's scans again with the new label.
          const sweep = (): void => void datasets.offerFinished(new Date(Date.now() - 86_400_000).toISOString());
          const stopJobs = this.bus.on('job.state', (e) => {
            if (e.data.state === 'done') sweep();
          });
          const stopOverrides = this.bus.on('grade.override', () => sweep());
          this.stopDatasetSweep = () => {
            stopJobs();
            stopOverrides();
          };
          sweep();
        }
        modelDownload.attach(fleet.link);
      } catch (err) {
        logger.error({ err }, 'fleet sync not started; results stay queued in the outbox');
      }
    }

    logger.info({ host: settings.http.host, port, version: packageVersion }, 'gradebooth listening');

    this.notifier.send(`READY=1\nSTATUS=serving on ${settings.http.host}:${port}\nMAINPID=${process.pid}`);
    const interval = this.notifier.watchdogIntervalMs;
    if (interval !== undefined) {
      this.stallMeter.start();
      this.watchdogTimer = setInterval(() => void this.watchdogTick(interval), interval);
      this.watchdogTimer.unref();
    }
    this.bus.emit('daemon.state', { state: 'ready' });
    return { address: settings.http.host, port };
  }

  /** What the fleet may ask this booth (MQTT v5 request/response on `commands/<name>`). */
  /** The technician's camera preview on this daemon's booth, taken while no job holds the hardware. */
  private previewService(): ApiServices['cameraPreview'] {
    const booth = this.deps.booth;
    const runner = this.runner;
    if (!booth || !runner) return undefined;
    return (options) => runner.withHardware('camera preview', () => capturePreview(booth, options));
  }

  /** The technician's rig diagnostics on this daemon's booth, through the real driver, while no job holds the hardware. */
  private rigDiagnostics(): RigDiagnostics | undefined {
    const booth = this.deps.booth;
    const runner = this.runner;
    if (!booth || !runner) return undefined;
    this.diagnostics = new RigDiagnostics(booth.rig, (what, use) => runner.withHardware(what, use));
    return this.diagnostics;
  }

  private fleetCommands(): Map<string, FleetCommandHandler> {
    return new Map<string, FleetCommandHandler>([
      ...(this.models?.commands() ?? []),
      ['status', async () => this.status()],
      [
        'calibration-reminder',
        async (params) => {
          const message = typeof params.message === 'string' && params.message.length > 0 ? params.message.slice(0, 500) : 'the fleet asks for a calibration';
          this.bus.emit('fleet.calibration_reminder', { message, at: new Date().toISOString() });
          return { shown: true, message };
        },
      ],
    ]);
  }

  /** The fleet link: a stage that queued an outbox row may call it so the row goes now, not at the next poll. */
  kickFleet(): void {
    this.fleet?.kick();
  }

  /**
   * Health as the watchdog sees it: the database answers, the event loop has not stalled longer than a
   * ping interval, and the API answers a loopback GET /api/health on a fresh connection. Checking only
   * the database kept systemd happy while the API was out of file descriptors (issue 12).
   */
  async probeHealth(intervalMs: number): Promise<ProbeFailure | undefined> {
    if (this.stopping || !this.db) return { check: 'database', reason: 'daemon is stopping' };
    try {
      if ((this.db.prepare('SELECT 1 AS ok').get() as { ok: number }).ok !== 1) return { check: 'database', reason: 'SELECT 1 did not return 1' };
    } catch (err) {
      return { check: 'database', reason: (err as Error).message };
    }
    // A stall as long as a ping interval means systemd is about to see nothing anyway; shorter hiccups
    // (a GC pause, a busy second under load) are not a reason to restart, hence the 1 s floor.
    const stallMs = this.stallMeter.takeMaxMs();
    const stallLimitMs = Math.max(intervalMs, 1000);
    if (stallMs > stallLimitMs) return { check: 'event-loop', reason: `the event loop stalled for ${Math.round(stallMs)} ms (limit ${stallLimitMs} ms)` };
    const apiProblem = await checkApi(this.deps.settings.http.host, this.listenPort, Math.max(100, Math.round(intervalMs * 0.8)));
    if (apiProblem !== undefined) return { check: 'api', reason: apiProblem };
    return undefined;
  }

  private async watchdogTick(intervalMs: number): Promise<void> {
    // Only ping while healthy: a wedged API, database or event loop then makes systemd restart us
    // (WatchdogSec). A probe still running from the last tick counts as unhealthy too.
    if (this.watchdogProbing) {
      this.deps.logger.warn({ check: 'api' }, 'unhealthy: withholding the watchdog ping (the last health probe has not finished)');
      return;
    }
    this.watchdogProbing = true;
    try {
      const failure = await this.probeHealth(intervalMs);
      if (this.stopping) return;
      if (failure === undefined) this.notifier.send('WATCHDOG=1');
      else this.deps.logger.warn({ check: failure.check, reason: failure.reason }, 'unhealthy: withholding the watchdog ping');
    } finally {
      this.watchdogProbing = false;
    }
  }

  async status(): Promise<BoothStatus> {
    const { settings } = this.deps;
    const db = this.db;
    if (!db || !this.store) throw new Error('daemon not started');
    const { dbPath } = dataDirLayout(settings.data_dir);
    const fileSize = async (p: string): Promise<number> => {
      try {
        return (await stat(p)).size;
      } catch {
        return 0;
      }
    };
    const disk = await this.store.diskSpace();
    const minFreeBytes = settings.storage.min_free_mb * 1024 * 1024;
    const hardware = this.deps.devices.map((d) => d.status());
    const schema = schemaVersion(db);
    const problems: string[] = [];
    if (disk.freeBytes < minFreeBytes) problems.push(`disk: ${Math.round(disk.freeBytes / 1048576)} MB free, below storage.min_free_mb = ${settings.storage.min_free_mb}`);
    // What one side of a scan needs with every LED of the rig lit (scans refuse to start below it).
    const booth = this.deps.booth;
    const scanSideBytes = booth ? sideBytesNeeded(booth.widthPx, booth.heightPx, CHANNELS) : 0;
    if (booth && disk.freeBytes < scanSideBytes) problems.push(`disk: ${Math.round(disk.freeBytes / 1048576)} MB free, one scan side needs ${Math.round(scanSideBytes / 1048576)} MB: scans are refused (GB_DISK_FULL)`);
    for (const h of hardware) {
      if (h.state === 'fault' || h.state === 'disconnected') problems.push(`${h.device}: ${h.state}: ${h.detail}`);
    }
    return {
      status: this.stopping ? 'stopping' : problems.length > 0 ? 'degraded' : 'ok',
      problems,
      boothId: settings.booth.id,
      versions: {
        gradebooth: packageVersion,
        node: process.versions.node,
        sqlite: (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v,
        schema,
      },
      startedAt: new Date(this.startedAtMs).toISOString(),
      uptimeS: Math.round((Date.now() - this.startedAtMs) / 100) / 10,
      hardware,
      database: {
        path: dbPath,
        journalMode: String(db.pragma('journal_mode', { simple: true })),
        schemaVersion: schema,
        sizeBytes: await fileSize(dbPath),
        walBytes: await fileSize(`${dbPath}-wal`),
      },
      disk: { path: settings.data_dir, freeBytes: disk.freeBytes, totalBytes: disk.totalBytes, minFreeBytes, scanSideBytes },
      events: { websocketClients: this.app?.websocketServer?.clients.size ?? 0 },
      fleet: this.fleet ? this.fleet.figures() : { configured: false, queue: outboxFigures(db) },
    };
  }

  /** Graceful stop: refuse new work, close the API (in-flight requests finish), stop hardware, checkpoint and close the database. */
  stop(): Promise<void> {
    this.stopped ??= this.doStop();
    return this.stopped;
  }

  private async doStop(): Promise<void> {
    const { logger } = this.deps;
    this.stopping = true;
    this.notifier.send('STOPPING=1');
    this.bus.emit('daemon.state', { state: 'stopping' });
    if (this.watchdogTimer) clearInterval(this.watchdogTimer);
    this.stallMeter.stop();
    // The running job is interrupted (LEDs off, its partial files removed) before the hardware stops;
    // queued jobs stay queued for the next start.
    this.stopBarcodeJobs();
    // A technician's lit LED goes off and gives the hardware back before the runner stops.
    await this.diagnostics?.stop();
    await this.stopRunner().catch((err: unknown) => logger.error({ err }, 'job runner did not stop cleanly'));
    await this.control?.stop();
    // Before the API closes and the database with it: in-flight sends are abandoned (their rows stay) and
    // the retained status reads `offline`.
    this.stopDatasetSweep();
    try {
      await this.fleet?.stop();
    } catch (err) {
      logger.error({ err }, 'fleet link did not stop cleanly');
    }
    await this.models?.stop().catch((err: unknown) => logger.error({ err }, 'model rollout did not stop cleanly'));
    if (this.app) {
      // Websocket clients would hold the server open; tell them we are going away (1001).
      for (const client of this.app.websocketServer?.clients ?? []) client.close(1001, 'daemon stopping');
      await this.app.close();
    }
    for (const device of [...this.deps.devices].reverse()) {
      try {
        await device.stop();
      } catch (err) {
        logger.error({ err, device: device.status().device }, 'device failed to stop cleanly');
      }
    }
    if (this.db) {
      // Fold the WAL into the main file so a backup of the data directory is one consistent file. On a
      // full disk the checkpoint fails: the WAL stays (SQLite replays it at the next open), and that is
      // one log line, not a stack.
      try {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch (err) {
        const coded = isDiskFullError(err) ? diskFullError(this.deps.settings.data_dir, { cause: err }) : databaseError(err, dataDirLayout(this.deps.settings.data_dir).dbPath);
        const { code, message } = coded as { code?: string; message: string };
        logger.warn({ code: code ?? 'GB_INTERNAL' }, `WAL checkpoint at stop failed, the WAL is kept and replayed at the next start: ${message}`);
      }
      try {
        this.db.close();
      } catch (err) {
        logger.warn({ code: (err as { code?: string }).code }, `closing the database failed: ${(err as Error).message}`);
      }
      this.db = undefined;
    }
    // Last: the hardware is stopped and the database closed, so the next owner may start.
    this.lock?.release();
    this.lock = undefined;
    logger.info('gradebooth stopped');
  }
}
