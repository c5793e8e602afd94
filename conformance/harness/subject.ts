// One pager under test, called the way spinvm calls it: every answer must be a ResultCode (or a promise of one)
// within the target's call timeout, every frame is guarded on both sides, and every frame handed over is
// scribbled over afterwards (the pool reuses it at once), so a pager that keeps a reference is caught.
import { describe as describeValue, isResultCode, ResultCode, type Access, type Pager, type PagerContext } from '../../vmcore/index.js';
import type { CheckedTarget } from '../target.js';
import { codeName, ConformanceFailure, expectCode, isThenable, message, sameBytes, withTimeout } from './failure.js';

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

  static async make(
    target: CheckedTarget,
    label: string,
    make: () => Pager | Promise<Pager> = target.makePager,
    pageCount = target.capabilities.maxPages,
  ): Promise<Subject> {
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
      throw new ConformanceFailure(
        `${what} answered ${Array.isArray(answer) ? `${answer.length} codes` : codeName(answer)}, expected an array of ${frames.length} ResultCodes`,
      );
    }
    answer.forEach((code, i) => expectCode(`${what}, page ${firstPage + i}`, code as ResultCode, ResultCode.Success));
    for (const f of frames) f.fill(0x3c);
  }

  /**
   * pageInRun into `frames`, which must answer one ResultCode per frame (a promise of them at most the
   * timeout per 16 frames): the codes.
   */
  async pageInRun(firstPage: number, frames: Uint8Array[]): Promise<ResultCode[]> {
    const what = `pageInRun(${firstPage}, ${frames.length} frames)`;
    let answer: unknown;
    try {
      const pending = this.pager.pageInRun(firstPage, frames, 'read');
      answer = isThenable(pending) ? await withTimeout(pending, this.target.callTimeout * Math.max(1, frames.length / 16), what) : pending;
    } catch (err) {
      if (err instanceof ConformanceFailure) throw err;
      throw new ConformanceFailure(`${what} threw: ${message(err)}`, { cause: err });
    }
    if (!Array.isArray(answer) || answer.length !== frames.length || !answer.every(isResultCode)) {
      throw new ConformanceFailure(
        `${what} answered ${Array.isArray(answer) ? `[${answer.map(codeName).join(', ')}]` : codeName(answer)}, expected an array of ${frames.length} ResultCodes`,
      );
    }
    return answer as ResultCode[];
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
      await withTimeout(
        Promise.resolve().then(() => this.pager.destroy()),
        this.target.callTimeout,
        'destroy()',
      );
    } catch {
      // the check's own failure is the one that matters
    }
  }
}
