import { describe, expect, it } from 'vitest';
import * as spinvm from '../../index.js';
import * as spinvmExtensions from '../../extensions/index.js';
import * as spinvmFs from '../../fs/index.js';
import { AccessorBusyError, FileSystemError } from '../../fs/index.js';
import { ExtensionError } from '../../extensions/index.js';
import * as spinvmSqlite from '../../extensions/sqlite/index.js';
import { SqliteFileFullError, SqliteUnavailableError } from '../../extensions/sqlite/index.js';
import {
  AccessDeniedError,
  AddressInUseError,
  AddressNotResidentError,
  AddressSpaceFullError,
  BusError,
  DestroyedError,
  FaultTimeoutError,
  FrameSizeError,
  InvalidArgumentError,
  MappedFileTruncatedError,
  NoFileMapperError,
  NotResidentError,
  OutOfMemoryError,
  OutOfRangeError,
  PagerFailedError,
  PagerIoError,
  PagerProtocolError,
  ProtectionFault,
  ReadOnlyFileError,
  ReadOnlyMappingError,
  RemapError,
  RemoteFaultError,
  ResultCode,
  SegmentationFault,
  SpinVmError,
  SwapIntegrityError,
  SwapSetupError,
  UnmappedRangeError,
} from '../../index.js';

/** One instance of every error class spinvm exports, with the errno it should carry (undefined: none). */
const INSTANCES: Array<[SpinVmError, string | undefined]> = [
  [new SpinVmError('x'), undefined],
  [new InvalidArgumentError('size', -1, 'positive'), 'EINVAL'],
  [new FrameSizeError(new Uint8Array(3), 4096), 'EINVAL'],
  [new OutOfRangeError('offset', 9, 8, 'past the end'), 'ERANGE'],
  [new DestroyedError('object'), undefined],
  [new PagerFailedError('o', 0, 'pageIn', ResultCode.DeviceFull, 'x'), 'ENOSPC'],
  [new PagerIoError('o', 0, 'pageIn', new Error('x')), 'EIO'],
  [new PagerProtocolError('o', 0, 'pageIn', 'x'), 'EPROTO'],
  [new OutOfMemoryError(4, 'x'), 'ENOMEM'],
  [new NotResidentError('o', 0), undefined],
  [new FaultTimeoutError('o', 0, 50), 'ETIMEDOUT'],
  [new RemoteFaultError('o', 0, 'PagerIoError', 'SPINVM_PAGER_IO', 'x'), 'EIO'],
  [new SegmentationFault(0, 'read'), 'EFAULT'],
  [new ProtectionFault(0, 'write', ['read']), 'EFAULT'],
  [new BusError(0, 'read'), 'EFAULT'],
  [new AddressNotResidentError(0, 'read', 0), undefined],
  [new UnmappedRangeError(0, 1, 0), 'ENOMEM'],
  [new AccessDeniedError('/f', 'x'), 'EACCES'],
  [new AddressSpaceFullError(1), 'ENOMEM'],
  [new NoFileMapperError('/f'), 'ENODEV'],
  [new AddressInUseError(0, 1), 'EEXIST'],
  [new RemapError(0, 'x'), 'ENOMEM'],
  [new FileSystemError('open', '/f', 'ENOSPC'), 'ENOSPC'],
  [new AccessorBusyError('read', '/f', 0, 1), 'EBUSY'],
  [new ReadOnlyMappingError('/f'), 'EROFS'],
  [new MappedFileTruncatedError('/f', 1, 2, 1), undefined],
  [new ReadOnlyFileError('/f'), 'EBADF'],
  [new SwapIntegrityError('/s', 0, 0, 'o', 0, 'x'), 'EIO'],
  [new SwapSetupError('/s', Object.assign(new Error('x'), { code: 'ENOTDIR' })), 'ENOTDIR'],
  [new ExtensionError('e', 'not-loaded', 'x'), undefined],
  [new SqliteUnavailableError(new Error('x')), undefined],
  [new SqliteFileFullError('f', 2, 1), 'EFBIG'],
];

describe('error codes', () => {
  it('every error class spinvm exports (the root, spinvm/fs, spinvm/extensions, spinvm/sqlite) is listed here', () => {
    const exported = [...new Set([spinvm, spinvmFs, spinvmExtensions, spinvmSqlite].flatMap((m) => Object.values(m) as unknown[]))].filter(
      (value): value is typeof SpinVmError => typeof value === 'function' && (value === SpinVmError || value.prototype instanceof SpinVmError),
    );
    const listed = new Set(INSTANCES.map(([error]) => error.constructor));
    const abstract = new Set<unknown>([spinvm.MemoryFault]);
    expect(exported.filter((cls) => !listed.has(cls) && !abstract.has(cls)).map((cls) => cls.name)).toEqual([]);
  });

  it('each class has a code of its own, unique to spinvm', () => {
    const codes = INSTANCES.map(([error]) => error.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^SPINVM_[A-Z_]+$/);
  });

  it.each(INSTANCES.map(([error, errno]) => [error.name, error, errno] as const))('%s carries errno %#', (_name, error, errno) => {
    expect(error.errno).toBe(errno);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(error.constructor.name);
  });

  it('a pager failure carries the errno of its result code only where the kernel has one', () => {
    expect(new PagerFailedError('o', 0, 'pageIn', ResultCode.NotImplemented, 'x').errno).toBe('ENOSYS');
    expect(new PagerFailedError('o', 0, 'pageIn', ResultCode.PagerDestroyed, 'x').errno).toBeUndefined();
  });

  it('memory faults carry the signal and si_code Linux would deliver', () => {
    expect(new SegmentationFault(0, 'read')).toMatchObject({ signal: 'SIGSEGV', siCode: 'SEGV_MAPERR' });
    expect(new ProtectionFault(0, 'read', [])).toMatchObject({ signal: 'SIGSEGV', siCode: 'SEGV_ACCERR' });
    expect(new BusError(0, 'read')).toMatchObject({ signal: 'SIGBUS', siCode: 'BUS_ADRERR' });
  });
});
