import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { InvalidArgumentError } from '../errors.js';
import type { FramePool } from '../frames/frame-pool.js';
import type { MemoryObject } from '../memory-object/memory-object.js';
import { MemoryObjectRep, type SharedHooks } from '../memory-object/memory-object-rep.js';
import { fault } from '../memory-object/page-in.js';
import { isPromise } from '../util/maybe-promise.js';
import {
  DESTROYED,
  DONE,
  DONE_DESTROYED,
  HEADER_BYTES,
  MAX_HANDLES,
  PIN,
  RESULT,
  SEQ,
  wordOf,
  type FaultFailure,
  type FaultMessage,
  type SharedMemoryObjectHandle,
} from './protocol.js';
import { SharedPageTable } from './shared-page-table.js';

/**
 * The owner's side of a memory object shared with worker threads (the protocol and its argument are in
 * protocol.ts): it hands out handles, serves the workers' faults from this thread's event loop, and answers
 * the paths' questions (`SharedHooks`) about frames that workers pin or wrote.
 */

/** The worker-dirty bytes of each shared pool, one per frame, made with the pool's first shared object. */
const dirtyBytes = new WeakMap<FramePool, Uint8Array>();

/**
 * Shares `object` with one worker thread: answers a handle to post to it (with its port in the transfer
 * list), which `attach` from `spinvm/worker` turns into the object there. Call it once per worker. The
 * object must belong to an instance made with `createVm({ shared: true })`.
 */
export function shareMemoryObject(object: MemoryObject): SharedMemoryObjectHandle {
  if (!(object instanceof MemoryObjectRep)) throw new InvalidArgumentError('object', object, 'a memory object');
  object.checkAlive();
  if (!object.pool.shared || !(object.cache instanceof SharedPageTable)) {
    throw new InvalidArgumentError(
      'object',
      object.name,
      'a memory object of an instance made with createVm({ shared: true }), of at most 2^20 pages, with the default cache',
    );
  }
  const shared = (object.shared ??= new SharedObject(object, object.cache)) as SharedObject;
  return shared.open();
}

class SharedObject implements SharedHooks {
  private readonly header = new Int32Array(new SharedArrayBuffer(HEADER_BYTES));
  private readonly dirty: Uint8Array;
  /** Each handle's port on this side; undefined once closed (or never opened). */
  private readonly ports: Array<MessagePort | undefined> = [];
  /** Each handle's latest fault sequence number: answers to older ones are dropped. */
  private readonly latest: number[] = [];
  private readonly freeSlots: number[] = [];
  /** Handle lines ever used: the reclaimer scans this many PIN words. */
  private used = 0;
  /** Frames pinned here on behalf of a worker's PIN, with how many such pins each. */
  private readonly held = new Map<number, number>();
  private polling = false;
  /** Its size changed: workers' page table is stale, so their handles ended (`revoke`). */
  private revoked = false;

  constructor(
    private readonly rep: MemoryObjectRep,
    private readonly table: SharedPageTable,
  ) {
    let dirty = dirtyBytes.get(rep.pool);
    if (dirty === undefined) dirtyBytes.set(rep.pool, (dirty = new Uint8Array(new SharedArrayBuffer(rep.pool.frames))));
    this.dirty = dirty;
  }

  /** A new handle: a free line of the header and a fresh channel. */
  open(): SharedMemoryObjectHandle {
    if (this.revoked) throw new InvalidArgumentError('object', this.rep.name, 'an object whose size did not change while it was shared');
    const slot = this.freeSlots.pop() ?? (this.used < MAX_HANDLES ? this.used++ : -1);
    if (slot < 0) throw new InvalidArgumentError('object', this.rep.name, `shared with at most ${MAX_HANDLES} workers at once`);
    const h = this.header;
    Atomics.store(h, wordOf(slot, PIN), 0);
    Atomics.store(h, wordOf(slot, RESULT), 0);
    this.latest[slot] = Atomics.load(h, wordOf(slot, SEQ));
    const { port1, port2 } = new MessageChannel();
    this.ports[slot] = port1;
    port1.on('message', (message: FaultMessage) => this.serve(slot, message));
    port1.on('close', () => this.close(slot));
    port1.unref(); // a shared object does not keep the process alive; its workers do
    const rep = this.rep;
    return {
      kind: 'spinvm.shared-memory-object',
      name: rep.name,
      size: rep.size,
      pageSize: rep.pageSize,
      chunkShift: rep.chunkShift,
      chunkMask: rep.chunkMask,
      chunks: rep.chunks.map((c) => c.buffer as SharedArrayBuffer),
      table: this.table.table.buffer as SharedArrayBuffer,
      header: h.buffer as SharedArrayBuffer,
      dirty: this.dirty.buffer as SharedArrayBuffer,
      slot,
      port: port2,
    };
  }

