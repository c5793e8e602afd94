// The reference itself: a plain byte array per object, holding what every byte must read as. A write that
// failed may have landed in part, so its bytes are "in doubt": the old or the new value, settled by the next
// read that sees them. A run that accepts no error never has a byte in doubt, and every read is exact.

/** How sure the model is of a byte. */
const enum Doubt {
  /** `value` it is. */
  None = 0,
  /** `value` or `alt`. */
  Two = 1,
  /** Written by more failed writes than the model tracks: any value is accepted until a write settles it. */
  Any = 2,
}

export class Reference {
  /** What each byte reads as (the newer candidate of a byte in doubt). */
  readonly value: Uint8Array;
  /** The older candidate of a byte in doubt. */
  private readonly alt: Uint8Array;
  private readonly doubt: Uint8Array;

  /** An object of `size` bytes whose never-written pages read as `initialPage` says (zeros by default). */
  constructor(
    size: number,
    private readonly pageSize: number,
    initialPage?: (page: number) => Uint8Array,
  ) {
    this.value = new Uint8Array(size);
    this.alt = new Uint8Array(size);
    this.doubt = new Uint8Array(size);
    if (initialPage) {
      for (let p = 0; p * pageSize < size; p++) this.value.set(initialPage(p).subarray(0, Math.min(pageSize, size - p * pageSize)), p * pageSize);
    }
  }

  /** A write of `data` at `offset` completed. */
  wrote(offset: number, data: Uint8Array): void {
    this.value.set(data, offset);
    this.doubt.fill(Doubt.None, offset, offset + data.length);
  }

  /** A write of `data` at `offset` failed: each of its bytes may or may not have landed. */
  failed(offset: number, data: Uint8Array): void {
    for (let i = 0; i < data.length; i++) {
      const at = offset + i;
      if (this.doubt[at] !== Doubt.None) {
        // Already two candidates: a third is more than we track, so the byte is checked loosely from now.
        if (this.alt[at] !== data[i] && this.value[at] !== data[i]) this.doubt[at] = Doubt.Any;
        continue;
      }
      this.alt[at] = this.value[at]!;
      this.value[at] = data[i]!;
      this.doubt[at] = Doubt.Two;
    }
  }

  /** Compares what a read at `offset` saw, settling the bytes in doubt; answers the first disagreement, if any. */
  check(offset: number, seen: Uint8Array): string | undefined {
    for (let i = 0; i < seen.length; i++) {
      const at = offset + i;
      const doubt = this.doubt[at];
      const ok = doubt === Doubt.Any || seen[i] === this.value[at] || (doubt === Doubt.Two && seen[i] === this.alt[at]);
      if (!ok)
        return `byte ${at} (page ${Math.floor(at / this.pageSize)}) read ${seen[i]}, the model says ${this.value[at]}${doubt === Doubt.Two ? ` or ${this.alt[at]}` : ''}`;
      if (doubt !== Doubt.Any) {
        this.value[at] = seen[i]!;
        this.doubt[at] = Doubt.None;
      }
    }
    return undefined;
  }
}
