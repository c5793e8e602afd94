import { InvalidArgumentError } from '../errors.js';
import type { Access } from './access.js';
import { Pager, type PagerContext } from './pager.js';
import type { PagerAnswer, ResultCode } from './result-code.js';

/** A pager's methods, for `definePager`: `pageIn` is required, the rest as in a Pager subclass. */
export interface PagerMethods {
  /** Fill `frame` (exactly one page) with page `page`; answer a ResultCode or a promise of one. */
  pageIn(page: number, frame: Uint8Array, access: Access, context: PagerContext): PagerAnswer;
  /** Fill a run of frames with pages `firstPage ..` in one call (see `Pager.pageInRun`); without it, `pageIn` page by page. */
  pageInRun?(firstPage: number, frames: readonly Uint8Array[], access: Access, context: PagerContext): ResultCode[] | Promise<ResultCode[]>;
  /** How many pages from `page` on one `pageInRun` should bring (see `Pager.pageInRunLength`); default 1. */
  pageInRunLength?(page: number, access: Access, context: PagerContext): number;
  /** Write page `page` back; without it, page-outs answer NotImplemented (dirty pages stay resident). */
  pageOut?(page: number, frame: Uint8Array, dirty: boolean, context: PagerContext): PagerAnswer;
  /** Write a run of contiguous dirty pages at once; without it, `pageOut` is called page by page. */
  pageOutRun?(firstPage: number, frames: readonly Uint8Array[], context: PagerContext): ResultCode[] | Promise<ResultCode[]>;
  /** Called once before any page-in, with the object's page size, size and name. */
  init?(context: PagerContext): void;
  /** Called when the object is destroyed: release what the pager holds. */
  destroy?(): void | Promise<void>;
  /** True when a clean page can be dropped and read again by `pageIn` (see `Pager.refillsCleanPages`). Default false. */
  refillsCleanPages?: boolean;
}

const OPTIONAL = ['pageInRun', 'pageInRunLength', 'pageOut', 'pageOutRun', 'init', 'destroy'] as const;
const KNOWN = new Set<string>(['pageIn', ...OPTIONAL, 'refillsCleanPages']);

/** The pager `definePager` makes: each method hands over to the one given, with the context last. */
class DefinedPager extends Pager {
  constructor(private readonly methods: PagerMethods) {
    super();
  }
  override get refillsCleanPages(): boolean {
    return this.methods.refillsCleanPages === true;
  }
  override init(context: PagerContext): void {
    super.init(context);
    this.methods.init?.(context);
  }
  override destroy(): void | Promise<void> {
    return this.methods.destroy?.();
  }
  override pageIn(page: number, frame: Uint8Array, access: Access): PagerAnswer {
    return this.methods.pageIn(page, frame, access, this.context);
  }
  override pageInRunLength(page: number, access: Access): number {
    return this.methods.pageInRunLength ? this.methods.pageInRunLength(page, access, this.context) : super.pageInRunLength(page, access);
  }
  override pageInRun(firstPage: number, frames: readonly Uint8Array[], access: Access): ResultCode[] | Promise<ResultCode[]> {
    return this.methods.pageInRun ? this.methods.pageInRun(firstPage, frames, access, this.context) : super.pageInRun(firstPage, frames, access);
  }
  override pageOut(page: number, frame: Uint8Array, dirty: boolean): PagerAnswer {
    return this.methods.pageOut ? this.methods.pageOut(page, frame, dirty, this.context) : super.pageOut(page, frame, dirty);
  }
  override pageOutRun(firstPage: number, frames: readonly Uint8Array[]): ResultCode[] | Promise<ResultCode[]> {
    return this.methods.pageOutRun ? this.methods.pageOutRun(firstPage, frames, this.context) : super.pageOutRun(firstPage, frames);
  }
}

/**
 * A pager from plain functions, for those who would rather not subclass:
 *
 *   const store = new Map();
 *   const pager = definePager({
 *     pageIn(page, frame) { frame.set(store.get(page) ?? new Uint8Array(frame.length)); return ResultCode.Success; },
 *     pageOut(page, frame) { store.set(page, frame.slice()); return ResultCode.Success; },
 *   });
 *
 * Each call makes one pager, which serves one memory object: register `() => definePager({ ... })` where a
 * factory is wanted (`ctx.bindPager(name, factory)`).
 */
export function definePager(methods: PagerMethods): Pager {
  if (typeof methods !== 'object' || methods === null) throw new InvalidArgumentError('methods', methods, 'an object with pageIn (and pageOut, ...)');
  if (typeof methods.pageIn !== 'function')
    throw new InvalidArgumentError('methods.pageIn', methods.pageIn, 'a function (page, frame, access, context) answering a ResultCode');
  for (const key of Object.keys(methods)) {
    if (!KNOWN.has(key))
      throw new InvalidArgumentError(`methods.${key}`, (methods as unknown as Record<string, unknown>)[key], `absent (known: ${[...KNOWN].join(', ')})`);
  }
  for (const key of OPTIONAL) {
    if (methods[key] !== undefined && typeof methods[key] !== 'function') throw new InvalidArgumentError(`methods.${key}`, methods[key], 'a function');
  }
  if (methods.refillsCleanPages !== undefined && typeof methods.refillsCleanPages !== 'boolean') {
    throw new InvalidArgumentError('methods.refillsCleanPages', methods.refillsCleanPages, 'a boolean');
  }
  return new DefinedPager({ ...methods });
}
