/**
 * What failed on the way through an unload (or through undoing a failed activate): collected rather than
 * thrown, so that every later step still runs and the extension ends up unloaded regardless.
 */
export class Problems {
  readonly errors: Error[] = [];

  /** Runs `step`; what it throws or rejects with is kept (through `describe`, when given) instead. */
  async attempt(step: () => unknown, describe: (err: unknown) => Error = asError): Promise<void> {
    try {
      await step();
    } catch (err) {
      this.errors.push(describe(err));
    }
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
