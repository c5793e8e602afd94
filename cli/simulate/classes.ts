import { permutation, XorShift128, Zipf } from '../../bench/index.js';
import type { Trace } from './trace.js';

/**
 * Synthetic trace classes, generated from a seed so anyone can reproduce a policy table: the kinds of
 * reference pattern on which replacement policies are known to part ways. Every size is relative to `pool`,
 * the frame count the trace is meant for: a trace made for 1,000 frames keeps its shape at 10,000.
 */
export const TRACE_CLASSES = {
  /** Zipf 0.9 over ten times the pool: skewed popularity, the common case of caches. */
  zipf: (g: Generator) => {
    const hot = g.zipfOver(g.pool * 10, 0.9);
    for (let i = 0; i < g.length; i++) g.push(hot());
  },
  /** A loop over 1.1 × the pool, again and again: LRU and FIFO miss on every reference, MIN keeps most. */
  loop: (g: Generator) => {
    const span = Math.max(2, Math.ceil((g.pool * 11) / 10));
    for (let i = 0; i < g.length; i++) g.push(i % span);
  },
  /** Zipf 0.9 over twice the pool, moving to a disjoint set of pages four times: stale favourites must go. */
  phase: (g: Generator) => {
    const span = g.pool * 2;
    const hot = g.zipfOver(span, 0.9);
    for (let i = 0; i < g.length; i++) g.push(Math.floor((i * 4) / g.length) * span + hot());
  },
  /** Half the references to a zipf 0.9 hot set of twice the pool, half to pages seen once and never again. */
  'one-hit': (g: Generator) => {
    const hot = g.zipfOver(g.pool * 2, 0.9);
    let fresh = g.pool * 2;
    for (let i = 0; i < g.length; i++) g.push(g.rng.float() < 0.5 ? hot() : fresh++);
  },
  /** Zipf 0.9 over four times the pool, broken every 5 pools' worth of references by a scan of 2 pools of cold pages. */
  'scan-zipf': (g: Generator) => {
    const hot = g.zipfOver(g.pool * 4, 0.9);
    let cold = g.pool * 4;
    for (let i = 0; i < g.length;) {
      for (let k = 0; k < g.pool * 5 && i < g.length; k++, i++) g.push(hot());
      for (let k = 0; k < g.pool * 2 && i < g.length; k++, i++) g.push(cold++);
    }
  },
  /** Uniform over twice the pool (the independent reference model without skew): no online policy beats about half hits. */
  uniform: (g: Generator) => {
    const span = g.pool * 2;
    for (let i = 0; i < g.length; i++) g.push(g.rng.below(span));
  },
  /**
   * Pure demand paging of a program streaming through an array three times the pool, again and again, each
   * page of it referenced 1 to 4 times in a row, every other reference to its working set (code, stack,
   * tables: half the pool, uniform). Nothing of the array is reused before it is evicted; the working set
   * is lost by a policy that lets the stream push it out.
   */
  sequential: (g: Generator) => {
    const span = g.pool * 3;
    const hot = Math.max(1, Math.floor(g.pool / 2));
    let page = -1;
    let left = 0;
    for (let i = 0; i < g.length; i++) {
      if (i % 2 === 1) {
        g.push(span + g.rng.below(hot));
        continue;
      }
      if (left === 0) {
        page = (page + 1) % span;
        left = 1 + g.rng.below(4);
      }
      left--;
      g.push(page);
    }
  },
  /**
   * The LRU stack model (Mattson et al. 1970; Spirn 1977), temporal locality with no lasting popularity:
   * each reference re-uses the page at a stack depth drawn by zipf 1 over four times the pool (so three
   * quarters or more fall within the pool), and one in ten is a page never seen before. The stack starts
   * full of pages not yet referenced. LRU is the best online policy on it (Spirn 1977: for depth
   * probabilities that fall with depth, evicting the deepest page is optimal), so it is the trace on which
   * "never worse than LRU" cannot hold for any other policy.
   */
  recency: (g: Generator) => {
    const depth = new Zipf(g.pool * 4, 1, g.rng);
    const stack = new Int32Array(g.pool * 4);
    for (let d = 0; d < stack.length; d++) stack[d] = d;
    let fresh = stack.length;
    for (let i = 0; i < g.length; i++) {
      // Draw the depth first, so that the stream of random numbers does not depend on the outcome.
      const d = depth.next();
      const page = g.rng.float() < 0.1 ? fresh++ : stack[d]!;
      // Move to the top: the pages above it shift down one; a new page pushes the bottom one out.
      stack.copyWithin(1, 0, page === stack[d] ? d : stack.length - 1);
      stack[0] = page;
      g.push(page);
    }
  },
} as const satisfies Record<string, (g: Generator) => void>;

export type TraceClass = keyof typeof TRACE_CLASSES;

export function isTraceClass(name: string): name is TraceClass {
  return Object.hasOwn(TRACE_CLASSES, name);
}

/** What a class's recipe writes to. */
class Generator {
  readonly refs: number[] = [];
  readonly rng: XorShift128;
  constructor(
    readonly pool: number,
    readonly length: number,
    seed: number,
  ) {
    this.rng = new XorShift128(seed);
  }
  push(page: number): void {
    this.refs.push(page);
  }
  /** A draw of pages 0 .. n-1 by zipf(s), the popular ones scattered over the range. */
  zipfOver(n: number, s: number): () => number {
    const perm = permutation(n, this.rng);
    const zipf = new Zipf(n, s, this.rng);
    return () => perm[zipf.next()]!;
  }
}

/** The trace of `name` for a pool of `pool` frames: `length` references, the same for the same seed. */
export function generateTrace(name: TraceClass, pool: number, length: number, seed: number): Trace {
  const g = new Generator(pool, length, seed);
  TRACE_CLASSES[name](g);
  // Dense ids in order of first reference, as parseTrace gives them.
  const ids = new Map<number, number>();
  const labels: string[] = [];
  const refs = new Int32Array(g.refs.length);
  for (let i = 0; i < refs.length; i++) {
    const page = g.refs[i]!;
    let id = ids.get(page);
    if (id === undefined) {
      id = labels.length;
      ids.set(page, id);
      labels.push(String(page));
    }
    refs[i] = id;
  }
  return { refs, labels, distinct: labels.length };
}
