import { describe, expect, it } from 'vitest';
import { BogoPager, ResultCode } from '../../vmcore/index.js';
import { RecordingPager } from '../helpers/pagers.js';
import { BROKEN, MapPager } from './broken/index.js';
import { ConformanceFailure, definePagerConformance, formatReport, pagerChecks, runPagerConformance, type PagerConformanceTarget } from './index.js';

const PS = 512;
const anonymous = { pageOut: true, persistent: false, readOnly: false, zeroFill: true } as const;

describe('the kit fails every broken pager', () => {
  for (const broken of BROKEN) {
    it(`${broken.name}: caught by ${broken.caughtBy.join(' or ')}`, async () => {
      const report = await runPagerConformance({
        name: broken.name,
        makePager: broken.make,
        capabilities: broken.capabilities,
        pageSize: PS,
        runs: 10,
        callTimeout: broken.callTimeout ?? 2000,
      }, { only: [1] });
      const failed = report.results.filter((r) => r.status === 'failed').map((r) => r.id);
      expect(report.failed, formatReport(report)).toBeGreaterThan(0);
      expect(failed.some((id) => broken.caughtBy.includes(id)), `failed: ${failed.join(', ')}`).toBe(true);
    });
  }
});

describe('level 2 alone catches broken pagers, printing the seed and the shortest failing sequence', () => {
  const names = ['ignores the page number', 'drops page-outs', 'corrupts one byte in a thousand', 'shares one scratch buffer between calls in flight', 'forgets a page paged out clean', 'writes flushed runs one page too far', 'keeps a reference to the frame instead of a copy', 'reads zeros unless the fault is a write'];
  for (const name of names) {
    it(name, async () => {
      const broken = BROKEN.find((b) => b.name === name)!;
      const report = await runPagerConformance({ name, makePager: broken.make, capabilities: broken.capabilities, pageSize: PS, runs: 40 }, { only: [2] });
      const failure = report.results.find((r) => r.status === 'failed');
      expect(failure, formatReport(report)).toBeDefined();
      expect(failure!.error).toBeInstanceOf(ConformanceFailure);
      expect(failure!.error!.message).toMatch(/seed \d+, path "[\d:]+"/);
      expect(failure!.error!.message).toMatch(/shortest failing sequence \(\d+ steps?, after \d+ shrinks; every object is then read back in full\):\n  1\. /);
    });
  }
});

describe('the kit passes correct pagers', () => {
  const targets: PagerConformanceTarget[] = [
    { name: 'BogoPager', makePager: () => new BogoPager(), capabilities: { pageOut: false, persistent: false, readOnly: true, zeroFill: true } },
    // RecordingPager (a test helper) trusts spinvm to hand it whole pages: it declares so.
    { name: 'RecordingPager', makePager: () => new RecordingPager(), capabilities: { ...anonymous, checksFrames: false } },
    { name: 'RecordingPager (asynchronous)', makePager: () => new RecordingPager({ async: true }), capabilities: { ...anonymous, checksFrames: false } },
    { name: 'MapPager (the broken ones\' correct base)', makePager: () => new MapPager(), capabilities: anonymous },
  ];
  for (const target of targets) {
    it(target.name, async () => {
      const report = await runPagerConformance({ ...target, pageSize: PS, runs: 30 });
      expect(report.failed, formatReport(report)).toBe(0);
      expect(report.passed).toBeGreaterThan(8);
    });
  }

  it('RecordingPager without the declaration fails only frame-size: the kit says what it does not do', async () => {
    const report = await runPagerConformance({ name: 'RecordingPager', makePager: () => new RecordingPager(), capabilities: anonymous, pageSize: PS }, { only: [1] });
    expect(report.results.filter((r) => r.status === 'failed').map((r) => r.id)).toEqual(['frame-size']);
  });
});

describe('the kit itself', () => {
  it('checks are plain async functions, skipped by declared capability with a reason', () => {
    const checks = pagerChecks({ name: 'bogo', makePager: () => new BogoPager(), capabilities: { pageOut: false, persistent: false, readOnly: true, zeroFill: true } });
    const skipped = Object.fromEntries(checks.filter((c) => c.skip).map((c) => [c.id, c.skip]));
    expect(Object.keys(skipped).sort()).toEqual(['already-paged', 'page-number', 'page-out-run', 'persistent', 'round-trip']);
    expect(checks.filter((c) => c.level === 2).map((c) => c.id)).toEqual(['model-sequential', 'model-concurrent']);
    for (const c of checks) expect(c.run).toBeTypeOf('function');
  });

  it('refuses contradictory or incomplete declarations', () => {
    const base = { name: 'x', makePager: () => new BogoPager() };
    expect(() => pagerChecks({ ...base, capabilities: { pageOut: true, persistent: false, readOnly: true, zeroFill: true } })).toThrow(/readOnly.*pageOut/);
    expect(() => pagerChecks({ ...base, capabilities: { pageOut: true, persistent: true, readOnly: false, zeroFill: true } })).toThrow(/reopen/);
    expect(() => pagerChecks({ ...base, capabilities: { pageOut: true, persistent: false, readOnly: false, zeroFill: false } })).toThrow(/initialPage/);
    expect(() => pagerChecks({ ...base, capabilities: { pageOut: true } as never })).toThrow(/persistent/);
    expect(() => pagerChecks({ ...base, capabilities: anonymous, pageSize: 1000 })).toThrow(/power of two/);
  });

  it('a pager from another copy of spinvm is reported as such at level 2', async () => {
    const fake = Object.create(null) as Record<string, unknown>;
    Object.assign(fake, { init() {}, destroy() {}, pageIn: (_p: number, f: Uint8Array) => (f.fill(0), ResultCode.Success), pageOut: () => ResultCode.Success, pageOutRun: () => [] });
    const report = await runPagerConformance({ name: 'alien', makePager: () => fake as never, capabilities: anonymous, pageSize: PS, runs: 2 }, { only: ['model-sequential'] });
    expect(report.results[0]!.error!.message).toMatch(/second copy of spinvm/);
  });

  it('formatReport: a table of every check and each failure\'s message', async () => {
    const report = await runPagerConformance({ name: 'drops', makePager: () => BROKEN[2]!.make(), capabilities: anonymous, pageSize: PS }, { only: ['round-trip', 'frame-size', 'persistent'] });
    const text = formatReport(report);
    expect(text).toMatch(/^level\s+check\s+result\s+time/);
    expect(text).toMatch(/round-trip\s+failed/);
    expect(text).toMatch(/frame-size\s+passed/);
    expect(text).toMatch(/persistent\s+skipped/);
    expect(text).toMatch(/drops: 1 passed, 1 failed, 1 skipped/);
    expect(text).toMatch(/✗ round-trip: .*\n    page 0 after a page-out: \d+ of 512 bytes differ/);
  });
});

// The registration form, as a pager author writes it.
definePagerConformance({ describe, it, name: 'MapPager via definePagerConformance', makePager: () => new MapPager(), capabilities: anonymous, pageSize: PS, runs: 20 });
