/** One benchmark figure: the median of several runs of one workload. */
export interface BenchResult {
  name: string;
  width?: number;
  height?: number;
  lights?: number;
  /** Median wall-clock milliseconds. */
  ms: number;
  /** Anything else worth printing (throughput, memory, the reference's time, …). */
  extra?: Record<string, number | string>;
}

/** A suite of benchmarks; `run` yields results as they are measured. */
export interface BenchSuite {
  name: string;
  /** `modelsDir`: where the grading bench looks for the surface model (default: the repository's models/). */
  run(options: { quick: boolean; modelsDir?: string }): AsyncIterable<BenchResult>;
}

/** Median of `runs` timed calls of `fn` after one warm-up call, in milliseconds. */
export async function medianMs(runs: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
