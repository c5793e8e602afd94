// spinvm/worker: a shared memory object as a worker thread sees it. The protocol, and why it is safe, is in
// vmcore/shared/protocol.ts; this file follows it step by step and says which step where.
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import {
  DestroyedError,
  FaultTimeoutError,
  InvalidArgumentError,
  OutOfRangeError,
  RemoteFaultError,
  sharedProtocol as P,
  type SharedMemoryObjectHandle,
} from '../../vmcore/index.js';

export type { SharedMemoryObjectHandle } from '../../vmcore/index.js';

export interface AttachOptions {
  /** Milliseconds a fault may wait for the owning thread before it fails with FaultTimeoutError. Default: no limit. */
  timeout?: number;
}

type WaitAsync = (typedArray: Int32Array, index: number, value: number, timeout?: number) => { async: boolean; value: Promise<string> | string };

/** Attaches a handle made by `shareMemoryObject` on the owning thread and posted here. One handle, one attach. */
export function attach(handle: SharedMemoryObjectHandle, options?: AttachOptions): WorkerMemoryObject {
  if (typeof handle !== 'object' || handle === null || handle.kind !== 'spinvm.shared-memory-object') {
    throw new InvalidArgumentError('handle', handle, 'a handle made by shareMemoryObject');
  }
  if (options !== undefined && (typeof options !== 'object' || options === null)) throw new InvalidArgumentError('options', options, 'an options object');
  const timeout = options?.timeout ?? Infinity;
  if (typeof timeout !== 'number' || !(timeout > 0)) throw new InvalidArgumentError('timeout', timeout, 'a positive number of milliseconds');
  return new WorkerMemoryObject(handle, timeout);
}

/** A memory object owned by another thread: resident pages straight from shared memory, misses through the owner. */
export class WorkerMemoryObject {
  readonly name: string;
  readonly size: number;
  readonly pageSize: number;
  private readonly pageShift: number;
  private readonly chunks: Uint8Array[];
  private readonly chunkShift: number;
  private readonly chunkMask: number;
  /** Replaced by a table of absent pages on `close`, so that every access faults and finds the handle closed. */
  private table: Int32Array;
  private readonly header: Int32Array;
  private readonly dirty: Uint8Array;
  private readonly port: MessagePort;
  /** This handle's words in the header. */
  private readonly pin: number;
  private readonly seqWord: number;
  private readonly doneWord: number;
  private readonly resultWord: number;
  private readonly timeout: number;
  private seq: number;
  private closed = false;

  /** @internal Use `attach`. */
  constructor(handle: SharedMemoryObjectHandle, timeout: number) {
    this.name = handle.name;
    this.size = handle.size;
    this.pageSize = handle.pageSize;
    this.pageShift = Math.log2(handle.pageSize);
    this.chunks = handle.chunks.map((b) => new Uint8Array(b));
    this.chunkShift = handle.chunkShift;
    this.chunkMask = handle.chunkMask;
    this.table = new Int32Array(handle.table);
    this.header = new Int32Array(handle.header);
    this.dirty = new Uint8Array(handle.dirty);
    this.port = handle.port;
    this.pin = P.wordOf(handle.slot, P.PIN);
    this.seqWord = P.wordOf(handle.slot, P.SEQ);
    this.doneWord = P.wordOf(handle.slot, P.DONE);
    this.resultWord = P.wordOf(handle.slot, P.RESULT);
    this.timeout = timeout;
    this.seq = Math.max(0, Atomics.load(this.header, this.seqWord));
  }

  get isDestroyed(): boolean {
    return Atomics.load(this.header, P.DESTROYED) !== 0;
  }

  // ---- integers: the hit path ----

  /** An unsigned little-endian integer of `size` bytes (1, 2 or 4) at `offset`, faulting its page in if absent. */
  getUint(offset: number, size: 1 | 2 | 4): number {
    if ((offset | 0) === offset && offset >= 0 && offset <= this.size - size && (size === 4 || size === 1 || size === 2)) {
      const within = offset & (this.pageSize - 1);
      if (within + size <= this.pageSize) {
        const page = offset >>> this.pageShift;
        for (;;) {
          const frame = this.pinFrame(page);
          if (frame >= 0) {
            const c = this.chunks[frame >>> this.chunkShift]!;
            const o = (frame & this.chunkMask) * this.pageSize + within;
            const value = size === 4 ? (c[o]! | (c[o + 1]! << 8) | (c[o + 2]! << 16) | (c[o + 3]! << 24)) >>> 0 : size === 1 ? c[o]! : c[o]! | (c[o + 1]! << 8);
            Atomics.store(this.header, this.pin, 0);
            return value;
          }
          this.faultSync(page, false);
        }
      }
    }
    return this.getUintChecked(offset, size);
  }

