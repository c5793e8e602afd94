/**
 * The instance's container keys. DefaultPager, Pager and CacheFactory are resolved each time an object is
 * made, so rebinding them changes later objects: `vm.container.rebind(TOKENS.DefaultPager).to(MyPager)`.
 * PageSize, Frames, FramePool, ReplacementPolicy and PageQueue are fixed when the instance is made
 * (choose them through `createVm` options); they are bound so pagers and extensions can inject them.
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
  /** Pager, named: pagers registered by name (`bind(TOKENS.Pager).to(X).whenNamed('x')`), used with `createMemoryObject({ pager: 'x' })`. */
  Pager: Symbol.for('spinvm.Pager'),
  /** The Vm itself, for pagers and extensions that need it. */
  Vm: Symbol.for('spinvm.Vm'),
} as const;
