/** Bounds of the retransmission timeout, ms (PROTOCOL.md "RTO"). */
export const MIN_RTO_MS = 10;
export const MAX_RTO_MS = 1000;
export const INITIAL_RTO_MS = 200;

/**
 * Adaptive retransmission timeout as TCP's (RFC 6298): SRTT and RTTVAR from round trips of commands
 * that were sent once (Karn's rule: the caller only feeds samples of unretransmitted commands).
 */
export class RtoEstimator {
  private srttMs: number | undefined;
  private rttvarMs = 0;
  private rtoMs = INITIAL_RTO_MS;

  /** Feed one round-trip sample, ms. */
  sample(rttMs: number): void {
    if (this.srttMs === undefined) {
      this.srttMs = rttMs;
      this.rttvarMs = rttMs / 2;
    } else {
      this.rttvarMs = 0.75 * this.rttvarMs + 0.25 * Math.abs(this.srttMs - rttMs);
      this.srttMs = 0.875 * this.srttMs + 0.125 * rttMs;
    }
    this.rtoMs = Math.min(MAX_RTO_MS, Math.max(MIN_RTO_MS, this.srttMs + 4 * this.rttvarMs));
  }

  /**
   * A command needed a retransmission after a timeout: keep the doubled RTO for the next commands until a
   * valid sample arrives (RFC 6298 5.7), so a link that became slower is not retransmitted on every command.
   */
  backoff(): void {
    this.rtoMs = Math.min(MAX_RTO_MS, this.rtoMs * 2);
  }

  /** Timeout for attempt `n` (0 = first send), ms: RTO doubled on every retransmission. */
  timeoutMs(attempt: number): number {
    return this.rtoMs * 2 ** attempt;
  }

  /** Current RTO, ms. */
  get currentMs(): number {
    return this.rtoMs;
  }

  /** Smoothed round trip, ms, or undefined before the first sample. */
  get srtt(): number | undefined {
    return this.srttMs;
  }
}
