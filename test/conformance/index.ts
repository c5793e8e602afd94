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
import { ConformanceFailure, withTimeout } from './harness.js';
import { levelOneChecks, type ConformanceCheck } from './level1.js';
import { levelTwoChecks } from './level2.js';
import { atPageSize, checkTarget, checkTimeout, unknownKeys, type CheckedDeclaration, type PagerConformanceTarget } from './target.js';

export { ConformanceFailure, patternPage, stampPage } from './harness.js';
export type { ConformanceCheck } from './level1.js';
export { manyPages } from './level1.js';
export { runModel, describeOp, type ModelConfig, type ModelOp } from './level2.js';
export { isBasePagerClass, isPagerClass, isPagerInstance, PAGER_BRAND_KEY, type PagerClass } from './recognise.js';
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

/** Relative cost of the level-2 checks, for their default timeouts. */
const WEIGHT: Record<string, number> = { 'model-sequential': 1, 'model-concurrent': 0.6, 'model-persistent': 1 };

function checksOf(d: CheckedDeclaration): ConformanceCheck[] {
  const out: ConformanceCheck[] = [];
  d.pageSizes.forEach((ps, i) => {
    const t = atPageSize(d, ps);
    for (const check of [...levelOneChecks(t), ...levelTwoChecks(t)]) {
      // A check that does not apply is listed once, not once per page size.
      if (check.skip !== undefined && i > 0) continue;
      out.push({ ...check, timeout: checkTimeout(d, check.level, WEIGHT[check.id] ?? 1) });
    }
  });
  return out;
}

/**
 * The checks for a target, for each page size level 1 then level 2, each with its timeout, and with the
 * reason it is skipped if it does not apply (listed once, at the first page size).
 */
export function pagerChecks(target: PagerConformanceTarget): ConformanceCheck[] {
  return checksOf(checkTarget(target));
}

/** The test-framework functions the kit registers with: vitest's, or any with the same shape (node:test's too). */
export interface TestFunctions {
  describe: (name: string, body: () => void) => unknown;
  it: (name: string, body: () => Promise<void>, timeout?: number) => unknown;
  /** Given with `cleanup`, it runs the target's cleanup after the checks. */
  afterAll?: (body: () => void | Promise<void>) => unknown;
}

export interface PagerConformanceOptions extends PagerConformanceTarget, TestFunctions {}

function refuseUnknown(what: string, target: object, allowed: readonly string[] = []): void {
  const unknown = unknownKeys(target).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) {
    throw new TypeError(
      `${what}: unknown option${unknown.length === 1 ? '' : 's'} ${unknown.map((k) => `'${k}'`).join(', ')} (known: pager, name, makePager, capabilities, pageSizes, pageSize, initialPage, reopen, seed, runs, timeout, callTimeout, cleanup)`,
    );
  }
}

/**
 * Registers the kit's tests for a pager: a `describe` per page size and level, an `it` per check, each with
 * the check's own timeout as `it`'s third argument (level 2 takes seconds; vitest's default of 5 s is too
 * short for a pager that does real I/O). Checks that do not apply to the declared capabilities are not
 * registered at all (a test that cannot fail is no test); `runPagerConformance` lists them as skipped.
 */
export function definePagerConformance(options: PagerConformanceOptions): void {
  if (!options || typeof options !== 'object') throw new TypeError('definePagerConformance needs an options object: definePagerConformance({ describe, it, pager: MyPager })');
  const { describe, it, afterAll, ...target } = options;
  if (typeof describe !== 'function' || typeof it !== 'function') {
    throw new TypeError("definePagerConformance needs describe and it: definePagerConformance({ describe, it, pager: MyPager }) with vitest's (or node:test's)");
  }
  refuseUnknown('definePagerConformance', target);
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

export type CheckStatus = 'passed' | 'failed' | 'skipped';

export interface CheckResult {
  id: string;
  level: 1 | 2;
  /** The page size it ran at (a skipped check applies to none). */
  pageSize: number | undefined;
  title: string;
  status: CheckStatus;
  /** Why it failed (a ConformanceFailure, or what the pager threw). */
  error?: Error;
  /** Why it was skipped. */
  reason?: string;
  ms: number;
}

export interface ConformanceReport {
  name: string;
  results: CheckResult[];
  passed: number;
  failed: number;
  skipped: number;
}

export interface RunOptions {
  /** Called before each check runs. */
  onStart?: (check: ConformanceCheck) => void;
  /** Called as each check ends (or is skipped). */
  onResult?: (result: CheckResult) => void;
  /** Run only these checks: ids ('round-trip'), ids at one page size ('round-trip@512'), or levels (1, 2). */
  only?: ReadonlyArray<string | 1 | 2>;
}

/**
 * Runs every check directly, one after the other, and answers what passed, failed and was skipped. A check
 * that runs longer than its timeout fails (its work is abandoned, not stopped).
 */
export async function runPagerConformance(target: PagerConformanceTarget, options: RunOptions = {}): Promise<ConformanceReport> {
  if (target && typeof target === 'object') refuseUnknown('runPagerConformance', target);
  const d = checkTarget(target);
  const selected = (c: ConformanceCheck): boolean =>
    !options.only || options.only.includes(c.id) || options.only.includes(`${c.id}@${c.pageSize}`) || options.only.includes(c.level);
  const checks = checksOf(d).filter(selected);
  const results: CheckResult[] = [];
  try {
    for (const check of checks) {
      const base = { id: check.id, level: check.level, title: check.title };
      let result: CheckResult;
      if (check.skip !== undefined) result = { ...base, pageSize: undefined, status: 'skipped', reason: check.skip, ms: 0 };
      else {
        options.onStart?.(check);
        const started = performance.now();
        try {
          await withTimeout(check.run(), check.timeout, `the check (${check.id} at ${check.pageSize}-byte pages; give a longer timeout if the pager is slow, not stuck)`);
          result = { ...base, pageSize: check.pageSize, status: 'passed', ms: performance.now() - started };
        } catch (err) {
          const error = err instanceof Error ? err : new ConformanceFailure(String(err));
          result = { ...base, pageSize: check.pageSize, status: 'failed', error, ms: performance.now() - started };
        }
      }
      results.push(result);
      options.onResult?.(result);
    }
  } finally {
    await d.cleanup?.();
  }
  const count = (s: CheckStatus): number => results.filter((r) => r.status === s).length;
  return { name: d.name, results, passed: count('passed'), failed: count('failed'), skipped: count('skipped') };
}

/** A report as a plain-text table, with each failure's message under it. */
export function formatReport(report: ConformanceReport): string {
  const rows = report.results.map((r) => [r.pageSize === undefined ? '-' : String(r.pageSize), String(r.level), r.id, r.status, r.status === 'skipped' ? '' : `${Math.round(r.ms)} ms`]);
  const header = ['page size', 'level', 'check', 'result', 'time'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  const total = report.results.reduce((sum, r) => sum + r.ms, 0);
  out.push('', `${report.name}: ${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped (${(total / 1000).toFixed(1)} s)`);
  const failures = report.results.filter((r) => r.status === 'failed');
  if (failures.length > 0) {
    out.push('');
    for (const f of failures) out.push(`✗ ${f.id} at ${f.pageSize}-byte pages: ${f.title}`, ...String(f.error?.message ?? f.error).split('\n').map((l) => `    ${l}`));
  }
  return out.join('\n');
}
