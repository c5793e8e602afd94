/**
 * Seeded generators for the workloads: every run with the same seed and size touches the same offsets
 * and pages in the same order, for spinvm and for every peer.
 */

/** xorshift128 (Marsaglia 2003), seeded through splitmix32 so that small seeds give well-mixed states. */
export class XorShift128 {
  private x: number;
  private y: number;
  private z: number;
  private w: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const mix = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 16), 0x85ebca6b);
      t = Math.imul(t ^ (t >>> 13), 0xc2b2ae35);
      return (t ^ (t >>> 16)) >>> 0;
    };
    this.x = mix();
    this.y = mix();
    this.z = mix();
    this.w = mix() || 1;
  }

  /** A uniform 32-bit unsigned integer. */
  nextU32(): number {
    const t = this.x ^ (this.x << 11);
    this.x = this.y;
    this.y = this.z;
    this.z = this.w;
    this.w = (this.w ^ (this.w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return this.w;
  }

  /** A uniform float in [0, 1). */
  float(): number {
    return this.nextU32() / 4294967296;
  }

  /** A uniform integer in [0, n) for n up to 2^32. */
  below(n: number): number {
    return Math.floor((this.nextU32() / 4294967296) * n);
  }

  /** Fills `bytes` with pseudo-random bytes. */
  fill(bytes: Uint8Array): void {
    const words = bytes.length >>> 2;
    if ((bytes.byteOffset & 3) === 0) {
      const w = new Uint32Array(bytes.buffer, bytes.byteOffset, words);
      for (let i = 0; i < words; i++) w[i] = this.nextU32();
    } else {
      for (let i = 0; i < words * 4; i += 4) {
        const v = this.nextU32();
        bytes[i] = v;
        bytes[i + 1] = v >>> 8;
        bytes[i + 2] = v >>> 16;
        bytes[i + 3] = v >>> 24;
      }
    }
    for (let i = words * 4; i < bytes.length; i++) bytes[i] = this.nextU32();
  }
}

/**
 * Zipf's law over ranks 0 .. n-1 with exponent `s` (rank 0 the most popular): P(k) ∝ 1 / (k+1)^s. Sampled
 * by binary search of the cumulative distribution, which costs 8n bytes and is exact for any s.
 */
export class Zipf {
  private readonly cdf: Float64Array;

  constructor(
    readonly n: number,
    readonly s: number,
    private readonly rng: XorShift128,
  ) {
    if (!(n >= 1) || !Number.isInteger(n)) throw new RangeError(`zipf: n must be a positive integer, got ${n}`);
    if (!(s > 0)) throw new RangeError(`zipf: the exponent must be positive, got ${s}`);
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let k = 0; k < n; k++) this.cdf[k] = sum += 1 / Math.pow(k + 1, s);
    for (let k = 0; k < n; k++) this.cdf[k]! /= sum;
    this.cdf[n - 1] = 1;
  }

  /** A rank in [0, n). */
  next(): number {
    const u = this.rng.float();
    const cdf = this.cdf;
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

/** A random permutation of 0 .. n-1 (Fisher-Yates), so that popular ranks are scattered over the file. */
export function permutation(n: number, rng: XorShift128): Uint32Array {
  const p = new Uint32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

/** `count` page numbers drawn from `dist` over `pages` pages: 'uniform' or a zipf exponent. */
export function pageSequence(count: number, pages: number, dist: 'uniform' | number, seed: number): Uint32Array {
  const rng = new XorShift128(seed);
  const out = new Uint32Array(count);
  if (dist === 'uniform') {
    for (let i = 0; i < count; i++) out[i] = rng.below(pages);
    return out;
  }
  const perm = permutation(pages, rng);
  const zipf = new Zipf(pages, dist, rng);
  for (let i = 0; i < count; i++) out[i] = perm[zipf.next()]!;
  return out;
}
