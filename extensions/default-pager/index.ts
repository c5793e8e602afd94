/**
 * SPIN's real default pager, shipped as an extension: loading it makes the default pager (used by memory
 * objects created without one) page out to swap files instead of keeping every written page resident, the
 * way SPIN's default pager installed itself over the bogopager when loaded. Unloading it puts back
 * whatever was the default before (the bogopager, out of the box) and removes its swap files.
 *
 *   await extensionsOf(vm).load('spinvm/extensions/default-pager', { options: { directory: '/var/tmp' } });
 *
 * Options are useDefaultPager's: `{ fs?, directory?, files?, limit? }`.
 */
import { useDefaultPager, type UseDefaultPagerOptions } from '../../pagers/index.js';
import type { ExtensionContext, ExtensionManifest } from '../api.js';

export const manifest: ExtensionManifest = {
  name: 'spinvm-default-pager',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  description: "SPIN's default pager: zero fill on first fault, page-out to swap files; replaces the bogopager",
};

export async function activate(context: ExtensionContext): Promise<void> {
  const swap = await useDefaultPager(context.vm, context.options as UseDefaultPagerOptions | undefined);
  // Objects using the swap space are gone by now (unload refuses while they live, or destroys them when forced).
  context.onUnload(() => swap.close());
}
