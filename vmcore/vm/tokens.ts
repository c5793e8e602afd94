/**
 * The instance's container keys. Rebind one to change that part of an instance:
 * `vm.container.rebind(TOKENS.DefaultPager).to(MyPager)` makes later anonymous objects use MyPager.
 */
export const TOKENS = {
  /** number: bytes per page. */
  PageSize: Symbol.for('spinvm.PageSize'),
  /** number: frames in the pool. */
  Frames: Symbol.for('spinvm.Frames'),
  /** FramePool: the instance's frames (singleton). */
  FramePool: Symbol.for('spinvm.FramePool'),
  /** ReplacementPolicy: the page queue's order (singleton). */
  ReplacementPolicy: Symbol.for('spinvm.ReplacementPolicy'),
  /** PageQueue (singleton). */
  PageQueue: Symbol.for('spinvm.PageQueue'),
  /** CacheFactory: makes each memory object's cache. */
  CacheFactory: Symbol.for('spinvm.CacheFactory'),
  /** Pager, transient: a fresh default pager for each memory object made without one (the bogopager out of the box). */
  DefaultPager: Symbol.for('spinvm.DefaultPager'),
  /** The Vm itself, for pagers and extensions that need it. */
  Vm: Symbol.for('spinvm.Vm'),
} as const;
