/** The container key of the instance's RedisStore (bound by `useRedisPager`), which the default Redis pager is made with. */
export const REDIS_STORE: unique symbol = Symbol.for('spinvm.RedisStore') as never;
