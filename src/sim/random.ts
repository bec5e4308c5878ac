/**
 * Seeded pseudo-random numbers (mulberry32 over a splitmix-hashed seed): the same seed gives the same scene
 * on every machine, so ground truth is reproducible from (scene, seed) alone.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = hashSeed(seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in [min, max). */
  range(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return Math.floor(this.range(min, max + 1));
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Random sign, -1 or +1. */
  sign(): number {
    return this.next() < 0.5 ? -1 : 1;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }
}

/** Mix an integer seed (and optional salts) into a well-spread 32-bit state. */
export function hashSeed(seed: number, ...salts: number[]): number {
  let h = (seed | 0) ^ 0x9e3779b9;
  for (const s of [...salts, 0x85ebca6b]) {
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) ^ (s | 0);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}
