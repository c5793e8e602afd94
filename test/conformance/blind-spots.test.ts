// The kit's former blind spots, each closed by a check of its own. For each, a broken pager written the way
// pager authors write them goes through the whole kit at its default page sizes and fails that check and no
// other: without the check, the kit would have passed it.
import { describe, expect, it } from 'vitest';
import { BLIND_SPOTS } from './broken/index.js';
import { DEFAULT_PAGE_SIZES, formatReport, runPagerConformance } from '../../conformance/index.js';

describe('each former blind spot of the kit is closed by its own check', () => {
  for (const broken of BLIND_SPOTS) {
    const where = broken.onlyAt ? `at ${broken.onlyAt.join(' and ')}-byte pages only` : `by ${broken.caughtBy.join(', ')} alone`;
    it(`${broken.blindSpot}: '${broken.name}' is caught ${where}`, async () => {
      const report = await runPagerConformance({
        name: broken.name,
        makePager: broken.make,
        capabilities: broken.capabilities,
        ...(broken.reopen ? { reopen: broken.reopen } : {}),
        runs: 12,
      });
      const failed = report.results.filter((r) => r.status === 'failed');
      expect(failed.length, formatReport(report)).toBeGreaterThan(0);
      const ids = [...new Set(failed.map((r) => r.id))];
      expect(
        ids.filter((id) => !broken.caughtBy.includes(id)),
        `failed checks other than ${broken.caughtBy.join(', ')}`,
      ).toEqual([]);
      const sizes = [...new Set(failed.map((r) => r.pageSize))].sort((a, b) => a! - b!);
      expect(sizes).toEqual(broken.onlyAt ?? DEFAULT_PAGE_SIZES);
      // The report names the check and says what went wrong.
      expect(formatReport(report)).toMatch(new RegExp(`✗ (${broken.caughtBy.join('|')}) at \\d+-byte pages: `));
    });
  }
});
