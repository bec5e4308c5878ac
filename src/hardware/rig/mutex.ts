/** One-at-a-time lock: `const release = await mutex.acquire(); try { … } finally { release(); }`. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  private held = 0;

  /** Wait for the lock; resolves with the function that releases it. */
  acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => {
      release = () => {
        this.held--;
        resolve();
      };
    });
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => next);
    this.held++;
    return ready;
  }

  /** True while someone holds or waits for the lock. */
  get busy(): boolean {
    return this.held > 0;
  }
}
