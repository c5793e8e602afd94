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

  /**
   * True when every page-in that answers Success has written every byte of its frames (a short read filled
   * with zeros by the pager itself). vmcore then skips zeroing the frames it hands over, which may hold
   * another page's old bytes until the pager overwrites them. Default false: frames arrive zero-filled.
   */
  get fillsWholeFrames(): boolean {
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
   * How many pages, from `page` on, one `pageInRun` should bring: 1 for the page alone, more to read ahead
   * (FreeBSD's `haspage`, which answers how many neighbours can come with a page). vmcore offers at most
   * this many and fewer where the object ends, where a page is already resident or in flight, or where the
   * pool cannot give a frame without waiting. The base class answers 1; a pager that overrides `pageInRun`
   * answers its read-ahead window here.
   */
  pageInRunLength(_page: number, _access: Access): number {
    return 1;
  }

  /**
   * Fills `frames[i]` with page `firstPage + i` in one call (FreeBSD's getpages): a file pager reads them
   * with one read, a network pager asks for them in one request. `frames[0]` is the page that faulted; the
   * others are read-ahead. Answers one code per frame, or a promise of them. The first code decides the
   * fault as `pageIn`'s would; a read-ahead page that answers anything but Success is dropped without error.
   * The frames arrive zero-filled (unless `fillsWholeFrames`); frames next to each other in the pool are adjacent views of one buffer,
   * and `Pager.joined` gives the one view that spans them, so a run can be read straight into the frames.
   * The base class calls `pageIn` page by page.
   */
  pageInRun(firstPage: number, frames: readonly Uint8Array[], access: Access): ResultCode[] | Promise<ResultCode[]> {
    return eachPage(frames, (frame, i) => this.pageIn(firstPage + i, frame, access));
  }

  /**
   * Writes back a run of contiguous dirty pages (`firstPage`, `firstPage + 1`, ...) — FreeBSD's putpages.
   * `flush()` calls it with the runs it finds, so a pager can join them into one write. Answers one code
   * per page, or a promise of them. The base class calls `pageOut` page by page.
   */
  pageOutRun(firstPage: number, frames: readonly Uint8Array[]): ResultCode[] | Promise<ResultCode[]> {
    return eachPage(frames, (frame, i) => this.pageOut(firstPage + i, frame, true));
  }

  /** How many frames from `frames[start]` on lie next to each other in one buffer, as frames adjacent in the pool do (at least 1). */
  static adjacent(frames: readonly Uint8Array[], start = 0): number {
    const known = RUN_STRETCHES.get(frames);
    if (known !== undefined && start < known.length) return known[start]!;
    const first = frames[start]!;
    let end = first.byteOffset + first.byteLength;
    let n = 1;
    for (let f = frames[start + n]; f !== undefined && f.buffer === first.buffer && f.byteOffset === end; f = frames[start + ++n]) end += f.byteLength;
    return n;
  }

  /**
   * The one view spanning `frames[start .. start + count]` when they lie next to each other in one buffer
   * (see `adjacent`), else undefined: a pager reads or writes such a stretch with one call.
   */
  static joined(frames: readonly Uint8Array[], start = 0, count = frames.length - start): Uint8Array | undefined {
    const first = frames[start];
    if (first === undefined || count < 1 || Pager.adjacent(frames, start) < count) return undefined;
    return new Uint8Array(first.buffer, first.byteOffset, count * first.byteLength);
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

/**
 * The stretches of a run vmcore hands to `pageInRun`, which it knows from the frame numbers: for each frame,
 * how many frames from it on are adjacent. `Pager.adjacent` answers from here without comparing buffers
 * (reading a view's `buffer` costs more than the rest of a run's bookkeeping per page).
 */
export const RUN_STRETCHES = new WeakMap<readonly Uint8Array[], Uint16Array>();

/** Asks `one` for each frame in turn, waiting for each answer that is a promise: a run done page by page. */
function eachPage(frames: readonly Uint8Array[], one: (frame: Uint8Array, i: number) => PagerAnswer): ResultCode[] | Promise<ResultCode[]> {
  const codes: ResultCode[] = [];
  let pending: Promise<void> | undefined;
  frames.forEach((frame, i) => {
    const step = (): void | Promise<void> => {
      const answer = one(frame, i);
      if (typeof answer === 'number') codes[i] = answer;
      else return Promise.resolve(answer).then((code) => void (codes[i] = code));
    };
    pending = pending ? pending.then(step) : (step() ?? undefined);
  });
  return pending ? pending.then(() => codes) : codes;
}
