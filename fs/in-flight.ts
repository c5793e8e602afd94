/** Counts a handle's calls in flight, so that `close()` can wait for them to end before it closes. */
export class InFlight {
  private count = 0;
  private drained: (() => void) | undefined;

  /** Runs `run`, counted as in flight until it settles. */
  async track<T>(run: () => Promise<T>): Promise<T> {
    this.count++;
    try {
      return await run();
    } finally {
      if (--this.count === 0 && this.drained) {
        this.drained();
        this.drained = undefined;
      }
    }
  }

  /** Resolves when no call is in flight. */
  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.drained = resolve));
  }
}
