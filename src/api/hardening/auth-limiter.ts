/** How many failed authentications a client may make in a window before it is refused for the rest of it. */
export interface AuthFailureLimit {
  maxFailures: number;
  windowMs: number;
}

export const defaultAuthFailureLimit: AuthFailureLimit = { maxFailures: 20, windowMs: 60_000 };

interface ClientWindow {
  startedAtMs: number;
  failures: number;
  blocked: boolean;
}

// Remembering every address a scan of the network came from would grow without bound; past this many
// clients the oldest windows are forgotten (Map keeps insertion order).
const MAX_CLIENTS = 10_000;

/**
 * Per-client limit on failed authentications (bad, revoked or expired tokens; ended sessions). Token
 * secrets are 256-bit, so guessing cannot succeed; the limit keeps a guesser from filling the log and
 * the audit table and from burning the CPU (4,890 guesses/s before, issue 12).
 */
export class AuthFailureLimiter {
  private readonly limit: AuthFailureLimit;
  private readonly clients = new Map<string, ClientWindow>();

  constructor(limit: AuthFailureLimit = defaultAuthFailureLimit) {
    this.limit = limit;
  }

  private window(client: string, nowMs: number): ClientWindow | undefined {
    const w = this.clients.get(client);
    if (w && nowMs - w.startedAtMs >= this.limit.windowMs) {
      this.clients.delete(client);
      return undefined;
    }
    return w;
  }

  /** Seconds until the client may try again, or 0 when it is not blocked. */
  retryAfterS(client: string, nowMs = Date.now()): number {
    const w = this.window(client, nowMs);
    if (!w?.blocked) return 0;
    return Math.max(1, Math.ceil((w.startedAtMs + this.limit.windowMs - nowMs) / 1000));
  }

  /** Count a failure; returns true when this failure is the one that blocks the client. */
  fail(client: string, nowMs = Date.now()): boolean {
    let w = this.window(client, nowMs);
    if (!w) {
      if (this.clients.size >= MAX_CLIENTS) this.clients.delete(this.clients.keys().next().value as string);
      w = { startedAtMs: nowMs, failures: 0, blocked: false };
      this.clients.set(client, w);
    }
    w.failures++;
    if (!w.blocked && w.failures >= this.limit.maxFailures) {
      w.blocked = true;
      return true;
    }
    return false;
  }
}
