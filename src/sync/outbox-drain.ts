import type { Db } from '../storage/database.ts';
import { deferOutbox, deleteOutbox, dropExpiredOutbox, markOutboxAttempt, peekOutbox, type OutboxRow } from '../storage/outbox.ts';
import { TokenBucket } from './token-bucket.ts';
import type { LinkCounters } from './payloads.ts';

export interface OutboxDrainOptions {
  db: Db;
  /** Send one row; resolves when the broker acknowledged it (PUBACK), rejects when it did not. */
  publish: (row: OutboxRow, expiryIntervalS: number | undefined) => Promise<void>;
  bandwidthBytesPerS: number;
  inFlightMax: number;
  /** First retry delay after a failed send; doubles per attempt up to backoffMaxMs. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** How often an idle drain looks for rows queued by other code (stages write the table directly), ms. */
  pollMs?: number;
  onError?: (err: unknown) => void;
}

/**
 * Moves outbox rows to the broker while the link is up: in drain order (priority, then age), at most
 * inFlightMax awaiting their PUBACK, within the bandwidth cap. A row is deleted only when acknowledged;
 * a failed send keeps it with a doubling backoff. Rows in flight when the process dies stay in the table
 * and are sent again after restart with the same message id (the receiver de-duplicates).
 */
export class OutboxDrain {
  private readonly o: OutboxDrainOptions;
  private readonly bucket: TokenBucket;
  private readonly inFlight = new Set<number>();
  private running = false;
  private connected = false;
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  readonly counters: LinkCounters = { connects: 0, disconnects: 0, published: 0, acknowledged: 0, failed: 0, expired: 0, bytesSent: 0 };

  constructor(options: OutboxDrainOptions) {
    this.o = options;
    this.bucket = new TokenBucket(options.bandwidthBytesPerS);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run().catch((err: unknown) => this.o.onError?.(err));
  }

  /** Stop taking rows; rows in flight stay queued unless their PUBACK arrives. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
  }

  setConnected(connected: boolean): void {
    this.connected = connected;
    this.wake();
  }

  /** Look at the table now (something was queued). */
  wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wakeUp = undefined;
        resolve();
      }, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private backoffMs(attempts: number): number {
    return Math.min(this.o.backoffMaxMs, this.o.backoffBaseMs * 2 ** Math.max(0, attempts - 1));
  }

  private async run(): Promise<void> {
    const pollMs = this.o.pollMs ?? 500;
    while (this.running) {
      if (!this.connected || this.inFlight.size >= this.o.inFlightMax) {
        await this.sleep(pollMs);
        continue;
      }
      const now = new Date();
      this.counters.expired += dropExpiredOutbox(this.o.db, now);
      const rows = peekOutbox(this.o.db, { now, limit: this.o.inFlightMax + this.inFlight.size }).filter((r) => !this.inFlight.has(r.id));
      if (rows.length === 0) {
        await this.sleep(pollMs);
        continue;
      }
      for (const row of rows) {
        if (!this.running || !this.connected || this.inFlight.size >= this.o.inFlightMax) break;
        const waitMs = this.bucket.waitMs(row.sizeBytes);
        if (waitMs > 0) {
          await this.sleep(waitMs);
          break; // re-read the table: a higher-priority row may have arrived meanwhile
        }
        this.send(row);
      }
    }
  }

  private send(row: OutboxRow): void {
    const now = new Date();
    let expiryS: number | undefined;
    if (row.expiresAt !== null) {
      expiryS = Math.ceil((Date.parse(row.expiresAt) - now.getTime()) / 1000);
      if (expiryS <= 0) return; // dropped on the next pass
    }
    this.inFlight.add(row.id);
    this.bucket.spend(row.sizeBytes);
    markOutboxAttempt(this.o.db, row.id, { now });
    this.counters.published += 1;
    this.counters.bytesSent += row.sizeBytes;
    this.o
      .publish(row, expiryS)
      .then(
        () => {
          deleteOutbox(this.o.db, row.id);
          this.counters.acknowledged += 1;
        },
        (err: unknown) => {
          this.counters.failed += 1;
          const reason = err instanceof Error ? err.message : String(err);
          try {
            deferOutbox(this.o.db, row.id, new Date(Date.now() + this.backoffMs(row.attempts + 1)), reason.slice(0, 500));
          } catch (dbErr) {
            // The database closed under us during shutdown: the row stays queued as it was.
            this.o.onError?.(dbErr);
          }
        },
      )
      .catch((err: unknown) => this.o.onError?.(err))
      .finally(() => {
        this.inFlight.delete(row.id);
        this.wake();
      });
  }
}
