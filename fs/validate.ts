import { InvalidArgumentError } from '../vmcore/index.js';

// Argument checks shared by fs/ (kept here so fs/ depends only on vmcore's error classes). They run before
// any I/O, so a bad argument never changes anything. Written without closures or allocation: they sit on
// the page-in/out path.

/** A byte position, size or page number: a non-negative safe integer. */
export function checkIndex(argument: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(argument, value, 'a non-negative integer below 2^53');
  }
  return value;
}

export function checkBytes(argument: string, value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(argument, value, 'a Uint8Array');
  return value;
}

export function checkPath(argument: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.includes('\0')) {
    throw new InvalidArgumentError(argument, value, 'a non-empty path string without NUL characters');
  }
  return value;
}

/** `position + length` (a byte range of a file) must stay below 2^53. */
export function checkEnd(argument: string, position: number, length: number): void {
  if (position + length > Number.MAX_SAFE_INTEGER) {
    throw new InvalidArgumentError(argument, position, `a position such that position + ${length} stays below 2^53`);
  }
}

/** `offset` and `length` (optional, defaulting to the rest of the buffer) must lie within `buffer`. */
export function checkSpan(buffer: Uint8Array, offset: unknown, length: unknown): number {
  const o = offset === undefined ? 0 : checkIndex('offset', offset);
  if (o > buffer.length) throw new InvalidArgumentError('offset', offset, `at most the buffer's length (${buffer.length})`);
  if (length === undefined) return buffer.length - o;
  const l = checkIndex('length', length);
  if (o + l > buffer.length) {
    throw new InvalidArgumentError('length', length, `at most the buffer's length minus offset (${buffer.length - o})`);
  }
  return l;
}

/**
 * The arguments of a handle's read or write: a Uint8Array, a position, and a part of the buffer that ends
 * below 2^53 in the file. Answers the number of bytes to move.
 */
export function checkTransfer(buffer: unknown, position: unknown, offset: unknown, length: unknown): number {
  checkBytes('buffer', buffer);
  checkIndex('position', position);
  const want = checkSpan(buffer as Uint8Array, offset, length);
  checkEnd('position', position as number, want);
  return want;
}

/** Options objects: undefined, or a plain object whose known keys hold booleans (a typo is an error). */
export function checkFlags<K extends string>(argument: string, value: unknown, known: readonly K[]): Partial<Record<K, boolean>> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(argument, value, 'an options object');
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!(known as readonly string[]).includes(key)) {
      throw new InvalidArgumentError(`${argument}.${key}`, record[key], `absent (known options: ${known.join(', ')})`);
    }
    if (record[key] !== undefined && typeof record[key] !== 'boolean') {
      throw new InvalidArgumentError(`${argument}.${key}`, record[key], 'a boolean');
    }
  }
  return record as Partial<Record<K, boolean>>;
}
