// The kit without a test framework: runPagerConformance runs every check in turn and answers a report (the
// `spinvm conformance` command prints it with formatReport).
import { checksOf, type ConformanceCheck } from './checks.js';
import { ConformanceFailure, withTimeout } from './harness/failure.js';
import { checkTarget, refuseUnknownKeys, type PagerConformanceTarget } from './target.js';

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
  if (target && typeof target === 'object') refuseUnknownKeys('runPagerConformance', target);
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
          await withTimeout(
            check.run(),
            check.timeout,
            `the check (${check.id} at ${check.pageSize}-byte pages; give a longer timeout if the pager is slow, not stuck)`,
          );
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
