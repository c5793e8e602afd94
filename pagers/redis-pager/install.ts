import { InvalidArgumentError, type Vm } from '../../vmcore/index.js';
import { DefaultRedisPager } from './redis-pager.js';
import { RedisStore, type RedisStoreOptions } from './store.js';
import { REDIS_STORE } from './token.js';

/**
 * Makes Redis the instance's default pager, live, as `useDefaultPager` does with swap files: connects (or
 * takes the RedisStore given), binds it at REDIS_STORE and rebinds TOKENS.DefaultPager, so memory objects
 * made afterwards page out to Redis, each under a namespace of its own that goes with the object. Objects
 * made before keep their pager. A store this call connected is closed when the instance is destroyed; a
 * store given stays the caller's. Answers the store (`store.pager(name)` backs named, persistent objects).
 */
export async function useRedisPager(vm: Vm, options?: RedisStoreOptions | RedisStore): Promise<RedisStore> {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new InvalidArgumentError('options', options, 'an options object or a RedisStore');
  }
  const given = options instanceof RedisStore;
  const store = given ? options : await RedisStore.connect(options);
  if (!given) {
    try {
      // Throws if the instance was destroyed meanwhile: then the connection goes too.
      vm.onShutdown(() => store.close());
    } catch (err) {
      await store.close();
      throw err;
    }
  }
  const c = vm.container;
  if (c.isBound(REDIS_STORE)) c.rebind<RedisStore>(REDIS_STORE).toConstantValue(store);
  else c.bind<RedisStore>(REDIS_STORE).toConstantValue(store);
  vm.setDefaultPager(DefaultRedisPager);
  return store;
}
