/**
 * One instance's extension operations (load, unload, the shutdown), run one at a time in call order.
 *
 * Invariants:
 * - At most one operation of a queue runs at a time; each starts when the one before it has settled,
 *   whether it resolved or rejected.
 * - A call made from inside the queue's running operation is refused with a 'reentrant' ExtensionError:
 *   queued, it would wait for itself forever (an activate that loads into its own instance, directly or
 *   through an operation of another instance). Work an operation leaves running after it settles (a timer
 *   set in activate) is not inside it, and may load and unload freely.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { ExtensionError } from '../errors.js';

/** The operations an async context is inside, innermost first, whatever queue they belong to. */
interface Running {
  readonly token: object;
  readonly outer: Running | undefined;
}

/**
 * One storage for the whole process, on purpose, rather than one per queue: an AsyncLocalStorage that has
 * run once stays enabled (and Node's promise hooks visit it on every promise made anywhere) until it is
 * disabled, so one per instance made every destroyed instance slow down every later await in the process
 * (test/regressions/reliability-extensions.test.ts counts them).
 */
const inside = new AsyncLocalStorage<Running>();

export class OperationQueue {
  private tail: Promise<unknown> = Promise.resolve();
  /** The token of the running operation, if one runs. */
  private running: object | undefined;

  /** Queues `op`; `label` names it in the error that refuses a call from inside the running one. */
  run<T>(label: string, op: () => Promise<T>): Promise<T> {
    if (this.isInsideRunning()) {
      return Promise.reject(
        new ExtensionError(label, 'reentrant', 'extensions cannot be loaded or unloaded from an activate, deactivate or unload hook of the same instance'),
      );
    }
    const token = {};
    const run = this.tail.then(() => {
      this.running = token;
      return inside.run({ token, outer: inside.getStore() }, op).finally(() => {
        this.running = undefined;
      });
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private isInsideRunning(): boolean {
    const token = this.running;
    if (token === undefined) return false;
    for (let frame = inside.getStore(); frame !== undefined; frame = frame.outer) if (frame.token === token) return true;
    return false;
  }
}
