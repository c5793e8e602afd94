import { FifoPolicy } from './fifo-policy.js';
import type { PolicyFactory } from './replacement-policy.js';
import { SecondChancePolicy } from './second-chance-policy.js';

/** The replacement policies spinvm ships, by the name `createVm({ policy })` selects them with. */
export const BUILTIN_POLICIES: Readonly<Record<string, PolicyFactory>> = {
  fifo: () => new FifoPolicy(),
  'second-chance': () => new SecondChancePolicy(),
};
