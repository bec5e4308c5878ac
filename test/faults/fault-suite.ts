// The fault suite (issue 12): faults done to a real `gradebooth serve` on the simulated booth (firmware in
// simavr, rendered camera, real SQLite and store), each followed by the same checks — database integrity,
// orphan and missing store files, jobs stuck running, open file descriptors, memory, and whether the
// daemon still serves. `npm run faults` runs the full scale and prints one summary line; a fast subset
// runs in `npm test` (test/faults/faults-fast.test.ts). Figures are counts, never timings.
import { readdirSync, readFileSync, readlinkSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exited, runCli } from '../cli/run-cli.ts';
import { mulberry32 } from '../helpers/mulberry32.ts';
import { damageAuditLogPage, makeDatabaseWithRows } from '../helpers/damaged-db.ts';
import { endedStates, privateTmpfsUnavailable, startSimDaemon, type DataDirReport, type SimDaemon } from '../helpers/sim-daemon.ts';
import { controlRequest } from '../../src/daemon/control-socket.ts';
import { dataDirLayout } from '../../src/storage/data-dir.ts';

export interface FaultScale {
  kills: number;
  malformed: number;
  handshakes: number;
  guesses: number;
  /** Run the disk-full phase (a second daemon on a tmpfs, calibrated again). */
  diskFull: boolean;
}

export const scales: Record<'fast' | 'full', FaultScale> = {
  fast: { kills: 2, malformed: 200, handshakes: 200, guesses: 40, diskFull: false },
  full: { kills: 20, malformed: 1000, handshakes: 1000, guesses: 300, diskFull: true },
};

export interface FaultFigures {
  faultsInjected: number;
  /** Integrity failures + rows whose file is gone + finished scans no longer in the database. */
  dataLost: number;
  jobsStuck: number;
  orphanFiles: number;
  fdsLeaked: number;
  /** 5xx answers other than 503/507 (which are honest refusals) to malformed requests. */
  serverErrors: number;
  /** Requests or handshakes that got no answer at all. */
  unanswered: number;
  memoryGrowthMiB: number;
  serving: boolean;
  /** One line per phase, for the log. */
  phases: string[];
  /** What went wrong, one line each (empty when every check held). */
  problems: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const fdCount = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;
/** Open fds of `pid` by kind (socket, pipe, pty, file…), to say what leaked. */
function fdKinds(pid: number): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target = '?';
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    const kind = target.startsWith('/dev/pts') ? 'pty' : /^(socket|pipe|anon_inode):/.test(target) ? target.split(':')[0] + (target.startsWith('anon_inode') ? target.slice(10) : '') : 'file';
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}
const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** fds of `pid` once they have settled: sockets closed by the peer take a moment to be reaped. Bounded wait, not an assertion. */
async function settledFds(pid: number, baseline: number): Promise<number> {
  let n = fdCount(pid);
  for (let i = 0; i < 40 && n > baseline; i++) {
    await sleep(250);
    n = fdCount(pid);
  }
  return n;
}

/** Waits in the suite are bounded, so a fault that wedges the booth is reported, not a hang. */
const WAIT_BOUND_MS = 120_000;

/** `promise`, or undefined once `ms` have passed. */
async function within<T>(promise: Promise<T>, ms = WAIT_BOUND_MS): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Poll /api/status until the rig's state satisfies `ok`; the last state seen when it never does. */
async function rigState(d: SimDaemon, ok: (state: string) => boolean): Promise<string | true> {
  let last = 'unknown';
  for (const end = Date.now() + WAIT_BOUND_MS; Date.now() < end; ) {
    const st = (await (await d.api('GET', '/api/status')).json()) as { hardware: Array<{ device: string; state: string; detail: string }> };
    const rig = st.hardware.find((h) => h.device === 'rig');
    if (rig && ok(rig.state)) return true;
    last = `${rig?.state}: ${rig?.detail}`;
    await sleep(100);
  }
  return last;
}

