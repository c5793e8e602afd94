import { ClockPolicy } from './clock-policy.js';
import { FifoPolicy } from './fifo-policy.js';
import { LruPolicy } from './lru-policy.js';
import type { PolicyFactory } from './replacement-policy.js';
import { S3AdaptivePolicy } from './s3-adaptive-policy.js';
import { S3FifoPolicy } from './s3fifo-policy.js';
import { SecondChancePolicy } from './second-chance-policy.js';
import { SievePolicy } from './sieve-policy.js';

/** The replacement policies spinvm ships, by the name `createVm({ policy })` selects them with. */
export const BUILTIN_POLICIES: Readonly<Record<string, PolicyFactory>> = {
  fifo: () => new FifoPolicy(),
  'second-chance': () => new SecondChancePolicy(),
  lru: () => new LruPolicy(),
  clock: () => new ClockPolicy(),
  sieve: () => new SievePolicy(),
  's3-fifo': () => new S3FifoPolicy(),
  's3-adaptive': () => new S3AdaptivePolicy(),
};
