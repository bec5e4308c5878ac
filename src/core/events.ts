import { EventEmitter } from 'node:events';

/**
 * The daemon's typed event bus. Producers (capture, rig, camera, jobs) emit; consumers (websocket,
 * fleet sync, logs) subscribe. Event names and payloads are declared in `BoothEvents` so a typo is a
 * compile error. Each event also carries a monotonic id and wall-clock time for clients that resume.
 */
export interface BoothEvents {
  'hardware.status': { device: string; state: string; detail?: string };
  /** `figures`: what the stage measured so far (e.g. a calibration step's figures), flat name → value. */
  'job.progress': { jobId: string; stage: string; fraction: number; message?: string; figures?: Record<string, number | string | boolean> };
  'job.state': { jobId: string; kind?: string; state: string; error?: string };
  /** A barcode was read and validated (the scan that starts a grading job). */
  'scanner.barcode': { code: string; symbology?: string; at: string; source: string };
  /** A read that does not parse (GB_BARCODE_INVALID): the UI shows the message. */
  'scanner.rejected': { code: string; message: string; at: string; source: string };
  /** A barcode started a grading job for its card (front, then the back after the flip). */
  'scanner.job': { code: string; jobId: string; at: string };
  /** A barcode was read but no job could start (e.g. GB_NOT_CALIBRATED): the UI shows why. */
  'scanner.job_refused': { code: string; error: string; at: string };
  'daemon.state': { state: 'starting' | 'ready' | 'stopping' };
  'log.warning': { message: string; code?: string };
  /** The fleet asks the operator to calibrate (fleet command `calibration-reminder`). */
  'fleet.calibration_reminder': { message: string; at: string };
  /** An operator overrode a subgrade of a stored grade (a new training label for that card's datasets). */
  'grade.override': { overrideId: string; gradeId: string; cardId: number; subgrade: string; value: number };
  /** A model rollout state changed (GET /api/models has the whole state). */
  'models.state': { active: { sha256: string; version: string } | null; models: Array<{ sha256: string; version: string | null; state: string; reason: string | null }> };
}

export type BoothEventName = keyof BoothEvents;

export interface BoothEventEnvelope<K extends BoothEventName = BoothEventName> {
  id: number;
  type: K;
  at: string;
  data: BoothEvents[K];
}

export class EventBus {
  private readonly emitter = new EventEmitter();
  private nextId = 1;

  constructor() {
    // Many websocket clients may listen at once; the default limit of 10 would warn spuriously.
    this.emitter.setMaxListeners(0);
  }

  emit<K extends BoothEventName>(type: K, data: BoothEvents[K]): BoothEventEnvelope<K> {
    const envelope: BoothEventEnvelope<K> = { id: this.nextId++, type, at: new Date().toISOString(), data };
    this.emitter.emit(type, envelope);
    this.emitter.emit('*', envelope);
    return envelope;
  }

  /** Subscribe to one event type; returns the unsubscribe function. */
  on<K extends BoothEventName>(type: K, listener: (event: BoothEventEnvelope<K>) => void): () => void {
    this.emitter.on(type, listener);
    return () => this.emitter.off(type, listener);
  }

  /** Subscribe to every event; returns the unsubscribe function. */
  onAny(listener: (event: BoothEventEnvelope) => void): () => void {
    this.emitter.on('*', listener);
    return () => this.emitter.off('*', listener);
  }
}
