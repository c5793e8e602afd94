// spinvm's public API: what `import ... from 'spinvm'` offers. Each layer's index.ts is that layer's interface to
// the other layers and may say more; this file chooses, name by name, what users get. The file systems are
// `spinvm/fs`, runtime extensions `spinvm/extensions`, the conformance kit `spinvm/conformance`.

// The instance and its container keys.
export { createVm, TOKENS, type Vm, type VmOptions, type VmStat, type CreateMemoryObjectOptions } from './vmcore/index.js';

// Sharing a memory object with worker threads (the worker's side is `spinvm/worker`).
export { shareMemoryObject, type SharedMemoryObjectHandle } from './vmcore/index.js';

// Memory objects and their events.
export { type MemoryObject, type MemoryObjectStat, type VmEvents, type EventName, type Listener } from './vmcore/index.js';

// Writing a pager.
export {
  Pager,
  definePager,
  isPager,
  BogoPager,
  ResultCode,
  type Access,
  type PagerAnswer,
  type PagerAdvice,
  type PagerContext,
  type PagerMethods,
  type MaybePromise,
} from './vmcore/index.js';

// Choosing or writing a replacement policy or a cache (policies are chosen by name: createVm({ policy })).
export { HashCache, type Cache, type CacheFactory, type ReplacementPolicy, type PolicyFactory } from './vmcore/index.js';

// Address spaces.
export {
  createAddressSpace,
  PROT,
  type AddressSpace,
  type AddressSpaceStat,
  type Advice,
  type MapOptions,
  type MappingInfo,
  type MappingKind,
  type Protection,
  type ProtName,
  type RemapOptions,
  type Share,
  type SyncOptions,
} from './vmcore/index.js';

// The pagers spinvm ships: swap, and files (mapped, or one page set per file).
export {
  useDefaultPager,
  useFilePager,
  mapFile,
  openFile,
  type UseDefaultPagerOptions,
  type MappedFile,
  type OpenFile,
  type MapFileOptions,
  type OpenFileOptions,
} from './pagers/index.js';

// Errors: every one a SpinVmError with a code of its own and, where the kernel has one, an errno.
export {
  SpinVmError,
  InvalidArgumentError,
  FrameSizeError,
  OutOfRangeError,
  DestroyedError,
  PagerFailedError,
  PagerIoError,
  PagerProtocolError,
  OutOfMemoryError,
  NotResidentError,
  FaultTimeoutError,
  RemoteFaultError,
  MemoryFault,
  SegmentationFault,
  ProtectionFault,
  BusError,
  AddressNotResidentError,
  UnmappedRangeError,
  AccessDeniedError,
  AddressSpaceFullError,
  NoFileMapperError,
  AddressInUseError,
  RemapError,
} from './vmcore/index.js';
export { SwapIntegrityError, SwapSetupError, MappedFileTruncatedError, ReadOnlyFileError, ReadOnlyMappingError } from './pagers/index.js';
