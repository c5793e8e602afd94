/**
 * spinvm's pager conformance kit (`spinvm/conformance`): what a pager author runs to prove a pager right.
 *
 *   import { describe, it } from 'vitest';
 *   import { definePagerConformance } from 'spinvm/conformance';
 *   definePagerConformance({ describe, it, name: 'MyPager', makePager: () => new MyPager(),
 *     capabilities: { pageOut: true, persistent: false, readOnly: false, zeroFill: true } });
 *
 * Level 1 calls the pager alone, the way spinvm does; level 2 runs it inside spinvm through a pool of a few
 * frames against a reference model, with seeded random operations (a failure prints the seed and the
 * shortest failing sequence). Each check is a plain async function: `pagerChecks` answers them and
 * `runPagerConformance` runs them without any test framework (the `spinvm conformance` command does).
 */
import { ConformanceFailure } from './harness.js';
import { levelOneChecks, type ConformanceCheck } from './level1.js';
import { levelTwoChecks } from './level2.js';
import { checkTarget, type PagerConformanceTarget } from './target.js';

export { ConformanceFailure, patternPage } from './harness.js';
export type { ConformanceCheck } from './level1.js';
export { runModel, describeOp, type ModelConfig, type ModelOp } from './level2.js';
export { DEFAULT_SEED, type PagerCapabilities, type PagerConformanceTarget } from './target.js';

/** The checks for a target, level 1 then level 2, each with the reason it is skipped if it does not apply. */
export function pagerChecks(target: PagerConformanceTarget): ConformanceCheck[] {
  const t = checkTarget(target);
  return [...levelOneChecks(t), ...levelTwoChecks(t)];
}

/** The test-framework functions the kit registers with: vitest's, or any with the same shape (node:test's too). */
export interface TestFunctions {
  describe: (name: string, body: () => void) => unknown;
  it: (name: string, body: () => Promise<void>, timeout?: number) => unknown;
  /** Given with `cleanup`, it runs the target's cleanup after the checks. */
  afterAll?: (body: () => void | Promise<void>) => unknown;
}

export interface PagerConformanceOptions extends PagerConformanceTarget, TestFunctions {
  /** Milliseconds per test, passed as `it`'s third argument when given (level 2 takes a few seconds). */
  timeout?: number;
}

/**
 * Registers the kit's tests for a pager: a `describe` per level with an `it` per check. Checks that do not
 * apply to the declared capabilities are not registered at all (a test that cannot fail is no test);
 * `runPagerConformance` lists them as not applicable, with the reason.
 */
export function definePagerConformance(options: PagerConformanceOptions): void {
  const { describe, it, afterAll, timeout, ...target } = options;
  if (typeof describe !== 'function' || typeof it !== 'function') {
    throw new TypeError('definePagerConformance needs describe and it: definePagerConformance({ describe, it, ... }) with vitest\'s (or node:test\'s)');
  }
  const checks = pagerChecks(target);
  if (target.cleanup && typeof afterAll !== 'function') throw new TypeError('definePagerConformance: cleanup needs afterAll as well');
  describe(`${target.name}: pager conformance`, () => {
    for (const level of [1, 2] as const) {
      describe(level === 1 ? 'level 1: the pager alone' : 'level 2: inside spinvm, against a reference model', () => {
        for (const check of checks.filter((c) => c.level === level)) {
          if (check.skip !== undefined) continue;
          if (timeout === undefined) it(check.title, check.run);
          else it(check.title, check.run, timeout);
        }
      });
    }
    if (target.cleanup) afterAll!(target.cleanup);
  });
}

export type CheckStatus = 'passed' | 'failed' | 'skipped';

export interface CheckResult {
  id: string;
  level: 1 | 2;
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
  /** Run only these check ids (or levels). */
  only?: ReadonlyArray<string | 1 | 2>;
}

/** Runs every check directly, one after the other, and answers what passed, failed and was skipped. */
export async function runPagerConformance(target: PagerConformanceTarget, options: RunOptions = {}): Promise<ConformanceReport> {
  const checks = pagerChecks(target).filter((c) => !options.only || options.only.includes(c.id) || options.only.includes(c.level));
  const results: CheckResult[] = [];
  try {
    for (const check of checks) {
      const base = { id: check.id, level: check.level, title: check.title };
      let result: CheckResult;
      if (check.skip !== undefined) result = { ...base, status: 'skipped', reason: check.skip, ms: 0 };
      else {
        options.onStart?.(check);
        const started = performance.now();
        try {
          await check.run();
          result = { ...base, status: 'passed', ms: performance.now() - started };
        } catch (err) {
          const error = err instanceof Error ? err : new ConformanceFailure(String(err));
          result = { ...base, status: 'failed', error, ms: performance.now() - started };
        }
      }
      results.push(result);
      options.onResult?.(result);
    }
  } finally {
    await target.cleanup?.();
  }
  const count = (s: CheckStatus): number => results.filter((r) => r.status === s).length;
  return { name: target.name, results, passed: count('passed'), failed: count('failed'), skipped: count('skipped') };
}

/** A report as a plain-text table, with each failure's message under it. */
export function formatReport(report: ConformanceReport): string {
  const rows = report.results.map((r) => [String(r.level), r.id, r.status, r.status === 'skipped' ? '' : `${Math.round(r.ms)} ms`]);
  const header = ['level', 'check', 'result', 'time'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  out.push('', `${report.name}: ${report.passed} passed, ${report.failed} failed, ${report.skipped} skipped`);
  const failures = report.results.filter((r) => r.status === 'failed');
  if (failures.length > 0) {
    out.push('');
    for (const f of failures) out.push(`✗ ${f.id}: ${f.title}`, ...String(f.error?.message ?? f.error).split('\n').map((l) => `    ${l}`));
  }
  return out.join('\n');
}
