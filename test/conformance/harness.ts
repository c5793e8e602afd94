import { describe as describeValue } from '../../vmcore/errors.js';
import type { Access } from '../../vmcore/pager/access.js';
import type { Pager, PagerContext } from '../../vmcore/pager/pager.js';
import { isResultCode, ResultCode } from '../../vmcore/pager/result-code.js';
import type { CheckedTarget } from './target.js';

/** A check found the pager breaking its contract; the message says what it did and what was expected. */
export class ConformanceFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConformanceFailure';
  }
}

export function codeName(code: unknown): string {
  return isResultCode(code) ? ResultCode[code] : describeValue(code);
}

const GUARD = 64;
const GUARD_BYTE = 0xc3;

/** A frame inside a larger buffer, with guard bytes either side: a pager that writes outside it is caught. */
export class GuardedFrame {
  readonly frame: Uint8Array;
  private readonly whole: Uint8Array;
  constructor(pageSize: number, fill: number) {
    // Memory that is not zeroed first (every byte is written below), as a plain Uint8Array: never a Buffer,
    // whose slice() is a view where a pager expects a copy.
    const raw = Buffer.allocUnsafeSlow(pageSize + 2 * GUARD);
    this.whole = new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
    this.whole.fill(GUARD_BYTE, 0, GUARD).fill(GUARD_BYTE, GUARD + pageSize);
    this.frame = this.whole.subarray(GUARD, GUARD + pageSize).fill(fill);
  }
  /** Throws unless every guard byte is intact. */
  checkGuards(what: string): void {
    const end = this.whole.length - GUARD;
    for (let i = 0; i < this.whole.length; i++) {
      if (i === GUARD) i = end;
      if (this.whole[i] !== GUARD_BYTE) {
        const where = i < GUARD ? `${GUARD - i} byte(s) before` : `${i - end + 1} byte(s) after`;
        throw new ConformanceFailure(`${what} wrote outside the frame it was given (${where} its end)`);
      }
    }
  }
}

/** Throws unless `actual` equals `expected`, saying how many bytes differ and where the first is. */
export function sameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (actual.length !== expected.length) throw new ConformanceFailure(`${what}: ${actual.length} bytes, expected ${expected.length}`);
  if (Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.length))) return;
  let first = -1;
  let count = 0;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) {
      if (first < 0) first = i;
      count++;
    }
  }
  const all = count === actual.length && expected.every((b) => b === 0) ? ' (zeros expected: was the frame filled at all?)' : '';
  throw new ConformanceFailure(`${what}: ${count} of ${actual.length} bytes differ, the first at byte ${first} (read ${actual[first]}, expected ${expected[first]})${all}`);
}

