import type { Logger } from 'pino';
import { createError, isGradeboothError } from '../core/errors.ts';
import type { CardSideMaps, ModelIdentity, SurfaceDefect, SurfaceDetector } from '../grading/types.ts';
import type { Db } from '../storage/database.ts';
import { enqueueOutbox, outboxPriority } from '../storage/outbox.ts';
import type { FleetCommandHandler } from './fleet-link.ts';
import { matchDefects } from './model-compare.ts';
import { rolledOutModelName, type ClaimedRelease, type ModelDownload, type VerifiedOffer } from './model-download.ts';
import { ModelRecords, type ModelRecord } from './model-records.ts';
import type { ModelStore } from './model-store.ts';
import type { ModelRelease, ModelsStatePayload } from './payloads.ts';
import { outboxTopics } from './topics.ts';

/** One graded side, handed to the rollout after the grading model ran (src/scan/grade-stage.ts). */
export interface ShadowContext {
  maps: CardSideMaps;
  side: 'front' | 'back';
  scanId: string | null;
  /** What the grading model found (undefined: no model graded this side). */
  graded: { model: ModelIdentity; defects: SurfaceDefect[]; ms: number } | undefined;
  /** The side's surface subgrade for a set of defects (null: not gradable). */
  surfaceGrade(defects: SurfaceDefect[]): number | null;
}

export interface ModelRolloutDeps {
  db: Db;
  boothId: string;
  /** Gets offered models onto the booth (verified, downloaded, installed in `store`); it reports here. */
  download: ModelDownload;
  /** Where installed models are; only the download writes to it. */
  store: Pick<ModelStore, 'modelDir'>;
  logger: Logger;
  /** Load a model folder (manifest, sha256 and the network checked): loadSurfaceDetector. */
  loadModel: (dir: string) => Promise<SurfaceDetector>;
  /** The model when none rolled out is active: the one shipped in models/ (GB_MODEL_MISSING when none). */
  openShipped: () => Promise<SurfaceDetector>;
  /** A `models/state` message was queued in the outbox: send it now (the fleet link's kick). */
  onQueued?: () => void;
  /** The state changed (the daemon forwards it to websocket clients). */
  onChange?: (state: ModelsStatePayload) => void;
}

const codeOf = (err: unknown): string => (isGradeboothError(err) ? err.code : 'GB_MODEL_FAILED');
/** The model's own fault (it cannot load or run), as opposed to bad input maps or a closed session at shutdown. */
const modelFault = (err: unknown): boolean => !isGradeboothError(err) || err.code.startsWith('GB_MODEL_');
const reasonOf = (err: unknown): { code: string; message: string } => ({ code: codeOf(err), message: (err instanceof Error ? err.message : String(err)).slice(0, 1000) });

/**
 * A rolled-out model's life on the booth (docs/fleet.md, "Model rollout"); getting it onto the booth (verified
 * offer, chunked download, install) is ModelDownload's, which reports each step here:
 * - a refused offer or download is recorded and reported, never loaded; an accepted offer becomes the one
 *   candidate (superseding an older one) and is downloaded;
 * - the installed model is loaded once, then runs in shadow beside the active model on the next N scanned sides
 *   (the active model's answer is the one graded), each comparison recorded; when the rule holds, a canary booth
 *   activates it, the others wait for the fleet's `model-activate`;
 * - the active model is one row in SQLite (state 'active'), switched in one transaction: a scan is graded
 *   wholly by the model it opened; after activation the previous model runs beside it for probationScans,
 *   and a load failure, a run-time error or a regression rolls back to the previous model on its own.
 * Every change is announced on `models/state` (retained) in the transaction that makes it.
 */
export class ModelRollout {
  private readonly deps: ModelRolloutDeps;
  readonly records: ModelRecords;
  private readonly loaded = new Map<string, Promise<SurfaceDetector>>();
  private stateSeq = 0;

  constructor(deps: ModelRolloutDeps) {
    this.deps = deps;
    this.records = new ModelRecords(deps.db);
  }

