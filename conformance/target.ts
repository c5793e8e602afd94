// The pager under test as its author declares it (a class with static capabilities, or a factory), and that
// declaration checked and completed: every default filled in, every contradiction refused before anything runs.
import type { Pager } from '../vmcore/index.js';
import { isPagerClass, type PagerClass } from './recognise.js';

/** What a pager says it does. The kit checks exactly that: a capability declared absent is checked absent. */
export interface PagerCapabilities {
  /** Dirty page-outs are kept: a later page-in of the page returns what was paged out. */
  pageOut: boolean;
  /** What it wrote survives `destroy`: `reopen(previous)` makes a pager over the same store. */
  persistent: boolean;
  /** It never changes its backing store: a dirty page-out answers NotImplemented. Implies `pageOut: false`. */
  readOnly: boolean;
  /** Never-written pages read as zeros (anonymous memory). When false, `initialPage` says what they read as. */
  zeroFill: boolean;
  /**
   * It keeps a state per page, as SPIN's default pager does, and answers AlreadyPagedIn to a page-in of a
   * page that is in memory and AlreadyPagedOut to a page-out of a page already paged out. Default false.
   */
  tracksState?: boolean;
  /**
   * It refuses a frame that is not exactly one page (throws, rejects or answers a failure code). Default
   * false: spinvm only ever hands a pager whole pages, so a pager need not check.
   */
  checksFrames?: boolean;
  /**
   * It answers PagerDestroyed to a page-in or page-out after `destroy`. Default false: spinvm asks nothing
   * of a destroyed pager, so a pager need not keep a destroyed flag.
   */
  answersDestroyed?: boolean;
  /** The most pages an object over it may have. Default 2^32 + 2, so pages near 2^32 are exercised. */
  maxPages?: number;
}

/** What `makePager` and `reopen` are told: the page size of the objects the pager will serve. */
export interface MakePagerOptions {
  pageSize: number;
}

/** The pager under test: how to make one, and what it declares. */
export interface PagerConformanceTarget {
  /**
   * The pager class. Its static `capabilities` is the declaration (so it is written once, beside the
   * code), its name names the tests, and the kit makes pagers with `new pager()` unless `makePager` is given
   * (a constructor that takes arguments needs `makePager`).
   */
  pager?: PagerClass;
  /** Shown in test names and reports. Default: the class's name. */
  name?: string;
  /** Makes a fresh pager over a fresh, empty store (the kit inits and destroys it). Default: `new pager()`. */
  makePager?: (options: MakePagerOptions) => Pager | Promise<Pager>;
  /** What the pager does. Default: the class's static `capabilities`; given with `pager`, it overrides those keys. */
  capabilities?: PagerCapabilities;
  /** The page sizes the kit runs every check at (powers of two from 512). Default DEFAULT_PAGE_SIZES: 512, 4096, 16384. */
  pageSizes?: readonly number[];
  /** One page size only: the same as `pageSizes: [pageSize]`. */
  pageSize?: number;
  /** What a never-written page reads as; required when `zeroFill` is false. */
  initialPage?: (page: number, pageSize: number) => Uint8Array;
  /** A pager over the same store as `previous` (already destroyed); required when `persistent`. */
  reopen?: (previous: Pager, options: MakePagerOptions) => Pager | Promise<Pager>;
  /** The randomized checks' seed (default: SPINVM_SEED from the environment, else a fixed one). */
  seed?: number;
  /** Randomized runs per level-2 check and page size. Default 100. */
  runs?: number;
  /**
   * Most milliseconds one check may take, at one page size. Default: 60 000 for a level-1 check, and
   * 120 000 × runs / 100 (at least 120 000) for a level-2 check. definePagerConformance passes it to `it`
   * as the test's timeout; runPagerConformance fails a check that takes longer.
   */
  timeout?: number;
  /** Most milliseconds a single pageIn / pageOut / destroy may take before the check fails. Default 10 000. */
  callTimeout?: number;
  /** Runs once after every check (removing temporary directories, say). */
  cleanup?: () => void | Promise<void>;
}

export const DEFAULT_MAX_PAGES = 2 ** 32 + 2;
export const DEFAULT_SEED = 20261122;

/** The seed of randomized runs: SPINVM_SEED from the environment (to replay a failure), else DEFAULT_SEED. */
export function seedFromEnvironment(): number {
  const text = process.env.SPINVM_SEED;
  const seed = Number(text);
  return text && Number.isInteger(seed) ? seed : DEFAULT_SEED;
}
/** The page sizes every check runs at unless told otherwise: the smallest spinvm allows, the usual, a large one. */
export const DEFAULT_PAGE_SIZES: readonly number[] = [512, 4096, 16384];
export const DEFAULT_RUNS = 100;
export const LEVEL_ONE_TIMEOUT = 60_000;
export const LEVEL_TWO_TIMEOUT = 120_000;

