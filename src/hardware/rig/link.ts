import { createError, GradeboothError } from '../../core/errors.ts';
import type { RigFrame } from './frame.ts';
import { RigParser } from './parser.ts';
import { encodeCommand, encodeEventAck } from './writer.ts';
import { Cmd, NAK, NakReason, RESPONSE_BIT, isEventType, nakReasonName, typeName } from './messages.ts';
import { decodeEvent, decodeNak, type RigEvent } from './codecs.ts';
import { Mutex } from './mutex.ts';
import { RtoEstimator } from './rto.ts';

/**
 * The byte pipe to the rig. serialport's `SerialPort` satisfies it, and so do test doubles and the
 * fault-injecting proxy. The port is open when handed over; the link closes it on stop().
 */
export interface RigPort {
  readonly isOpen: boolean;
  write(chunk: Buffer, callback?: (error: Error | null | undefined) => void): boolean;
  drain(callback: (error: Error | null) => void): void;
  close(callback?: (error?: Error | null) => void): void;
  on(event: 'data' | 'close' | 'error', listener: (arg: any) => void): unknown;
  off(event: 'data' | 'close' | 'error', listener: (arg: any) => void): unknown;
}

/** Opens a fresh port to the rig; the composition root decides real tty or simulated pty. */
export type RigPortFactory = () => Promise<RigPort>;

/** Link counters; one object lives across reconnects so figures add up over the driver's life. */
export interface RigCounters {
  txFrames: number;
  rxFrames: number;
  retransmits: number;
  crcErrors: number;
  garbageBytes: number;
  /** Partial frames dropped by the inter-byte timeout. */
  interByteTimeouts: number;
  naks: number;
  /** Commands that got no answer after every retransmission. */
  timeouts: number;
  reconnects: number;
  eventsReceived: number;
  eventsDuplicated: number;
  /** Responses that matched no command in flight (late duplicates). */
  staleResponses: number;
}

/** A fresh zeroed counters object. */
export function newCounters(): RigCounters {
  return { txFrames: 0, rxFrames: 0, retransmits: 0, crcErrors: 0, garbageBytes: 0, interByteTimeouts: 0, naks: 0, timeouts: 0, reconnects: 0, eventsReceived: 0, eventsDuplicated: 0, staleResponses: 0 };
}

export interface RigLinkOptions {
  counters: RigCounters;
  /** Next host command SEQ; shared across links so a reconnect never repeats the last SEQ. */
  nextSeq: () => number;
  rto: RtoEstimator;
  /** PING after this much idle time, ms (hostTimeoutMs / 3); 0 = no keepalive. */
  keepaliveMs: number;
  /** Retransmissions before GB_RIG_TIMEOUT (PROTOCOL.md: 4). */
  maxRetransmits?: number;
  /** Parser inter-byte timeout, ms (PROTOCOL.md: 20; longer for a simulator whose UART can stall in wall time). */
  interByteTimeoutMs?: number;
}

interface InFlight {
  seq: number;
  type: number;
  onFrame(frame: RigFrame): void;
  onBadCrc(): void;
}

/** How many recent event (seq, payload) pairs are remembered to recognise retransmitted events. */
const EVENT_MEMORY = 32;

/**
 * Sequence numbers, one command in flight, response matching, adaptive retransmission, NAKs, event
 * acknowledgement with duplicate suppression, and keepalive — over one open port. A link lives for one
 * connection; the driver builds a new one after a reconnect.
 */
export class RigLink {
  private readonly port: RigPort;
  private readonly options: RigLinkOptions;
  private readonly parser: RigParser;
  private readonly mutex = new Mutex();
  private inFlight: InFlight | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private readonly eventListeners = new Set<(event: RigEvent) => void>();
  private readonly failureListeners = new Set<(error: GradeboothError) => void>();
  private readonly recentEvents: string[] = [];
  private failure: GradeboothError | undefined;
  private started = false;
  private parserSeen = { garbageBytes: 0, crcErrors: 0, timeouts: 0 };
  private readonly onData = (chunk: Buffer): void => {
    this.parser.write(chunk);
  };
  private readonly onClose = (): void => this.fail(createError('GB_RIG_DISCONNECTED', 'LED rig port closed'));
  private readonly onError = (err: Error): void => this.fail(createError('GB_RIG_DISCONNECTED', `LED rig port error: ${err.message}`));
  private readonly onFrame = (frame: RigFrame): void => this.handleFrame(frame);

  constructor(port: RigPort, options: RigLinkOptions) {
    this.port = port;
    this.options = options;
    this.parser = new RigParser(options.interByteTimeoutMs === undefined ? {} : { interByteTimeoutMs: options.interByteTimeoutMs });
  }

