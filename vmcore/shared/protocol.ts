import type { MessagePort } from 'node:worker_threads';

/**
 * The protocol between the thread that owns a memory object (the instance's thread: its pagers, its page
 * queue, every frame-state transition) and the worker threads it is shared with (`spinvm/worker`). The
 * owner side is share.ts, the worker side extensions/worker/; both read their layout from here.
 *
 * Shared memory (all SharedArrayBuffers, made by createVm({ shared: true }) and shareMemoryObject):
 * - the pool's chunks (frame bytes), read and written by every thread;
 * - the object's page table (shared-page-table.ts): written only by the owner, always with Atomics.store;
 * - the pool's worker-dirty bytes, one per frame: set by workers (Atomics.store 1), consumed by the owner
 *   (Atomics.exchange 0), who turns them into the frame's D bit (frame-state.ts), which workers never touch;
 * - the object's header, an Int32Array: DESTROYED, then one 64-byte line per handle (one handle per worker,
 *   so no two workers share a line) holding its PIN, SEQ, DONE and RESULT words.
 *
 * The rules, and why they hold:
 *
 * 1. A worker never sees another page's bytes, nor writes into a frame that holds another page. To touch
 *    page p it loads the entry f = table[p]; if f >= 0 it stores PIN = f + 1, then loads table[p] and
 *    DESTROYED again: only if the entry is still f and the object alive does it copy, then stores PIN = 0.
 *    The owner takes a frame from a page only in `drop` (page-out.ts) and in truncation (rule 7): it stores
 *    table[p] = -1 first, then loads every handle's PIN (`mayDrop`). Both sides store then load with
 *    sequentially consistent Atomics, so (Dekker) either the worker's second load sees -1 (it unpins and
 *    faults), or the owner's load sees the pin: the owner then pins the frame on the worker's behalf (a
 *    transient pin in the frame state), maps the page again and keeps it; a poll drops that pin once no PIN names the frame. The page table
 *    maps p to f only between the end of f's page-in of p and that invalidation, so a validated copy reads
 *    and writes p's bytes. Destroy is the same with DESTROYED in place of the entry: `beforeDestroy` stores
 *    it before any frame is freed, then pins every mapped frame a PIN names, so those become orphans and
 *    are freed only when the worker lets go.
 *
 * 2. No write is ever lost. A worker stores the bytes, then its frame's worker-dirty byte, then PIN = 0.
 *    The owner decides that a page may leave without a page-out only in `drop`, after it saw no PIN: there
 *    it exchanges the worker-dirty byte for 0, and if it was set, marks the frame dirty and keeps it (the
 *    next reclaim pages it out). A write that lands after that check had to pin first and so saw the entry
 *    invalid. A write during a page-out sets the byte after the pager may have read older bytes: the byte
 *    is still set when the page-out ends and `drop` runs, so the page stays dirty. `flush` folds the bytes
 *    into D bits before it looks for dirty pages, and `stat` before it counts them. (Rule 7 says where a
 *    page may leave with its workers' writes: only when a truncation forgets it.)
 *
 * 3. Faults on one page from several threads cause one page-in: a worker's miss is a message to the owner,
 *    which calls the object's own fault path (page-in.ts), whose `inflight` map joins every faulter of a
 *    page, the owner's own included, to one page-in.
 *
 * 4. The owner never blocks. A miss: the worker picks the next SEQ, posts [seq, page, write] on its port,
 *    and waits on DONE with Atomics.wait (its own chosen timeout). The owner's message handler faults the
 *    page in (any pager, asynchronous ones included) and answers: on failure it first posts the error's
 *    name, code and message on the port; then it stores RESULT and DONE = seq and notifies. The worker reads
 *    an error with receiveMessageOnPort, so it never needs its event loop. An answer to a SEQ that is not
 *    the handle's latest (its worker gave up on a timeout) is dropped. The worker then looks at the page
 *    table again: the page may be gone already, and it faults again.
 *
 * 5. Destroying the object (or the instance, which destroys its objects) wakes every blocked worker:
 *    `beforeDestroy` stores DESTROYED, then DONE = -1 in every handle and notifies. A worker checks
 *    DESTROYED before it posts and whenever it wakes, and DONE = -1 wakes a waiter whose expected value was
 *    anything else, so no wake-up is lost between its check and its wait.
 *
 * 5b. `grow` replaces the object's page table, which workers hold: `revoke` stops them as destroy does (their
 *    pins still count, their dirty bytes are folded), and the object cannot be shared again.
 *
 * 6. A worker that dies cannot wedge the pool: its pins are one PIN word of its own handle, never counts
 *    in the frame state. When its port closes (the worker exited or was terminated) the owner zeroes its
 *    PIN and frees the handle's line; the frames it held go at the next poll.
 *
 * 7. Truncation (`discardFrom`, life-cycle.ts) takes pages away as `drop` does: it stores table[p] = -1, then
 *    loads every PIN (`discarding`). No PIN names the frame: by rule 1 no validated copy is under way and none
 *    can begin, so the frame is freed (unless pins held for workers by an earlier look are still on it: then as
 *    below) and its worker-dirty byte cleared (writes before the cut go with the page). A PIN names it: that
 *    worker may be inside a copy validated before the store, so the frame is pinned on its behalf and leaves
 *    the object as an orphan, mapped nowhere; the poll frees it once no PIN names it, clearing its dirty byte
 *    then (no copy can validate against a frame no entry maps, so no later write sets it). The copy is ordered
 *    before the cut: a read sees the page's old bytes whole, a write lands in the page the cut forgets. The
 *    worker's next access faults and gets the page as the pager has it now. A frame the owner itself uses
 *    (pinned by this thread, not for a worker, or in a page-out) cannot leave: as without workers it is zeroed
 *    in place, made clean and mapped again (the entry is -1 only while the pins are looked at). A worker
 *    copying that frame at that instant, like one copying the page the cut falls in (its tail zeroed in place),
 *    races the zeroing: a read may see old bytes and zeros mixed, and what a write leaves after the zeroing is
 *    kept and, by its dirty byte, written back. Nothing is freed under a copy, and no other page's bytes are
 *    ever seen.
 *
 * Why a read pins instead of validating a generation (a seqlock: load a per-frame generation, copy, load it
 * again). Pins cost two SeqCst stores per access, most of a resident read's time in a worker. A seqlock
 * would need its copy, plain reads of the frame, to be ordered before its second load of the generation.
 * ECMAScript's memory model gives no such order: a plain read synchronizes with nothing, so it may read a
 * byte that the owner writes after bumping the generation, while the second load still sees the old one
 * (C++ seqlocks need a fence here that JavaScript lacks; on ARM64 a load-acquire does not keep earlier
 * loads before it). It would hold on x86 as V8 compiles it today, which is no argument. With pins every
 * byte a worker copies happens-before the owner reuses the frame: the owner reuses it only after a SeqCst
 * load of the worker's PIN that no longer names it, which reads from the unpin made after the copy or from a
 * later store of that word (rule 1 covers a pin that comes later still).
 */

