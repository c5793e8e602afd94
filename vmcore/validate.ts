import { InvalidArgumentError, OutOfRangeError } from './errors.js';

/** @internal A byte offset, length or page number: a non-negative safe integer (so never past 2^53). */
export function checkIndex(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(argument, value, 'a non-negative integer below 2^53');
  }
  return value;
}

/** @internal A count that must be at least 1. */
export function checkPositive(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(argument, value, 'a positive integer below 2^53');
  }
  return value;
}

/** `offset .. offset + length` must lie within `size` bytes. */
export function checkSpan(offset: unknown, length: unknown, size: number): void {
  checkIndex('offset', offset);
  checkIndex('length', length);
  if ((offset as number) + (length as number) > size) {
    const o = offset as number;
    throw new OutOfRangeError(o > size ? 'offset' : 'offset + length', o > size ? o : o + (length as number), size, 'past the end of the object');
  }
}

/** @internal A Uint8Array whose buffer is still attached. */
export function checkBytes(argument: string, value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(argument, value, 'a Uint8Array');
  if (isDetached(value)) throw new InvalidArgumentError(argument, value, 'a Uint8Array whose buffer is not detached (transferred)');
  return value;
}

export function checkName(argument: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
    throw new InvalidArgumentError(argument, value, 'a non-empty string of at most 256 characters');
  }
  return value;
}

/** @internal Rejects option objects with keys we do not know, so a typo is an error rather than silently ignored. */
export function checkOptions<T extends object>(argument: string, value: unknown, known: readonly string[]): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(argument, value, 'an options object');
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key))
      throw new InvalidArgumentError(`${argument}.${key}`, (value as Record<string, unknown>)[key], `absent (known options: ${known.join(', ')})`);
  }
  return value as Partial<T>;
}

/** Most bytes one read may answer: what a single Uint8Array can hold (2^32 on 64-bit V8). */
export const MAX_READ_LENGTH = 2 ** 32;

/** A zeroed buffer for a read of `length` bytes; a length no Uint8Array can hold is a typed error, not a bare RangeError. */
export function newBytes(argument: string, length: number): Uint8Array {
  if (length <= MAX_READ_LENGTH) {
    try {
      return new Uint8Array(length);
    } catch {
      // Out of memory for this one buffer: answered below like a length past the limit.
    }
  }
  throw new OutOfRangeError(argument, length, MAX_READ_LENGTH, 'more bytes than this process can allocate for one read: read it in parts');
}

/**
 * A write's source must hold the `length` bytes it had when the call began: a buffer transferred to a
 * worker (detached) or shrunk meanwhile is a typed error, never a bare TypeError from the copy.
 */
export function checkStillAttached(argument: string, bytes: Uint8Array, length: number): void {
  if (bytes.length < length)
    throw new InvalidArgumentError(argument, bytes, `a Uint8Array of ${length} bytes that stays attached until the write settles (it was detached or shrunk)`);
}

/** Whether an empty view's buffer has been detached (transferred): constructing a view over it throws. */
function isDetached(bytes: Uint8Array): boolean {
  if (bytes.length !== 0) return false;
  try {
    new Uint8Array(bytes.buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}
