import type { MemoryObject } from '../../vmcore/index.js';

/**
 * One reference of a bench loop, reported to the page queue's policy once. `request(page)` then
 * `getUint(offset)` reports a hit twice (the request's lookup and the read's) and a fault's own reference
 * once more, as a reuse (the read that follows the page-in): the policies then see traffic the workload
 * never made. So the loops ask `isResident` (which reports nothing) and read a resident page with
 * `getUint` (one access), an absent one with `readInto` (its fault is the reference; its copy reports no
 * access). `scratch` is the caller's one 4-byte buffer: a miss allocates nothing but the read's promise.
 */
export async function readU32(obj: MemoryObject, offset: number, scratch: Uint8Array): Promise<number> {
  await obj.readInto(offset, scratch);
  return (scratch[0]! | (scratch[1]! << 8) | (scratch[2]! << 16) | (scratch[3]! << 24)) >>> 0;
}

/** The write of readU32: `setUint` on a resident page, `write` (one fault, no access) on an absent one. */
export function writeU32(obj: MemoryObject, offset: number, value: number, scratch: Uint8Array): Promise<void> | undefined {
  if (obj.isResident(offset, 4)) {
    obj.setUint(offset, 4, value);
    return undefined;
  }
  scratch[0] = value;
  scratch[1] = value >>> 8;
  scratch[2] = value >>> 16;
  scratch[3] = value >>> 24;
  return obj.write(offset, scratch);
}
