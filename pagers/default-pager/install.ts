import type { FileSystem } from '../../fs/index.js';
import { InvalidArgumentError, type Vm } from '../../vmcore/index.js';
import { TOKENS } from '../../vmcore/index.js';
import { DefaultPager } from './default-pager.js';
import { SwapSpace, type SwapSpaceOptions } from './swap-space.js';

/** `SwapSpace.create`'s options; the page size comes from the instance. */
export type UseDefaultPagerOptions = Omit<SwapSpaceOptions, 'pageSize'>;

const KEYS = ['fs', 'directory', 'files', 'limit'];

/**
 * Makes SPIN's real default pager the instance's default, live (SPIN's default pager installs itself on
 * the "create default pager" procedure when loaded): makes a SwapSpace (over `options.fs`, else the
 * FileSystem bound at TOKENS.FileSystem, else real files), binds it at TOKENS.SwapSpace, and
 * rebinds TOKENS.DefaultPager to DefaultPager. Memory objects made afterwards page out to swap; those made
 * before keep their pager. The swap files are removed when the instance is destroyed.
 */
export async function useDefaultPager(vm: Vm, options?: UseDefaultPagerOptions): Promise<SwapSpace> {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new InvalidArgumentError('options', options, 'an options object');
  }
  for (const key of Object.keys(options ?? {})) {
    if (!KEYS.includes(key)) {
      const hint = key === 'pageSize' ? "absent (the page size is the instance's)" : `absent (known options: ${KEYS.join(', ')})`;
      throw new InvalidArgumentError(`options.${key}`, (options as Record<string, unknown>)[key], hint);
    }
  }
  const c = vm.container;
  const fs = options?.fs ?? (c.isBound(TOKENS.FileSystem) ? c.get<FileSystem>(TOKENS.FileSystem) : undefined);
  const swap = await SwapSpace.create({ ...options, ...(fs ? { fs } : {}), pageSize: vm.pageSize });
  try {
    // Throws if the instance was destroyed while the files were being made: then nothing is left behind.
    vm.onShutdown(() => swap.close());
  } catch (err) {
    await swap.close().catch(() => undefined);
    throw err;
  }
  // A constant: every DefaultPager shares the swap space. An earlier space stays with the objects using it.
  if (c.isBound(TOKENS.SwapSpace)) c.rebind<SwapSpace>(TOKENS.SwapSpace).toConstantValue(swap);
  else c.bind<SwapSpace>(TOKENS.SwapSpace).toConstantValue(swap);
  vm.setDefaultPager(DefaultPager);
  return swap;
}
