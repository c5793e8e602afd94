// The page contents the checks write: each differs with its seed (or page and version), so a page served in
// another's place, an older version of itself, or a shifted copy is caught.

/** A page-sized pattern that differs per seed, so misplaced, stale or mixed pages are caught. */
export function patternPage(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = (Math.imul(seed | 0, 2654435761) ^ Math.floor(seed / 2 ** 32)) >>> 0 || 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * A cheaper page-sized pattern for checks over thousands of pages: every 32-bit word differs with the
 * (page, version) and with its place in the page, so a page served in another's place, an older version of
 * itself, or a shifted copy is caught; made a word at a time, with no dependency between words.
 */
export function stampPage(length: number, page: number, version: number): Uint8Array {
  const out = new Uint8Array(length);
  const words = new Uint32Array(out.buffer, 0, length >>> 2);
  let k = Math.imul((page % 2 ** 32) ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(Math.floor(page / 2 ** 32) + 1, 0x27d4eb2d) ^ Math.imul(version + 1, 0x165667b1);
  k = Math.imul(k ^ (k >>> 15), 0x85ebca6b);
  k ^= k >>> 13;
  for (let i = 0; i < words.length; i++) words[i] = k + Math.imul(i, 0x9e3779b1);
  return out;
}

/**
 * A page marked with its (page, version) every 64 bytes and zeros between: enough to tell thousands of
 * pages apart and from older versions of themselves, and cheap for pagers that compress or checksum, so a
 * check over thousands of pages costs what the pager's indexing costs, not what its compressor does.
 */
export function markPage(length: number, page: number, version: number): Uint8Array {
  const out = new Uint8Array(length);
  const words = new Uint32Array(out.buffer, 0, length >>> 2);
  const full = stampPage(64, page, version);
  const k = new Uint32Array(full.buffer)[0]!;
  for (let i = 0; i < words.length; i += 16) words[i] = k + Math.imul(i, 0x9e3779b1);
  words[words.length - 1] = ~k >>> 0;
  return out;
}
