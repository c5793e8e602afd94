import { InvalidArgumentError } from '../errors.js';
import { isPromise } from '../util/maybe-promise.js';
import type { MemoryObjectRep } from './memory-object-rep.js';
import { fault } from './page-in.js';

/**
 * Lasting pins: the user's `pin()` and an address space's `lock` (mlock), each counted per page in a
 * holder of its own so that neither can take the other's away. A pinned page is never reclaimed; the
 * pins die with the object (life-cycle.ts).
 */

/** Faults `page` in and pins it, counting the pin in `holder` (the user's pins or the address spaces' locks). */
export async function pinIn(rep: MemoryObjectRep, holder: Map<number, number>, page: number): Promise<void> {
  const answer = fault(rep, page, 'read', true);
  const frame = isPromise(answer) ? await answer : answer;
  rep.frames.handOverPin(); // the fault's transient pin becomes this lasting one
  if (rep.destroyed) {
    rep.frames.unpin(frame, false);
    throw rep.destroyedError();
  }
  holder.set(page, (holder.get(page) ?? 0) + 1);
}

/** Ends one pin of `page` counted in `holder`; `what` names the pins for the error when there is none. */
export function unpinIn(rep: MemoryObjectRep, holder: Map<number, number>, page: number, what: string): void {
  const pins = holder.get(page);
  if (!pins) throw new InvalidArgumentError('page', page, what);
  if (pins === 1) holder.delete(page);
  else holder.set(page, pins - 1);
  rep.frames.unpin(rep.cache.lookup(page), false);
}
