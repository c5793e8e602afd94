import * as nodeFs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AccessorBusyError, FileSystemError, describeReason } from '../../fs/index.js';
import { SpinVmError } from '../../vmcore/errors.js';

describe('FileSystemError', () => {
  it('names the operation, the path and the cause', () => {
    const e = new FileSystemError('open', '/x/y', 'ENOENT');
    expect(e.message).toBe('open /x/y: no such file or directory (ENOENT)');
    expect(e).toBeInstanceOf(SpinVmError);
    expect(e.name).toBe('FileSystemError');
    expect(e.code).toBe('SPINVM_FILE_SYSTEM');
    expect(e.errno).toBe('ENOENT');
    expect(e.reason).toBe('ENOENT');
    expect(e.path).toBe('/x/y');
    expect(e.operation).toBe('open');
    expect(new FileSystemError('write', '/z', 'EWEIRD').message).toBe('write /z: failed (EWEIRD)');
    expect(describeReason('ENOSPC')).toBe('no space left on device');
  });

  it('wraps Node errors keeping the cause, and anything else as EIO', () => {
    let nodeError: unknown;
    try {
      nodeFs.openSync('/definitely/not/here', 'r');
    } catch (error) {
      nodeError = error;
    }
    const e = FileSystemError.from(nodeError, 'open', '/definitely/not/here');
    expect(e.reason).toBe('ENOENT');
    expect(e.cause).toBe(nodeError);
    expect(e.message).toBe('open /definitely/not/here: no such file or directory (ENOENT)');
    const odd = FileSystemError.from(new TypeError('boom'), 'read', '/p');
    expect(odd.reason).toBe('EIO');
    expect(odd.message).toBe('read /p: input/output error (EIO)');
    expect(FileSystemError.from(e, 'read', '/other')).toBe(e);
    expect(FileSystemError.is(e)).toBe(true);
    expect(FileSystemError.is(e, 'ENOENT')).toBe(true);
    expect(FileSystemError.is(e, 'EIO')).toBe(false);
    expect(FileSystemError.is(nodeError)).toBe(false);
  });

  it('AccessorBusyError is an EBUSY FileSystemError naming the range in flight', () => {
    const e = new AccessorBusyError('read', '/f', 0, 4096);
    expect(e).toBeInstanceOf(FileSystemError);
    expect(e.reason).toBe('EBUSY');
    expect(e.message).toContain('bytes 0..4096');
    expect(new AccessorBusyError('size', '/f', 10, Infinity).message).toContain('bytes 10..end');
  });
});