  /** Hear the download (clearing what a crash left half-made), pick up downloads in progress. Call before the link starts. */
  async start(): Promise<void> {
    const { download } = this.deps;
    await download.start({
      offered: (offer) => this.offered(offer),
      refused: (sha256, claimed, err) => this.refuse(sha256, claimed, err),
      resumed: (sha256, held) => this.commit((now) => this.records.setTransfer(sha256, held, held, now)),
      // Not announced: `models/state` says how far a download got when its state changes, not per chunk.
      stored: (sha256, have) => this.records.setTransfer(sha256, have, undefined, new Date().toISOString()),
      failed: (sha256, err) => this.downloadFailed(sha256, err),
      installed: (release) => this.installed(release),
    });
    for (const m of this.records.inState('downloading')) {
      if (!m.releaseJson) continue;
      const release = JSON.parse(m.releaseJson) as ModelRelease;
      await download.fetch(release, m.releaseJson);
    }
  }

  /** Fleet commands: model-state, model-activate, model-rollback. */
  commands(): Map<string, FleetCommandHandler> {
    return new Map<string, FleetCommandHandler>([
      ['model-state', async () => this.state()],
      [
        'model-activate',
        async (params) => {
          const sha = params.sha256;
          if (typeof sha !== 'string' || !/^[0-9a-f]{64}$/.test(sha)) throw createError('GB_VALIDATION', `model-activate needs params.sha256 (64 hex digits), got ${JSON.stringify(sha)}`);
          this.activate(sha, params.force === true ? 'forced by the fleet' : 'the fleet', params.force === true);
          return this.state();
        },
      ],
      [
        'model-rollback',
        async (params) => {
          const active = this.records.active();
          if (!active) throw createError('GB_CONFLICT', 'no rolled-out model is active; nothing to roll back');
          const message = typeof params.reason === 'string' && params.reason !== '' ? params.reason.slice(0, 500) : 'the fleet asked for a rollback';
          this.rollback(active.sha256, { code: 'GB_MODEL_REGRESSED', message });
          return this.state();
        },
      ],
    ]);
  }

  state(): ModelsStatePayload {
    return this.records.statePayload(this.deps.boothId, new Date().toISOString());
  }

  /** Run `change` and queue the new `models/state` (retained) in one transaction; only the newest state stays queued. */
  private commit(change: (now: string) => void): void {
    const now = new Date().toISOString();
    let state: ModelsStatePayload | undefined;
    this.deps.db.transaction(() => {
      change(now);
      state = this.records.statePayload(this.deps.boothId, now);
      this.deps.db.prepare("DELETE FROM outbox WHERE kind = 'model' AND topic = ?").run(outboxTopics.modelsState);
      this.stateSeq += 1;
      enqueueOutbox(this.deps.db, {
        topic: outboxTopics.modelsState,
        payload: state,
        qos: 1,
        retain: true,
        priority: outboxPriority.model,
        kind: 'model',
        messageId: `models-state:${this.deps.boothId}:${Date.now()}:${this.stateSeq}`,
      });
    })();
    this.deps.onQueued?.();
    if (state) this.deps.onChange?.(state);
  }

  /** Record a refused offer (never downloaded, never loaded). A refusal never downgrades a model already accepted. */
  private refuse(sha256: string, info: ClaimedRelease, err: unknown): void {
    const reason = reasonOf(err);
    this.deps.logger.warn({ sha256, ...info, code: reason.code, err: reason.message }, 'model offer refused');
    const existing = this.records.get(sha256);
    if (existing && existing.state !== 'refused') return;
    this.commit((now) =>
      this.records.insert({
        sha256,
        name: info.name ?? null,
        version: info.version ?? null,
        releaseId: info.releaseId ?? null,
        state: 'refused',
        canary: false,
        releaseJson: null,
        keyId: info.keyId ?? null,
        reasonCode: reason.code,
        reasonMessage: reason.message,
        chunks: 0,
        shadowNeeded: 0,
        probationNeeded: 0,
        offeredAt: now,
      }),
    );
  }