  /** Attach to the port and start the keepalive. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.parser.on('data', this.onFrame);
    this.port.on('data', this.onData);
    this.port.on('close', this.onClose);
    this.port.on('error', this.onError);
    this.armKeepalive();
  }

  /** Detach, fail whatever waits, and close the port. */
  async stop(): Promise<void> {
    this.fail(createError('GB_RIG_DISCONNECTED', 'LED rig link stopped'));
    if (this.port.isOpen) await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }

  /** Why the link died, or undefined while it is alive. */
  get failedWith(): GradeboothError | undefined {
    return this.failure;
  }

  /** Subscribe to firmware events (already acknowledged and de-duplicated); returns unsubscribe. */
  onEvent(listener: (event: RigEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Subscribe to the link's death (port closed, keepalive unanswered); returns unsubscribe. */
  onFailure(listener: (error: GradeboothError) => void): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  /** Change the keepalive interval, ms (after SET_CONFIG changed hostTimeoutMs). */
  setKeepaliveMs(ms: number): void {
    this.options.keepaliveMs = ms;
    this.armKeepalive();
  }

  /**
   * Send one command and resolve with its response payload (status byte included). One command is in
   * flight at a time; retransmits on RTO and on NAK BAD_CRC; rejects GB_RIG_REJECTED on other NAKs,
   * GB_RIG_TIMEOUT after the last retransmission, GB_RIG_DISCONNECTED when the link dies.
   */
  async request(type: number, payload: Uint8Array = Buffer.alloc(0)): Promise<Buffer> {
    // The caller's stack, so a timeout deep in the link points at who asked.
    const callerStack = new Error().stack?.split('\n').slice(2).join('\n') ?? '';
    const release = await this.mutex.acquire();
    try {
      return await this.exchange(type, payload, callerStack);
    } finally {
      release();
    }
  }

  private exchange(type: number, payload: Uint8Array, callerStack: string): Promise<Buffer> {
    if (this.failure) return Promise.reject(withStack(this.failure, callerStack));
    const seq = this.options.nextSeq() & 0xff;
    const bytes = encodeCommand(type, seq, payload);
    const maxRetransmits = this.options.maxRetransmits ?? 4;
    const name = typeName(type);
    return new Promise<Buffer>((resolve, reject) => {
      let attempt = 0;
      let sentAtMs = 0;
      let retransmitted = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (err: GradeboothError | undefined, body?: Buffer): void => {
        if (timer) clearTimeout(timer);
        if (this.inFlight === entry) this.inFlight = undefined;
        this.failWaiter = undefined;
        if (err) reject(withStack(err, callerStack));
        else resolve(body as Buffer);
      };
      const rto = this.options.rto;
      const baseRtoMs = rto.currentMs;
      let backedOff = false;
      const send = (): void => {
        if (timer) clearTimeout(timer);
        sentAtMs = performance.now();
        this.writeFrame(bytes);
        timer = setTimeout(onTimeout, baseRtoMs * 2 ** attempt);
      };
      const retransmit = (): void => {
        if (attempt >= maxRetransmits) {
          this.options.counters.timeouts++;
          finish(createError('GB_RIG_TIMEOUT', `no response to ${name} (seq ${seq}) after ${attempt + 1} sends; last RTO ${Math.round(baseRtoMs * 2 ** attempt)} ms`, { type: name, seq }));
          return;
        }
        attempt++;
        retransmitted = true;
        this.options.counters.retransmits++;
        send();
      };
      const onTimeout = (): void => {
        timer = undefined;
        if (!backedOff) rto.backoff();
        backedOff = true;
        retransmit();
      };
      const entry: InFlight = {
        seq,
        type,
        onFrame: (frame) => {
          if (frame.type === NAK) {
            const nak = decodeNak(frame.payload);
            // FAULT_ACTIVE is the rig protecting itself; the rest are this host's mistakes or timing.
            const code = nak.reason === NakReason.FAULT_ACTIVE ? 'GB_RIG_FAULT' : 'GB_RIG_REJECTED';
            finish(createError(code, `LED rig refused ${name}: NAK ${nakReasonName(nak.reason)}`, { type: name, reason: nakReasonName(nak.reason), reasonCode: nak.reason }));
            return;
          }
          // Karn's rule: only a command sent once gives an unambiguous round trip.
          if (!retransmitted) rto.sample(performance.now() - sentAtMs);
          finish(undefined, frame.payload);
        },
        onBadCrc: () => retransmit(),
      };
      this.failWaiter = (err) => finish(err);
      this.inFlight = entry;
      send();
    });
  }

  private failWaiter: ((err: GradeboothError) => void) | undefined;

  private handleFrame(frame: RigFrame): void {
    this.options.counters.rxFrames++;
    this.syncParserCounters();
    if (isEventType(frame.type)) {
      this.handleEvent(frame);
      return;
    }
    const inFlight = this.inFlight;
    if (frame.type === NAK) {
      this.options.counters.naks++;
      let nak: { reason: number; seq: number };
      try {
        nak = decodeNak(frame.payload);
      } catch {
        return;
      }
      if (!inFlight) return;
      if (nak.reason === NakReason.BAD_CRC) inFlight.onBadCrc();
      else if (nak.seq === inFlight.seq) inFlight.onFrame(frame);
      return;
    }
    if (inFlight && frame.seq === inFlight.seq && frame.type === (inFlight.type | RESPONSE_BIT)) {
      inFlight.onFrame(frame);
      return;
    }
    this.options.counters.staleResponses++;
  }

  private handleEvent(frame: RigFrame): void {
    // Always acknowledge, even a duplicate: its first ACK may be what was lost.
    this.writeFrame(encodeEventAck(frame.seq));
    const key = `${frame.type}:${frame.seq}:${frame.payload.toString('hex')}`;
    if (this.recentEvents.includes(key)) {
      this.options.counters.eventsDuplicated++;
      return;
    }
    this.recentEvents.push(key);
    if (this.recentEvents.length > EVENT_MEMORY) this.recentEvents.shift();
    this.options.counters.eventsReceived++;
    let event: RigEvent;
    try {
      event = decodeEvent(frame.type, frame.payload);
    } catch {
      return;
    }
    // After a reset the firmware numbers events from 0 again: forget the old numbers.
    if (event.kind === 'boot') this.recentEvents.splice(0, this.recentEvents.length - 1);
    for (const listener of [...this.eventListeners]) listener(event);
  }

  private writeFrame(bytes: Buffer): void {
    if (this.failure) return;
    this.options.counters.txFrames++;
    this.armKeepalive();
    try {
      this.port.write(bytes, (err) => {
        if (err) this.fail(createError('GB_RIG_DISCONNECTED', `LED rig write failed: ${err.message}`));
      });
    } catch (err) {
      this.fail(createError('GB_RIG_DISCONNECTED', `LED rig write failed: ${(err as Error).message}`));
    }
  }

  private armKeepalive(): void {
    if (this.keepaliveTimer) clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
    if (!this.started || this.failure || this.options.keepaliveMs <= 0) return;
    this.keepaliveTimer = setTimeout(() => {
      this.keepaliveTimer = undefined;
      // A command in flight already keeps the firmware's host timer fed.
      if (this.mutex.busy) {
        this.armKeepalive();
        return;
      }
      this.request(Cmd.PING).catch((err: GradeboothError) => {
        if (err.code === 'GB_RIG_TIMEOUT') this.fail(createError('GB_RIG_DISCONNECTED', `LED rig stopped answering keepalive PING: ${err.message}`));
      });
    }, this.options.keepaliveMs);
  }

  /** Fold the parser's garbage and CRC counts into the shared counters. */
  syncParserCounters(): void {
    const { garbageBytes, crcErrors, timeouts } = this.parser.counters;
    this.options.counters.garbageBytes += garbageBytes - this.parserSeen.garbageBytes;
    this.options.counters.crcErrors += crcErrors - this.parserSeen.crcErrors;
    this.options.counters.interByteTimeouts += timeouts - this.parserSeen.timeouts;
    this.parserSeen = { garbageBytes, crcErrors, timeouts };
  }

  private fail(error: GradeboothError): void {
    if (this.failure) return;
    this.failure = error;
    if (this.keepaliveTimer) clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
    this.syncParserCounters();
    this.port.off('data', this.onData);
    this.port.off('close', this.onClose);
    this.port.off('error', this.onError);
    // A late 'error' from the port after we detached must not crash the process.
    this.port.on('error', () => {});
    this.parser.off('data', this.onFrame);
    this.parser.destroy();
    this.failWaiter?.(error);
    for (const listener of [...this.failureListeners]) listener(error);
  }
}

/** Copy a shared error with the caller's stack attached (so each waiter's error points at its caller). */
function withStack(error: GradeboothError, callerStack: string): GradeboothError {
  const copy = new GradeboothError(error.code, error.message, { details: error.details });
  copy.stack = `${copy.name} [${copy.code}]: ${copy.message}\n${callerStack}`;
  return copy;
}
