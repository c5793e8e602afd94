import type { ConformanceCheck } from '../checks.js';

/** The `check(id, title, skip, run)` each level writes its checks with, at one level and page size (the timeout is set later, by `checksOf`). */
export function checkMaker(level: 1 | 2, pageSize: number) {
  return (id: string, title: string, skip: string | undefined, run: () => Promise<void>): ConformanceCheck => ({
    id,
    level,
    pageSize,
    title,
    skip,
    run,
    timeout: 0,
  });
}
