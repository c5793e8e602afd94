export { ResultCode, isResultCode, type PagerAnswer } from './pager/result-code.js';
export { type Access, ACCESSES } from './pager/access.js';
export { Pager, PAGER_BRAND, type PagerAdvice, type PagerContext } from './pager/pager.js';
export { isPager, isPagerClass, checkPagerClass } from './pager/recognise.js';
export { definePager, type PagerMethods } from './pager/define-pager.js';
export { BogoPager } from './pager/bogo-pager.js';
export * from './errors.js';
export type { Cache, CacheFactory } from './cache/cache.js';
export { HashCache } from './cache/hash-cache.js';
export { PageTableCache, PAGE_TABLE_MAX_PAGES } from './cache/page-table-cache.js';
export type { ReplacementPolicy, PolicyFactory } from './page-queue/replacement-policy.js';
export { FrameList } from './page-queue/frame-list.js';
export { BUILTIN_POLICIES } from './page-queue/policies.js';
export { FifoPolicy } from './page-queue/fifo-policy.js';
export { SecondChancePolicy } from './page-queue/second-chance-policy.js';
export { MemoryObject, MAX_PAGE_IN_RETRIES, type MemoryObjectStat } from './memory-object/memory-object.js';
export { EVENT_NAMES, type VmEvents, type EventName, type Listener } from './events.js';
export { createVm, Vm, type VmOptions, type VmStat, type CreateMemoryObjectOptions } from './vm/vm.js';
export { TOKENS } from './vm/tokens.js';
export type { MaybePromise } from './util/maybe-promise.js';
export * from './address-space/index.js';
export { shareMemoryObject } from './shared/share.js';
export { SharedPageTable } from './shared/shared-page-table.js';
export type { SharedMemoryObjectHandle } from './shared/protocol.js';
/** @internal The layout the worker side (spinvm/worker) reads. */
export * as sharedProtocol from './shared/protocol.js';

// For the other layers, not for users (the root index.ts does not offer them): the file pager checks its
// arguments as vmcore does, and the conformance kit holds pagers to the longest flush run vmcore hands them.
/** @internal */
export { checkBytes, checkIndex, checkOptions, checkPositive } from './validate.js';
export { MAX_FLUSH_RUN } from './memory-object/memory-object.js';
