import * as zlib from 'node:zlib';

/** CRC-32 (the zlib polynomial) by table, for Node 20 releases older than 20.15, which lack zlib.crc32. */
function tableCrc32(data: Uint8Array, value = 0): number {
  const table = crcTable ?? (crcTable = makeTable());
  let crc = ~value >>> 0;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

let crcTable: Uint32Array | undefined;

function makeTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/**
 * CRC-32 of a page. zlib's native crc32 (Node >= 20.15) runs at memory speed and allocates nothing; the
 * table version gives the same values where it is missing.
 */
export const crc32: (data: Uint8Array) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? (data) => zlib.crc32(data) : (data) => tableCrc32(data);

/** @internal For tests: the fallback, to check it agrees with zlib. */
export const crc32ByTable = tableCrc32;