  /** Writes an unsigned little-endian integer of `size` bytes at `offset`, faulting its page in if absent. */
  setUint(offset: number, size: 1 | 2 | 4, value: number): void {
    if (
      (offset | 0) === offset &&
      offset >= 0 &&
      offset <= this.size - size &&
      (size === 4 || size === 1 || size === 2) &&
      typeof value === 'number' &&
      value >= 0 &&
      value < 2 ** (8 * size) &&
      value === Math.floor(value)
    ) {
      const within = offset & (this.pageSize - 1);
      if (within + size <= this.pageSize) {
        const page = offset >>> this.pageShift;
        for (;;) {
          const frame = this.pinFrame(page);
          if (frame >= 0) {
            // Rule 2: the bytes, then the dirty byte, then the unpin.
            const c = this.chunks[frame >>> this.chunkShift]!;
            const o = (frame & this.chunkMask) * this.pageSize + within;
            c[o] = value;
            if (size >= 2) c[o + 1] = value >>> 8;
            if (size === 4) {
              c[o + 2] = value >>> 16;
              c[o + 3] = value >>> 24;
            }
            Atomics.store(this.dirty, frame, 1);
            Atomics.store(this.header, this.pin, 0);
            return;
          }
          this.faultSync(page, true);
        }
      }
    }
    checkSize(size);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= 2 ** (8 * size)) {
      throw new InvalidArgumentError('value', value, `an integer from 0 to 2^${8 * size} - 1`);
    }
    this.checkSpan(offset, size);
    const bytes = this.scratch(size);
    for (let i = 0, v = value; i < size; i++, v = Math.floor(v / 256)) bytes[i] = v & 0xff;
    this.writeSync(offset, bytes);
  }

  private getUintChecked(offset: number, size: 1 | 2 | 4): number {
    checkSize(size);
    this.checkSpan(offset, size);
    const bytes = this.scratch(size);
    this.copySync(offset, bytes, false);
    let value = 0;
    for (let i = size - 1; i >= 0; i--) value = value * 256 + bytes[i]!;
    return value;
  }

  private scratchBytes = new Uint8Array(4);
  private scratch(size: number): Uint8Array {
    return this.scratchBytes.subarray(0, size);
  }

  // ---- bytes ----

  /** A copy of `length` bytes at `offset`; absent pages are faulted in, this thread blocked meanwhile. */
  readSync(offset: number, length: number): Uint8Array {
    this.checkSpan(offset, length);
    const out = new Uint8Array(length);
    this.copySync(offset, out, false);
    return out;
  }

  /** Reads `dest.length` bytes at `offset` into `dest`, blocking on faults. */
  readIntoSync(offset: number, dest: Uint8Array): void {
    if (!(dest instanceof Uint8Array)) throw new InvalidArgumentError('dest', dest, 'a Uint8Array');
    this.checkSpan(offset, dest.length);
    this.copySync(offset, dest, false);
  }

  /** Writes `bytes` at `offset`, blocking on faults; the pages become dirty on the owning thread. */
  writeSync(offset: number, bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('bytes', bytes, 'a Uint8Array');
    this.checkSpan(offset, bytes.length);
    this.copySync(offset, bytes, true);
  }

  /** `readSync` that waits for faults without blocking this thread's event loop (Atomics.waitAsync). */
  async read(offset: number, length: number): Promise<Uint8Array> {
    this.checkSpan(offset, length);
    const out = new Uint8Array(length);
    await this.copyAsync(offset, out, false);
    return out;
  }

  /** `writeSync` that waits for faults without blocking this thread's event loop. */
  async write(offset: number, bytes: Uint8Array): Promise<void> {
    if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('bytes', bytes, 'a Uint8Array');
    this.checkSpan(offset, bytes.length);
    await this.copyAsync(offset, bytes, true);
  }

  /** Ends this handle: its port closes, so the owner frees its line. The object stays usable by others. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.table = new Int32Array(this.table.length).fill(-1);
    Atomics.store(this.header, this.pin, 0);
    this.port.close();
  }

  // ---- copies ----

  private copySync(offset: number, buf: Uint8Array, write: boolean): void {
    for (let done = 0; done < buf.length;) {
      const pos = offset + done;
      const page = Math.floor(pos / this.pageSize);
      const n = Math.min(this.pageSize - (pos - page * this.pageSize), buf.length - done);
      while (!this.tryCopy(page, pos - page * this.pageSize, buf, done, n, write)) this.faultSync(page, write);
      done += n;
    }
  }

  private async copyAsync(offset: number, buf: Uint8Array, write: boolean): Promise<void> {
    for (let done = 0; done < buf.length;) {
      const pos = offset + done;
      const page = Math.floor(pos / this.pageSize);
      const n = Math.min(this.pageSize - (pos - page * this.pageSize), buf.length - done);
      while (!this.tryCopy(page, pos - page * this.pageSize, buf, done, n, write)) await this.faultAsync(page, write);
      done += n;
    }
  }

  /**
   * Rule 1: pins the frame holding `page`, then validates the pin (the entry still names that frame, the object
   * is alive): the frame, pinned, for the caller to copy and then unpin; -1 when the page is absent or moved.
   */
  private pinFrame(page: number): number {
    const frame = this.table[page]!;
    if (frame < 0) return -1;
    const h = this.header;
    Atomics.store(h, this.pin, frame + 1);
    if (Atomics.load(this.table, page) === frame) {
      if (Atomics.load(h, P.DESTROYED) === 0) return frame;
      Atomics.store(h, this.pin, 0);
      throw this.destroyedError();
    }
    Atomics.store(h, this.pin, 0);
    return -1;
  }

  /** Rules 1 and 2: copies `n` bytes of a resident page under a validated pin; false if the page is absent. */
  private tryCopy(page: number, within: number, buf: Uint8Array, at: number, n: number, write: boolean): boolean {
    if (this.closed) throw new DestroyedError(`the handle of ${this.name} in this worker (closed)`);
    const frame = this.pinFrame(page);
    if (frame < 0) return false;
    try {
      const chunk = this.chunks[frame >>> this.chunkShift]!;
      const start = (frame & this.chunkMask) * this.pageSize + within;
      if (write) {
        chunk.set(n === buf.length ? buf : buf.subarray(at, at + n), start);
        Atomics.store(this.dirty, frame, 1); // before the unpin: the owner sees it once it sees no pin
      } else buf.set(chunk.subarray(start, start + n), at);
      return true;
    } finally {
      Atomics.store(this.header, this.pin, 0);
    }
  }

  // ---- faults (rule 4) ----

  /** Posts a fault of `page` and answers its sequence number and the DONE value before it. */
  private post(page: number, write: boolean): number {
    if (this.closed) throw new DestroyedError(`the handle of ${this.name} in this worker (closed)`);
    if (Atomics.load(this.header, P.DESTROYED) !== 0) throw this.destroyedError();
    this.seq = this.seq >= 0x7ffffffe ? 1 : this.seq + 1;
    Atomics.store(this.header, this.seqWord, this.seq);
    const message: P.FaultMessage = [this.seq, page, write ? 1 : 0];
    this.port.postMessage(message);
    return this.seq;
  }

  /** Blocks until the owner answered the fault of `page`; throws its error, a timeout's, or DestroyedError. */
  private faultSync(page: number, write: boolean): void {
    const seq = this.post(page, write);
    const h = this.header;
    const deadline = this.timeout === Infinity ? Infinity : performance.now() + this.timeout;
    for (;;) {
      const done = Atomics.load(h, this.doneWord);
      if (done === seq) return this.settle(page, seq);
      if (done === P.DONE_DESTROYED || Atomics.load(h, P.DESTROYED) !== 0) throw this.destroyedError();
      const left = deadline - performance.now();
      if (left <= 0) throw new FaultTimeoutError(this.name, page, this.timeout);
      Atomics.wait(h, this.doneWord, done, left);
    }
  }

  private async faultAsync(page: number, write: boolean): Promise<void> {
    const seq = this.post(page, write);
    const h = this.header;
    const deadline = this.timeout === Infinity ? Infinity : performance.now() + this.timeout;
    const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;
    for (;;) {
      const done = Atomics.load(h, this.doneWord);
      if (done === seq) return this.settle(page, seq);
      if (done === P.DONE_DESTROYED || Atomics.load(h, P.DESTROYED) !== 0) throw this.destroyedError();
      const left = deadline - performance.now();
      if (left <= 0) throw new FaultTimeoutError(this.name, page, this.timeout);
      const result = waitAsync(h, this.doneWord, done, left);
      if (!result.async) continue;
      const alive = setTimeout(noop, 2 ** 31 - 1); // a waitAsync alone does not keep this thread's event loop alive
      try {
        await result.value;
      } finally {
        clearTimeout(alive);
      }
    }
  }

  /** The owner answered `seq`: nothing more, or the error it posted first. */
  private settle(page: number, seq: number): void {
    if (Atomics.load(this.header, this.resultWord) === 0) return;
    for (;;) {
      const received = receiveMessageOnPort(this.port);
      if (received === undefined) throw new RemoteFaultError(this.name, page, 'Error', undefined, 'the owning thread reported a failure without its error');
      const failure = received.message as P.FaultFailure;
      if (failure.seq !== seq) continue; // an answer to a fault this worker gave up on
      if (failure.code === 'SPINVM_DESTROYED') throw this.destroyedError();
      throw new RemoteFaultError(this.name, page, failure.name, failure.code, failure.message);
    }
  }

  private destroyedError(): DestroyedError {
    return new DestroyedError(`memory object ${this.name}`);
  }

  private checkSpan(offset: unknown, length: unknown): void {
    if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) throw new InvalidArgumentError('offset', offset, 'a non-negative integer');
    if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) throw new InvalidArgumentError('length', length, 'a non-negative integer');
    if (offset + length > this.size) throw new OutOfRangeError('offset', offset + length, this.size, 'past the end of the object');
  }
}

const noop = (): void => {};

function checkSize(size: unknown): void {
  if (size !== 1 && size !== 2 && size !== 4) throw new InvalidArgumentError('size', size, '1, 2 or 4');
}
