// Address spaces: mappings, the trap, the shared zero page, copy-on-write and fork.
export { AddressSpace, createAddressSpace } from './address-space.js';
export type { AddressSpaceHost } from './host.js';
export { ADDRESS_LIMIT, type MappingKind, type Share } from './regions.js';
export type { MapOptions } from './mmap.js';
export type { SyncOptions } from './sync.js';
export type { Advice } from './advise.js';
export type { RemapOptions } from './remap.js';
export type { AddressSpaceStat, MappingInfo } from './inspect.js';
export {
  AccessDeniedError,
  AddressInUseError,
  AddressNotResidentError,
  AddressSpaceFullError,
  BusError,
  MemoryFault,
  NoFileMapperError,
  RemapError,
  ProtectionFault,
  SegmentationFault,
  UnmappedRangeError,
} from './errors.js';
export type { FileMapper, MappableFile } from './file-mapper.js';
export { PROT, type Protection, type ProtName } from './prot.js';