/** A target with every default filled in and every rule checked, for every page size. */
export interface CheckedDeclaration {
  name: string;
  makePager: (options: MakePagerOptions) => Pager | Promise<Pager>;
  capabilities: Required<PagerCapabilities>;
  pageSizes: number[];
  seed: number;
  runs: number;
  /** Given by the author; undefined means the per-level defaults. */
  timeout: number | undefined;
  callTimeout: number;
  initialPage: ((page: number, pageSize: number) => Uint8Array) | undefined;
  reopen: ((previous: Pager, options: MakePagerOptions) => Pager | Promise<Pager>) | undefined;
  cleanup: (() => void | Promise<void>) | undefined;
}

/** The declaration at one page size: what each check works with. */
export interface CheckedTarget {
  name: string;
  capabilities: Required<PagerCapabilities>;
  pageSize: number;
  seed: number;
  runs: number;
  callTimeout: number;
  makePager: () => Pager | Promise<Pager>;
  reopen: ((previous: Pager) => Pager | Promise<Pager>) | undefined;
  initialPage: (page: number) => Uint8Array;
}

/** @internal The options a target may declare; `spinvm conformance` takes the same names from a module's exports. */
export const TARGET_KEYS = [
  'pager',
  'name',
  'makePager',
  'capabilities',
  'pageSizes',
  'pageSize',
  'initialPage',
  'reopen',
  'seed',
  'runs',
  'timeout',
  'callTimeout',
  'cleanup',
] as const;
const KNOWN_KEYS: ReadonlySet<string> = new Set(TARGET_KEYS);
const CAPABILITY_EXAMPLE = '{ pageOut: true, persistent: false, readOnly: false, zeroFill: true }';

/** Checks a declaration and fills in its defaults; throws a TypeError naming the problem. */
export function checkTarget(target: PagerConformanceTarget): CheckedDeclaration {
  const cls = target && typeof target === 'object' ? target.pager : undefined;
  const label = target && typeof target === 'object' && typeof target.name === 'string' ? target.name : typeof cls === 'function' ? cls.name : undefined;
  const fail = (detail: string): never => {
    throw new TypeError(`pager conformance${label ? ` for ${label}` : ''}: ${detail}`);
  };
  if (!target || typeof target !== 'object') fail('the options must be an object');
  if (cls !== undefined && !isPagerClass(cls)) fail(`pager must be a Pager subclass (a class with pageIn and pageOut); got ${describe(cls)}`);
  const name = target.name ?? cls?.name;
  if (typeof name !== 'string' || name === '') fail('name must be a non-empty string (or give pager: YourPagerClass)');

  let makePager = target.makePager;
  if (makePager === undefined) {
    if (!cls) fail('give pager: YourPagerClass (with static capabilities), or makePager: () => new YourPager(...)');
    if (cls!.length > 0) {
      fail(
        `${cls!.name}'s constructor takes ${cls!.length} argument${cls!.length === 1 ? '' : 's'}, so the kit cannot make one by itself: give makePager: () => new ${cls!.name}(...) as well`,
      );
    }
    makePager = () => new cls!();
  }
  if (typeof makePager !== 'function') fail('makePager must be a function answering a fresh Pager');

  const declared = cls?.capabilities;
  if (declared !== undefined && (declared === null || typeof declared !== 'object'))
    fail(`${cls!.name}.capabilities must be an object like ${CAPABILITY_EXAMPLE}`);
  if (target.capabilities !== undefined && (target.capabilities === null || typeof target.capabilities !== 'object'))
    fail(`capabilities must be an object like ${CAPABILITY_EXAMPLE}`);
  if (!declared && !target.capabilities) {
    fail(
      cls
        ? `${cls.name} has no static capabilities: declare what it does once, on the class: static capabilities = ${CAPABILITY_EXAMPLE}`
        : `capabilities are missing: declare them on the pager class (static capabilities = ${CAPABILITY_EXAMPLE}) and give pager: YourPagerClass, or give capabilities`,
    );
  }
  const c: PagerCapabilities = { ...(declared ?? {}), ...(target.capabilities ?? {}) } as PagerCapabilities;
  for (const key of ['pageOut', 'persistent', 'readOnly', 'zeroFill'] as const) {
    if (typeof c[key] !== 'boolean')
      fail(
        `capabilities.${key} must be true or false (capabilities are ${CAPABILITY_EXAMPLE} and optional tracksState, checksFrames, answersDestroyed, maxPages)`,
      );
  }
  for (const key of ['tracksState', 'checksFrames', 'answersDestroyed'] as const) {
    if (c[key] !== undefined && typeof c[key] !== 'boolean') fail(`capabilities.${key} must be true, false or absent`);
  }
  if (c.readOnly && c.pageOut) fail('a readOnly pager cannot declare pageOut');
  if (c.persistent && typeof target.reopen !== 'function') fail('a persistent pager needs reopen(previous, { pageSize }) to make a pager over the same store');
  if (!c.zeroFill && typeof target.initialPage !== 'function') fail('a pager that does not zero-fill needs initialPage(page, pageSize)');

  if (target.pageSize !== undefined && target.pageSizes !== undefined) fail('give pageSize or pageSizes, not both');
  const sizes = target.pageSizes !== undefined ? target.pageSizes : target.pageSize !== undefined ? [target.pageSize] : DEFAULT_PAGE_SIZES;
  if (!Array.isArray(sizes) || sizes.length === 0) fail('pageSizes must be a non-empty array of page sizes');
  for (const ps of sizes) {
    if (!Number.isInteger(ps) || ps < 512 || (ps & (ps - 1)) !== 0) fail(`each page size must be a power of two from 512; got ${ps}`);
  }
  const pageSizes = [...new Set(sizes)];
  const maxPages = c.maxPages ?? DEFAULT_MAX_PAGES;
  const largest = Math.max(...pageSizes);
  if (!Number.isSafeInteger(maxPages) || maxPages < 64 || maxPages * largest > Number.MAX_SAFE_INTEGER) {
    fail(`capabilities.maxPages must be an integer from 64 with maxPages * pageSize below 2^53; got ${maxPages}`);
  }
  const seed = target.seed ?? seedFromEnvironment();
  if (!Number.isInteger(seed)) fail('seed must be an integer');
  const runs = target.runs ?? DEFAULT_RUNS;
  if (!Number.isInteger(runs) || runs < 1) fail('runs must be a positive integer');
  if (target.timeout !== undefined && !(typeof target.timeout === 'number' && target.timeout > 0)) fail('timeout must be a positive number of milliseconds');
  const callTimeout = target.callTimeout ?? 10_000;
  if (!(typeof callTimeout === 'number' && callTimeout > 0)) fail('callTimeout must be a positive number of milliseconds');
  if (target.cleanup !== undefined && typeof target.cleanup !== 'function') fail('cleanup must be a function');
  return {
    name: name!,
    makePager: makePager!,
    capabilities: { tracksState: false, checksFrames: false, answersDestroyed: false, ...c, maxPages },
    pageSizes,
    seed,
    runs,
    timeout: target.timeout,
    callTimeout,
    initialPage: c.zeroFill ? undefined : target.initialPage,
    reopen: target.reopen,
    cleanup: target.cleanup,
  };
}