/** Run the suite; `log` hears one line per phase. */
export async function runFaultSuite(scale: FaultScale, log: (line: string) => void = () => undefined, seed = 12): Promise<FaultFigures> {
  const random = mulberry32(seed);
  const work = mkdtempSync(join(tmpdir(), 'gb-faults-'));
  const figures: FaultFigures = { faultsInjected: 0, dataLost: 0, jobsStuck: 0, orphanFiles: 0, fdsLeaked: 0, serverErrors: 0, unanswered: 0, memoryGrowthMiB: 0, serving: false, phases: [], problems: [] };
  const phase = (line: string): void => {
    figures.phases.push(line);
    log(line);
  };
  const dataDir = join(work, 'data');
  const http = { request_timeout_ms: 3000, headers_timeout_ms: 2000 };
  let d: SimDaemon | undefined;
  try {
    d = await startSimDaemon(dataDir, { http });
    const tokens = { technician: d.technician, operator: d.operator };
    const cal = await d.calibrate();
    if (cal.state !== 'done') throw new Error(`calibration failed before the faults: ${JSON.stringify(cal.error)}`);
    // Finished scans per data directory: their count may never go down (the disk-full phase has its own).
    const doneScans = new Map<string, number>();

    /** The checks after every fault: integrity, files, stuck jobs, serving. */
    const check = async (what: string, daemon: SimDaemon): Promise<DataDirReport> => {
      const r = daemon.inspect();
      if (r.integrity !== 'ok') {
        figures.dataLost++;
        figures.problems.push(`${what}: integrity ${r.integrity}`);
      }
      figures.dataLost += r.missing.length;
      figures.orphanFiles += r.orphans.length;
      figures.jobsStuck += r.stuckJobs.length;
      if (r.missing.length || r.orphans.length || r.stuckJobs.length || r.tmpFiles.length) figures.problems.push(`${what}: ${JSON.stringify({ missing: r.missing.length, orphans: r.orphans.length, stuck: r.stuckJobs, tmp: r.tmpFiles.length })}`);
      const page = (await (await daemon.api('GET', '/api/jobs?state=done&kind=scan&limit=1')).json()) as { total: number };
      const nowDone = page.total;
      const before = doneScans.get(daemon.dataDir) ?? 0;
      if (nowDone < before) {
        figures.dataLost += before - nowDone;
        figures.problems.push(`${what}: ${before - nowDone} finished scans disappeared`);
      }
      doneScans.set(daemon.dataDir, Math.max(before, nowDone));
      const health = await daemon.api('GET', '/api/health').catch(() => undefined);
      if (health?.status !== 200) figures.problems.push(`${what}: /api/health answered ${health?.status ?? 'nothing'}`);
      return r;
    };

    // 1. kill -9 at random moments during scans and calibrations, then a restart.
    for (let i = 0; i < scale.kills; i++) {
      const calibration = i % 4 === 3;
      const posted = calibration ? await d.api('POST', '/api/calibrations', d.technician, {}) : await d.api('POST', '/api/scans', d.operator, { barcode: `FLT-${String(i).padStart(4, '0')}` });
      if (posted.status !== 202) figures.problems.push(`kill ${i}: submission answered ${posted.status}`);
      const id = ((await posted.json()) as { jobId: string }).jobId;
      const waitMs = Math.floor(random() * 4000);
      const started = Date.now();
      await d.until(id, (j) => endedStates.includes(j.state) || Date.now() - started >= waitMs);
      const stage = (await d.job(id)).stage;
      d.child.kill('SIGKILL');
      await exited(d.child);
      figures.faultsInjected++;
      d = await startSimDaemon(dataDir, { http, tokens });
      const after = await d.job(id);
      await check(`kill -9 ${i} (${calibration ? 'calibration' : 'scan'} at ${stage ?? 'queued'} after ${waitMs} ms → ${after.state})`, d);
    }
    phase(`kill -9: ${scale.kills} kills during scans and calibrations, each restarted and checked`);

    const pid = (): number => d!.child.pid!;
    // One scan first, so the worker threads and caches a scan starts count in the baseline (not a leak).
    const warm = await d.api('POST', '/api/scans', d.operator, { barcode: 'WARM-0001' });
    if (warm.status === 202) await within(d.until(((await warm.json()) as { jobId: string }).jobId, (j) => endedStates.includes(j.state)));
    const fdRig0 = fdCount(pid());
    const kinds0 = fdKinds(pid());

    // 2. The rig's USB gone mid-capture and back; a firmware reset mid-sequence. The job ends with a
    // coded error (never stuck), and the next scan works.
    const control = (action: string): Promise<unknown> => controlRequest(dataDirLayout(dataDir).controlSocket, 'sim.rig', { action }, 30_000);
    for (const fault of ['unplug', 'reset'] as const) {
      const posted = await d.api('POST', '/api/scans', d.operator, { barcode: `RIG-${fault}` });
      if (posted.status !== 202) {
        figures.problems.push(`rig ${fault}: the scan was refused with ${posted.status} ${await posted.text()}`);
        continue;
      }
      const id = ((await posted.json()) as { jobId: string }).jobId;
      await within(d.until(id, (j) => endedStates.includes(j.state) || (j.stage === 'capture' && j.progress > 0)));
      if ((await within(control(fault))) === undefined) figures.problems.push(`rig ${fault}: the sim.rig control did not answer`);
      figures.faultsInjected++;
      // The booth must have noticed the unplug before it is undone (else the replug races the detection).
      if (fault === 'unplug') await rigState(d, (state) => state !== 'connected');
      const ended = await within(d.until(id, (j) => endedStates.includes(j.state)));
      if (!ended) figures.problems.push(`rig ${fault}: the job did not end within ${WAIT_BOUND_MS} ms`);
      if (fault === 'unplug') await within(control('replug'));
      // As an operator would: scan again once the booth shows the rig back (it reconnects on its own).
      const back = await rigState(d, (state) => state === 'connected');
      if (back !== true) figures.problems.push(`rig ${fault}: the rig did not come back (${back})`);
      const next = await d.api('POST', '/api/scans', d.operator, { barcode: `RIG-${fault}-after` });
      let nextState = `refused ${next.status}`;
      if (next.status === 202) {
        const nextId = ((await next.json()) as { jobId: string }).jobId;
        const nextJob = await within(d.until(nextId, (j) => endedStates.includes(j.state)));
        nextState = nextJob ? `${nextJob.state} ${nextJob.error?.code ?? ''}` : 'not ended';
      }
      if (!nextState.startsWith('done')) figures.problems.push(`rig ${fault}: the next scan: ${nextState}`);
      if (ended?.state === 'failed' && !/^GB_/.test(ended.error?.code ?? '')) figures.problems.push(`rig ${fault}: job failed without a code`);
      await check(`rig ${fault}`, d);
      phase(`rig ${fault === 'unplug' ? 'USB gone mid-capture and back' : 'firmware reset mid-sequence'}: job ${ended?.state ?? 'not ended'} ${ended?.error?.code ?? ''}, next scan ${nextState}`);
    }

    // A camera timeout: the simulated camera delivers nothing for one trigger (its data link stalls) and the
    // capture waiting for that frame times out. The job must fail with a code, LEDs off and nothing stored,
    // and the next scan must work. Injected before the scan, so that it cannot miss the capture.
    {
      const withheld = await within(controlRequest(dataDirLayout(dataDir).controlSocket, 'sim.camera', { withhold: 1 }, 30_000));
      if (withheld === undefined) figures.problems.push('camera timeout: the sim.camera control did not answer');
      figures.faultsInjected++;
      const posted = await d.api('POST', '/api/scans', d.operator, { barcode: 'CAM-timeout' });
      let outcome = `refused ${posted.status}`;
      if (posted.status === 202) {
        const id = ((await posted.json()) as { jobId: string }).jobId;
        const ended = await within(d.until(id, (j) => endedStates.includes(j.state)));
        outcome = ended ? `${ended.state} ${ended.error?.code ?? ''}` : 'not ended';
        if (!ended) figures.problems.push(`camera timeout: the job did not end within ${WAIT_BOUND_MS} ms`);
        else if (ended.state !== 'failed' || !/^GB_/.test(ended.error?.code ?? '')) figures.problems.push(`camera timeout: the job ended ${outcome}, expected failed with a GB_ code`);
      } else figures.problems.push(`camera timeout: the scan was refused with ${posted.status}`);
      const next = await d.api('POST', '/api/scans', d.operator, { barcode: 'CAM-timeout-after' });
      let nextState = `refused ${next.status}`;
      if (next.status === 202) {
        const nextJob = await within(d.until(((await next.json()) as { jobId: string }).jobId, (j) => endedStates.includes(j.state)));
        nextState = nextJob ? `${nextJob.state} ${nextJob.error?.code ?? ''}` : 'not ended';
      }
      if (!nextState.startsWith('done')) figures.problems.push(`camera timeout: the next scan: ${nextState}`);
      await check('camera timeout', d);
      phase(`camera timeout: job ${outcome.trim()}, next scan ${nextState.trim()}`);
    }

    const fdRig1 = await settledFds(pid(), fdRig0);
    if (fdRig1 > fdRig0) figures.problems.push(`rig faults: ${fdRig1 - fdRig0} more open fds after the unplug/replug and reset (${fdRig0} → ${fdRig1}; ${JSON.stringify(kinds0)} → ${JSON.stringify(fdKinds(pid()))})`);
    figures.fdsLeaked += Math.max(0, fdRig1 - fdRig0);
    const fd0 = fdRig1;
    const rss0 = rssMiB(pid());

    // 3. Malformed requests across every route (from the OpenAPI document) and the websocket.
    const spec = (await (await d.api('GET', '/api/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> };
    const paths = Object.keys(spec.paths).map((p) => p.replace(/\{[^}]+\}/g, 'X'));
    const garbagePathParts = ['X', '%00', '..%2f..%2fetc%2fpasswd', 'a'.repeat(3000), '%ff%fe', '-1', '1e309', '<script>'];
    const bodies: Array<{ type: string; body: Buffer | string }> = [
      { type: 'application/json', body: '{' },
      { type: 'application/json', body: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]' },
      { type: 'application/json', body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]) },
      { type: 'application/json', body: JSON.stringify({ barcode: 12, role: ['x'], name: { a: 1 }, side: 'top', expiresInS: -5, pin: null }) },
      { type: 'application/json', body: `{"x":"${'y'.repeat(70_000)}"}` },
      { type: 'text/plain', body: 'hello' },
      { type: 'application/x-www-form-urlencoded', body: 'a=1&b=2' },
      { type: 'application/json', body: '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}' },
    ];
    const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
    let answered = 0;
    for (let i = 0; i < scale.malformed; i++) {
      const path = paths[i % paths.length].replace(/X/g, () => garbagePathParts[Math.floor(random() * garbagePathParts.length)]);
      const method = methods[Math.floor(random() * methods.length)];
      const b = bodies[Math.floor(random() * bodies.length)];
      try {
        // The operator's token: authentication passes, so schemas and handlers see the garbage (and no
        // job can start: malformed bodies never validate, calibration needs a technician).
        const r = await fetch(`http://127.0.0.1:${d.port}${path}?${random() < 0.3 ? 'limit=-1&state=%00&x[]=1' : ''}`, {
          method,
          headers: { authorization: `Bearer ${d.operator}`, 'content-type': b.type, 'x-request-id': random() < 0.2 ? '<script>'.repeat(100) : 'fault' },
          body: method === 'GET' || method === 'OPTIONS' ? undefined : b.body,
          signal: AbortSignal.timeout(15_000),
        });
        await r.arrayBuffer();
        answered++;
        if (r.status >= 500 && r.status !== 503 && r.status !== 507) {
          figures.serverErrors++;
          figures.problems.push(`${method} ${path.slice(0, 80)} (${b.type}) → ${r.status}`);
        }
      } catch {
        figures.unanswered++;
      }
      figures.faultsInjected++;
    }
    // Malformed websocket upgrades with a valid token: bad key, unknown version, no Connection header.
    const wsVariants = ['Sec-WebSocket-Version: 99\r\nSec-WebSocket-Key: x', 'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: !!!', 'Sec-WebSocket-Version: 13'];
    for (let i = 0; i < Math.min(100, scale.malformed / 10); i++) {
      const variant = wsVariants[i % wsVariants.length];
      const reply = await rawExchange(d.port, `GET /api/events HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nAuthorization: Bearer ${d.operator}\r\n${variant}\r\n\r\n`);
      if (reply === undefined) figures.unanswered++;
      else if (/^HTTP\/1\.1 5(?!03)/.test(reply)) figures.serverErrors++;
      figures.faultsInjected++;
    }
    await check('malformed requests', d);
    phase(`malformed: ${scale.malformed} requests across ${paths.length} routes (${answered} answered) + websocket upgrades; ${figures.serverErrors} server errors, ${figures.unanswered} unanswered`);

    // 4. A slow-body client: headers, a little body, then silence. It gets 408 and its socket goes.
    const slow = await rawExchange(d.port, `POST /api/scans HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${d.operator}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"barcode":`, 20_000);
    figures.faultsInjected++;
    if (!slow?.startsWith('HTTP/1.1 408')) figures.problems.push(`slow body: answered ${JSON.stringify(slow?.slice(0, 40))} instead of 408`);
    phase(`slow body: ${slow?.split('\r\n')[0] ?? 'no answer'}`);

    // 5. Token guessing, then refused websocket handshakes (bad tokens), from another loopback address
    // (127.0.0.2) so that the block they earn does not shut out the operator's own requests.
    const statuses = new Map<string, number>();
    for (let i = 0; i < scale.guesses; i++) {
      const guess = `gb_${Math.floor(random() * 2 ** 48).toString(16).padStart(12, '0')}_${'A'.repeat(43)}`;
      const reply = await rawExchange(d.port, `GET /api/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer ${guess}\r\n\r\n`, 5000, '127.0.0.2');
      const status = reply?.split(' ')[1] ?? 'none';
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (reply === undefined) figures.unanswered++;
      figures.faultsInjected++;
    }
    if (!statuses.get('429')) figures.problems.push(`token guessing: never limited (${JSON.stringify([...statuses])})`);
    for (let i = 0; i < scale.handshakes; i++) {
      const reply = await rawExchange(d.port, `GET /api/events HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer gb_${String(i).padStart(12, '0')}_nope\r\n\r\n`, 5000, '127.0.0.2');
      if (reply === undefined) figures.unanswered++;
      else if (!/^HTTP\/1\.1 (401|429)/.test(reply)) figures.problems.push(`refused handshake ${i}: ${reply.split('\r\n')[0]}`);
      figures.faultsInjected++;
    }
    phase(`token guesses: ${scale.guesses} → ${[...statuses].map(([st, n]) => `${n}×${st}`).join(', ')}; refused handshakes: ${scale.handshakes}`);

    const fd1 = await settledFds(pid(), fd0);
    figures.fdsLeaked += Math.max(0, fd1 - fd0);
    figures.memoryGrowthMiB = Math.round((rssMiB(pid()) - rss0) * 10) / 10;
    phase(`fds: ${fd0} before the request faults, ${fd1} after; RSS ${rss0.toFixed(0)} → ${rssMiB(pid()).toFixed(0)} MiB`);

    // 6. SIGTERM under load: the daemon exits (no hang), and restarts consistent.
    let load = true;
    const loaders = Array.from({ length: 20 }, async () => {
      while (load) await fetch(`http://127.0.0.1:${d!.port}/api/health`).then((r) => r.arrayBuffer()).catch(() => undefined);
    });
    const underLoad = await d.api('POST', '/api/scans', d.operator, { barcode: 'TERM-0001' });
    if (underLoad.status !== 202) figures.problems.push(`SIGTERM under load: the scan was refused with ${underLoad.status}`);
    const termJob = ((await underLoad.json()) as { jobId: string }).jobId;
    await sleep(300);
    d.child.kill('SIGTERM');
    const code = await exited(d.child);
    load = false;
    await Promise.all(loaders);
    figures.faultsInjected++;
    if (code !== 0) figures.problems.push(`SIGTERM under load: exit code ${code}`);
    d = await startSimDaemon(dataDir, { http, tokens });
    await check('SIGTERM under load', d);
    phase(`SIGTERM under load: exit ${code}; the scan then was ${(await d.job(termJob)).state}`);

    // 7. A corrupt database: refused at start with GB_DB_CORRUPT, nothing written.
    const corruptDir = join(work, 'corrupt');
    makeDatabaseWithRows(join(corruptDir, 'gradebooth.sqlite'));
    damageAuditLogPage(join(corruptDir, 'gradebooth.sqlite'));
    const corrupt = await runCli(['serve', '--data-dir', corruptDir, '--port', '0']);
    figures.faultsInjected++;
    if (corrupt.code === 0 || !/GB_DB_CORRUPT/.test(corrupt.stderr)) figures.problems.push(`corrupt database: serve exited ${corrupt.code} without GB_DB_CORRUPT`);
    phase(`corrupt database: serve exit ${corrupt.code}, ${/GB_DB_CORRUPT/.test(corrupt.stderr) ? 'GB_DB_CORRUPT' : 'no GB_DB_CORRUPT'}`);

    // 8. Disk full on a small tmpfs (full scale): the scan fails GB_DISK_FULL, nothing stuck or orphaned.
    if (scale.diskFull) {
      const why = privateTmpfsUnavailable();
      if (why) phase(`disk full: skipped (${why})`);
      else {
        const fullDir = join(work, 'full');
        const f = await startSimDaemon(fullDir, { tmpfsMb: 48 });
        try {
          await f.calibrate();
          const posted = await f.api('POST', '/api/scans', f.operator, { barcode: 'FULL-0001' });
          const id = ((await posted.json()) as { jobId: string }).jobId;
          await f.until(id, (j) => endedStates.includes(j.state) || j.stage === 'store');
          fillDisk(f.view);
          figures.faultsInjected++;
          const ended = await f.until(id, (j) => endedStates.includes(j.state));
          if (ended.state === 'failed' && ended.error?.code !== 'GB_DISK_FULL') figures.problems.push(`disk full: failed with ${ended.error?.code}`);
          await check('disk full', f);
          rmSync(join(f.view, 'filler'));
          f.child.kill('SIGTERM');
          const fcode = await exited(f.child);
          phase(`disk full: job ${ended.state} ${ended.error?.code ?? ''}; stop exit ${fcode}`);
        } finally {
          if (f.child.exitCode === null) f.child.kill('SIGKILL');
        }
      }
    }

    const health = await d.api('GET', '/api/health').catch(() => undefined);
    figures.serving = health?.status === 200;
    d.child.kill('SIGTERM');
    await exited(d.child);
    return figures;
  } finally {
    if (d && d.child.exitCode === null) d.child.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  }
}

