// The byte patterns the fuzzer writes and pagers start with (its PRNG is the tests' own, test/helpers/prng.ts).

export { Prng } from '../helpers/prng.js';

/** Mixes a seed and a page number (up to 2^53) into one uint32. */
function mix(seed: number, page: number): number {
  let h = Math.imul((seed | 0) ^ 0x85ebca6b, 0xc2b2ae35) ^ (page >>> 0);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) ^ Math.floor(page / 2 ** 32);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0 || 0x9e3779b9;
}

/** `length` bytes of a xorshift stream seeded by (seed, page): distinct per object, page and write. */
export function fillPattern(out: Uint8Array, seed: number, page = 0): Uint8Array {
  let x = mix(seed, page);
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function pattern(length: number, seed: number, page = 0): Uint8Array {
  return fillPattern(new Uint8Array(length), seed, page);
}
