import { readFileSync } from 'node:fs';
import { hashSeed } from '../random.ts';

/** Sensor figures used to turn expected electrons into 12-bit counts. */
export interface SensorModel {
  fullWellE: number;
  readNoiseE: number;
  blackLevelDn: number;
  /** Largest ADC code (4095 for 12 bits). */
  adcMax: number;
}

export interface SynthesisJob {
  width: number;
  rowStart: number;
  rowEnd: number;
  /** Basis images (electrons per µs at full level) and their weights (level/4095 × exposure µs). */
  basis: Float32Array[];
  weights: number[];
  sensor: SensorModel;
  /** Analog gain (linear, ≥ 1). */
  gain: number;
  /** Noise seed; rows draw independent streams from it, so the result does not depend on the split. */
  seed: number;
  noise: boolean;
  /** ADC codes 0..adcMax, packed per `pack`. */
  out: Uint16Array;
  /** Packing of the 12-bit codes: 'raw' (as is), 'msb16' (× 2^(16 − bits), Mono16), 'msb8' (top 8 bits, Mono8). */
  pack?: 'raw' | 'msb16' | 'msb8';
  /** 'wasm' (default: the SIMD kernel in wasm/sensor.wat) or 'js' (the reference; bit-identical codes). */
  kernel?: 'wasm' | 'js';
  /** The arena the basis images live in (read in place by the SIMD kernel); absent = plain arrays. */
  arena?: SensorArena;
  /** Scratch slot of the calling thread (0..7): concurrent jobs on one arena need distinct slots. */
  slot?: number;
}

// Standard-normal samples at stratified quantiles (inverse CDF): a table lookup per pixel is ~10× faster
// than Box–Muller; 4096 entries stay in L1 cache, and the truncation at ±3.5σ is invisible at 12 bits.
const TABLE_BITS = 12;
const TABLE_MASK = (1 << TABLE_BITS) - 1;
const gaussTable = buildGaussTable(1 << TABLE_BITS);

/** The standard-normal table the noise draws from (shared with the native kernel; do not modify). */
export function noiseTable(): Float32Array {
  return gaussTable;
}
/** Pixels per kernel call; rows wider than this are split, each segment seeding its own noise streams. */
export const SEGMENT_PX = 4096;
// Arena layout (bytes; see wasm/sensor.wat): the normal table at 0, then per-thread scratch slots of one
// input segment (f32) and one output segment (u16); basis images from ARENA_HEADER_BYTES on.
const SLOT_BYTES = SEGMENT_PX * 6;
const SLOT_COUNT = 8;
const SLOTS_AT = 16384;
/** Where basis images start in a sensor arena (a multiple of 64 KiB). */
export const ARENA_HEADER_BYTES = 262144;
// The kernel reads whole groups of 8 pixels: slack after the last basis row.
const ARENA_TAIL_BYTES = 64;
const WASM_PAGE = 65536;
const WASM_MAX_PAGES = 65536;

/** Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function inverseNormalCdf(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const pl = 0.02425;
  if (p < pl) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - pl) return -inverseNormalCdf(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

function buildGaussTable(n: number): Float32Array {
  const t = new Float32Array(n);
  for (let i = 0; i < n; i++) t[i] = inverseNormalCdf((i + 0.5) / n);
  return t;
}

// The project's TypeScript lib has no WebAssembly declarations (no DOM lib); Node provides the global.
interface WasmMemory {
  readonly buffer: ArrayBufferLike;
}
interface WasmApi {
  Module: new (b: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: unknown };
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
}
const wa = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/**
 * Shared WebAssembly memory holding the cached basis images, so the exposure kernel reads them in place
 * (no copy per frame). Posted to the render workers with each job; every thread instantiates the kernel
 * on it.
 */
export interface SensorArena {
  memory: WasmMemory;
}

type ExposeFn = (n: number, src: number, dst: number, w: number, read2: number, full: number, k: number, off: number, adcMax: number, noise: number, shift: number, mulShift: number, s0: number, s1: number, s2: number, s3: number) => void;

/** The SIMD exposure kernel instantiated on one arena. */
interface SensorWasm {
  memory: WasmMemory;
  expose: ExposeFn;
}