  /** A verified offer for this booth: recorded as the candidate (superseding an older one) and downloaded. */
  private async offered({ release, text, keyId }: VerifiedOffer): Promise<void> {
    const existing = this.records.get(release.model.sha256);
    // The retained offer comes again on every connection: an offer already taken up is not started again.
    if (existing && existing.state !== 'refused' && existing.state !== 'superseded') return;
    const canary = release.rollout.canary.includes(this.deps.boothId);
    this.commit((now) => {
      // One candidate at a time: a newer release replaces one still downloading or shadowing.
      for (const old of this.records.inState('downloading', 'shadow', 'passed')) {
        this.records.setState(old.sha256, 'superseded', { code: 'GB_CONFLICT', message: `superseded by ${release.model.version} (${release.model.sha256.slice(0, 12)})` }, now);
      }
      this.records.insert({
        sha256: release.model.sha256,
        name: release.model.name,
        version: release.model.version,
        releaseId: release.releaseId,
        state: 'downloading',
        canary,
        releaseJson: text,
        keyId,
        reasonCode: null,
        reasonMessage: null,
        chunks: release.transfer.chunks.length,
        shadowNeeded: release.rollout.shadowScans,
        probationNeeded: release.rollout.probationScans,
        offeredAt: now,
      });
    });
    for (const sha of [...this.loaded.keys()]) if (this.records.get(sha)?.state === 'superseded') await this.unload(sha);
    this.deps.logger.info({ sha256: release.model.sha256, version: release.model.version, canary }, 'model offer accepted; downloading');
    await this.deps.download.fetch(release, text);
  }

  /** A chunk or the joined file did not match its signed sha256 (or installing failed): refused, never loaded. */
  private downloadFailed(sha: string, err: unknown): void {
    const reason = reasonOf(err);
    this.deps.logger.error({ sha256: sha, code: reason.code, err: reason.message }, 'model download refused');
    this.commit((now) => this.records.setState(sha, 'refused', reason, now));
  }

  /** The model folder is in place: load it once (manifest, sha256, network); it shadows from the next scan. */
  private async installed(release: ModelRelease): Promise<void> {
    const sha = release.model.sha256;
    try {
      const detector = await this.deps.loadModel(this.deps.store.modelDir(sha));
      if (detector.model.sha256 !== sha) throw createError('GB_MODEL_INVALID', `the installed folder holds ${detector.model.sha256}, the release ${sha}`);
      this.loaded.set(sha, Promise.resolve(detector));
    } catch (err) {
      this.commit((now) => this.records.setState(sha, 'failed', reasonOf(err), now));
      return;
    }
    this.commit((now) => {
      this.records.setTransfer(sha, release.transfer.chunks.length, undefined, now);
      this.records.setState(sha, 'shadow', null, now);
    });
    this.deps.logger.info({ sha256: sha, version: release.model.version, shadowScans: release.rollout.shadowScans }, 'model installed; shadowing');
    if (release.rollout.shadowScans === 0) this.judgeShadow(sha);
  }

  private releaseOf(m: ModelRecord): ModelRelease | undefined {
    return m.releaseJson ? (JSON.parse(m.releaseJson) as ModelRelease) : undefined;
  }

  private detectorFor(sha: string): Promise<SurfaceDetector> {
    let p = this.loaded.get(sha);
    if (!p) {
      p = this.deps.loadModel(this.deps.store.modelDir(sha));
      this.loaded.set(sha, p);
      p.catch(() => this.loaded.delete(sha));
    }
    return p;
  }

  private async unload(sha: string): Promise<void> {
    const p = this.loaded.get(sha);
    this.loaded.delete(sha);
    if (p) await p.then((d) => d.close(), () => undefined);
  }

  /**
   * The detector that grades the next scan: the active rolled-out model (a load failure rolls it back and the
   * previous one is tried), else the shipped one. A run-time error of a rolled-out model rolls it back too;
   * the error still fails that scan (never a grade from a half-run model), and the next scan uses the previous.
   */
  async openDetector(): Promise<SurfaceDetector> {
    for (let tries = 0; tries < 8; tries++) {
      const active = this.records.active();
      if (!active) return this.deps.openShipped();
      let detector: SurfaceDetector;
      try {
        detector = await this.deps.loadModel(this.deps.store.modelDir(active.sha256));
      } catch (err) {
        if (!modelFault(err)) throw err;
        this.rollback(active.sha256, reasonOf(err));
        continue;
      }
      return this.watched(detector, active.sha256);
    }
    throw createError('GB_MODEL_MISSING', 'no rolled-out model loads; see GET /api/models');
  }

  private watched(inner: SurfaceDetector, sha: string): SurfaceDetector {
    return {
      model: inner.model,
      detect: async (maps) => {
        try {
          return await inner.detect(maps);
        } catch (err) {
          if (modelFault(err) && this.records.get(sha)?.state === 'active') this.rollback(sha, reasonOf(err));
          throw err;
        }
      },
      close: () => inner.close(),
    };
  }

