/**
 * A camera's frame buffers, the GenICam/Aravis way: a fixed number of payload-sized buffers belongs to the
 * stream; each exposure takes a free one, the application gives it back when done with the frame, and
 * when none is free the frame is lost (an underrun). Buffers are allocated lazily, one at a time up to the
 * limit, so a camera that only ever holds a few frames never pays for the rest: a fresh 24 MB buffer per
 * 12 MP frame costs ~6000 page faults and the zeroing, a recycled one neither.
 */

/** A buffer on loan from the pool; hand it back with FrameBufferPool.give(). */
export interface FrameBufferLease {
  readonly data: Uint16Array;
  /** The pool generation it came from (buffers of an older generation are dropped when given back). */
  readonly generation: number;
}

export class FrameBufferPool {
  private limit: number;
  private samples = 0;
  private allocatedCount = 0;
  private generation = 0;
  private readonly free: Uint16Array[] = [];

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Most buffers the pool will allocate. */
  get bufferCount(): number {
    return this.limit;
  }

  /** Buffers allocated in the current generation (free or on loan). */
  get allocated(): number {
    return this.allocatedCount;
  }

  /** Allocated buffers waiting to be lent. */
  get freeCount(): number {
    return this.free.length;
  }

  /** Change the limit; free buffers above it are dropped now, lent ones when they come back. */
  setBufferCount(limit: number): void {
    this.limit = limit;
    while (this.allocatedCount > limit && this.free.length > 0) {
      this.free.pop();
      this.allocatedCount--;
    }
  }

  /**
   * Lend a buffer of `samples` 16-bit samples (SharedArrayBuffer-backed, so render workers can fill it), or
   * null when all `bufferCount` buffers are on loan. A new payload size starts a new generation.
   */
  take(samples: number): FrameBufferLease | null {
    if (samples !== this.samples) {
      this.clear();
      this.samples = samples;
    }
    const reused = this.free.pop();
    if (reused) return { data: reused, generation: this.generation };
    if (this.allocatedCount >= this.limit) return null;
    this.allocatedCount++;
    return { data: new Uint16Array(new SharedArrayBuffer(samples * 2)), generation: this.generation };
  }

  /** Take a lent buffer back (its contents will be overwritten by a later exposure). */
  give(lease: FrameBufferLease): void {
    if (lease.generation !== this.generation) return;
    if (this.allocatedCount > this.limit) {
      this.allocatedCount--;
      return;
    }
    this.free.push(lease.data);
  }

  /** Drop every free buffer and forget lent ones (they are dropped, not reused, when given back). */
  clear(): void {
    this.free.length = 0;
    this.allocatedCount = 0;
    this.generation++;
  }
}
