import { describe, expect, it } from 'vitest';
import { BogoPager, Pager, ResultCode, type PagerAnswer } from '../../vmcore/index.js';
import { RecordingPager } from '../helpers/pagers.js';
import { BROKEN, JournalPager, MapPager } from './broken/index.js';
import {
  ConformanceFailure,
  DEFAULT_PAGE_SIZES,
  definePagerConformance,
  formatReport,
  LEVEL_ONE_TIMEOUT,
  LEVEL_TWO_TIMEOUT,
  manyPages,
  pagerChecks,
  runPagerConformance,
  type PagerConformanceTarget,
} from '../../conformance/index.js';
import { PS } from '../helpers/small.js';

const anonymous = { pageOut: true, persistent: false, readOnly: false, zeroFill: true } as const;
const bogo = { pageOut: false, persistent: false, readOnly: true, zeroFill: true, checksFrames: true, answersDestroyed: true } as const;
const reopenJournal = (previous: Pager): Pager => new JournalPager((previous as JournalPager).journal);

describe('the kit fails every broken pager', () => {
  for (const broken of BROKEN) {
    it(`${broken.name}: caught by ${broken.caughtBy.join(' or ')}`, async () => {
      const report = await runPagerConformance(
        {
          name: broken.name,
          makePager: broken.make,
          capabilities: broken.capabilities,
          pageSize: PS,
          runs: 10,
          callTimeout: broken.callTimeout ?? 2000,
        },
        { only: [1] },
      );
      const failed = report.results.filter((r) => r.status === 'failed').map((r) => r.id);
      expect(report.failed, formatReport(report)).toBeGreaterThan(0);
      expect(
        failed.some((id) => broken.caughtBy.includes(id)),
        `failed: ${failed.join(', ')}`,
      ).toBe(true);
    });
  }
});

