import { crc32 as zlibCrc32 } from 'node:zlib';

/**
 * CRC-32 of a page (the zlib polynomial): zlib's native crc32 runs at memory speed and allocates nothing.
 * It is in every Node that package.json's `engines` admits (20.15 and later 20.x, 22.2 and later).
 */
export function crc32(data: Uint8Array): number {
  return zlibCrc32(data);
}
