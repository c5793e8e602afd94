// The kit through a test framework: definePagerConformance registers a describe per page size and level and an
// it per check, with vitest's functions or node:test's (anything of the same shape).
import { checksOf } from './checks.js';
import { checkTarget, refuseUnknownKeys, type PagerConformanceTarget } from './target.js';

/** The test-framework functions the kit registers with: vitest's, or any with the same shape (node:test's too). */
export interface TestFunctions {
  describe: (name: string, body: () => void) => unknown;
  it: (name: string, body: () => Promise<void>, timeout?: number) => unknown;
  /** Given with `cleanup`, it runs the target's cleanup after the checks. */
  afterAll?: (body: () => void | Promise<void>) => unknown;
}

export interface PagerConformanceOptions extends PagerConformanceTarget, TestFunctions {}

/**
 * Registers the kit's tests for a pager: a `describe` per page size and level, an `it` per check, each with
 * the check's own timeout as `it`'s third argument (level 2 takes seconds; vitest's default of 5 s is too
 * short for a pager that does real I/O). Checks that do not apply to the declared capabilities are not
 * registered at all (a test that cannot fail is no test); `runPagerConformance` lists them as skipped.
 */
export function definePagerConformance(options: PagerConformanceOptions): void {
  if (!options || typeof options !== 'object')
    throw new TypeError('definePagerConformance needs an options object: definePagerConformance({ describe, it, pager: MyPager })');
  const { describe, it, afterAll, ...target } = options;
  if (typeof describe !== 'function' || typeof it !== 'function') {
    throw new TypeError(
      "definePagerConformance needs describe and it: definePagerConformance({ describe, it, pager: MyPager }) with vitest's (or node:test's)",
    );
  }
  refuseUnknownKeys('definePagerConformance', target);
  const d = checkTarget(target);
  if (d.cleanup && typeof afterAll !== 'function') throw new TypeError('definePagerConformance: cleanup needs afterAll as well');
  const checks = checksOf(d);
  describe(`${d.name}: pager conformance`, () => {
    for (const ps of d.pageSizes) {
      describe(`${ps}-byte pages`, () => {
        for (const level of [1, 2] as const) {
          const here = checks.filter((c) => c.level === level && c.pageSize === ps && c.skip === undefined);
          if (here.length === 0) continue;
          describe(level === 1 ? 'level 1: the pager alone' : 'level 2: inside spinvm, against a reference model', () => {
            for (const check of here) it(check.title, check.run, check.timeout);
          });
        }
      });
    }
    if (d.cleanup) afterAll!(d.cleanup);
  });
}
