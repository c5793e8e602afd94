// Address spaces: mappings, the fault trap, the shared zero page, copy-on-write and fork.
export {
  AddressSpace,
  createAddressSpace,
  ADDRESS_LIMIT,
  type AddressSpaceStat,
  type Advice,
  type RemapOptions,
  type MapOptions,
  type MappingInfo,
  type MappingKind,
  type Share,
  type SyncOptions,
} from './address-space.js';
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
export { FILE_MAPPER, type FileMapper, type MappableFile } from './file-mapper.js';
export { PROT, type Protection, type ProtName } from './prot.js';
