// The reference model of bytes: plain arrays, page by page (sparse, so objects of 2^50 bytes cost nothing).
//
// Each byte is known (state 0: `v`), one of two values (state 1: `v` or `a`, after a write that failed and
// may have landed in part, or a tail byte that an eviction may have zeroed), or unknown (state 2: after a
// third candidate, or a file that shrank under its mapping). A read settles the bytes it sees.

export const KNOWN = 0;
export const EITHER = 1;
export const UNKNOWN = 2;

export interface PageModel {
  v: Uint8Array;
  a: Uint8Array;
  s: Uint8Array;
}

/**
 * How bytes past `size` in the last page behave: 'none' (not addressable), 'memory' (a file's last page in a
 * shared mapping: written bytes stay until the page is evicted, then read as zero; never reach the file),
 * 'dropped' (past a memory object's end in a mapping: read as zero, writes may be dropped).
 */
export type TailMode = 'none' | 'memory' | 'dropped';

let nextStoreId = 0;

export class ByteStore {
  readonly id = nextStoreId++;
  /** Bytes that can be addressed: `size`, or whole pages when the tail is addressable. */
  readonly extent: number;
  private readonly pages = new Map<number, PageModel>();
  /** Bytes from here on are unknown (a file truncated under its mapping). */
  private unknownFrom = Infinity;

  constructor(
    readonly label: string,
    readonly size: number,
    readonly pageSize: number,
    private readonly initial: ((page: number, out: Uint8Array) => void) | undefined,
    readonly tail: TailMode,
  ) {
    this.extent = tail === 'none' ? size : Math.ceil(size / pageSize) * pageSize;
  }

  /** A one-page store holding a copy of page `page` of `from` (copy-on-write): bytes past `from`'s size are zero or what its tail held. */
  static copyOf(label: string, from: ByteStore, page: number): ByteStore {
    const ps = from.pageSize;
    const copy = new ByteStore(label, ps, ps, undefined, 'none');
    const src = from.page(page);
    const dst = copy.page(0);
    dst.v.set(src.v);
    dst.a.set(src.a);
    dst.s.set(src.s);
    for (let i = 0; i < ps; i++) {
      if (page * ps + i < from.size) continue;
      // Past the source's end: the copy may take the tail's bytes or zeros.
      if (dst.s[i] === UNKNOWN) continue;
      if (dst.s[i] === KNOWN) {
        if (dst.v[i] !== 0) {
          dst.a[i] = 0;
          dst.s[i] = EITHER;
        }
      } else if (dst.v[i] !== 0 && dst.a[i] !== 0) dst.s[i] = UNKNOWN;
    }
    return copy;
  }

  /** A deep copy (fork of private anonymous memory). */
  clone(label: string): ByteStore {
    const c = new ByteStore(label, this.size, this.pageSize, this.initial, this.tail);
    c.unknownFrom = this.unknownFrom;
    for (const [p, m] of this.pages) c.pages.set(p, { v: m.v.slice(), a: m.a.slice(), s: m.s.slice() });
    return c;
  }

  page(p: number): PageModel {
    let m = this.pages.get(p);
    if (!m) {
      const ps = this.pageSize;
      m = { v: new Uint8Array(ps), a: new Uint8Array(ps), s: new Uint8Array(ps) };
      this.initial?.(p, m.v);
      for (let i = 0; i < ps; i++) {
        const at = p * ps + i;
        if (at >= this.size) m.v[i] = 0;
        if (at >= this.unknownFrom) m.s[i] = UNKNOWN;
      }
      this.pages.set(p, m);
    }
    return m;
  }

  /**
   * A write that succeeded. With `looseTail`, bytes past `size` of a 'memory' tail may read as zero later
   * (an eviction between the write and now, in a batch, is not seen in order).
   */
  wrote(offset: number, data: Uint8Array, looseTail = false): void {
    this.each(offset, data.length, (m, i, k) => {
      const at = offset + k;
      if (at >= this.unknownFrom) return;
      if (at >= this.size && (this.tail === 'dropped' || looseTail)) {
        // Past an object's end: read as zero, or (if the implementation keeps them) the bytes written.
        m.v[i] = data[k]!;
        m.a[i] = 0;
        m.s[i] = data[k] === 0 ? KNOWN : EITHER;
        return;
      }
      m.v[i] = data[k]!;
      m.s[i] = KNOWN;
    });
  }

  /** A write that failed: each byte is the old value or the new one. */
  failed(offset: number, data: Uint8Array): void {
    this.each(offset, data.length, (m, i, k) => this.either(m, i, data[k]!));
  }