  /**
   * After the grading model ran on a side: run the candidate in shadow, or (in probation) the previous model
   * beside the new active one, and record how far they agree. Never throws: the graded result is the active
   * model's whatever happens here.
   */
  async compare(ctx: ShadowContext): Promise<void> {
    try {
      const candidate = this.records.inState('shadow')[0];
      if (candidate) await this.shadowRun(candidate, ctx);
      const active = this.records.active();
      if (active && ctx.graded?.model.sha256 === active.sha256 && active.previousSha256 !== null && active.probationNeeded > 0) await this.probationRun(active, ctx);
    } catch (err) {
      this.deps.logger.error({ err }, 'model comparison failed');
    }
  }

  private async timedDetect(sha: string, maps: CardSideMaps): Promise<{ defects: SurfaceDefect[]; ms: number }> {
    const detector = await this.detectorFor(sha);
    const t0 = performance.now();
    const defects = await detector.detect(maps);
    return { defects, ms: performance.now() - t0 };
  }

  private async shadowRun(candidate: ModelRecord, ctx: ShadowContext): Promise<void> {
    const release = this.releaseOf(candidate);
    if (!release) return;
    let run: { defects: SurfaceDefect[]; ms: number };
    try {
      run = await this.timedDetect(candidate.sha256, ctx.maps);
    } catch (err) {
      if (!modelFault(err)) {
        this.deps.logger.warn({ sha256: candidate.sha256, err: (err as Error).message }, 'shadow run skipped: not the model\'s fault');
        return;
      }
      const reason = reasonOf(err);
      this.commit((now) => {
        this.records.addComparison({ modelSha256: candidate.sha256, phase: 'shadow', referenceSha256: ctx.graded?.model.sha256 ?? null, scanId: ctx.scanId, side: ctx.side, agreed: null, matched: 0, onlyReference: 0, onlyModel: 0, surfaceDelta: null, modelMs: null, referenceMs: ctx.graded?.ms ?? null, error: reason }, now);
        this.records.setState(candidate.sha256, 'failed', reason, now);
      });
      this.deps.logger.error({ sha256: candidate.sha256, code: reason.code }, 'shadow model failed at run time; it will not be activated');
      await this.unload(candidate.sha256);
      return;
    }
    this.record(candidate.sha256, 'shadow', release, ctx, run);
    if (this.records.figures(candidate.sha256, 'shadow').scans >= candidate.shadowNeeded) this.judgeShadow(candidate.sha256);
  }

  private record(sha: string, phase: 'shadow' | 'probation', release: ModelRelease, ctx: ShadowContext, run: { defects: SurfaceDefect[]; ms: number }, reference = ctx.graded): void {
    const now = new Date().toISOString();
    if (!reference) {
      this.records.addComparison({ modelSha256: sha, phase, referenceSha256: null, scanId: ctx.scanId, side: ctx.side, agreed: null, matched: 0, onlyReference: 0, onlyModel: run.defects.length, surfaceDelta: null, modelMs: run.ms, referenceMs: null, error: null }, now);
      return;
    }
    const m = matchDefects(reference.defects, run.defects, release.rollout.toleranceMm);
    const a = ctx.surfaceGrade(reference.defects);
    const b = ctx.surfaceGrade(run.defects);
    this.records.addComparison(
      { modelSha256: sha, phase, referenceSha256: reference.model.sha256, scanId: ctx.scanId, side: ctx.side, agreed: m.agreed, matched: m.matched, onlyReference: m.onlyReference, onlyModel: m.onlyModel, surfaceDelta: a !== null && b !== null ? Math.abs(a - b) : null, modelMs: run.ms, referenceMs: reference.ms, error: null },
      now,
    );
  }

  /** Does a model's comparison record meet the release's rule? undefined when it does, else why not. */
  private ruleBroken(f: { agreement: number | null; meanSurfaceDelta: number | null; errors: number }, release: ModelRelease): { code: string; message: string } | undefined {
    if (f.errors > 0) return { code: 'GB_MODEL_FAILED', message: `${f.errors} run-time errors` };
    if (f.agreement !== null && f.agreement < release.rollout.minAgreement) return { code: 'GB_MODEL_REGRESSED', message: `agreement ${f.agreement.toFixed(3)} below the rollout's ${release.rollout.minAgreement}` };
    if (f.meanSurfaceDelta !== null && f.meanSurfaceDelta > release.rollout.maxSurfaceDelta) return { code: 'GB_MODEL_REGRESSED', message: `mean surface subgrade difference ${f.meanSurfaceDelta.toFixed(2)} above the rollout's ${release.rollout.maxSurfaceDelta}` };
    return undefined;
  }

