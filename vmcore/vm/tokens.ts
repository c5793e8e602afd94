/**
 * The instance's container keys: one table for every layer, so a user looks in one place. Symbols from the
 * global registry, so two copies of spinvm in one process agree on them. DefaultPager, Pager and CacheFactory are resolved each time an object is
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
  /** FileMapper: opens files for `map({ file })` (bound by `useFilePager`). */
  FileMapper: Symbol.for('spinvm.FileMapper'),
  /** FileSystem: the file system the pagers use (real files when unbound). */
  FileSystem: Symbol.for('spinvm.FileSystem'),
  /** FileRegistry: the files the file pager has open, one entry per file (bound by the first `mapFile` or `openFile`). */
  FileRegistry: Symbol.for('spinvm.FileRegistry'),
  /** SwapSpace: where the default pager pages out to (bound by `useDefaultPager`). */
  SwapSpace: Symbol.for('spinvm.SwapSpace'),
  /** PolicyFactory, named: replacement policies registered by extensions (`context.bindPolicy`). */
  PolicyFactory: Symbol.for('spinvm.PolicyFactory'),
  /** ExtensionManager (a constant): the instance's extension manager, bound by the first `extensionsOf(vm)`. */
  ExtensionManager: Symbol.for('spinvm.ExtensionManager'),
} as const;
