import { request } from 'node:http';

/** Which check failed, and why. */
export interface ProbeFailure {
  check: 'database' | 'event-loop' | 'api';
  reason: string;
}

/** The address to reach our own listener on: a wildcard bind is reached over loopback. */
export function loopbackHostFor(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

/**
 * GET /api/health over a fresh TCP connection (no keep-alive: a reused connection would hide a listener
 * that no longer accepts, e.g. out of file descriptors). Resolves with undefined when it answered 200.
 */
export function checkApi(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request({ host: loopbackHostFor(host), port, path: '/api/health', method: 'GET', agent: false, timeout: timeoutMs, headers: { connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200 ? undefined : `GET /api/health answered ${res.statusCode}`));
      res.on('error', (err) => resolve(`GET /api/health: ${err.message}`));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve(`GET /api/health did not answer within ${timeoutMs} ms`);
    });
    req.on('error', (err) => resolve(`GET /api/health: ${(err as NodeJS.ErrnoException).code ?? err.message}`));
    req.end();
  });
}

/**
 * The longest event-loop delay since the last read, ms: a 50 ms timer measures how late it fires.
 * (perf_hooks' monitorEventLoopDelay did not see a 400 ms block on Node 20, so it is measured directly.)
 */
export class EventLoopStallMeter {
  private static readonly TICK_MS = 50;
  private timer: NodeJS.Timeout | undefined;
  private lastMs = 0;
  private maxLateMs = 0;

  start(): void {
    this.stop();
    this.lastMs = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      this.maxLateMs = Math.max(this.maxLateMs, now - this.lastMs - EventLoopStallMeter.TICK_MS);
      this.lastMs = now;
    }, EventLoopStallMeter.TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Longest delay since the last call, ms; a stall still going on (the timer has not fired yet) counts too. */
  takeMaxMs(): number {
    const pendingMs = this.timer ? performance.now() - this.lastMs - EventLoopStallMeter.TICK_MS : 0;
    const maxMs = Math.max(this.maxLateMs, pendingMs, 0);
    this.maxLateMs = 0;
    return maxMs;
  }
}
