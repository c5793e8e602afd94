import type { MemoryObject, Vm } from '../vmcore/index.js';
import type { Loaded } from './peers.js';

/**
 * The parts of spinvm that are built beside the bench (the default pager, the file pager, the address
 * space), loaded at run time: a workload whose part is not there yet prints 'not available yet' and says
 * which export it looked for, instead of breaking the build or the run.
 */

export interface MappedFileLike {
  readonly object: MemoryObject;
  close(): void | Promise<void>;
}
export type MapFile = (vm: Vm, path: string, options?: { writable?: boolean; size?: number }) => Promise<MappedFileLike>;

export interface SwapSpaceLike {
  stat?(): unknown;
}
export type UseDefaultPager = (vm: Vm, options?: { directory?: string; limit?: number }) => Promise<SwapSpaceLike>;

/** The address space as the bench uses it: map an object, read through addresses. */
export interface AddressSpaceAdapter {
  /** Maps `length` bytes of `object` from `offset` and answers the address they start at. */
  map(object: MemoryObject, offset: number, length: number): number | Promise<number>;
  getUint32(address: number): number;
  getUint8?(address: number): number;
  /** Number of mappings, if the address space tells. */
  describe(): string;
}
export type AddressSpaceFactory = (vm: Vm) => AddressSpaceAdapter;

export interface SpinvmParts {
  mapFile: Loaded<MapFile>;
  useDefaultPager: Loaded<UseDefaultPager>;
  addressSpace: Loaded<AddressSpaceFactory>;
}

const NOT_YET = 'not available yet';

async function importPart(specifier: string): Promise<Record<string, unknown> | string> {
  try {
    return (await import(specifier)) as Record<string, unknown>;
  } catch (err) {
    const code = (err as { code?: string }).code;
    const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    if (code === 'ERR_MODULE_NOT_FOUND' || /Cannot find module|Failed to load url|does not exist/i.test(message)) {
      return `${NOT_YET}: ${specifier.replace(/^\.\.\//, '')} is not there`;
    }
    return `${NOT_YET}: ${specifier.replace(/^\.\.\//, '')} failed to load: ${message}`;
  }
}

export async function loadSpinvmParts(): Promise<SpinvmParts> {
  // Computed specifiers, so that the bench compiles before these modules exist.
  const filePagerPath: string = '../pagers/file-pager/index.js';
  const defaultPagerPath: string = '../pagers/default-pager/index.js';
  const addressSpacePath: string = '../vmcore/address-space/index.js';
  const [filePager, defaultPager, addressSpace] = await Promise.all([importPart(filePagerPath), importPart(defaultPagerPath), importPart(addressSpacePath)]);

  const mapFile: Loaded<MapFile> =
    typeof filePager === 'string'
      ? { ok: false, reason: filePager }
      : typeof filePager.mapFile === 'function'
        ? { ok: true, value: filePager.mapFile as MapFile }
        : { ok: false, reason: `${NOT_YET}: pagers/file-pager/index.js does not export mapFile(vm, path, { writable?, size? })` };

  const useDefaultPager: Loaded<UseDefaultPager> =
    typeof defaultPager === 'string'
      ? { ok: false, reason: defaultPager }
      : typeof defaultPager.useDefaultPager === 'function'
        ? { ok: true, value: defaultPager.useDefaultPager as UseDefaultPager }
        : { ok: false, reason: `${NOT_YET}: pagers/default-pager/index.js does not export useDefaultPager(vm, { directory?, limit? })` };

  return { mapFile, useDefaultPager, addressSpace: adaptAddressSpace(addressSpace) };
}

/**
 * Binds the address-space module (createAddressSpace(vm); `map({ object, offset, length, prot, share })`
 * answering the address; getUint32(address)) to the calls the bench makes.
 */
function adaptAddressSpace(module: Record<string, unknown> | string): Loaded<AddressSpaceFactory> {
  if (typeof module === 'string') return { ok: false, reason: module };
  const create = module.createAddressSpace as ((vm: Vm) => AddressSpaceLike) | undefined;
  if (typeof create !== 'function') return { ok: false, reason: `${NOT_YET}: vmcore/address-space/index.js does not export createAddressSpace(vm)` };
  return {
    ok: true,
    value: (vm) => {
      const space = create(vm);
      if (typeof space.map !== 'function' || typeof space.getUint32 !== 'function') throw new Error('the address space has no map() or getUint32()');
      return {
        map: (object, offset, length) => space.map({ object, offset, length, prot: ['read', 'write'], share: 'shared' }),
        getUint32: (address) => space.getUint32(address),
        describe: () => `${space.stat?.().mappings ?? '?'} mappings`,
      };
    },
  };
}

/** The address space's surface as the bench uses it. */
interface AddressSpaceLike {
  map(options: { object: MemoryObject; offset: number; length: number; prot: string[]; share: 'shared' }): Promise<number>;
  getUint32(address: number): number;
  stat?(): { mappings: number };
}
