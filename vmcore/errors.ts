import { ResultCode } from './pager/result-code.js';

/**
 * Base class of every error spinvm throws on purpose. `code` is stable for programs to test and unique to
 * one class (`SPINVM_…`); `errno` is the POSIX errno the same failure has in the kernel, where there is one.
 */
export class SpinVmError extends Error {
  readonly code: string = 'SPINVM_ERROR';
  readonly errno: string | undefined = undefined;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An argument had the wrong type or an impossible value (negative, fractional, NaN, not a power of two...). */
export class InvalidArgumentError extends SpinVmError {
  override readonly code: string = 'SPINVM_INVALID_ARGUMENT';
  override readonly errno = 'EINVAL';
  constructor(
    readonly argument: string,
    readonly value: unknown,
    expected: string,
  ) {
    super(`${argument} must be ${expected}; got ${describe(value)}`);
  }
}

/** A frame handed to a pager is not exactly one page long. */
export class FrameSizeError extends InvalidArgumentError {
  override readonly code = 'SPINVM_FRAME_SIZE';
  constructor(value: unknown, pageSize: number) {
    super('frame', value, `a Uint8Array of exactly one page (${pageSize} bytes)`);
  }
}

/** An offset, length or page lies outside the memory object (or past 2^53). */
export class OutOfRangeError extends SpinVmError {
  override readonly code = 'SPINVM_OUT_OF_RANGE';
  override readonly errno = 'ERANGE';
  constructor(
    readonly argument: string,
    readonly value: number,
    readonly limit: number,
    what: string,
  ) {
    super(`${argument} ${value} is out of range: ${what} (limit ${limit})`);
  }
}

/** The memory object (or instance) was destroyed; nothing more can be done with it. */
export class DestroyedError extends SpinVmError {
  override readonly code = 'SPINVM_DESTROYED';
  constructor(
    readonly what: string,
    cause?: unknown,
  ) {
    super(`${what} has been destroyed`, cause === undefined ? undefined : { cause });
  }
}

/**
 * A pager answered a code that ends the operation: PagerDestroyed, DeviceFull or NotImplemented on page-in
 * (the object is destroyed), AlreadyPagedIn more times than the retry bound allows, or a flush whose
 * page-out could not write a page (that page stays resident and dirty). `result` is the code.
 */
export class PagerFailedError extends SpinVmError {
  override readonly code = 'SPINVM_PAGER_FAILED';
  /** ENOSPC for DeviceFull, ENOSYS for NotImplemented; none for the others. */
  override readonly errno: string | undefined;
  constructor(
    readonly object: string,
    readonly page: number,
    readonly operation: 'pageIn' | 'pageOut',
    readonly result: ResultCode,
    detail: string,
  ) {
    super(`${object}: ${operation} of page ${page} answered ${ResultCode[result] ?? result}: ${detail}`);
    this.errno = result === ResultCode.DeviceFull ? 'ENOSPC' : result === ResultCode.NotImplemented ? 'ENOSYS' : undefined;
  }
}

/** A pager threw or its promise rejected; `cause` holds what it threw. Data already written is kept. */
export class PagerIoError extends SpinVmError {
  override readonly code = 'SPINVM_PAGER_IO';
  override readonly errno = 'EIO';
  constructor(
    readonly object: string,
    readonly page: number,
    readonly operation: 'pageIn' | 'pageOut' | 'init' | 'destroy',
    cause: unknown,
  ) {
    super(`${object}: ${operation} of page ${page} failed: ${causeText(cause)}`, { cause });
  }
}

/** A pager answered something that is not a ResultCode. */
export class PagerProtocolError extends SpinVmError {
  override readonly code = 'SPINVM_PAGER_PROTOCOL';
  override readonly errno = 'EPROTO';
  constructor(
    readonly object: string,
    readonly page: number,
    operation: string,
    answer: unknown,
  ) {
    super(`${object}: ${operation} of page ${page} answered ${describe(answer)}, which is not a ResultCode`);
  }
}

/** No frame could be freed: every frame is pinned, or dirty with a pager that cannot page it out. */
export class OutOfMemoryError extends SpinVmError {
  override readonly code = 'SPINVM_OUT_OF_FRAMES';
  override readonly errno = 'ENOMEM';
  constructor(
    readonly frames: number,
    detail: string,
  ) {
    super(`out of frames: none of the ${frames} frames can be reclaimed (${detail})`);
  }
}

/** A synchronous access touched a page that is not resident; `await object.request(page, access)` first. */
export class NotResidentError extends SpinVmError {
  override readonly code: string = 'SPINVM_NOT_RESIDENT';
  constructor(
    readonly object: string,
    readonly page: number,
  ) {
    super(`${object}: page ${page} is not resident; fault it in with request() or use the async read/write`);
  }
}

/** A worker's fault on a shared memory object was not answered within the timeout the worker chose. */
export class FaultTimeoutError extends SpinVmError {
  override readonly code = 'SPINVM_FAULT_TIMEOUT';
  override readonly errno = 'ETIMEDOUT';
  constructor(
    readonly object: string,
    readonly page: number,
    readonly timeout: number,
  ) {
    super(`${object}: the fault of page ${page} was not answered within ${timeout} ms by the thread that owns the object`);
  }
}

/**
 * A worker's fault on a shared memory object failed on the thread that owns it (the pager failed, say):
 * `remoteName` and `remoteCode` are that error's class name and code, its message is in this one's.
 */
export class RemoteFaultError extends SpinVmError {
  override readonly code = 'SPINVM_REMOTE_FAULT';
  override readonly errno = 'EIO';
  constructor(
    readonly object: string,
    readonly page: number,
    readonly remoteName: string,
    readonly remoteCode: string | undefined,
    message: string,
  ) {
    super(`${object}: the fault of page ${page} failed on the owning thread: ${remoteName}${remoteCode ? ` (${remoteCode})` : ''}: ${message}`);
  }
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') {
    // Its name, never its source: `class MapPager`, `function makePager`, `async function load`.
    let source = '';
    let name: unknown;
    try {
      name = value.name;
      source = Function.prototype.toString.call(value);
    } catch {
      // A revoked proxy, say: what could be read.
    }
    const kind = /^class\b/.test(source) ? 'class' : /^async\b/.test(source) ? 'async function' : 'function';
    return `${kind} ${typeof name === 'string' && name !== '' ? name : '(anonymous)'}`;
  }
  if (value === null || typeof value !== 'object') return String(value);
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as Uint8Array).length})`;
  return Array.isArray(value) ? `array(${value.length})` : (value.constructor?.name ?? 'object');
}

function causeText(cause: unknown): string {
  return cause instanceof Error ? cause.message : describe(cause);
}