describe('level 2 alone catches broken pagers, printing the seed and the shortest failing sequence', () => {
  const names = [
    'ignores the page number',
    'drops page-outs',
    'corrupts one byte in a thousand',
    'shares one scratch buffer between calls in flight',
    'forgets a page paged out clean',
    'writes flushed runs one page too far',
    'keeps a reference to the frame instead of a copy',
    'reads zeros unless the fault is a write',
  ];
  for (const name of names) {
    it(name, async () => {
      const broken = BROKEN.find((b) => b.name === name)!;
      const report = await runPagerConformance({ name, makePager: broken.make, capabilities: broken.capabilities, pageSize: PS, runs: 40 }, { only: [2] });
      const failure = report.results.find((r) => r.status === 'failed');
      expect(failure, formatReport(report)).toBeDefined();
      expect(failure!.error).toBeInstanceOf(ConformanceFailure);
      expect(failure!.error!.message).toMatch(/at 512-byte pages, \d+ frames \(seed \d+, path "[\d:]+"/);
      expect(failure!.error!.message).toMatch(/shortest failing sequence \(\d+ steps?, after \d+ shrinks; every object is then read back in full\):\n  1\. /);
    });
  }
});

describe('the kit passes correct pagers, at every default page size', () => {
  const targets: PagerConformanceTarget[] = [
    { name: 'BogoPager', makePager: () => new BogoPager(), capabilities: bogo },
    // RecordingPager (a test helper) neither checks frames nor answers PagerDestroyed: spinvm never asks it to.
    { name: 'RecordingPager', makePager: () => new RecordingPager(), capabilities: anonymous },
    { name: 'RecordingPager (asynchronous)', makePager: () => new RecordingPager({ async: true }), capabilities: anonymous },
    { pager: JournalPager, reopen: reopenJournal, name: "JournalPager (the persistent broken ones' correct base)" },
  ];
  for (const target of targets) {
    it(target.name!, async () => {
      const report = await runPagerConformance({ ...target, runs: 12 });
      expect(report.failed, formatReport(report)).toBe(0);
      expect(new Set(report.results.filter((r) => r.status === 'passed').map((r) => r.pageSize))).toEqual(new Set(DEFAULT_PAGE_SIZES));
      expect(report.passed).toBeGreaterThan(8 * DEFAULT_PAGE_SIZES.length);
    });
  }

  it('declaring checksFrames for a pager that does not check its frames fails exactly frame-size', async () => {
    const report = await runPagerConformance(
      {
        name: 'RecordingPager',
        makePager: () => new RecordingPager(),
        capabilities: { ...anonymous, checksFrames: true, answersDestroyed: true },
        pageSize: PS,
      },
      { only: [1] },
    );
    expect(report.results.filter((r) => r.status === 'failed').map((r) => r.id)).toEqual(['frame-size']);
  });
});

describe('the declaration: static capabilities on the class, read by the kit', () => {
  it('pager: MyPager is the whole declaration: name, capabilities and a pager made with new', () => {
    const checks = pagerChecks({ pager: MapPager, pageSize: PS });
    expect(checks.find((c) => c.id === 'round-trip')!.skip).toBeUndefined();
    expect(checks.find((c) => c.id === 'frame-size')!.skip).toBeUndefined(); // MapPager declares checksFrames
    expect(checks.find((c) => c.id === 'persistent')!.skip).toMatch(/not declared persistent/);
  });

  it('capabilities given beside the class override its static ones, key by key', () => {
    const checks = pagerChecks({ pager: MapPager, capabilities: { ...MapPager.capabilities, checksFrames: false }, pageSize: PS });
    expect(checks.find((c) => c.id === 'frame-size')!.skip).toMatch(/checksFrames/);
    expect(checks.find((c) => c.id === 'round-trip')!.skip).toBeUndefined();
  });

  it('a class without static capabilities, or whose constructor takes arguments, is refused with what to write', () => {
    class Undeclared extends Pager {
      override pageIn(): PagerAnswer {
        return ResultCode.Success;
      }
    }
    expect(() => pagerChecks({ pager: Undeclared })).toThrow(
      /Undeclared has no static capabilities: declare what it does once, on the class: static capabilities = \{ pageOut/,
    );
    class NeedsOptions extends MapPager {
      constructor(readonly options: { path: string }) {
        super();
      }
    }
    expect(() => pagerChecks({ pager: NeedsOptions })).toThrow(
      /NeedsOptions's constructor takes 1 argument, so the kit cannot make one by itself: give makePager: \(\) => new NeedsOptions\(\.\.\.\) as well/,
    );
    expect(pagerChecks({ pager: NeedsOptions, makePager: () => new NeedsOptions({ path: 'x' }) }).length).toBeGreaterThan(10);
    expect(() => pagerChecks({ pager: (() => new MapPager()) as never })).toThrow(/pager must be a Pager subclass/);
    expect(() => pagerChecks({ makePager: () => new MapPager(), name: 'x' })).toThrow(/capabilities are missing: declare them on the pager class/);
  });

  it('a pager of another copy of spinvm (its own Pager class, carrying the brand) is a pager class all the same', () => {
    const brand = Symbol.for('spinvm.Pager');
    class OtherCopyBase {
      init(): void {}
      destroy(): void {}
      pageOut(): ResultCode {
        return ResultCode.NotImplemented;
      }
    }
    Object.defineProperty(OtherCopyBase.prototype, brand, { value: true });
    class Alien extends OtherCopyBase {
      static capabilities = bogo;
      pageIn(_p: number, f: Uint8Array): ResultCode {
        f.fill(0);
        return ResultCode.Success;
      }
    }
    const checks = pagerChecks({ pager: Alien as never });
    expect(checks[0]!.id).toBe('init-destroy');
  });

  it('refuses contradictory, incomplete or misspelt declarations', () => {
    const base = { name: 'x', makePager: () => new BogoPager() };
    expect(() => pagerChecks({ ...base, capabilities: { pageOut: true, persistent: false, readOnly: true, zeroFill: true } })).toThrow(/readOnly.*pageOut/);
    expect(() => pagerChecks({ ...base, capabilities: { pageOut: true, persistent: true, readOnly: false, zeroFill: true } })).toThrow(/reopen/);
    expect(() => pagerChecks({ ...base, capabilities: { pageOut: true, persistent: false, readOnly: false, zeroFill: false } })).toThrow(/initialPage/);
    expect(() => pagerChecks({ ...base, capabilities: { pageOut: true } as never })).toThrow(/persistent/);
    expect(() => pagerChecks({ ...base, capabilities: anonymous, pageSize: 1000 })).toThrow(/power of two/);
    expect(() => pagerChecks({ ...base, capabilities: anonymous, pageSizes: [512, 3000] })).toThrow(/power of two from 512; got 3000/);
    expect(() => pagerChecks({ ...base, capabilities: anonymous, pageSizes: [] })).toThrow(/non-empty/);
    expect(() => pagerChecks({ ...base, capabilities: anonymous, pageSize: 512, pageSizes: [512] })).toThrow(/pageSize or pageSizes/);
    expect(() => pagerChecks({ ...base, capabilities: anonymous, timeout: -1 })).toThrow(/timeout/);
    expect(() => definePagerConformance({ describe, it, ...base, capabilities: anonymous, pagesizes: [512] } as never)).toThrow(/unknown option 'pagesizes'/);
  });
});

describe('page sizes, timeouts and registration', () => {
  /** A fake test framework that records what definePagerConformance registers. */
  function register(options: Omit<PagerConformanceTarget, 'name'> & { name?: string }): {
    tests: Array<{ path: string; timeout: number | undefined }>;
    suites: string[];
  } {
    const tests: Array<{ path: string; timeout: number | undefined }> = [];
    const suites: string[] = [];
    const stack: string[] = [];
    definePagerConformance({
      describe: (name, body) => {
        stack.push(name);
        suites.push(stack.join(' > '));
        body();
        stack.pop();
      },
      it: (name, _body, timeout) => void tests.push({ path: [...stack, name].join(' > '), timeout }),
      afterAll: () => undefined,
      ...options,
    });
    return { tests, suites };
  }

  it('every check is registered at 512, 4096 and 16384-byte pages by default, under a describe per page size and level', () => {
    const { tests, suites } = register({ pager: MapPager });
    expect(DEFAULT_PAGE_SIZES).toEqual([512, 4096, 16384]);
    for (const ps of DEFAULT_PAGE_SIZES) {
      expect(suites).toContain(`MapPager: pager conformance > ${ps}-byte pages > level 1: the pager alone`);
      expect(suites).toContain(`MapPager: pager conformance > ${ps}-byte pages > level 2: inside spinvm, against a reference model`);
      expect(tests.filter((t) => t.path.includes(`> ${ps}-byte pages >`)).length).toBe(tests.length / 3);
    }
    const ids = pagerChecks({ pager: MapPager, pageSize: PS })
      .filter((c) => c.skip === undefined)
      .map((c) => c.id);
    expect(tests.length).toBe(ids.length * 3);
    expect(ids).toEqual(expect.arrayContaining(['long-runs', 'many-pages', 'rewrite-initial', 'shared-contents']));
  });

  it('each test gets its own generous timeout, scaled by runs; a given timeout applies to every check', () => {
    const byDefault = register({ pager: MapPager });
    const level = (path: string): 1 | 2 => (path.includes('level 1') ? 1 : 2);
    for (const t of byDefault.tests) expect(t.timeout).toBe(level(t.path) === 1 ? LEVEL_ONE_TIMEOUT : LEVEL_TWO_TIMEOUT);
    expect(LEVEL_TWO_TIMEOUT).toBeGreaterThanOrEqual(60_000); // a setTimeout(0) store needs 7-12 s where vitest allows 5
    const many = register({ pager: MapPager, runs: 500 });
    expect(Math.max(...many.tests.map((t) => t.timeout!))).toBe(LEVEL_TWO_TIMEOUT * 5);
    const given = register({ pager: MapPager, timeout: 1234, pageSizes: [4096] });
    expect(new Set(given.tests.map((t) => t.timeout))).toEqual(new Set([1234]));
    expect(given.suites.filter((s) => s.endsWith('-byte pages'))).toEqual(['MapPager: pager conformance > 4096-byte pages']);
  });

  it('runPagerConformance fails a check that outlasts its timeout, naming it', async () => {
    class Slow extends MapPager {
      override pageIn(page: number, frame: Uint8Array, access: 'read' | 'write'): PagerAnswer {
        const answer = super.pageIn(page, frame, access);
        return new Promise((resolve) => setTimeout(() => resolve(answer), 20));
      }
    }
    // fills-frame makes 4 page-ins (80 ms); many-pages makes thousands, 64 at a time (about 3 s).
    const report = await runPagerConformance({ pager: Slow, timeout: 1000, pageSize: PS }, { only: ['many-pages', 'fills-frame'] });
    expect(report.results.map((r) => [r.id, r.status])).toEqual([
      ['fills-frame', 'passed'],
      ['many-pages', 'failed'],
    ]);
    expect(report.results[1]!.error!.message).toMatch(
      /the check \(many-pages at 512-byte pages; give a longer timeout if the pager is slow, not stuck\) did not answer within 1000 ms/,
    );
  });

  it("a pager behind a setTimeout(0) store passes level 2 within the timeouts the kit gives (vitest's 5 s would not do)", async () => {
    class SlowStore extends MapPager {
      override pageIn(page: number, frame: Uint8Array, access: 'read' | 'write'): PagerAnswer {
        return new Promise((resolve) => setTimeout(() => resolve(super.pageIn(page, frame, access)), 0));
      }
      override pageOut(page: number, frame: Uint8Array, dirty: boolean): PagerAnswer {
        const copy = frame.slice();
        return new Promise((resolve) => setTimeout(() => resolve(super.pageOut(page, copy, dirty)), 0));
      }
    }
    const report = await runPagerConformance({ pager: SlowStore, pageSize: 4096, runs: 10 }, { only: [2] });
    expect(report.failed, formatReport(report)).toBe(0);
    const checks = pagerChecks({ pager: SlowStore, pageSize: 4096 }).filter((c) => c.level === 2 && c.skip === undefined);
    for (const r of report.results.filter((r) => r.status === 'passed')) {
      const budget = checks.find((c) => c.id === r.id)!.timeout;
      // At the default 100 runs a check takes about ten times as long as at 10: still within half its timeout.
      expect(r.ms * (100 / 10), `${r.id} took ${Math.round(r.ms)} ms at 10 runs`).toBeLessThan(budget / 2);
    }
  });

  it('only runs checks by id, by id at one page size, or by level; skipped checks are listed once', async () => {
    const report = await runPagerConformance({ pager: MapPager, runs: 2 }, { only: ['round-trip', 'fills-frame@4096', 'persistent'] });
    expect(report.results.map((r) => `${r.id}@${r.pageSize ?? '-'}`)).toEqual([
      'round-trip@512',
      'persistent@-',
      'fills-frame@4096',
      'round-trip@4096',
      'round-trip@16384',
    ]);
  });

  it('many-pages covers more than 4096 pages, past 2^16, 2^20, 2^31 and up to 2^32, and adapts to a smaller object', () => {
    const pages = manyPages(2 ** 32 + 2);
    expect(pages.length).toBeGreaterThan(4096);
    expect(new Set(pages).size).toBe(pages.length);
    for (const boundary of [2 ** 16, 2 ** 20, 2 ** 31]) expect(pages.filter((p) => p >= boundary).length).toBeGreaterThan(64);
    expect(pages.filter((p) => p >= 2 ** 32 - 64).length).toBe(65); // up to 2^32, the last page the object leaves room after
    const within = manyPages(2 ** 20);
    expect(within.length).toBeGreaterThan(4096);
    expect(Math.max(...within)).toBeLessThan(2 ** 20 - 1);
    expect(manyPages(64).length).toBe(63);
  });
});

describe('the kit itself', () => {
  it('checks are plain async functions, skipped by declared capability with a reason, listed once', () => {
    const checks = pagerChecks({ name: 'bogo', makePager: () => new BogoPager(), capabilities: bogo });
    const skipped = Object.fromEntries(checks.filter((c) => c.skip).map((c) => [c.id, c.skip]));
    expect(Object.keys(skipped).sort()).toEqual([
      'already-paged',
      'long-runs',
      'model-persistent',
      'page-number',
      'page-out-run',
      'persistent',
      'rewrite-initial',
      'round-trip',
      'shared-contents',
    ]);
    expect(checks.filter((c) => c.skip).length).toBe(Object.keys(skipped).length);
    expect([...new Set(checks.filter((c) => c.level === 2 && !c.skip).map((c) => c.id))]).toEqual(['model-sequential', 'model-concurrent']);
    for (const c of checks) expect(c.run).toBeTypeOf('function');
  });

  it('makePager and reopen are told the page size', async () => {
    const seen: number[] = [];
    const report = await runPagerConformance(
      {
        pager: JournalPager,
        makePager: ({ pageSize }) => (seen.push(pageSize), new JournalPager()),
        reopen: (previous, { pageSize }) => (seen.push(-pageSize), reopenJournal(previous)),
        pageSizes: [512, 1024],
      },
      { only: ['persistent'] },
    );
    expect(report.failed, formatReport(report)).toBe(0);
    expect(seen).toEqual([512, -512, 1024, -1024]);
  });

  it('a makePager answering something that is not a pager is reported as such, at both levels', async () => {
    const fake = { init() {}, destroy() {} };
    const report = await runPagerConformance(
      { name: 'not a pager', makePager: () => fake as never, capabilities: anonymous, pageSize: PS, runs: 2 },
      { only: ['fills-frame', 'model-sequential'] },
    );
    expect(report.results[0]!.error!.message).toMatch(/has no pageIn\(\) method: it must answer a Pager/);
    expect(report.results[1]!.error!.message).toMatch(/makePager answered something that is not a pager/);
  });

  it("formatReport: a table of every check with its page size, and each failure's message", async () => {
    const report = await runPagerConformance(
      { name: 'drops', makePager: () => BROKEN[2]!.make(), capabilities: anonymous, pageSize: PS },
      { only: ['round-trip', 'in-flight', 'persistent'] },
    );
    const text = formatReport(report);
    expect(text).toMatch(/^page size\s+level\s+check\s+result\s+time/);
    expect(text).toMatch(/512\s+1\s+round-trip\s+failed/);
    expect(text).toMatch(/-\s+1\s+persistent\s+skipped/);
    expect(text).toMatch(/drops: 0 passed, 2 failed, 1 skipped \(\d+\.\d s\)/);
    expect(text).toMatch(/✗ round-trip at 512-byte pages: .*\n    page 0 after a page-out: \d+ of 512 bytes differ/);
  });
});

// The registration form, exactly as the README shows it, at the kit's defaults (every default page size, 100
// runs, the kit's own timeouts): MapPager, the correct base of the broken pagers, declares its capabilities
// as a static on the class.
definePagerConformance({ describe, it, pager: MapPager });
