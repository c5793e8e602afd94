/**
 * A ghost of evicted pages in 16 bits each: a direct-mapped table of fingerprints, each stamped with a coarse
 * time, so that a policy can ask "was this page evicted lately, and how long ago?" at two bytes a slot.
 *
 * A slot holds a 10-bit fingerprint of the key's hash (never 0, so 0 marks an empty slot) and a 6-bit time:
 * the table's own count of records, in units of `window / 64` records, modulo 64. A newer record that maps
 * to an occupied slot replaces the older one, so the table forgets like a random-replacement queue of its
 * size. A lookup that matches takes the entry out (a page comes back once) and answers its age, rounded down
 * to a unit; ages wrap after `window` records, which a slot rarely lives to see when the table is smaller
 * than the window. A different key matches a slot's fingerprint with odds of 1 in 1,023: a false memory
 * costs a policy one misplaced page, never a wrong answer.
 *
 * Keys are hashed once, when a page is issued (`hashKey`), and the policy keeps the 32-bit hash per frame:
 * the key of a reclaimed page is not given again when it leaves.
 */
export class GhostTable {
  private readonly slots: Uint16Array;
  private readonly unit: number;
  private records = 0;

  /** `size` slots; ages are told apart up to `window` records. */
  constructor(size: number, window: number) {
    this.slots = new Uint16Array(Math.max(1, Math.floor(size)));
    this.unit = Math.max(1, Math.ceil(window / TIME_UNITS));
  }

  /** Bytes the table takes. */
  get byteLength(): number {
    return this.slots.byteLength;
  }

  /** Remembers the page whose key hashes to `hash` as evicted now. */
  record(hash: number): void {
    this.records++;
    this.slots[hash % this.slots.length] = (fingerprint(hash) << TIME_BITS) | this.now();
  }

  /** How many records ago the page hashing to `hash` was recorded (a multiple of the unit), or -1; forgets it. */
  take(hash: number): number {
    const i = hash % this.slots.length;
    const entry = this.slots[i]!;
    if (entry >>> TIME_BITS !== fingerprint(hash)) return -1;
    this.slots[i] = 0;
    return ((this.now() - (entry & TIME_MASK)) & TIME_MASK) * this.unit;
  }

  /** Whether the page hashing to `hash` is remembered (for tests and reports). */
  has(hash: number): boolean {
    return this.slots[hash % this.slots.length]! >>> TIME_BITS === fingerprint(hash);
  }

  private now(): number {
    return Math.floor(this.records / this.unit) & TIME_MASK;
  }
}

const TIME_BITS = 6;
const TIME_UNITS = 1 << TIME_BITS;
const TIME_MASK = TIME_UNITS - 1;

/** 10 bits of the hash other than those that choose the slot (the product's top bits), never 0. */
function fingerprint(hash: number): number {
  return Math.imul(hash, 0x9e3779b1) >>> (32 - 10) || 1;
}

const scratch = new Float64Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** A well-mixed unsigned 32-bit hash of any number (its IEEE bits; -0 as 0), as ghosts key pages by. */
export function hashKey(key: number): number {
  scratch[0] = key === 0 ? 0 : key;
  let h = scratchBits[0]! ^ Math.imul(scratchBits[1]!, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