/** A page-sized pattern that differs per seed, so misplaced, stale or mixed pages are caught. */
export function patternPage(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (Math.imul(seed | 0, 2654435761) ^ Math.floor(seed / 2 ** 32)) >>> 0 || 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * A cheaper page-sized pattern for checks over thousands of pages: every 32-bit word differs with the
 * (page, version) and with its place in the page, so a page served in another's place, an older version of
 * itself, or a shifted copy is caught; made a word at a time, with no dependency between words.
 */
export function stampPage(length: number, page: number, version: number): Uint8Array {
  const out = new Uint8Array(length);
  const words = new Uint32Array(out.buffer, 0, length >>> 2);
  let k = Math.imul((page % 2 ** 32) ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(Math.floor(page / 2 ** 32) + 1, 0x27d4eb2d) ^ Math.imul(version + 1, 0x165667b1);
  k = Math.imul(k ^ (k >>> 15), 0x85ebca6b);
  k ^= k >>> 13;
  for (let i = 0; i < words.length; i++) words[i] = k + Math.imul(i, 0x9e3779b1);
  return out;
}

/**
 * A page marked with its (page, version) every 64 bytes and zeros between: enough to tell thousands of
 * pages apart and from older versions of themselves, and cheap for pagers that compress or checksum, so a
 * check over thousands of pages costs what the pager's indexing costs, not what its compressor does.
 */
export function markPage(length: number, page: number, version: number): Uint8Array {
  const out = new Uint8Array(length);
  const words = new Uint32Array(out.buffer, 0, length >>> 2);
  const full = stampPage(64, page, version);
  const k = new Uint32Array(full.buffer)[0]!;
  for (let i = 0; i < words.length; i += 16) words[i] = k + Math.imul(i, 0x9e3779b1);
  words[words.length - 1] = ~k >>> 0;
  return out;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}

export function withTimeout<T>(promise: PromiseLike<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ConformanceFailure(`${what} did not answer within ${ms} ms`)), ms);
    timer.unref?.();
    Promise.resolve(promise).then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

/** What a call did: answered a code, or threw / rejected. */
export type Outcome = { code: ResultCode; error?: undefined } | { code?: undefined; error: unknown };

/**
 * One pager under test, initialised for an object of `pageCount` pages. Every call checks that the answer
 * is a ResultCode (or a promise of one) that arrives within the target's call timeout.
 */
export class Subject {
  private constructor(
    readonly pager: Pager,
    readonly target: CheckedTarget,
    readonly context: PagerContext,
  ) {}

  static async make(target: CheckedTarget, label: string, make: () => Pager | Promise<Pager> = target.makePager, pageCount = target.capabilities.maxPages): Promise<Subject> {
    let pager: Pager;
    try {
      pager = await make();
    } catch (err) {
      throw new ConformanceFailure(`making the pager threw: ${message(err)}`, { cause: err });
    }
    for (const method of ['init', 'pageIn', 'pageOut', 'destroy'] as const) {
      if (typeof (pager as unknown as Record<string, unknown>)?.[method] !== 'function') {
        throw new ConformanceFailure(`makePager answered ${describeValue(pager)}, which has no ${method}() method: it must answer a Pager`);
      }
    }
    const context: PagerContext = { pageSize: target.pageSize, size: pageCount * target.pageSize, pageCount, name: `conformance-${label}` };
    try {
      pager.init(context);
    } catch (err) {
      throw new ConformanceFailure(`init(${JSON.stringify(context)}) threw: ${message(err)}`, { cause: err });
    }
    return new Subject(pager, target, context);
  }

  get pageSize(): number {
    return this.target.pageSize;
  }

  /** Calls `call` and answers what it did, failing on anything that is not a ResultCode. */
  async attempt(what: string, call: () => unknown): Promise<Outcome> {
    let answer: unknown;
    try {
      answer = call();
      if (isThenable(answer)) answer = await withTimeout(answer, this.target.callTimeout, what);
    } catch (error) {
      if (error instanceof ConformanceFailure) throw error;
      return { error };
    }
    if (!isResultCode(answer)) throw new ConformanceFailure(`${what} answered ${describeValue(answer)}, which is not a ResultCode`);
    return { code: answer };
  }

  /** A call that must answer a code (throwing is a failure). */
  async call(what: string, call: () => unknown): Promise<ResultCode> {
    const outcome = await this.attempt(what, call);
    if (outcome.error !== undefined) throw new ConformanceFailure(`${what} threw: ${message(outcome.error)}`, { cause: outcome.error });
    return outcome.code!;
  }

  pageIn(page: number, frame: Uint8Array, access: Access = 'read'): Promise<ResultCode> {
    return this.call(`pageIn(${page})`, () => this.pager.pageIn(page, frame, access));
  }

  pageOut(page: number, frame: Uint8Array, dirty: boolean): Promise<ResultCode> {
    return this.call(`pageOut(${page}, dirty=${dirty})`, () => this.pager.pageOut(page, frame, dirty));
  }

  /** Page-in into a guarded frame that must answer Success; answers the page's bytes. */
  async read(page: number, fill = 0xa7): Promise<Uint8Array> {
    const g = new GuardedFrame(this.pageSize, fill);
    expectCode(`pageIn(${page})`, await this.pageIn(page, g.frame), ResultCode.Success);
    g.checkGuards(`pageIn(${page})`);
    return g.frame;
  }

  /** Dirty page-out of `bytes` (from a frame the kit scribbles over afterwards) that must answer Success. */
  async write(page: number, bytes: Uint8Array): Promise<void> {
    const g = new GuardedFrame(this.pageSize, 0);
    g.frame.set(bytes);
    expectCode(`pageOut(${page}, dirty=true)`, await this.pageOut(page, g.frame, true), ResultCode.Success);
    g.checkGuards(`pageOut(${page})`);
    // The frame goes back to the pool and is reused at once: a pager must have copied what it needed.
    g.frame.fill(0x3c);
  }

  /**
   * Reads the page, compares it with `expected`, then gives it back unchanged as spinvm evicts a clean page
   * (pageOut with dirty=false, answering Success or AlreadyPagedOut), so pagers that keep a state per page
   * see page-ins and page-outs in turn.
   */
  async expect(page: number, expected: Uint8Array, what: string): Promise<void> {
    const back = await this.read(page);
    sameBytes(back, expected, what);
    const g = new GuardedFrame(this.pageSize, 0);
    g.frame.set(back);
    expectCode(`pageOut(${page}, dirty=false) after ${what}`, await this.pageOut(page, g.frame, false), ResultCode.Success, ResultCode.AlreadyPagedOut);
    g.frame.fill(0x99);
  }

  /** pageOutRun, which must answer one Success per frame; the frames are scribbled over afterwards. */
  async pageOutRun(firstPage: number, frames: Uint8Array[]): Promise<void> {
    const what = `pageOutRun(${firstPage}, ${frames.length} frames)`;
    let answer: unknown;
    try {
      const pending = this.pager.pageOutRun(firstPage, frames);
      answer = isThenable(pending) ? await withTimeout(pending, this.target.callTimeout * Math.max(1, frames.length / 16), what) : pending;
    } catch (err) {
      if (err instanceof ConformanceFailure) throw err;
      throw new ConformanceFailure(`${what} threw: ${message(err)}`, { cause: err });
    }
    if (!Array.isArray(answer) || answer.length !== frames.length) {
      throw new ConformanceFailure(`${what} answered ${Array.isArray(answer) ? `${answer.length} codes` : codeName(answer)}, expected an array of ${frames.length} ResultCodes`);
    }
    answer.forEach((code, i) => expectCode(`${what}, page ${firstPage + i}`, code as ResultCode, ResultCode.Success));
    for (const f of frames) f.fill(0x3c);
  }

  initial(page: number): Uint8Array {
    return this.target.initialPage(page);
  }

  async destroy(): Promise<void> {
    await this.attempt('destroy()', () => {
      const ending = this.pager.destroy();
      return isThenable(ending) ? Promise.resolve(ending).then(() => ResultCode.Success) : ResultCode.Success;
    }).then((outcome) => {
      if (outcome.error !== undefined) throw new ConformanceFailure(`destroy() threw: ${message(outcome.error)}`, { cause: outcome.error });
    });
  }

  /** Destroys without reporting: for the end of a check that already failed. */
  async dispose(): Promise<void> {
    try {
      await withTimeout(Promise.resolve().then(() => this.pager.destroy()), this.target.callTimeout, 'destroy()');
    } catch {
      // the check's own failure is the one that matters
    }
  }
}

export function expectCode(what: string, got: ResultCode, ...allowed: ResultCode[]): void {
  if (!allowed.includes(got)) throw new ConformanceFailure(`${what} answered ${codeName(got)}, expected ${allowed.map(codeName).join(' or ')}`);
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : describeValue(err);
}

/** The pages of `candidates` an object of `pageCount` pages has, without repeats, in order. */
export function pagesWithin(candidates: readonly number[], pageCount: number): number[] {
  return [...new Set(candidates.filter((p) => p >= 0 && p < pageCount))];
}