/** The summary line `npm run faults` prints. */
export function summaryLine(f: FaultFigures): string {
  return `faults: injected ${f.faultsInjected}, data lost ${f.dataLost}, jobs stuck ${f.jobsStuck}, orphan files ${f.orphanFiles}, fds leaked ${f.fdsLeaked}, server errors ${f.serverErrors}, unanswered ${f.unanswered}, memory ${f.memoryGrowthMiB >= 0 ? '+' : ''}${f.memoryGrowthMiB} MiB, daemon serving ${f.serving ? 'yes' : 'no'}`;
}

/** Send raw bytes, resolve with what came back before the server closed or went quiet (undefined: nothing). */
function rawExchange(port: number, request: string, quietMs = 5000, localAddress?: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', ...(localAddress ? { localAddress } : {}) });
    let reply = '';
    const finish = (): void => {
      socket.destroy();
      resolve(reply || undefined);
    };
    let timer = setTimeout(finish, quietMs);
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      // One answer is enough; close our side so the server's socket is released.
      clearTimeout(timer);
      timer = setTimeout(finish, 50);
    });
    socket.on('error', finish);
    socket.on('close', finish);
    socket.write(request);
  });
}

/** Fill the filesystem holding `dir` completely (a file `filler`). */
function fillDisk(dir: string): void {
  const chunk = Buffer.alloc(1 << 20, 0x5a);
  const path = join(dir, 'filler');
  writeFileSync(path, '');
  for (let size = chunk.length; size >= 4096; ) {
    try {
      writeFileSync(path, chunk.subarray(0, size), { flag: 'a' });
    } catch {
      size >>= 1;
    }
  }
}
