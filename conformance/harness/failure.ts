// How a check says the pager broke its contract: a ConformanceFailure whose message says what the pager did
// and what was expected, for the author of the pager to read (it is all a failing test shows them).
import { describe as describeValue, isResultCode, ResultCode } from '../../vmcore/index.js';

/** A check found the pager breaking its contract; the message says what it did and what was expected. */
export class ConformanceFailure extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConformanceFailure';
  }
}

/** What went wrong, as text: an error's message, else a description of the value thrown. */
export function message(err: unknown): string {
  return err instanceof Error ? err.message : describeValue(err);
}

/** A code's name ('Success', 'NotImplemented'), or a description of a value that is no ResultCode. */
export function codeName(code: unknown): string {
  return isResultCode(code) ? ResultCode[code] : describeValue(code);
}

/** Throws unless the pager answered one of the `allowed` codes. */
export function expectCode(what: string, got: ResultCode, ...allowed: ResultCode[]): void {
  if (!allowed.includes(got)) throw new ConformanceFailure(`${what} answered ${codeName(got)}, expected ${allowed.map(codeName).join(' or ')}`);
}

/** Throws unless `actual` equals `expected`, saying how many bytes differ and where the first is. */
export function sameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (actual.length !== expected.length) throw new ConformanceFailure(`${what}: ${actual.length} bytes, expected ${expected.length}`);
  if (Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.length))) return;
  let first = -1;
  let count = 0;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) {
      if (first < 0) first = i;
      count++;
    }
  }
  const all = count === actual.length && expected.every((b) => b === 0) ? ' (zeros expected: was the frame filled at all?)' : '';
  throw new ConformanceFailure(
    `${what}: ${count} of ${actual.length} bytes differ, the first at byte ${first} (read ${actual[first]}, expected ${expected[first]})${all}`,
  );
}

/** Whether `value` is a promise or anything else with a `then` (a pager may answer any of them). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}

/** `promise`, or a ConformanceFailure saying that `what` did not answer within `ms` milliseconds. */
export function withTimeout<T>(promise: PromiseLike<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ConformanceFailure(`${what} did not answer within ${ms} ms`)), ms);
    timer.unref?.();
    Promise.resolve(promise).then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
