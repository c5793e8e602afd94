/**
 * Example extension: a swap pager that deflates pages on the way out (node:zlib) and inflates them on the
 * way in, in memory or in a swap file, with a measured compression ratio.
 *
 *   await extensionsOf(vm).load('spinvm/extensions/examples/compressing-swap', { options: { level: 1 } });
 *   const obj = vm.createMemoryObject({ size: 1 << 30, pager: 'compressing-swap' });
 *
 * Options: `{ name?: string (default 'compressing-swap'), default?: boolean, level?: 0-9, directory?: string }`;
 * with `default: true` it is also the default pager while loaded.
 */
import { InvalidArgumentError } from '../../../vmcore/index.js';
import type { ExtensionContext, ExtensionManifest } from '../../api.js';
import { CompressingSwapPager, type CompressingSwapOptions } from './pager.js';

export { CompressingSwapPager, type CompressingSwapOptions, type CompressingSwapStat } from './pager.js';

export const manifest: ExtensionManifest = {
  name: 'compressing-swap',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  description: 'swap pager that deflates pages on page-out (node:zlib) and measures its compression ratio',
};

export interface CompressingSwapExtensionOptions extends CompressingSwapOptions {
  /** The pager name for `createMemoryObject({ pager })`. Default 'compressing-swap'. */
  name?: string;
  /** Also make it the default pager while the extension is loaded. */
  default?: boolean;
}

export function activate(context: ExtensionContext): void {
  const raw = context.options ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidArgumentError('options', raw, 'an options object');
  const { name = 'compressing-swap', default: asDefault = false, ...pagerOptions } = raw as CompressingSwapExtensionOptions;
  new CompressingSwapPager(pagerOptions); // checks the options now, so a bad one fails the load, not a later fault
  context.bindPager(name, () => new CompressingSwapPager(pagerOptions));
  if (asDefault) context.setDefaultPager(() => new CompressingSwapPager(pagerOptions));
}
