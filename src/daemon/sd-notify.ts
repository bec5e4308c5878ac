import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface SdNotifyAddon {
  notify(socketPath: string, message: string): void;
}

let addon: SdNotifyAddon | undefined;
function load(): SdNotifyAddon {
  // Loaded lazily: only a daemon started by systemd (NOTIFY_SOCKET set) needs it.
  addon ??= require('../../native/sdnotify/build/Release/sdnotify.node') as SdNotifyAddon;
  return addon;
}

/**
 * The systemd notification protocol (sd_notify(3)): READY=1 when serving, WATCHDOG=1 pings while healthy,
 * STOPPING=1 on the way down. A no-op when NOTIFY_SOCKET is unset (not started by systemd).
 */
export class SdNotifier {
  private readonly socketPath: string | undefined;
  private readonly watchdogUs: number | undefined;

  constructor(env: NodeJS.ProcessEnv) {
    this.socketPath = env.NOTIFY_SOCKET || undefined;
    const usec = Number(env.WATCHDOG_USEC);
    const pidOk = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
    this.watchdogUs = this.socketPath && Number.isFinite(usec) && usec > 0 && pidOk ? usec : undefined;
  }

  get enabled(): boolean {
    return this.socketPath !== undefined;
  }

  /** Watchdog ping interval in ms: half of WATCHDOG_USEC, as sd_watchdog_enabled(3) recommends; undefined when off. */
  get watchdogIntervalMs(): number | undefined {
    return this.watchdogUs === undefined ? undefined : this.watchdogUs / 2000;
  }

  send(message: string): void {
    if (this.socketPath === undefined) return;
    load().notify(this.socketPath, message);
  }
}
