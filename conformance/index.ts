/**
 * spinvm's pager conformance kit (`spinvm/conformance`): what a pager author runs to prove a pager right.
 *
 *   import { describe, it } from 'vitest';
 *   import { definePagerConformance } from 'spinvm/conformance';
 *   definePagerConformance({ describe, it, pager: MyPager }); // MyPager has static capabilities = { ... }
 *
 * Every check runs at several page sizes (512, 4096 and 16384 bytes unless told otherwise). Level 1 calls the
 * pager alone; level 2 runs it inside spinvm through a pool of a few frames against a reference model, with
 * seeded random operations (a failure prints the seed and the shortest failing sequence). Each check is a
 * plain async function: `pagerChecks` answers them and `runPagerConformance` runs them without any test
 * framework (the `spinvm conformance` command does).
 */
// What is where: target.ts (the declaration and its checks), recognise.ts (what counts as a pager), checks.ts
// (the checks of a declaration), level1.ts and level2.ts (the checks themselves), harness/ (what the checks are
// built from), model/ (the reference model level 2 runs against), register.ts (through a test framework),
// run.ts and report.ts (without one). The kit's own tests and its deliberately broken pagers are in
// test/conformance/.
export { pagerChecks, type ConformanceCheck } from './checks.js';
export { ConformanceFailure } from './harness/failure.js';
export { patternPage, stampPage } from './harness/patterns.js';
export { manyPages } from './level1.js';
export { describeOp, runModel, type ModelConfig, type ModelOp, type ModelRun, type ModelRunOptions } from './model/index.js';
export { isBasePagerClass, isPagerClass, isPagerInstance, PAGER_BRAND_KEY, type PagerClass } from './recognise.js';
export { definePagerConformance, type PagerConformanceOptions, type TestFunctions } from './register.js';
export { formatReport } from './report.js';
export { runPagerConformance, type CheckResult, type CheckStatus, type ConformanceReport, type RunOptions } from './run.js';
export {
  checkTarget,
  DEFAULT_PAGE_SIZES,
  DEFAULT_RUNS,
  DEFAULT_SEED,
  LEVEL_ONE_TIMEOUT,
  LEVEL_TWO_TIMEOUT,
  type MakePagerOptions,
  type PagerCapabilities,
  type PagerConformanceTarget,
} from './target.js';
/** @internal For `spinvm conformance`, which reads a target's options from a module's exports. */
export { TARGET_KEYS } from './target.js';