/** Int32 words per handle line: 64 bytes, so that workers' pins do not share a cache line. */
export const LINE = 16;
/** Word 0 of the header: 1 once the object is destroyed. */
export const DESTROYED = 0;
/** Offsets within a handle's line. */
export const PIN = 0;
export const SEQ = 1;
export const DONE = 2;
export const RESULT = 3;
/** DONE's value once the object is destroyed: wakes any waiter. */
export const DONE_DESTROYED = -1;
/** Handles open on one object at once (one per worker). */
export const MAX_HANDLES = 64;

/** The index in the header of word `word` of handle `slot`'s line. */
export function wordOf(slot: number, word: number): number {
  return (1 + slot) * LINE + word;
}

/** Bytes of one object's header. */
export const HEADER_BYTES = (1 + MAX_HANDLES) * LINE * 4;

/** What a fault message carries: the handle's sequence number, the page, and 1 for a write. */
export type FaultMessage = [seq: number, page: number, write: 0 | 1];

/** What the owner posts before answering a failed fault. */
export interface FaultFailure {
  seq: number;
  name: string;
  code: string | undefined;
  message: string;
}

/**
 * Everything a worker needs to attach a shared memory object: plain data, SharedArrayBuffers and one
 * MessagePort. Post it with the port in the transfer list: `worker.postMessage(handle, [handle.port])`, or
 * `new Worker(url, { workerData: handle, transferList: [handle.port] })`. One handle serves one worker.
 */
export interface SharedMemoryObjectHandle {
  readonly kind: 'spinvm.shared-memory-object';
  readonly name: string;
  readonly size: number;
  readonly pageSize: number;
  readonly chunkShift: number;
  readonly chunkMask: number;
  readonly chunks: readonly SharedArrayBuffer[];
  readonly table: SharedArrayBuffer;
  readonly header: SharedArrayBuffer;
  readonly dirty: SharedArrayBuffer;
  readonly slot: number;
  readonly port: MessagePort;
}
