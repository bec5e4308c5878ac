import { spawn, execFile, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createError } from '../../core/errors.ts';
import type { RigPinEvent, RigPinSource } from '../../hardware/rig/pins.ts';
import type { RigPortFactory } from '../../hardware/rig/link.ts';
import { serialPortFactory } from '../../hardware/rig/serial-port.ts';
import { parseHarnessLine } from './harness-lines.ts';
import { createSimRigTempDir, removeDeadSimRigTempDirs } from './temp-dirs.ts';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** Where the harness and the firmware ELF live in a checkout. */
export const SIM_PATHS = {
  harness: join(repoRoot, 'native/simrig/build/simrig'),
  elfCandidates: [join(repoRoot, 'firmware/build/gradebooth-rig.elf'), join(repoRoot, 'firmware/gradebooth-rig.elf')],
};

/**
 * Host parser inter-byte timeout to use with the simulated rig, ms. The firmware's UART bytes come out in
 * simulated time, paced to the wall clock; when the machine is busy simavr can fall behind mid-frame for
 * longer than the 20 ms a real UART allows. Resynchronisation recovers either way; this only avoids
 * dropping frames that are merely late.
 */
export const SIMULATED_INTER_BYTE_TIMEOUT_MS = 250;

export interface SimulatedRigOptions {
  /** Symlink path of the pty; a fresh temp path when absent. */
  ptyPath?: string;
  /** Simulated-time speed relative to wall clock (1 = real time). */
  speed?: number;
  harnessPath?: string;
  elfPath?: string;
  /** Longest wait for READY, ms. */
  readyTimeoutMs?: number;
  /** Receives harness lines that are not pin events (ERR, unknown), for logs. */
  log?: (line: string) => void;
}

/** Build the harness and firmware with make only when the binary or ELF is missing; returns their paths. */
export async function ensureSimBuilt(options: { harnessPath?: string; elfPath?: string } = {}): Promise<{ harnessPath: string; elfPath: string }> {
  const harnessPath = options.harnessPath ?? SIM_PATHS.harness;
  if (!existsSync(harnessPath)) {
    await run('make', ['-s', '-C', join(repoRoot, 'native/simrig')]).catch((err: Error) => {
      throw createError('GB_RIG_SIM_FAILED', `building the simavr harness failed: ${err.message}`);
    });
  }
  let elfPath = options.elfPath ?? SIM_PATHS.elfCandidates.find((p) => existsSync(p));
  if (!elfPath) {
    await run('make', ['-s', '-C', join(repoRoot, 'firmware')]).catch((err: Error) => {
      throw createError('GB_RIG_SIM_FAILED', `building the firmware failed: ${err.message}`);
    });
    elfPath = SIM_PATHS.elfCandidates.find((p) => existsSync(p));
  }
  if (!existsSync(harnessPath)) throw createError('GB_RIG_SIM_FAILED', `simavr harness not found at ${harnessPath}`);
  if (!elfPath) throw createError('GB_RIG_SIM_FAILED', `firmware ELF not found at ${SIM_PATHS.elfCandidates.join(' or ')}`);
  return { harnessPath, elfPath };
}

/**
 * The LED rig simulated by running the real compiled firmware in simavr (native/simrig). Its UART is a
 * pseudo-terminal at `ptyPath`, opened with serialport like a real /dev/ttyACM0. Pin events (latches,
 * BLANK, trigger) are published in simulated µs. The harness dies with this process (stdin pipe EOF and
 * the harness's PR_SET_PDEATHSIG).
 */
export class SimulatedRig implements RigPinSource {
  private readonly options: SimulatedRigOptions;
  private child: ChildProcessWithoutNullStreams | undefined;
  private tempDir: string | undefined;
  private pty: string | undefined;
  private readonly listeners = new Set<(event: RigPinEvent) => void>();
  private readonly resetListeners = new Set<(timeUs: number) => void>();
  private readyWaiter: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private latched: number[] = new Array(24).fill(0);
  private blankHigh = true;
  private lastTimeUs = 0;
  private errors: string[] = [];
  private exited: Promise<number | null> | undefined;
  private stopping = false;

  constructor(options: SimulatedRigOptions = {}) {
    this.options = options;
  }

