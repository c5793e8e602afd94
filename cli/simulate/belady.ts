import type { SimulationResult } from './simulate.js';
import type { Trace } from './trace.js';

/**
 * Belady's MIN (OPT): on a fault with every frame full, evict the resident page whose next reference is
 * furthest in the future (or never comes). It gives the fewest faults any demand-paging policy can achieve.
 *
 * O(n log n): one backward pass finds each reference's next use, then a max-heap of (next use, page) holds
 * one entry per reference; entries made stale by a later reference or by eviction are dropped lazily when
 * they surface (an entry is live when its page is resident and its next use is the page's current one).
 */
export function belady(trace: Trace, frames: number): SimulationResult {
  if (!Number.isInteger(frames) || frames < 1) throw new RangeError(`frames must be a positive integer, not ${frames}`);
  const refs = trace.refs;
  const n = refs.length;
  const never = n;
  const nextUse = new Int32Array(n);
  const seen = new Int32Array(trace.distinct).fill(never);
  for (let i = n - 1; i >= 0; i--) {
    const page = refs[i]!;
    nextUse[i] = seen[page]!;
    seen[page] = i;
  }

  const resident = new Uint8Array(trace.distinct);
  const residentNext = new Int32Array(trace.distinct);
  const heapKey = new Int32Array(n);
  const heapPage = new Int32Array(n);
  let heapSize = 0;

  const push = (key: number, page: number): void => {
    let i = heapSize++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heapKey[parent]! >= key) break;
      heapKey[i] = heapKey[parent]!;
      heapPage[i] = heapPage[parent]!;
      i = parent;
    }
    heapKey[i] = key;
    heapPage[i] = page;
  };
  const popPage = (): number => {
    const top = heapPage[0]!;
    const key = heapKey[--heapSize]!;
    const page = heapPage[heapSize]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= heapSize) break;
      if (child + 1 < heapSize && heapKey[child + 1]! > heapKey[child]!) child++;
      if (heapKey[child]! <= key) break;
      heapKey[i] = heapKey[child]!;
      heapPage[i] = heapPage[child]!;
      i = child;
    }
    heapKey[i] = key;
    heapPage[i] = page;
    return top;
  };

  let used = 0;
  let faults = 0;
  for (let i = 0; i < n; i++) {
    const page = refs[i]!;
    if (resident[page] === 0) {
      faults++;
      if (used < frames) {
        used++;
      } else {
        for (;;) {
          const key = heapKey[0]!;
          const candidate = popPage();
          if (resident[candidate] === 1 && residentNext[candidate] === key) {
            resident[candidate] = 0;
            break;
          }
        }
      }
      resident[page] = 1;
    }
    residentNext[page] = nextUse[i]!;
    push(nextUse[i]!, page);
  }
  return { policy: 'min', frames, references: n, faults, missRatio: n === 0 ? 0 : faults / n };
}
