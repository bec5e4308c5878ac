/** Time source, injected so tests can control it. */
export interface Clock {
  /** Wall-clock milliseconds since the epoch. */
  nowMs(): number;
  /** Monotonic milliseconds, for durations and timeouts. */
  monotonicMs(): number;
}
