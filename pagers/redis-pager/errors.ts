import { SpinVmError } from '../../vmcore/index.js';

/**
 * The `redis` package (node-redis, an optional peer dependency of spinvm) could not be loaded: install it
 * beside spinvm (`npm install redis`) to use the Redis pager.
 */
export class RedisUnavailableError extends SpinVmError {
  override readonly code = 'SPINVM_REDIS_UNAVAILABLE';
  constructor(cause: unknown) {
    super(`the Redis pager needs the 'redis' package (npm install redis): ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

/**
 * A request to Redis failed: the connection was lost or refused, the request timed out, or the server
 * answered an error. vmcore reports it as a PagerIoError whose `cause` is this: a page-in fails and the
 * object stays usable; a page-out leaves the page resident and dirty. The message never holds a password.
 */
export class RedisRequestError extends SpinVmError {
  override readonly code: string = 'SPINVM_REDIS_REQUEST';
  override readonly errno: string = 'EIO';
  constructor(
    /** What was asked: 'MGET', 'MSET', 'connect'... */
    readonly command: string,
    /** The first key of the request (`prefix:{namespace:extent}:page`), '' when it had none. */
    readonly key: string,
    /** True when no answer came within the store's `timeout`. */
    readonly timedOut: boolean,
    detail: string,
  ) {
    super(`Redis ${command}${key ? ` of ${key}` : ''} ${timedOut ? 'timed out' : 'failed'}: ${detail}`);
  }
}

/** Fewer replicas than the store's `replicas` acknowledged a page-out (WAIT): the pages stay resident and dirty. */
export class RedisReplicationError extends RedisRequestError {
  override readonly code = 'SPINVM_REDIS_REPLICATION';
  constructor(
    key: string,
    readonly wanted: number,
    readonly acknowledged: number,
    timeout: number,
  ) {
    super('WAIT', key, false, `${acknowledged} of the ${wanted} replicas asked for acknowledged the write within ${timeout} ms`);
  }
}

/** A page's key holds a value that is not one page long (another program's key, or a different page size). */
export class RedisPageSizeError extends SpinVmError {
  override readonly code = 'SPINVM_REDIS_PAGE_SIZE';
  override readonly errno = 'EIO';
  constructor(
    readonly key: string,
    readonly length: number,
    readonly pageSize: number,
  ) {
    super(`Redis key ${key} holds ${length} bytes, not one page of ${pageSize}: it was not written by this object at this page size`);
  }
}