  /** Every byte of the range is unknown from now on (until written). */
  forget(offset: number, length: number): void {
    this.each(offset, length, (m, i) => void (m.s[i] = UNKNOWN));
  }

  /** The file shrank to `size`: bytes from there on are unknown for good. */
  truncated(size: number): void {
    if (size >= this.unknownFrom) return;
    this.unknownFrom = size;
    const ps = this.pageSize;
    for (const [p, m] of this.pages) for (let i = 0; i < ps; i++) if (p * ps + i >= size) m.s[i] = UNKNOWN;
  }

  get truncatedAt(): number {
    return this.unknownFrom;
  }

  /** The page was evicted: its tail (bytes past `size`) may read as zero from now on. */
  tailEvicted(page: number): void {
    if (this.tail !== 'memory') return;
    const ps = this.pageSize;
    if ((page + 1) * ps <= this.size || page * ps >= this.extent) return;
    const m = this.pages.get(page);
    if (!m) return;
    for (let i = this.size - page * ps; i < ps; i++) this.either(m, i, 0);
  }

  /** Compares bytes read at `offset` with the model and settles them; answers a description of the first difference. */
  check(offset: number, seen: Uint8Array): string | undefined {
    let problem: string | undefined;
    this.each(offset, seen.length, (m, i, k) => {
      if (problem) return;
      const b = seen[k]!;
      const s = m.s[i]!;
      if (s === UNKNOWN) return;
      if (b === m.v[i] || (s === EITHER && b === m.a[i])) {
        m.v[i] = b;
        m.s[i] = KNOWN;
        return;
      }
      problem = `byte ${offset + k} of ${this.label}: read 0x${hex(b)}, expected 0x${hex(m.v[i]!)}${s === EITHER ? ` or 0x${hex(m.a[i]!)}` : ''}`;
    });
    return problem;
  }

  /** Like check, without settling: answers whether `seen` could be the bytes at `offset`. */
  matches(offset: number, seen: Uint8Array): boolean {
    let ok = true;
    this.each(offset, seen.length, (m, i, k) => {
      const s = m.s[i]!;
      if (ok && s !== UNKNOWN && seen[k] !== m.v[i] && !(s === EITHER && seen[k] === m.a[i])) ok = false;
    });
    return ok;
  }

  /** The bytes the model expects (first candidate) — for messages. */
  expected(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.each(offset, length, (m, i, k) => void (out[k] = m.v[i]!));
    return out;
  }

  /** Compares a file's bytes on disk with the model over [0, size); answers the first difference. */
  checkDisk(disk: Uint8Array): string | undefined {
    const limit = Math.min(this.size, this.unknownFrom);
    if (this.unknownFrom === Infinity && disk.length !== this.size) return `${this.label} on disk has ${disk.length} bytes, expected ${this.size}`;
    for (let at = 0; at < limit; at++) {
      const m = this.page(Math.floor(at / this.pageSize));
      const i = at % this.pageSize;
      const s = m.s[i]!;
      if (s === UNKNOWN) continue;
      const b = at < disk.length ? disk[at]! : -1;
      if (b !== m.v[i] && !(s === EITHER && b === m.a[i])) {
        return `${this.label} on disk, byte ${at}: 0x${b < 0 ? '(missing)' : hex(b)}, expected 0x${hex(m.v[i]!)}${s === EITHER ? ` or 0x${hex(m.a[i]!)}` : ''}`;
      }
    }
    return undefined;
  }

  /** Pages the model holds (written or read). */
  touchedPages(): number[] {
    return [...this.pages.keys()].sort((x, y) => x - y);
  }

  private either(m: PageModel, i: number, b: number): void {
    const s = m.s[i]!;
    if (s === UNKNOWN) return;
    if (s === KNOWN) {
      if (m.v[i] === b) return;
      m.a[i] = m.v[i]!;
      m.v[i] = b;
      m.s[i] = EITHER;
    } else if (m.v[i] !== b && m.a[i] !== b) m.s[i] = UNKNOWN;
  }

  private each(offset: number, length: number, fn: (m: PageModel, i: number, k: number) => void): void {
    const ps = this.pageSize;
    for (let k = 0; k < length;) {
      const at = offset + k;
      const p = Math.floor(at / ps);
      const i = at - p * ps;
      const n = Math.min(ps - i, length - k);
      const m = this.page(p);
      for (let j = 0; j < n; j++) fn(m, i + j, k + j);
      k += n;
    }
  }
}

function hex(b: number): string {
  return b.toString(16).padStart(2, '0');
}
