import { InvalidArgumentError } from '../errors.js';

/** Per-frame state bits in `FramePool.flags`. */
export const enum FrameFlag {
  Free = 1,
  /** Written since it was last paged in or out. */
  Dirty = 2,
  /** A page-in or page-out is in flight: never reclaimed, never handed to anyone else. */
  Busy = 4,
  /** On the page queue (issued, reclaimable when otherwise eligible). */
  Queued = 8,
  /** Its owner was destroyed while it was busy or pinned: freed when that ends. */
  Orphan = 16,
}

/** A page size the pool takes: a power of two from 512 to 2^30. */
export function isPageSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 512 && value <= 2 ** 30 && (value & (value - 1)) === 0;
}

/** Largest single ArrayBuffer the pool makes; frames live in as few of these as possible. */
const CHUNK_BYTES = 256 * 1024 * 1024;

/**
 * departure's Memory: every frame of the instance, in a few large ArrayBuffers, with per-frame metadata
 * in typed arrays (owner, page, flags, pins) instead of an object per page. Frames are small integers.
 */
export class FramePool {
  readonly pageSize: number;
  readonly frames: number;
  /** The frame memory: frame f is `chunks[f >>> chunkShift]` at byte `offset(f)`. */
  readonly chunks: Uint8Array[];
  readonly chunkShift: number;
  readonly chunkMask: number;

  /** Id of the memory object that holds (or last held) each frame; -1 before first use. */
  readonly owner: Int32Array;
  /** The page each frame holds for its owner. */
  readonly page: Float64Array;
  readonly flags: Uint8Array;
  /** Pin counts: a pinned frame is never reclaimed. 32 bits: every waiter of a page-in holds one, and a burst of readers can pass 65,535. */
  readonly pins: Uint32Array;
  private readonly freeStack: Int32Array;
  private freeTop: number;

  /** Frames with a page-in or page-out in flight. */
  busy = 0;
  /** Pins held for the span of one read or write: they end soon, so an allocation may wait for them. */
  transientPins = 0;
  private waiters: Array<() => void> = [];

  constructor(pageSize: number, frames: number) {
    if (!isPageSize(pageSize)) {
      throw new InvalidArgumentError('pageSize', pageSize, 'a power of two from 512 to 2^30');
    }
    if (typeof frames !== 'number' || !Number.isSafeInteger(frames) || frames < 1 || frames > 2 ** 31 - 1) {
      throw new InvalidArgumentError('frames', frames, 'a positive integer below 2^31');
    }
    this.pageSize = pageSize;
    this.frames = frames;
    const perChunk = 2 ** Math.floor(Math.log2(Math.max(1, Math.min(frames, CHUNK_BYTES / pageSize))));
    this.chunkShift = Math.log2(perChunk);
    this.chunkMask = perChunk - 1;
    this.chunks = [];
    try {
      for (let left = frames; left > 0; left -= perChunk) this.chunks.push(new Uint8Array(Math.min(left, perChunk) * pageSize));
    } catch (cause) {
      throw new InvalidArgumentError('frames', frames, `a pool this process can allocate (${frames} × ${pageSize} bytes failed: ${(cause as Error).message})`);
    }
    this.owner = new Int32Array(frames).fill(-1);
    this.page = new Float64Array(frames);
    this.flags = new Uint8Array(frames).fill(FrameFlag.Free);
    this.pins = new Uint32Array(frames);
    this.freeStack = new Int32Array(frames);
    for (let i = 0; i < frames; i++) this.freeStack[i] = frames - 1 - i;
    this.freeTop = frames;
  }

  /** Metadata bytes per frame kept here (the policy adds its own). */
  static readonly bytesPerFrame = 4 + 8 + 1 + 4 + 4;

  get freeCount(): number {
    return this.freeTop;
  }

  /** The chunk holding frame f; read its bytes from `offset(f)`. */
  chunk(frame: number): Uint8Array {
    return this.chunks[frame >>> this.chunkShift]!;
  }

  offset(frame: number): number {
    return (frame & this.chunkMask) * this.pageSize;
  }

  /** A view of exactly one frame, for pagers. */
  view(frame: number): Uint8Array {
    const start = this.offset(frame);
    return this.chunk(frame).subarray(start, start + this.pageSize);
  }

  /** Pops a free frame, or -1. */
  takeFree(): number {
    if (this.freeTop === 0) return -1;
    const frame = this.freeStack[--this.freeTop]!;
    this.flags[frame] = 0;
    return frame;
  }

  /** Gives a frame to `owner`; one that held another object's page is zeroed so no bytes leak between objects. */
  claim(frame: number, owner: number, page: number): void {
    if (this.owner[frame] !== owner) {
      const start = this.offset(frame);
      this.chunk(frame).fill(0, start, start + this.pageSize);
      this.owner[frame] = owner;
    }
    this.page[frame] = page;
    this.holdForHandOff(frame);
  }

  /**
   * Marks a frame busy from the moment it is taken from its owner (or the free list) until its page-in
   * ends, so an allocation waiting for frames never mistakes a frame in hand-off for no frame at all.
   */
  holdForHandOff(frame: number): void {
    if (!(this.flags[frame]! & FrameFlag.Busy)) this.busy++;
    this.flags[frame] = FrameFlag.Busy;
  }

  /** Ends a page-in or page-out; an orphaned frame with no pins left goes back to the free list. */
  unbusy(frame: number): void {
    this.flags[frame] &= ~FrameFlag.Busy;
    this.busy--;
    if (this.flags[frame]! & FrameFlag.Orphan && this.pins[frame] === 0) this.release(frame);
    else this.wake();
  }

  /** Ends a page-in that did not enter the cache: the frame goes straight back to the free list. */
  abandon(frame: number): void {
    this.busy--;
    this.release(frame);
  }

  /** Marks a resident frame busy for a page-out; its dirty bit is cleared so a write meanwhile shows. */
  beginPageOut(frame: number): void {
    this.flags[frame] = (this.flags[frame]! & ~FrameFlag.Dirty) | FrameFlag.Busy;
    this.busy++;
  }

  release(frame: number): void {
    this.flags[frame] = FrameFlag.Free;
    this.pins[frame] = 0;
    this.freeStack[this.freeTop++] = frame;
    this.wake();
  }

  pin(frame: number, count: number, transient: boolean): void {
    const pins = this.pins[frame]! + count;
    if (pins > 0xffffffff) throw new InvalidArgumentError('pin', pins, 'at most 2^32 - 1 pins on one frame');
    this.pins[frame] = pins;
    if (transient) this.transientPins += count;
  }

  /** A transient pin handed out for a fault becomes a lasting one (the caller keeps the frame pinned). */
  keepPin(): void {
    this.transientPins--;
    // An allocation may be waiting for transient pins to end: this one will not, so let it look again.
    this.wake();
  }

  unpin(frame: number, transient: boolean): void {
    if (this.pins[frame] === 0) return;
    this.pins[frame]!--;
    if (transient) this.transientPins--;
    if (this.pins[frame] === 0) {
      if (this.flags[frame]! & FrameFlag.Orphan && !(this.flags[frame]! & FrameFlag.Busy)) this.release(frame);
      else this.wake();
    }
  }

  /** Resolves at the next change that may make a frame reclaimable (a page-in or page-out ends, a pin drops, a frame is freed). */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