  private judgeShadow(sha: string): void {
    const m = this.records.get(sha);
    const release = m ? this.releaseOf(m) : undefined;
    if (!m || !release || m.state !== 'shadow') return;
    const broken = this.ruleBroken(this.records.figures(sha, 'shadow'), release);
    if (broken) {
      this.commit((now) => this.records.setState(sha, 'failed', broken, now));
      this.deps.logger.warn({ sha256: sha, ...broken }, 'shadow model failed the rollout rule; it will not be activated');
      void this.unload(sha);
      return;
    }
    this.commit((now) => this.records.setState(sha, 'passed', null, now));
    if (m.canary) this.activate(sha, 'the canary rule', false);
  }

  private async probationRun(active: ModelRecord, ctx: ShadowContext): Promise<void> {
    const release = this.releaseOf(active);
    const previous = active.previousSha256;
    if (!release || previous === null || !ctx.graded) return;
    if (this.records.figures(active.sha256, 'probation', active.activatedAt).scans >= active.probationNeeded) return;
    let ref: { defects: SurfaceDefect[]; ms: number };
    try {
      ref = await this.timedDetect(previous, ctx.maps);
    } catch (err) {
      // The reference cannot run: nothing to judge the new model by; it stays.
      this.deps.logger.warn({ previous, err: (err as Error).message }, 'previous model could not run beside the new one');
      return;
    }
    const reference = { model: { name: active.name ?? rolledOutModelName, version: '', sha256: previous }, defects: ref.defects, ms: ref.ms };
    this.record(active.sha256, 'probation', release, ctx, { defects: ctx.graded.defects, ms: ctx.graded.ms }, reference);
    const f = this.records.figures(active.sha256, 'probation', active.activatedAt);
    const broken = this.ruleBroken(f, release);
    // Judged at the end of probation, or at once when it can no longer pass.
    const cannotPass = f.agreement !== null && (f.agreed + (active.probationNeeded - f.scans)) / active.probationNeeded < release.rollout.minAgreement;
    if (broken && (f.scans >= active.probationNeeded || cannotPass)) this.rollback(active.sha256, broken);
    else if (f.scans >= active.probationNeeded) {
      await this.unload(previous);
      this.commit(() => undefined);
    }
  }

  /** Make a model the active one (one transaction): canary rule or the fleet's command. */
  activate(sha: string, by: string, force: boolean): void {
    const m = this.records.get(sha);
    if (!m) throw createError('GB_NOT_FOUND', `model ${sha} was never offered to this booth`);
    if (m.state === 'active') return;
    const allowed = force ? ['passed', 'shadow', 'retired', 'rolled-back'] : ['passed'];
    if (!allowed.includes(m.state)) {
      throw createError('GB_CONFLICT', `model ${m.version ?? sha} is ${m.state}${m.reasonCode ? ` (${m.reasonCode})` : ''}; it can be activated when ${force ? allowed.join(', ') : 'passed (its shadow run met the rule; force: true skips that)'}`);
    }
    const current = this.records.active();
    this.commit((now) => {
      if (current) this.records.setState(current.sha256, 'retired', null, now);
      this.records.setState(sha, 'active', null, now, { previousSha256: current?.sha256 ?? null, activatedAt: now });
    });
    this.deps.logger.info({ sha256: sha, version: m.version, by, previous: current?.sha256 ?? null }, 'model activated');
  }

  /** Roll the active model back to the one before it (or to the shipped model when there was none). */
  rollback(sha: string, reason: { code: string; message: string }): void {
    const m = this.records.get(sha);
    if (!m || m.state !== 'active') return;
    const previous = m.previousSha256 !== null ? this.records.get(m.previousSha256) : undefined;
    this.commit((now) => {
      this.records.setState(sha, 'rolled-back', reason, now);
      if (previous && previous.state === 'retired') this.records.setState(previous.sha256, 'active', null, now);
    });
    this.deps.logger.error({ sha256: sha, version: m.version, ...reason, to: previous?.sha256 ?? 'shipped model' }, 'model rolled back');
    void this.unload(sha);
  }

  async stop(): Promise<void> {
    await this.deps.download.stop();
    for (const sha of [...this.loaded.keys()]) await this.unload(sha);
  }
}
