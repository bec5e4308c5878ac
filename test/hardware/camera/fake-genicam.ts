// Aravis' fake GigE Vision camera (arv-fake-gv-camera-0.8, Debian aravis-tools) for tests. It binds UDP
// 3956 on its interface and on the broadcast address, so two at once on one host collide: each test file
// that uses one re-runs itself in a private network namespace (`unshare -rn`: its own loopback, no root
// needed), where it starts, kills and restarts its camera on 127.0.0.1 without meeting any other.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { loadAravis, type AravisAddon } from '../../../src/hardware/camera/genicam/aravis-addon.ts';

export const fakeCameraBinary = 'arv-fake-gv-camera-0.8';
const insideFlag = 'GB_TEST_OWN_NETNS';

/** Why fake-camera tests cannot run here (undefined: they can). */
export function fakeCameraUnavailable(): string | undefined {
  const a = loadAravis();
  if (!a.addon) return a.reason;
  if (spawnSync(fakeCameraBinary, ['-h'], { stdio: 'ignore' }).error) return `${fakeCameraBinary} is not installed (Debian package aravis-tools)`;
  return undefined;
}

/**
 * Run this test file in its own network namespace: the first call re-executes the file under
 * `unshare -rn` with loopback up (and a second interface when asked), relays its TAP output and exit code, and never returns; inside the
 * namespace (or where user namespaces are not allowed, in place) it returns and the caller runs its tests.
 */
export async function inOwnNetworkNamespace(testFileUrl: string, options: { secondInterface?: boolean } = {}): Promise<void> {
  if (process.env[insideFlag] === '1') return;
  const probe = spawnSync('unshare', ['-rn', 'ip', 'link', 'set', 'lo', 'up'], { stdio: 'ignore' });
  if (probe.status !== 0) {
    process.env[insideFlag] = 'host';
    return;
  }
  // A second interface (a veth pair, 192.0.2.1/24 from TEST-NET-1) as a booth PC has besides the camera's:
  // discovery broadcasts go out on it too.
  const setup = options.secondInterface
    ? 'ip link set lo up && ip link add gb0 type veth peer name gb1 && ip addr add 192.0.2.1/24 brd 192.0.2.255 dev gb0 && ip link set gb0 up && ip link set gb1 up'
    : 'ip link set lo up';
  const child = spawn('unshare', ['-rn', 'sh', '-c', `${setup} && exec "$@"`, 'sh', process.execPath, ...process.execArgv, fileURLToPath(testFileUrl)], {
    stdio: 'inherit',
    env: { ...process.env, [insideFlag]: '1' },
  });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  process.exit(code ?? (signal ? 1 : 0));
}

/** One fake camera process on 127.0.0.1 with a serial number; restartable (same identity). */
export class FakeGenicam {
  readonly serial: string;
  readonly lossRatio: number;
  private proc: ChildProcess | undefined;

  constructor(serial: string, options: { lossRatio?: number } = {}) {
    this.serial = serial;
    this.lossRatio = options.lossRatio ?? 0;
  }

  /** The Aravis device id discovery reports for it. */
  get id(): string {
    return `Aravis-Fake-${this.serial}`;
  }

  /** Start and wait until discovery sees it. */
  async start(addon: AravisAddon): Promise<void> {
    const args = ['-i', '127.0.0.1', '-s', this.serial];
    if (this.lossRatio > 0) args.push('-r', String(this.lossRatio));
    const proc = spawn(fakeCameraBinary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    for (let attempt = 0; attempt < 20; attempt++) {
      if (proc.exitCode !== null) throw new Error(`${fakeCameraBinary} exited (${proc.exitCode}): ${stderr.trim()}`);
      const found = await addon.list();
      if (found.some((d) => d.id === this.id)) return;
    }
    throw new Error(`${fakeCameraBinary} -s ${this.serial} never answered discovery`);
  }

  /** Kill it (SIGKILL: the camera vanishes mid-stream, as with a pulled cable) and wait for the exit. */
  async kill(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = once(proc, 'exit');
    proc.kill('SIGKILL');
    await exited;
  }
}
