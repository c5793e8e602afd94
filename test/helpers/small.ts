// The tests' small instance: the smallest page size, so a test's pages are few and its bytes cheap to compare.
// Tests that need the default page size (4096, a file system's block) say so locally.
import { createVm, TOKENS, type Vm, type VmOptions } from '../../vmcore/index.js';
import type { FramePool } from '../../vmcore/frames/frame-pool.js';
import type { ModelConfig } from '../../conformance/model/index.js';
import { ScriptedPager } from './pagers.js';

/** The small page size: 512 bytes, the smallest a pool takes. */
export const PS = 512;

/** An instance of `frames` small pages (and the policy asked for, or the default). */
export function smallVm(options: Omit<VmOptions, 'pageSize'> & { frames: number }): Vm {
  return createVm({ pageSize: PS, ...options });
}

/** The reference model's small world: three objects of six and a bit pages over three frames. */
export const smallModel: ModelConfig = { pageSize: PS, frames: 3, objects: 3, objectSize: PS * 6 + 100 };

/**
 * A two-frame FIFO instance with one three-page object named `obj` over a ScriptedPager (no clean refills):
 * writing or reading a third page evicts one. Answers the instance, the pager, the object and the frame pool.
 */
export function smallObject(options: { policy?: string; refills?: boolean; size?: number } = {}) {
  const vm = smallVm({ frames: 2, policy: options.policy ?? 'fifo' });
  const pager = new ScriptedPager();
  pager.refills = options.refills ?? false;
  const obj = vm.createMemoryObject({ size: options.size ?? 3 * PS, name: 'obj', pager });
  const pool = vm.container.get<FramePool>(TOKENS.FramePool);
  return { vm, pager, obj, pool };
}