let sensorModule: object | null | undefined;
let privateKernel: SensorWasm | null | undefined;
let lastKernel: SensorWasm | null = null;

function compileSensorModule(): object | null {
  if (sensorModule !== undefined) return sensorModule;
  try {
    if (!wa) throw new Error('no WebAssembly');
    sensorModule = new wa.Module(readFileSync(new URL('./wasm/sensor.wasm', import.meta.url)));
  } catch {
    sensorModule = null;
  }
  return sensorModule;
}

/**
 * A shared arena with room for `basisBytes` of basis images after the header (normal table written);
 * null where shared WebAssembly memory is unavailable or the size exceeds 4 GiB (callers use plain
 * SharedArrayBuffers and the kernel copies rows in).
 */
export function createSensorArena(basisBytes: number): SensorArena | null {
  if (!wa || !compileSensorModule()) return null;
  const pages = Math.ceil((ARENA_HEADER_BYTES + basisBytes + ARENA_TAIL_BYTES) / WASM_PAGE);
  if (pages > WASM_MAX_PAGES) return null;
  try {
    const memory = new wa.Memory({ initial: pages, maximum: pages, shared: true });
    new Float32Array(memory.buffer, 0, gaussTable.length).set(gaussTable);
    return { memory };
  } catch {
    return null;
  }
}

/** A Float32Array view of `length` floats at `byteOffset` (≥ ARENA_HEADER_BYTES) of an arena. */
export function arenaFloat32(arena: SensorArena, byteOffset: number, length: number): Float32Array {
  return new Float32Array(arena.memory.buffer as SharedArrayBuffer, byteOffset, length);
}

function instantiate(memory: WasmMemory): SensorWasm | null {
  const mod = compileSensorModule();
  if (!mod || !wa) return null;
  try {
    const e = new wa.Instance(mod, { env: { memory } }).exports as { expose: ExposeFn };
    return { memory, expose: e.expose };
  } catch {
    return null;
  }
}

/** The SIMD kernel on this arena (instantiated once per arena and thread), or on a private header-only arena. */
export function loadSensorWasm(arena?: SensorArena): SensorWasm | null {
  if (arena) {
    if (lastKernel?.memory === arena.memory) return lastKernel;
    lastKernel = instantiate(arena.memory);
    return lastKernel;
  }
  if (privateKernel === undefined) {
    const own = createSensorArena(0);
    privateKernel = own ? instantiate(own.memory) : null;
  }
  return privateKernel;
}

/** The per-frame constants of a job (f32-rounded, packing shifts). */
export function exposeParams(job: Pick<SynthesisJob, 'sensor' | 'gain' | 'pack'>): ExposeParams {
  const { sensor, gain } = job;
  const fr = Math.fround;
  const bits = Math.round(Math.log2(sensor.adcMax + 1));
  const pack = job.pack ?? 'raw';
  return {
    read2: fr(sensor.readNoiseE * sensor.readNoiseE),
    full: fr(sensor.fullWellE),
    k: fr((gain * (sensor.adcMax - sensor.blackLevelDn)) / sensor.fullWellE),
    off: fr(sensor.blackLevelDn + 0.5),
    adcMax: fr(sensor.adcMax),
    shift: pack === 'msb8' ? bits - 8 : 0,
    mulShift: pack === 'msb16' ? 16 - bits : 0,
  };
}

