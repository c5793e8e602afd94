import { FrameSizeError, SpinVmError } from '../errors.js';
import type { Access } from './access.js';
import { ResultCode, type PagerAnswer } from './result-code.js';

/** What a memory object tells its pager when it takes it on. */
export interface PagerContext {
  /** Bytes per page (a power of two, at least 512). */
  readonly pageSize: number;
  /** The memory object's size in bytes. */
  readonly size: number;
  /** The memory object's size in pages (the last one may be partial). */
  readonly pageCount: number;
  /** The memory object's name, for messages. */
  readonly name: string;
}

/** The advice an address space passes on to pagers (see `Pager.advise`). */
export type PagerAdvice = 'normal' | 'random' | 'sequential';

/**
 * The brand every pager carries: a `Symbol.for` key, the same in every copy of spinvm a process loads, so a
 * pager whose package brought its own copy (a `file:` link, `npm link`) is still recognised as one.
 */
export const PAGER_BRAND: unique symbol = Symbol.for('spinvm.Pager') as never;

/**
 * SPIN's pager: moves pages between frames and a backing store. Subclass it and implement `pageIn`
 * (the compiler insists) and, if the pager can write pages back, `pageOut`; the base class answers
 * NotImplemented to page-outs. Answer a ResultCode directly when no I/O is needed and a promise of one
 * otherwise. (`definePager({ pageIn, pageOut })` does the same without a class.)
 *
 * What vmcore guarantees, so a pager need not check it: `init` comes first and once; every frame is a
 * Uint8Array of exactly one page; no page-in or page-out is asked once `destroy` has been called (one
 * already running may still settle).
 */
export abstract class Pager {
  declare readonly [PAGER_BRAND]: true;
  private ctx: PagerContext | undefined;

  /**
   * True when a clean page can be dropped without a page-out because `pageIn` can supply it again
   * (the bogopager zero-fills). When false, vmcore only drops a clean page whose `pageOut(page, frame,
   * false)` answers Success or AlreadyPagedOut, so a pager that cannot restore a page never loses it.
   */
  get refillsCleanPages(): boolean {
    return false;
  }

  /** Called once by the memory object that takes this pager on, before any page-in. */
  init(context: PagerContext): void {
    this.ctx = context;
  }

  /** The context given to `init`; throws if the pager has not been initialised. */
  protected get context(): PagerContext {
    if (!this.ctx) throw new SpinVmError(`${this.constructor.name} used before init(): make a memory object over it first`);
    return this.ctx;
  }

  /** Called when the memory object is destroyed. Release what the pager holds; later calls should answer PagerDestroyed. */
  destroy(): void | Promise<void> {}

  /** Fill `frame` (exactly one page) with the contents of page `page`. */
  abstract pageIn(page: number, frame: Uint8Array, access: Access): PagerAnswer;

  /** Write page `page` back from `frame`; `dirty` is false when the page is unchanged since it came in. */
  pageOut(_page: number, _frame: Uint8Array, _dirty: boolean): PagerAnswer {
    return ResultCode.NotImplemented;
  }

  /**
   * Writes back a run of contiguous dirty pages (`firstPage`, `firstPage + 1`, ...) — FreeBSD's putpages.
   * `flush()` calls it with the runs it finds, so a pager can join them into one write. Answers one code
   * per page, or a promise of them. The base class calls `pageOut` page by page.
   */
  pageOutRun(firstPage: number, frames: readonly Uint8Array[]): ResultCode[] | Promise<ResultCode[]> {
    const codes: ResultCode[] = [];
    let pending: Promise<void> | undefined;
    frames.forEach((frame, i) => {
      const step = (): void | Promise<void> => {
        const answer = this.pageOut(firstPage + i, frame, true);
        if (typeof answer === 'number') codes[i] = answer;
        else return Promise.resolve(answer).then((code) => void (codes[i] = code));
      };
      pending = pending ? pending.then(step) : (step() ?? undefined);
    });
    return pending ? pending.then(() => codes) : codes;
  }

  /**
   * Optional: how pages `first .. first + count` will be read, from an address space's `advise`
   * (madvise's sequential, random or normal). A pager that reads ahead can size its runs by it.
   */
  advise?(first: number, count: number, advice: PagerAdvice): void;

  /** Throws a FrameSizeError unless `frame` is a Uint8Array of exactly one page. */
  protected checkFrame(frame: unknown): asserts frame is Uint8Array {
    if (!(frame instanceof Uint8Array) || frame.length !== this.context.pageSize) {
      throw new FrameSizeError(frame, this.context.pageSize);
    }
  }
}

Object.defineProperty(Pager.prototype, PAGER_BRAND, { value: true });
