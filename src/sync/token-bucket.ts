/**
 * A byte-rate limiter for the outbox drain: `take(n)` resolves when n bytes may be sent at `bytesPerS`.
 * The bucket holds at most one second of bytes; a message larger than that waits for a full bucket and
 * then drives it negative, so the long-run rate still holds. 0 = no cap.
 */
export class TokenBucket {
  private readonly bytesPerS: number;
  private tokens: number;
  private lastMs: number;
  private readonly nowMs: () => number;

  constructor(bytesPerS: number, nowMs: () => number = () => performance.now()) {
    this.bytesPerS = bytesPerS;
    this.nowMs = nowMs;
    this.tokens = bytesPerS;
    this.lastMs = nowMs();
  }

  /** How long to wait before n bytes may go, ms (0 = now); does not take them. */
  waitMs(n: number): number {
    if (this.bytesPerS <= 0) return 0;
    this.refill();
    const need = Math.min(n, this.bytesPerS);
    return this.tokens >= need ? 0 : Math.ceil(((need - this.tokens) * 1000) / this.bytesPerS);
  }

  /** Spend n bytes (after waitMs(n) reached 0). */
  spend(n: number): void {
    if (this.bytesPerS <= 0) return;
    this.refill();
    this.tokens -= n;
  }

  private refill(): void {
    const now = this.nowMs();
    this.tokens = Math.min(this.bytesPerS, this.tokens + ((now - this.lastMs) / 1000) * this.bytesPerS);
    this.lastMs = now;
  }
}
