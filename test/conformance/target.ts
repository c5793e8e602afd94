import type { Pager } from '../../vmcore/pager/pager.js';

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
  /** It refuses a frame that is not exactly one page (throws, rejects or answers a failure code). Default true. */
  checksFrames?: boolean;
  /** The most pages an object over it may have. Default 2^32 + 2, so pages near 2^32 are exercised. */
  maxPages?: number;
}

/** The pager under test: how to make one, and what it declares. */
export interface PagerConformanceTarget {
  /** Shown in test names and reports. */
  name: string;
  /** Makes a fresh pager over a fresh, empty store (the kit inits and destroys it). */
  makePager: () => Pager | Promise<Pager>;
  capabilities: PagerCapabilities;
  /** Bytes per page the kit uses: a power of two from 512. Default 4096. */
  pageSize?: number;
  /** What a never-written page reads as; required when `zeroFill` is false. */
  initialPage?: (page: number, pageSize: number) => Uint8Array;
  /** A pager over the same store as `previous` (already destroyed); required when `persistent`. */
  reopen?: (previous: Pager) => Pager | Promise<Pager>;
  /** The randomized checks' seed (default: SPINVM_SEED from the environment, else a fixed one). */
  seed?: number;
  /** Randomized runs per level-2 check. Default 100. */
  runs?: number;
  /** Most milliseconds a single pageIn / pageOut / destroy may take before the check fails. Default 10 000. */
  callTimeout?: number;
  /** Runs once after every check (removing temporary directories, say). */
  cleanup?: () => void | Promise<void>;
}

/** Pages near 2^32: page numbers are not 32-bit. */
export const FAR_PAGES = [2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1];
export const DEFAULT_MAX_PAGES = 2 ** 32 + 2;
export const DEFAULT_SEED = 20261122;

/** A target with every default filled in and every rule checked; throws a TypeError naming the problem. */
export interface CheckedTarget extends Required<Omit<PagerConformanceTarget, 'initialPage' | 'reopen' | 'cleanup' | 'capabilities'>> {
  capabilities: Required<PagerCapabilities>;
  initialPage: (page: number) => Uint8Array;
  reopen: ((previous: Pager) => Pager | Promise<Pager>) | undefined;
  cleanup: (() => void | Promise<void>) | undefined;
}

export function checkTarget(target: PagerConformanceTarget): CheckedTarget {
  const fail = (detail: string): never => {
    throw new TypeError(`pager conformance${target && typeof target.name === 'string' ? ` for ${target.name}` : ''}: ${detail}`);
  };
  if (!target || typeof target !== 'object') fail('the options must be an object');
  if (typeof target.name !== 'string' || target.name === '') fail('name must be a non-empty string');
  if (typeof target.makePager !== 'function') fail('makePager must be a function answering a fresh Pager');
  const c = target.capabilities;
  if (!c || typeof c !== 'object') fail('capabilities must be an object: { pageOut, persistent, readOnly, zeroFill }');
  for (const key of ['pageOut', 'persistent', 'readOnly', 'zeroFill'] as const) {
    if (typeof c[key] !== 'boolean') fail(`capabilities.${key} must be true or false`);
  }
  for (const key of ['tracksState', 'checksFrames'] as const) {
    if (c[key] !== undefined && typeof c[key] !== 'boolean') fail(`capabilities.${key} must be true, false or absent`);
  }
  if (c.readOnly && c.pageOut) fail('a readOnly pager cannot declare pageOut');
  if (c.persistent && typeof target.reopen !== 'function') fail('a persistent pager needs reopen(previous) to make a pager over the same store');
  if (!c.zeroFill && typeof target.initialPage !== 'function') fail('a pager that does not zero-fill needs initialPage(page, pageSize)');
  const pageSize = target.pageSize ?? 4096;
  if (!Number.isInteger(pageSize) || pageSize < 512 || (pageSize & (pageSize - 1)) !== 0) fail(`pageSize must be a power of two from 512; got ${pageSize}`);
  const maxPages = c.maxPages ?? DEFAULT_MAX_PAGES;
  if (!Number.isSafeInteger(maxPages) || maxPages < 64 || maxPages * pageSize > Number.MAX_SAFE_INTEGER) fail(`capabilities.maxPages must be an integer from 64 with maxPages * pageSize below 2^53; got ${maxPages}`);
  const envSeed = Number(process.env.SPINVM_SEED);
  const seed = target.seed ?? (Number.isInteger(envSeed) ? envSeed : DEFAULT_SEED);
  if (!Number.isInteger(seed)) fail('seed must be an integer');
  const runs = target.runs ?? 100;
  if (!Number.isInteger(runs) || runs < 1) fail('runs must be a positive integer');
  const callTimeout = target.callTimeout ?? 10_000;
  if (!(callTimeout > 0)) fail('callTimeout must be a positive number of milliseconds');
  if (target.cleanup !== undefined && typeof target.cleanup !== 'function') fail('cleanup must be a function');
  const initial = target.initialPage;
  const zeros = new Uint8Array(pageSize);
  return {
    name: target.name,
    makePager: target.makePager,
    capabilities: { tracksState: false, checksFrames: true, ...c, maxPages },
    pageSize,
    seed,
    runs,
    callTimeout,
    reopen: target.reopen,
    cleanup: target.cleanup,
    initialPage: c.zeroFill || !initial
      ? () => zeros
      : (page) => {
          const bytes = initial(page, pageSize);
          if (!(bytes instanceof Uint8Array) || bytes.length !== pageSize) fail(`initialPage(${page}) must answer a Uint8Array of ${pageSize} bytes`);
          return bytes;
        },
  };
}