  /** A worker's fault: the object's own fault path, answered when the page is in or the fault failed. */
  private serve(slot: number, message: FaultMessage): void {
    const [seq, page, write] = message;
    this.latest[slot] = seq;
    let answer;
    try {
      if (!Number.isInteger(page) || page < 0 || page >= this.rep.pageCount) throw new InvalidArgumentError('page', page, 'a page of the object');
      answer = fault(this.rep, page, write === 1 ? 'write' : 'read', false);
    } catch (err) {
      return this.answer(slot, seq, err);
    }
    if (isPromise(answer)) {
      answer.then(
        () => this.answer(slot, seq, undefined),
        (err: unknown) => this.answer(slot, seq, err),
      );
    } else this.answer(slot, seq, undefined);
  }

  /** Wakes the handle's worker: an error first goes on the port, then DONE = seq. */
  private answer(slot: number, seq: number, err: unknown): void {
    const port = this.ports[slot];
    if (port === undefined || this.latest[slot] !== seq || this.rep.destroyed) return; // closed, given up on, or woken by beforeDestroy
    const h = this.header;
    if (err !== undefined) {
      const e = err instanceof Error ? err : new Error(String(err));
      const failure: FaultFailure = { seq, name: e.name, code: (e as { code?: unknown }).code as string | undefined, message: e.message };
      port.postMessage(failure);
    }
    Atomics.store(h, wordOf(slot, RESULT), err === undefined ? 0 : 1);
    Atomics.store(h, wordOf(slot, DONE), seq);
    Atomics.notify(h, wordOf(slot, DONE));
  }

  /** The worker behind `slot` exited or closed its handle: its pin goes, and its line is free again. */
  private close(slot: number): void {
    if (this.ports[slot] === undefined) return;
    this.ports[slot] = undefined;
    Atomics.store(this.header, wordOf(slot, PIN), 0);
    this.freeSlots.push(slot);
    this.poll();
  }

  // ---- SharedHooks ----

  mayDrop(frame: number): boolean {
    if (this.named(frame)) {
      this.hold(frame);
      return false;
    }
    if (Atomics.exchange(this.dirty, frame, 0) !== 0) {
      this.rep.frames.markDirty(frame);
      return false;
    }
    return true;
  }

  discarding(frame: number): void {
    if (this.named(frame)) this.hold(frame);
    else Atomics.store(this.dirty, frame, 0); // what workers wrote there goes with the page
  }

  heldPins(frame: number): number {
    return this.held.get(frame) ?? 0;
  }

  fold(): void {
    const frames = this.rep.frames;
    this.rep.cache.iterate((_page, frame) => {
      if (Atomics.exchange(this.dirty, frame, 0) !== 0) frames.markDirty(frame);
    });
  }

  beforeDestroy(): void {
    this.stop();
    this.rep.cache.iterate((_page, frame) => Atomics.store(this.dirty, frame, 0)); // the bytes die with the object
  }

  revoke(): void {
    this.revoked = true;
    this.stop();
    this.fold();
  }

  /** Workers see DESTROYED before anything else changes; frames under their validated copies stay pinned; waiters wake. */
  private stop(): void {
    const h = this.header;
    const rep = this.rep;
    Atomics.store(h, DESTROYED, 1);
    for (let slot = 0; slot < this.used; slot++) {
      const pinned = Atomics.load(h, wordOf(slot, PIN)) - 1;
      // Only a frame mapped here can be under a validated copy; a worker holding any other failed validation.
      if (pinned >= 0 && rep.cache.lookup(rep.frames.pageOf(pinned)) === pinned) this.hold(pinned);
    }
    for (let slot = 0; slot < this.used; slot++) {
      Atomics.store(h, wordOf(slot, DONE), DONE_DESTROYED);
      Atomics.notify(h, wordOf(slot, DONE));
    }
  }

  // ---- pins held for workers ----

  /** Whether some worker's PIN names `frame`. */
  private named(frame: number): boolean {
    const h = this.header;
    for (let slot = 0; slot < this.used; slot++) if (Atomics.load(h, wordOf(slot, PIN)) === frame + 1) return true;
    return false;
  }

  private hold(frame: number): void {
    this.rep.frames.pin(frame, 1, true);
    this.held.set(frame, (this.held.get(frame) ?? 0) + 1);
    this.poll();
  }

  /** Until no PIN names a held frame: its pins here end, so the reclaimer or the free list may have it. */
  private poll(again = false): void {
    if (this.polling || this.held.size === 0) return;
    this.polling = true;
    // A copy ends within the turn; a pin still there after it is a slow or dead worker: look each millisecond.
    const later = again ? (f: () => void) => setTimeout(f, 1) : setImmediate;
    later(() => {
      this.polling = false;
      for (const [frame, count] of this.held) {
        if (this.named(frame)) continue;
        this.held.delete(frame);
        // An orphan (destroyed or truncated under a worker's copy) is mapped nowhere: no validated write can
        // land in it any more, so a dirty byte its last write left must not follow it into its next page.
        if (this.rep.frames.isOrphan(frame)) Atomics.store(this.dirty, frame, 0);
        for (let i = 0; i < count; i++) this.rep.frames.unpin(frame, true);
      }
      this.poll(true);
    });
  }
}
