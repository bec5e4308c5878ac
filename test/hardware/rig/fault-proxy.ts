// A RigPort between the driver and the real (pty-opened) serial port that drops, duplicates, corrupts,
// delays frames or adds garbage, in either direction, by a policy the test chooses.
import { EventEmitter } from 'node:events';
import type { RigPort } from '../../../src/hardware/rig/link.ts';
import { mulberry32 } from '../../helpers/mulberry32.ts';

export type Direction = 'toRig' | 'toHost';
export type FaultAction = 'pass' | 'drop' | 'duplicate' | 'corrupt' | { delayMs: number } | { garbage: Buffer };

/** Decides what happens to each whole frame; `index` counts frames per direction from 0. */
export type FaultPolicy = (direction: Direction, frame: Buffer, index: number) => FaultAction;

export interface FaultTally { pass: number; drop: number; duplicate: number; corrupt: number; delay: number; garbage: number }

export class FaultProxyPort extends EventEmitter implements RigPort {
  readonly inner: RigPort;
  policy: FaultPolicy;
  readonly tally: Record<Direction, FaultTally> = { toRig: zero(), toHost: zero() };
  private readonly counts: Record<Direction, number> = { toRig: 0, toHost: 0 };
  private pending = Buffer.alloc(0);
  private closed = false;

  constructor(inner: RigPort, policy: FaultPolicy) {
    super();
    this.inner = inner;
    this.policy = policy;
    inner.on('data', (chunk: Buffer) => this.fromRig(chunk));
    inner.on('close', (err: unknown) => {
      this.closed = true;
      this.emit('close', err);
    });
    inner.on('error', (err: Error) => this.emit('error', err));
  }

  get isOpen(): boolean {
    return !this.closed && this.inner.isOpen;
  }

  write(chunk: Buffer, callback?: (error: Error | null | undefined) => void): boolean {
    // The link writes one whole frame per call.
    this.apply('toRig', Buffer.from(chunk), (bytes) => {
      if (this.inner.isOpen) this.inner.write(bytes);
    });
    callback?.(null);
    return true;
  }

  drain(callback: (error: Error | null) => void): void {
    this.inner.drain(callback);
  }

  close(callback?: (error?: Error | null) => void): void {
    this.inner.close(callback);
  }

  private fromRig(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    // Cut whole frames (the firmware sends valid ones); anything else passes through untouched.
    for (;;) {
      if (this.pending.length === 0) return;
      if (this.pending[0] !== 0xa5 || (this.pending.length >= 2 && this.pending[1] > 64)) {
        const next = this.pending.indexOf(0xa5, 1);
        const raw = next < 0 ? this.pending : this.pending.subarray(0, next);
        this.pending = next < 0 ? Buffer.alloc(0) : this.pending.subarray(next);
        const bytes = Buffer.from(raw);
        this.later('toHost', 0, () => this.emit('data', bytes));
        continue;
      }
      if (this.pending.length < 2 || this.pending.length < 6 + this.pending[1]) return;
      const frame = Buffer.from(this.pending.subarray(0, 6 + this.pending[1]));
      this.pending = this.pending.subarray(frame.length);
      this.apply('toHost', frame, (bytes) => this.emit('data', bytes));
    }
  }

  // A serial line delays but never reorders: a delayed frame holds back the frames behind it, so every
  // delivery in a direction goes through one FIFO of non-decreasing due times.
  private readonly queues: Record<Direction, { dueMs: number; fn: () => void }[]> = { toRig: [], toHost: [] };
  private readonly timers: Record<Direction, NodeJS.Timeout | undefined> = { toRig: undefined, toHost: undefined };

  private later(direction: Direction, delayMs: number, fn: () => void): void {
    const queue = this.queues[direction];
    const now = performance.now();
    const dueMs = Math.max(now + delayMs, queue.at(-1)?.dueMs ?? 0);
    queue.push({ dueMs, fn });
    this.pump(direction);
  }

  private pump(direction: Direction): void {
    const queue = this.queues[direction];
    if (this.timers[direction]) return;
    while (queue.length > 0 && queue[0].dueMs <= performance.now()) {
      const item = queue.shift() as { fn: () => void };
      if (!this.closed) item.fn();
    }
    if (queue.length > 0) {
      this.timers[direction] = setTimeout(() => {
        this.timers[direction] = undefined;
        this.pump(direction);
      }, Math.max(0, queue[0].dueMs - performance.now()));
    }
  }

  private apply(direction: Direction, frame: Buffer, send: (bytes: Buffer) => void): void {
    const deliver = (bytes: Buffer): void => this.later(direction, 0, () => send(bytes));
    const action = this.policy(direction, frame, this.counts[direction]++);
    const tally = this.tally[direction];
    if (action === 'pass') {
      tally.pass++;
      deliver(frame);
    } else if (action === 'drop') {
      tally.drop++;
    } else if (action === 'duplicate') {
      tally.duplicate++;
      deliver(frame);
      deliver(Buffer.from(frame));
    } else if (action === 'corrupt') {
      tally.corrupt++;
      const bad = Buffer.from(frame);
      bad[bad.length - 1] ^= 0x5a; // a CRC byte: the frame is intact but fails its check
      deliver(bad);
    } else if ('delayMs' in action) {
      tally.delay++;
      this.later(direction, action.delayMs, () => send(frame));
      return;
    } else {
      tally.garbage++;
      deliver(Buffer.concat([action.garbage, frame]));
    }
  }
}

function zero(): FaultTally {
  return { pass: 0, drop: 0, duplicate: 0, corrupt: 0, delay: 0, garbage: 0 };
}

/** A deterministic pseudo-random generator (mulberry32), so a failing pattern can be replayed. */
export const seededRandom = mulberry32;