/** Refuses keys a target may not have: they are probably misspellings, and a misspelt option would be ignored. */
export function refuseUnknownKeys(what: string, target: object): void {
  const unknown = Object.keys(target).filter((k) => !KNOWN_KEYS.has(k));
  if (unknown.length > 0) {
    throw new TypeError(
      `${what}: unknown option${unknown.length === 1 ? '' : 's'} ${unknown.map((k) => `'${k}'`).join(', ')} (known: ${[...KNOWN_KEYS].join(', ')})`,
    );
  }
}

/** The declaration at one page size. */
export function atPageSize(d: CheckedDeclaration, pageSize: number): CheckedTarget {
  const zeros = new Uint8Array(pageSize);
  const initial = d.initialPage;
  const options = { pageSize };
  return {
    name: d.name,
    capabilities: d.capabilities,
    pageSize,
    seed: d.seed,
    runs: d.runs,
    callTimeout: d.callTimeout,
    makePager: () => d.makePager(options),
    reopen: d.reopen ? (previous) => d.reopen!(previous, options) : undefined,
    initialPage: !initial
      ? () => zeros
      : (page) => {
          const bytes = initial(page, pageSize);
          if (!(bytes instanceof Uint8Array) || bytes.length !== pageSize) {
            throw new TypeError(`pager conformance for ${d.name}: initialPage(${page}, ${pageSize}) must answer a Uint8Array of ${pageSize} bytes`);
          }
          return bytes;
        },
  };
}

/** The timeout of a check: the author's, else the level's default scaled by the runs. */
export function checkTimeout(d: CheckedDeclaration, level: 1 | 2, weight = 1): number {
  if (d.timeout !== undefined) return d.timeout;
  return level === 1 ? LEVEL_ONE_TIMEOUT : Math.ceil(LEVEL_TWO_TIMEOUT * Math.max(1, (d.runs * weight) / DEFAULT_RUNS));
}

function describe(value: unknown): string {
  if (typeof value === 'function') return `the function ${value.name || '(anonymous)'}`;
  return value === null ? 'null' : typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}
