import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { belady } from '../../cli/simulate/belady.js';
import { simulate } from '../../cli/simulate/simulate.js';
import { traceOf, type Trace } from '../../cli/simulate/trace.js';
import { BUILTIN_POLICIES } from '../../vmcore/page-queue/policies.js';
import { GhostQueue } from '../../vmcore/page-queue/s3fifo-policy.js';
import { POLICY_NAMES } from './helpers.js';

type Op =
  | { kind: 'insert'; pick: number; key: number }
  | { kind: 'access'; pick: number }
  | { kind: 'remove'; pick: number }
  | { kind: 'victim'; mask: number; take: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('insert' as const), pick: fc.nat(), key: fc.integer({ min: 0, max: 24 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('access' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('victim' as const), mask: fc.nat(), take: fc.boolean() }) },
);

const refsArb = fc.array(fc.integer({ min: 0, max: 14 }), { maxLength: 160 });

describe.each(POLICY_NAMES)('%s under random use', (name) => {
  it('answers only queued eligible frames, finds one whenever one exists, and stays consistent', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(opArb, { maxLength: 150 }), (frames, ops) => {
        const p = BUILTIN_POLICIES[name]!();
        p.attach(frames);
        const queued = new Set<number>();
        const pickQueued = (pick: number) => [...queued][pick % queued.size]!;
        // The eligible callback checks it is asked only about queued frames and counts calls (termination).
        const victim = (ok: (f: number) => boolean): number => {
          let calls = 0;
          const v = p.victim((f) => {
            calls++;
            expect(queued.has(f), `eligible(${f}) asked about a frame not queued`).toBe(true);
            expect(calls).toBeLessThanOrEqual(8 * frames + 8);
            return ok(f);
          });
          const candidates = [...queued].filter(ok);
          if (candidates.length === 0) expect(v).toBe(-1);
          else {
            expect(queued.has(v), `victim ${v} is not queued`).toBe(true);
            expect(ok(v), `victim ${v} is not eligible`).toBe(true);
          }
          return v;
        };

        for (const op of ops) {
          switch (op.kind) {
            case 'insert': {
              if (queued.size === frames) break;
              let f = op.pick % frames;
              while (queued.has(f)) f = (f + 1) % frames;
              p.insert(f, op.key);
              queued.add(f);
              break;
            }
            case 'access':
              if (queued.size > 0) p.access(pickQueued(op.pick));
              break;
            case 'remove':
              if (queued.size > 0) {
                const f = pickQueued(op.pick);
                p.remove(f);
                queued.delete(f);
              }
              break;
            case 'victim': {
              const v = victim((f) => ((op.mask >>> f) & 1) === 1);
              if (op.take && v >= 0) {
                p.remove(v);
                queued.delete(v);
              }
              break;
            }
          }
        }

        // Consistency: every queued frame is reachable on its own, no other frame is, and draining the
        // queue yields each queued frame exactly once.
        for (let f = 0; f < frames; f++) expect(victim((g) => g === f)).toBe(queued.has(f) ? f : -1);
        const drained = new Set<number>();
        for (let v = victim(() => true); v >= 0; v = victim(() => true)) {
          expect(drained.has(v)).toBe(false);
          drained.add(v);
          p.remove(v);
          queued.delete(v);
        }
        expect(queued.size).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('never beats Belady MIN', () => {
    fc.assert(
      fc.property(refsArb, fc.integer({ min: 1, max: 10 }), (refs, frames) => {
        const t = traceOf(refs);
        expect(simulate(t, BUILTIN_POLICIES[name]!, frames).faults).toBeGreaterThanOrEqual(belady(t, frames).faults);
      }),
      { numRuns: 300 },
    );
  });
});

/** The optimum by exhaustive search over every choice of victim (tiny traces only). */
function bruteForceOptimum(t: Trace, frames: number): number {
  const memo = new Map<string, number>();
  const go = (i: number, resident: number[]): number => {
    if (i === t.refs.length) return 0;
    const key = `${i}|${resident.join(',')}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const page = t.refs[i]!;
    let best: number;
    if (resident.includes(page)) best = go(i + 1, resident);
    else if (resident.length < frames)
      best =
        1 +
        go(
          i + 1,
          [...resident, page].sort((a, b) => a - b),
        );
    else {
      best = Infinity;
      for (const out of resident) {
        best = Math.min(
          best,
          1 +
            go(
              i + 1,
              resident
                .filter((r) => r !== out)
                .concat(page)
                .sort((a, b) => a - b),
            ),
        );
      }
    }
    memo.set(key, best);
    return best;
  };
  return go(0, []);
}

describe('Belady MIN', () => {
  it('matches an exhaustive search for the optimum on small traces', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 14 }), fc.integer({ min: 1, max: 4 }), (refs, frames) => {
        const t = traceOf(refs);
        expect(belady(t, frames).faults).toBe(bruteForceOptimum(t, frames));
      }),
      { numRuns: 300 },
    );
  });

  it('never faults more with more frames, and LRU (a stack algorithm) neither', () => {
    fc.assert(
      fc.property(refsArb, fc.integer({ min: 1, max: 10 }), (refs, frames) => {
        const t = traceOf(refs);
        expect(belady(t, frames + 1).faults).toBeLessThanOrEqual(belady(t, frames).faults);
        expect(simulate(t, BUILTIN_POLICIES.lru!, frames + 1).faults).toBeLessThanOrEqual(simulate(t, BUILTIN_POLICIES.lru!, frames).faults);
      }),
      { numRuns: 200 },
    );
  });

  it('is fast on a long trace (O(n log n))', () => {
    const refs = new Int32Array(300_000);
    let x = 12345;
    for (let i = 0; i < refs.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      refs[i] = (x >>> 8) % 5000;
    }
    const t: Trace = { refs, labels: Array.from({ length: 5000 }, (_, i) => String(i)), distinct: 5000 };
    const start = performance.now();
    const r = belady(t, 1000);
    expect(performance.now() - start).toBeLessThan(3000);
    expect(r.faults).toBeLessThan(simulate(t, BUILTIN_POLICIES.lru!, 1000).faults);
  });
});

describe('CLOCK against second chance', () => {
  it('chooses the same victims when frames are filled in slot order and refilled in place', () => {
    fc.assert(
      fc.property(refsArb, fc.integer({ min: 1, max: 10 }), (refs, frames) => {
        const t = traceOf(refs);
        expect(simulate(t, BUILTIN_POLICIES.clock!, frames).faults).toBe(simulate(t, BUILTIN_POLICIES['second-chance']!, frames).faults);
      }),
      { numRuns: 200 },
    );
  });
});

describe('S3-FIFO ghost queue', () => {
  it('behaves like a bounded FIFO of keys with removal from the middle', () => {
    const cmd = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), key: fc.integer({ min: -40, max: 40 }) }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: -40, max: 40 }) }),
      fc.record({ kind: fc.constant('add' as const), key: fc.double({ noNaN: true }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 16 }), fc.array(cmd, { maxLength: 300 }), (capacity, cmds) => {
        const g = new GhostQueue(capacity);
        let model: number[] = [];
        for (const c of cmds) {
          const key = Object.is(c.key, -0) ? 0 : c.key;
          if (c.kind === 'add') {
            if (capacity === 0) continue;
            model = model.filter((k) => k !== key);
            model.push(key);
            if (model.length > capacity) model.shift();
            g.add(key);
          } else {
            expect(g.delete(key)).toBe(model.includes(key));
            model = model.filter((k) => k !== key);
          }
          expect(g.toArray()).toEqual(model);
          expect(g.size).toBe(model.length);
        }
        for (let k = -40; k <= 40; k++) expect(g.has(k)).toBe(model.includes(k));
      }),
      { numRuns: 300 },
    );
  });

  it('handles keys beyond 32 bits', () => {
    const g = new GhostQueue(4);
    const big = [2 ** 40, 2 ** 40 + 1, 2 ** 52 + 3, Number.MAX_SAFE_INTEGER];
    for (const k of big) g.add(k);
    for (const k of big) expect(g.has(k)).toBe(true);
    expect(g.has(2 ** 40 + 2)).toBe(false);
    g.add(7);
    expect(g.has(big[0]!)).toBe(false);
  });
});