  /** Spawn the harness and wait for READY. */
  async start(): Promise<void> {
    if (this.child) return;
    const { harnessPath, elfPath } = await ensureSimBuilt(this.options);
    let ptyPath = this.options.ptyPath;
    if (!ptyPath) {
      const swept = removeDeadSimRigTempDirs();
      if (swept.length > 0) this.options.log?.(`removed ${swept.length} temp folder(s) of simulated rigs whose process is gone: ${swept.join(', ')}`);
      this.tempDir = createSimRigTempDir();
      ptyPath = join(this.tempDir, 'tty');
    }
    this.pty = ptyPath;
    const args = ['--elf', elfPath, '--pty', ptyPath];
    if (this.options.speed !== undefined) args.push('--speed', String(this.options.speed));
    const child = spawn(harnessPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stdin.on('error', () => undefined);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      // libsimavr announces each ELF section it loads; that is not worth a log line.
      const lines = text.split('\n').filter((l) => l.trim() && !/^Loaded \d+ \.\w+/.test(l));
      for (const l of lines) this.options.log?.(`simrig stderr: ${l}`);
    });
    createInterface({ input: child.stdout }).on('line', (line) => this.handleLine(line));
    void this.exited.then((code) => {
      // After READY nobody waits on the process; say so, the driver will see the pty vanish.
      if (!this.readyWaiter && this.child === child && !this.stopping) this.options.log?.(`simavr harness exited unexpectedly (code ${code})${this.errors.length ? `: ${this.errors.join('; ')}` : ''}`);
      this.readyWaiter?.reject(createError('GB_RIG_SIM_FAILED', `simavr harness exited with ${code} before READY${this.errors.length ? `: ${this.errors.join('; ')}` : ''}`));
    });
    child.once('error', (err) => this.readyWaiter?.reject(createError('GB_RIG_SIM_FAILED', `cannot run ${harnessPath}: ${err.message}`)));
    await this.waitReady();
  }

  /** Process id of the harness (for diagnostics), or undefined when not running. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Path of the pty symlink the host opens. */
  get ptyPath(): string {
    if (!this.pty) throw createError('GB_RIG_SIM_FAILED', 'simulated rig not started');
    return this.pty;
  }

  /** A driver port factory that opens this rig's pty with serialport. */
  portFactory(): RigPortFactory {
    return serialPortFactory(this.ptyPath);
  }

  /** Subscribe to pin events; returns unsubscribe. */
  onPinEvent(listener: (event: RigPinEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Subscribe to MCU resets (simulated µs); returns unsubscribe. */
  onReset(listener: (timeUs: number) => void): () => void {
    this.resetListeners.add(listener);
    return () => this.resetListeners.delete(listener);
  }

  /** Levels latched in the LED driver now, and whether BLANK is high. */
  pinState(): { levels: number[]; blankHigh: boolean; timeUs: number } {
    return { levels: [...this.latched], blankHigh: this.blankHigh, timeUs: this.lastTimeUs };
  }

  /** Set the thermistor temperature, °C. */
  setTemperature(celsius: number): void {
    this.command(`temp ${celsius}`);
  }

  /** Set the thermistor ADC reading directly (0..1023; <10 or >1013 = sensor fault). */
  setAdc(raw: number): void {
    this.command(`adc ${Math.round(raw)}`);
  }

  /** Reset the MCU (as the DTR pulse). */
  reset(): void {
    this.command('reset');
  }

  /** Close the pty: the host sees the device vanish. */
  unplug(): void {
    this.command('unplug');
  }

  /** A new pty at the same path; resolves at READY. */
  async replug(): Promise<void> {
    const ready = this.waitReady();
    this.command('replug');
    await ready;
  }

  /** Quit the harness and wait for it to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.stopping = true;
    this.command('quit');
    child.stdin.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await this.exited;
    clearTimeout(timer);
    this.child = undefined;
    this.stopping = false;
    if (this.tempDir) rmSync(this.tempDir, { recursive: true, force: true });
    this.tempDir = undefined;
  }

  private command(line: string): void {
    if (!this.child) throw createError('GB_RIG_SIM_FAILED', 'simulated rig not started');
    this.child.stdin.write(`${line}\n`);
  }

  private waitReady(): Promise<void> {
    const timeoutMs = this.options.readyTimeoutMs ?? 10_000;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(createError('GB_RIG_SIM_FAILED', `simavr harness not READY within ${timeoutMs} ms`)), timeoutMs);
      this.readyWaiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
    }).finally(() => {
      this.readyWaiter = undefined;
    });
  }

  private handleLine(line: string): void {
    const parsed = parseHarnessLine(line);
    switch (parsed.kind) {
      case 'ready':
        this.readyWaiter?.resolve();
        return;
      case 'error':
        this.errors.push(parsed.message);
        this.options.log?.(`simrig ERR ${parsed.message}`);
        return;
      case 'other':
        if (parsed.text) this.options.log?.(`simrig: ${parsed.text}`);
        return;
      case 'status':
        this.lastTimeUs = parsed.timeUs;
        return;
      case 'reset':
        this.lastTimeUs = parsed.timeUs;
        for (const l of [...this.resetListeners]) l(parsed.timeUs);
        return;
      case 'latch':
        this.lastTimeUs = parsed.timeUs;
        this.latched = parsed.levels;
        this.emit({ kind: 'latch', timeUs: parsed.timeUs, levels: parsed.levels });
        return;
      case 'blank':
        this.lastTimeUs = parsed.timeUs;
        this.blankHigh = parsed.high;
        this.emit({ kind: 'blank', timeUs: parsed.timeUs, high: parsed.high });
        return;
      case 'trigger': {
        this.lastTimeUs = parsed.timeUs;
        // What the camera sees: the latched levels, unless BLANK holds every output off.
        const litLevels = this.blankHigh ? new Array<number>(24).fill(0) : [...this.latched];
        this.emit({ kind: 'trigger', timeUs: parsed.timeUs, high: parsed.high, litLevels });
        return;
      }
    }
  }

  private emit(event: RigPinEvent): void {
    for (const l of [...this.listeners]) l(event);
  }
}
