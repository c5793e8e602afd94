import { NotResidentError, SpinVmError } from '../errors.js';
import type { Access } from '../pager/access.js';

/** An address as the messages print it: `0x1f000`. */
export function hex(address: number): string {
  return '0x' + address.toString(16);
}

/**
 * A memory access the address space cannot satisfy: the software analogue of a hardware fault. `address`
 * is the first byte that faulted and `access` what was tried. `signal` and `siCode` are what Linux would deliver;
 * `errno` is EFAULT, what read(2) or write(2) answers for the same address.
 */
export abstract class MemoryFault extends SpinVmError {
  override readonly errno = 'EFAULT';
  abstract readonly signal: 'SIGSEGV' | 'SIGBUS';
  abstract readonly siCode: 'SEGV_MAPERR' | 'SEGV_ACCERR' | 'BUS_ADRERR';
  constructor(
    readonly address: number,
    readonly access: Access,
    what: string,
  ) {
    super(`${what} at ${hex(address)} (${access})`);
  }
}

/** No mapping covers the address (SIGSEGV, SEGV_MAPERR). */
export class SegmentationFault extends MemoryFault {
  override readonly code = 'SPINVM_SEGMENTATION_FAULT';
  readonly signal = 'SIGSEGV';
  readonly siCode = 'SEGV_MAPERR';
  constructor(address: number, access: Access) {
    super(address, access, 'segmentation fault: no mapping');
  }
}

/** A mapping covers the address but its protection forbids the access (SIGSEGV, SEGV_ACCERR). */
export class ProtectionFault extends MemoryFault {
  override readonly code = 'SPINVM_PROTECTION_FAULT';
  readonly signal = 'SIGSEGV';
  readonly siCode = 'SEGV_ACCERR';
  constructor(
    address: number,
    access: Access,
    readonly prot: readonly string[],
  ) {
    super(address, access, `protection fault: mapping is ${prot.length ? prot.join('+') : 'none'}`);
  }
}

/** The address lies in a mapped file's range but past the end of the file, beyond its last page (SIGBUS, BUS_ADRERR). */
export class BusError extends MemoryFault {
  override readonly code = 'SPINVM_BUS_ERROR';
  readonly signal = 'SIGBUS';
  readonly siCode = 'BUS_ADRERR';
  constructor(address: number, access: Access) {
    super(address, access, 'bus error: past the end of the mapped file or object');
  }
}

/**
 * A synchronous access (readSync, writeSync, getUint32, ...) touched a page that is mapped with the right
 * rights but not ready: not resident, or a private page not yet copied for writing. Nothing was read or
 * written. `while ((p = space.trap(address, access, length))) await p;` first, or use the async read / write.
 */
export class AddressNotResidentError extends NotResidentError {
  override readonly code = 'SPINVM_ADDRESS_NOT_RESIDENT';
  constructor(
    readonly address: number,
    readonly access: Access,
    page: number,
  ) {
    super(`address ${hex(address)}`, page);
    this.message = `address ${hex(address)} is not ready for ${access}: trap(${hex(address)}, '${access}') first or use the async read/write`;
  }
}

/** protect or sync of a range that contains unmapped pages (POSIX ENOMEM); nothing was changed. */
export class UnmappedRangeError extends SpinVmError {
  override readonly code = 'SPINVM_UNMAPPED_RANGE';
  override readonly errno = 'ENOMEM';
  constructor(
    readonly address: number,
    readonly length: number,
    readonly unmapped: number,
  ) {
    super(`range ${hex(address)}..${hex(address + length)} is not fully mapped: nothing at ${hex(unmapped)}`);
  }
}

/** Write rights asked on a shared mapping of a file that could not be opened for writing (POSIX EACCES); nothing was changed. */
export class AccessDeniedError extends SpinVmError {
  override readonly code = 'SPINVM_ACCESS_DENIED';
  override readonly errno = 'EACCES';
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}

/** No free range of the address space is large enough (POSIX ENOMEM). */
export class AddressSpaceFullError extends SpinVmError {
  override readonly code = 'SPINVM_ADDRESS_SPACE_FULL';
  override readonly errno = 'ENOMEM';
  constructor(readonly length: number) {
    super(`no free range of ${length} bytes left in the address space`);
  }
}

/** `map({ file })` with no FileMapper bound in the instance's container (POSIX ENODEV). */
export class NoFileMapperError extends SpinVmError {
  override readonly code = 'SPINVM_NO_FILE_MAPPER';
  override readonly errno = 'ENODEV';
  constructor(readonly path: string) {
    super(`cannot map ${JSON.stringify(path)}: no FileMapper is bound (useFilePager(vm) binds one under TOKENS.FileMapper)`);
  }
}

/** `map({ fixed: 'noreplace' })` over a range that is already mapped (MAP_FIXED_NOREPLACE's EEXIST). */
export class AddressInUseError extends SpinVmError {
  override readonly code = 'SPINVM_ADDRESS_IN_USE';
  override readonly errno = 'EEXIST';
  constructor(
    readonly address: number,
    readonly length: number,
  ) {
    super(`0x${address.toString(16)} .. 0x${(address + length).toString(16)} overlaps a mapping, and fixed: 'noreplace' replaces nothing (EEXIST)`);
  }
}

/** `remap` cannot grow a range where it is, and was not allowed to move it (mremap's ENOMEM without MREMAP_MAYMOVE). */
export class RemapError extends SpinVmError {
  override readonly code = 'SPINVM_REMAP';
  override readonly errno = 'ENOMEM';
  constructor(
    readonly address: number,
    detail: string,
  ) {
    super(`remap of 0x${address.toString(16)}: ${detail}`);
  }
}
