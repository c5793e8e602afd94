// The kit's checks for one declaration: for each page size, level 1 then level 2, each with its timeout. Both
// ways of running them (definePagerConformance through a test framework, runPagerConformance directly) start here.
import { levelOneChecks } from './level1.js';
import { levelTwoChecks } from './level2.js';
import { atPageSize, checkTarget, checkTimeout, type CheckedDeclaration, type PagerConformanceTarget } from './target.js';

/** One check of the contract: a plain async function, wrapped by definePagerConformance or run directly. */
export interface ConformanceCheck {
  /** Stable identifier, e.g. 'round-trip'. */
  id: string;
  /** 1: the pager alone; 2: the pager inside spinvm. */
  level: 1 | 2;
  /** The page size it runs at. */
  pageSize: number;
  title: string;
  /** Most milliseconds it may take (the test's timeout). */
  timeout: number;
  /** Why the check does not apply to this pager (from its declared capabilities); undefined when it does. */
  skip: string | undefined;
  /** Resolves when the pager passes; rejects with a ConformanceFailure (or the pager's own error) when not. */
  run(): Promise<void>;
}

/** Relative cost of the level-2 checks, for their default timeouts. */
const WEIGHT: Record<string, number> = { 'model-sequential': 1, 'model-concurrent': 0.6, 'model-persistent': 1 };

/** The checks of a checked declaration, each with its timeout; one that does not apply is listed once. */
export function checksOf(d: CheckedDeclaration): ConformanceCheck[] {
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
