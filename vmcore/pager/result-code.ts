/** SPIN's pager result codes, exactly six. What the memory object does with each is in the README's table. */
export enum ResultCode {
  Success = 0,
  AlreadyPagedIn = 1,
  AlreadyPagedOut = 2,
  PagerDestroyed = 3,
  DeviceFull = 4,
  NotImplemented = 5,
}

/** A pager answers a code directly when it does no I/O, so a zero-fill fault costs no promise. */
export type PagerAnswer = ResultCode | Promise<ResultCode>;

export function isResultCode(value: unknown): value is ResultCode {
  return typeof value === 'number' && value >= 0 && value <= 5 && Number.isInteger(value);
}