/** Seed of noise lane 0..3 of one row segment: a cheap 32-bit mix of the row hash (never 0). */
function laneSeed(rowHash: number, lane: number): number {
  let h = (rowHash + Math.imul(lane + 1, 0x9e3779b9)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 1;
}

/** Per-frame constants, rounded to f32 as the SIMD kernel sees them. */
export interface ExposeParams {
  read2: number;
  full: number;
  k: number;
  /** Black level + 0.5 (round to nearest before truncation). */
  off: number;
  adcMax: number;
  shift: number;
  mulShift: number;
}

/**
 * Expose rows: expected electrons = Σ weight × basis; shot noise (Gaussian approximation of Poisson,
 * variance = mean) and read noise in electrons; full-well clip; gain and black level; 12-bit ADC.
 * Arithmetic is f32; the SIMD kernel and the JS reference give identical codes.
 */
export function synthesizeRows(job: SynthesisJob): void {
  const { width, basis, weights, out } = job;
  const nb = basis.length;
  const fr = Math.fround;
  const p = exposeParams(job);
  // Bases in the arena are read in place; otherwise rows are copied into the thread's scratch slot.
  const arena = job.arena && basis.every((b) => b.buffer.byteLength === job.arena?.memory.buffer.byteLength) ? job.arena : undefined;
  const wasm = job.kernel === 'js' ? null : loadSensorWasm(arena);
  const slot = SLOTS_AT + SLOT_BYTES * ((job.slot ?? 0) % SLOT_COUNT);
  const buf = wasm?.memory.buffer as ArrayBuffer;
  const scratch = wasm ? new Float32Array(buf, slot, SEGMENT_PX) : new Float32Array(SEGMENT_PX);
  const codes = wasm ? new Uint16Array(buf, slot + SEGMENT_PX * 4, SEGMENT_PX) : null;
  const inPlace = wasm !== null && arena !== undefined && nb === 1;
  const seeds = new Int32Array(4);
  for (let y = job.rowStart; y < job.rowEnd; y++) {
    const row = y * width;
    for (let x0 = 0, seg = 0; x0 < width; x0 += SEGMENT_PX, seg++) {
      const n = Math.min(SEGMENT_PX, width - x0);
      const at = row + x0;
      // One lit LED (the usual capture) is scaled inside the kernel; several are summed here first.
      let src: Float32Array = scratch;
      let srcAt = 0;
      let w = 1;
      if (nb === 1) {
        w = weights[0];
        if (wasm && !inPlace) scratch.set(basis[0].subarray(at, at + n));
        else [src, srcAt] = [basis[0], at];
      } else {
        scratch.fill(0, 0, n);
        for (let j = 0; j < nb; j++) accumulate(scratch, basis[j], weights[j], at, n);
        if (nb === 0) w = 0;
      }
      const noise = job.noise ? 1 : 0;
      if (noise) {
        const h = hashSeed(job.seed, y, seg);
        for (let l = 0; l < 4; l++) seeds[l] = laneSeed(h, l);
      }
      if (wasm && codes) {
        const srcByte = inPlace ? src.byteOffset + srcAt * 4 : slot;
        wasm.expose(n, srcByte, codes.byteOffset, w, p.read2, p.full, p.k, p.off, p.adcMax, noise, p.shift, p.mulShift, seeds[0], seeds[1], seeds[2], seeds[3]);
        out.set(n === SEGMENT_PX ? codes : codes.subarray(0, n), at);
      } else {
        exposeSegment(src, srcAt, n, fr(w), noise === 1 ? seeds : null, out, at, p);
      }
    }
  }
}

function accumulate(acc: Float32Array, b: Float32Array, w: number, at: number, n: number): void {
  for (let x = 0; x < n; x++) acc[x] += b[at + x] * w;
}

/**
 * The JS reference of wasm/sensor.wat: signal src[srcAt + x] × w, noise from 4 interleaved xorshift32
 * streams (pixel x uses lane x mod 4; seeds null = no noise), full-well clip, counts, ADC clip, packing.
 * Every operation is rounded to f32 as the SIMD kernel does it.
 */
function exposeSegment(src: Float32Array, srcAt: number, n: number, w: number, seeds: Int32Array | null, out: Uint16Array, outAt: number, p: ExposeParams): void {
  const fr = Math.fround;
  const { read2, full, k, off, adcMax, shift, mulShift } = p;
  const lanes = seeds ? Int32Array.from(seeds) : null;
  for (let x = 0; x < n; x++) {
    let e = fr(src[srcAt + x] * w);
    if (lanes) {
      let s = lanes[x & 3];
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      lanes[x & 3] = s;
      e = fr(e + fr(fr(Math.sqrt(fr(e + read2))) * gaussTable[(s >>> 8) & TABLE_MASK]));
    }
    if (e > full) e = full;
    let v = fr(fr(e * k) + off);
    if (v < 0) v = 0;
    else if (v > adcMax) v = adcMax;
    out[outAt + x] = ((v | 0) >> shift) << mulShift;
  }
}
