import type { MemoryObject } from '../memory-object/memory-object.js';

/**
 * What an address space needs from the instance it lives in, and nothing more: a spinvm `Vm` satisfies it as
 * it is (structurally; `createAddressSpace(vm)`), and a test or another host can provide it without one.
 */
export interface AddressSpaceHost {
  /** Bytes per page, for every memory object the space maps. */
  readonly pageSize: number;
  /** Frames in the instance's pool: only for the message of an OutOfMemoryError. */
  readonly frames: number;
  /** Makes the memory object of a private level on its first write (from the instance's default pager). */
  createMemoryObject(options: { size: number; name?: string }): MemoryObject;
  /** Runs `hook` before the instance's memory objects are destroyed (the space syncs and drops its mappings); answers the cancel. */
  onBeforeShutdown(hook: () => void | Promise<void>): () => void;
  /** Where `map({ file })` finds the FileMapper, bound under TOKENS.FileMapper (the instance's container). */
  readonly container: ServiceLookup;
}

/** The two calls of a dependency-injection container an address space makes (inversify's `Container` has them). */
export interface ServiceLookup {
  isBound(id: symbol): boolean;
  get<T>(id: symbol): T;
}
