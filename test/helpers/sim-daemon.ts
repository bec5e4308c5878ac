// A real `gradebooth serve` on the simulated booth (firmware in simavr, a small rendered camera), driven
// through its HTTP API, for tests that inject faults. Optionally the data directory is a small tmpfs
// mounted in a private mount namespace of the daemon (`unshare -m`), so a full disk is a real ENOSPC and
// nothing outlives the daemon; the test reaches its files through /proc/PID/root.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startServe } from '../cli/run-cli.ts';

export interface Job { id: string; state: string; stage: string | null; progress: number; message: string | null; error: { code: string; message: string } | null; result: any }
export const endedStates = ['done', 'failed', 'cancelled', 'interrupted'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Why a private tmpfs cannot be mounted here (not root, no unshare), or false when it can. */
export function privateTmpfsUnavailable(): string | false {
  const r = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o size=1m tmpfs /mnt && umount /mnt'], { encoding: 'utf8' });
  return r.status === 0 ? false : `cannot mount a tmpfs in a private mount namespace (needs root and unshare): ${(r.stderr || r.error?.message || '').trim()}`;
}

/** What inspect-data-dir.mjs reports. */
export interface DataDirReport { integrity: string; blobs: number; files: number; orphans: string[]; missing: string[]; stuckJobs: string[]; tmpFiles: string[] }

const inspectScript = fileURLToPath(new URL('./inspect-data-dir.mjs', import.meta.url));

/**
 * Check a data directory: integrity, jobs left running, orphan and missing store files, temp files. For a
 * daemon with a private tmpfs (`pid`), run inside its mount namespace, where the files and the WAL's
 * shared memory are the daemon's own (a reader through /proc/PID/root does not see the WAL's rows).
 */
export function inspectDataDir(dataDir: string, pid?: number): DataDirReport {
  const argv = [process.execPath, inspectScript, dataDir];
  const r = pid === undefined ? spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' }) : spawnSync('nsenter', ['-t', String(pid), '-m', '--', ...argv], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`inspect-data-dir failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as DataDirReport;
}

export interface SimDaemon {
  child: ChildProcess;
  port: number;
  dataDir: string;
  /** The data directory as this process can reach it (through /proc/PID/root when it is a private tmpfs). */
  view: string;
  technician: string;
  operator: string;
  output: () => string;
  api(method: string, path: string, bearer?: string, body?: unknown): Promise<Response>;
  job(id: string): Promise<Job>;
  /** Poll until `done(job)`; the test's own timeout bounds it. */
  until(id: string, done: (j: Job) => boolean): Promise<Job>;
  calibrate(): Promise<Job>;
  /** inspectDataDir on this daemon's data directory (in its mount namespace when it is a tmpfs). */
  inspect(): DataDirReport;
}

/** Tokens made with the CLI before the daemon starts (the data directory must not be a tmpfs yet). */
async function tokenFor(dataDir: string, role: string): Promise<string> {
  const r = await runCli(['token', 'create', '--role', role, '--name', role, '--data-dir', dataDir]);
  if (r.code !== 0) throw new Error(`token create failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').at(-1) ?? '';
}

/**
 * Start the daemon on the simulated booth at 375×512 px (again with the same `tokens` after a stop). With `tmpfsMb`, the data directory is first
 * copied onto a tmpfs of that size mounted over it in the daemon's own mount namespace.
 */
export async function startSimDaemon(
  dataDir: string,
  options: { tmpfsMb?: number; env?: NodeJS.ProcessEnv; tokens?: { technician: string; operator: string }; http?: Record<string, number>; settings?: Record<string, unknown> } = {},
): Promise<SimDaemon> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const config = join(dataDir, 'booth.json');
  // `settings` adds sections (booth, fleet, …) to the simulated booth's small camera and no scanner.
  writeFileSync(config, JSON.stringify({ hardware: { camera: { width_px: 375, height_px: 512 }, scanner: { kind: 'none' } }, ...(options.http ? { http: options.http } : {}), ...options.settings }));
  const technician = options.tokens?.technician ?? (await tokenFor(dataDir, 'technician'));
  const operator = options.tokens?.operator ?? (await tokenFor(dataDir, 'operator'));
  const wrapper = options.tmpfsMb
    ? ['unshare', '-m', 'sh', '-c', `set -e; cp -a "$GB_DIR" "$GB_DIR.seed"; mount -t tmpfs -o size=${options.tmpfsMb}m,mode=0700 tmpfs "$GB_DIR"; cp -a "$GB_DIR.seed/." "$GB_DIR/"; rm -rf "$GB_DIR.seed"; exec "$@"`, 'sh']
    : [];
  const serve = await startServe(['--config', config, '--data-dir', dataDir, '--port', '0'], { ...options.env, GB_DIR: dataDir }, wrapper);
  const pid = serve.child.pid!;
  const view = options.tmpfsMb ? `/proc/${pid}/root${dataDir}` : dataDir;
  const api = (method: string, path: string, bearer = operator, body?: unknown): Promise<Response> =>
    fetch(`http://127.0.0.1:${serve.port}${path}`, {
      method,
      headers: { authorization: `Bearer ${bearer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const job = async (id: string): Promise<Job> => (await (await api('GET', `/api/jobs/${id}`)).json()) as Job;
  const until = async (id: string, done: (j: Job) => boolean): Promise<Job> => {
    for (;;) {
      const j = await job(id);
      if (done(j)) return j;
      await sleep(25);
    }
  };
  return {
    child: serve.child,
    port: serve.port,
    dataDir,
    view,
    technician,
    operator,
    output: serve.output,
    api,
    job,
    until,
    inspect: () => inspectDataDir(dataDir, options.tmpfsMb ? pid : undefined),
    async calibrate() {
      const r = await api('POST', '/api/calibrations', technician, {});
      if (r.status !== 202) throw new Error(`calibration refused: ${r.status} ${await r.text()}`);
      const id = ((await r.json()) as { jobId: string }).jobId;
      return until(id, (j) => endedStates.includes(j.state));
    },
  };
}
