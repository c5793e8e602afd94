// The randomized tests' seeded PRNG (mulberry32): the same seed gives the same run, on every machine.

export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.floor(seed / 2 ** 32) ^ 0x6d2b79f5) >>> 0;
  }
  /** A uint32. */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : Math.floor((this.next() / 2 ** 32) * n);
  }
  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() / 2 ** 32 < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  /** One of `table`'s keys with a weight above 0, drawn in proportion to the weights. */
  weighted<K extends string>(table: Readonly<Partial<Record<K, number>>>): K {
    const keys = (Object.keys(table) as K[]).filter((k) => (table[k] ?? 0) > 0);
    let r = (this.next() / 2 ** 32) * keys.reduce((s, k) => s + table[k]!, 0);
    for (const k of keys) {
      r -= table[k]!;
      if (r < 0) return k;
    }
    return keys[keys.length - 1]!;
  }
}
