/**
 * A doubly linked list of frames in two Int32Arrays: O(1) push at the tail, unlink anywhere, walk from the
 * head. Queue-shaped policies are built from one or more of these; no object is allocated per frame.
 */
export class FrameList {
  readonly next: Int32Array;
  readonly prev: Int32Array;
  head = -1;
  tail = -1;
  size = 0;
  /** 1 where the frame is on this list. */
  private readonly member: Uint8Array;

  constructor(frames: number) {
    this.next = new Int32Array(frames).fill(-1);
    this.prev = new Int32Array(frames).fill(-1);
    this.member = new Uint8Array(frames);
  }

  has(frame: number): boolean {
    return this.member[frame] === 1;
  }

  push(frame: number): void {
    if (this.member[frame] === 1) this.unlink(frame);
    this.member[frame] = 1;
    this.prev[frame] = this.tail;
    this.next[frame] = -1;
    if (this.tail >= 0) this.next[this.tail] = frame;
    else this.head = frame;
    this.tail = frame;
    this.size++;
  }

  unlink(frame: number): void {
    if (this.member[frame] !== 1) return;
    const p = this.prev[frame]!;
    const n = this.next[frame]!;
    if (p >= 0) this.next[p] = n;
    else this.head = n;
    if (n >= 0) this.prev[n] = p;
    else this.tail = p;
    this.prev[frame] = this.next[frame] = -1;
    this.member[frame] = 0;
    this.size--;
  }

  /** Bytes per frame this list costs. */
  static readonly bytesPerFrame = 9;
}
