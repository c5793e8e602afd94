// Far memory on Redis (standalone or Cluster): a pager per object, one key per page. Needs the optional peer
// dependency `redis`, loaded only when a store connects: importing this folder costs nothing without it.
export { RedisPager, DefaultRedisPager } from './redis-pager.js';
export { REDIS_STORE } from './token.js';
export { RedisStore, type RedisStoreOptions, type RedisStoreEvent, type RedisConnectionOptions, type RedisClusterConnectionOptions } from './store.js';
export { RedisRequestError, RedisReplicationError, RedisPageSizeError, RedisUnavailableError } from './errors.js';
export { useRedisPager } from './install.js';
