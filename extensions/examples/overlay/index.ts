/**
 * Example extension: an overlay pager that serves a read-only base file (a disk image) and keeps written
 * pages in its own store, so the image never changes.
 *
 *   await extensionsOf(vm).load('spinvm/extensions/examples/overlay', { options: { base: 'disk.img' } });
 *   const disk = vm.createMemoryObject({ size: imageBytes, pager: 'overlay' });
 *
 * Options: `{ base: string, overlay?: string, name?: string (default 'overlay') }`. With `overlay`, written
 * pages are kept in that file and survive; one memory object at a time may use an overlay file.
 */
import { InvalidArgumentError } from '../../../vmcore/index.js';
import type { ExtensionContext, ExtensionManifest } from '../../api.js';
import { OverlayPager, type OverlayOptions } from './pager.js';

export { OverlayPager, type OverlayOptions, type OverlayStat } from './pager.js';

export const manifest: ExtensionManifest = {
  name: 'overlay',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  description: 'serves a read-only base file and keeps written pages in its own store (a copy-on-write disk image)',
};

export interface OverlayExtensionOptions extends OverlayOptions {
  /** The pager name for `createMemoryObject({ pager })`. Default 'overlay'. */
  name?: string;
}

export function activate(context: ExtensionContext): void {
  const raw = context.options;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new InvalidArgumentError('options', raw, "an options object with the base file: { base: 'disk.img' }");
  const { name = 'overlay', ...pagerOptions } = raw as OverlayExtensionOptions;
  new OverlayPager(pagerOptions); // checks the options now, so a bad one fails the load, not a later fault
  context.bindPager(name, () => new OverlayPager(pagerOptions));
}
