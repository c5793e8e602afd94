import { InvalidArgumentError } from '../errors.js';
import { FrameState } from './frame-state.js';

/** A page size the pool takes: a power of two from 512 to 2^30. */
export function isPageSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 512 && value <= 2 ** 30 && (value & (value - 1)) === 0;
}

/** Whether 32-bit words read little-endian here, as the accessors' integers are. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Largest single ArrayBuffer the pool makes; frames live in as few of these as possible. */
const CHUNK_BYTES = 256 * 1024 * 1024;

/**
 * departure's Memory: every frame of the instance, in a few large ArrayBuffers. Frames are small integers;
 * what each one holds and may do next is `state`'s (see frame-state.ts), so the pool is only the bytes.
 */
export class FramePool {
  readonly pageSize: number;
  readonly frames: number;
  /** The frame memory: frame f is `chunks[f >>> chunkShift]` at byte `offset(f)`. */
  readonly chunks: Uint8Array[];
  /** The same memory as 32-bit words (aligned 4-byte hits load one word); undefined on a big-endian host. */
  readonly words: Uint32Array[] | undefined;
  readonly chunkShift: number;
  readonly chunkMask: number;
  /** Every frame's state: the one place it changes. */
  readonly state: FrameState;
  /** The frames and their state live in SharedArrayBuffers, for other threads (vmcore/shared). */
  readonly shared: boolean;

  constructor(pageSize: number, frames: number, shared = false) {
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
    this.shared = shared;
    try {
      for (let left = frames; left > 0; left -= perChunk) {
        const bytes = Math.min(left, perChunk) * pageSize;
        this.chunks.push(shared ? new Uint8Array(new SharedArrayBuffer(bytes)) : new Uint8Array(bytes));
      }
    } catch (cause) {
      throw new InvalidArgumentError('frames', frames, `a pool this process can allocate (${frames} × ${pageSize} bytes failed: ${(cause as Error).message})`);
    }
    this.words = LITTLE_ENDIAN ? this.chunks.map((c) => new Uint32Array(c.buffer, c.byteOffset, c.byteLength >>> 2)) : undefined;
    this.state = new FrameState(frames, shared);
  }

  /** Metadata bytes per frame (the policy adds its own). */
  static readonly bytesPerFrame = FrameState.bytesPerFrame;

  get freeCount(): number {
    return this.state.freeCount;
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
    const c = this.chunk(frame);
    // The constructor, not subarray: subarray looks up the species constructor on every call (a fault's cost).
    return new Uint8Array(c.buffer, c.byteOffset + this.offset(frame), this.pageSize);
  }

  /** Zeroes bytes `from .. to` of the frame (the whole frame by default). */
  zero(frame: number, from = 0, to = this.pageSize): void {
    const start = this.offset(frame);
    this.chunk(frame).fill(0, start + from, start + to);
  }
}
