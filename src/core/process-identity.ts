import { readFileSync } from 'node:fs';

// Lock and owner files name a process by pid. A pid alone is not an identity: after a crash the kernel
// may hand the same number to an unrelated process. The start time from /proc/<pid>/stat (clock ticks
// since boot) together with the pid names one process for as long as the machine runs.

/** Start time of a process in clock ticks since boot (Linux /proc), or undefined where it cannot be read. */
export function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may itself contain spaces or parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}

/** The running process, as `isProcessAlive` checks it later. */
export function currentProcessIdentity(): { pid: number; startTicks: number | undefined } {
  return { pid: process.pid, startTicks: processStartTicks(process.pid) };
}

/**
 * Whether the process that wrote `pid` (and `startTicks`, when recorded) still runs. A process we may not
 * signal (EPERM) runs; a pid now used by a process that started at another time is a different process.
 */
export function isProcessAlive(pid: number, startTicks?: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (startTicks === undefined) return true;
  const now = processStartTicks(pid);
  return now === undefined || now === startTicks;
}
