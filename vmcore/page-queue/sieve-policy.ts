import { FrameList } from './frame-list.js';
import type { ReplacementPolicy } from './replacement-policy.js';

/**
 * SIEVE (Zhang et al., "SIEVE is Simpler than LRU", NSDI 2024). One FIFO queue, a visited bit per entry and
 * a hand. New entries go to the queue's head; a hit only sets the visited bit (nothing moves). To evict, the
 * hand starts where it last stopped (or at the tail, the oldest entry), clears and passes visited entries
 * moving toward the head, wrapping to the tail, and evicts the first unvisited one; the hand then rests at
 * the evicted entry's newer neighbour. Survivors stay where they are, so old popular entries sit behind the
 * hand while new ones are sifted out quickly.
 *
 * Mapping onto FrameList, which pushes at its tail: FrameList.tail is SIEVE's head (newest) and
 * FrameList.head is SIEVE's tail (oldest), so the hand follows `next` (older to newer) and wraps to
 * FrameList.head. victim() leaves the hand on the frame it returns; remove() of the frame under the hand
 * moves the hand to its newer neighbour (-1 meaning "wrap to the oldest"), which is SIEVE's `hand = o.prev`.
 * Frames `eligible` rejects are passed over with their visited bits untouched.
 */
export class SievePolicy implements ReplacementPolicy {
  readonly name: string = 'sieve';
  private list!: FrameList;
  private visited!: Uint8Array;
  /** The frame the hand rests on; -1 for the oldest frame. */
  private hand = -1;

  /** A FrameList plus the visited byte. */
  get bytesPerFrame(): number {
    return FrameList.bytesPerFrame + 1;
  }

  attach(frames: number): void {
    this.list = new FrameList(frames);
    this.visited = new Uint8Array(frames);
    this.hand = -1;
  }

  insert(frame: number, _key: number): void {
    if (this.list.has(frame)) this.remove(frame);
    this.visited[frame] = 0;
    this.list.push(frame);
  }

  access(frame: number): void {
    this.visited[frame] = 1;
  }

  remove(frame: number): void {
    const list = this.list;
    if (!list.has(frame)) return;
    if (this.hand === frame) this.hand = list.next[frame]!;
    list.unlink(frame);
    this.visited[frame] = 0;
  }

  victim(eligible: (frame: number) => boolean): number {
    const list = this.list;
    if (list.size === 0) return -1;
    const next = list.next;
    const visited = this.visited;
    let f = this.hand >= 0 ? this.hand : list.head;
    // One turn round the queue clears every eligible visited frame; the second finds an eligible one.
    for (let step = 2 * list.size; step > 0; step--) {
      if (eligible(f)) {
        if (visited[f] === 0) {
          this.hand = f;
          return f;
        }
        visited[f] = 0;
      }
      const n = next[f]!;
      f = n >= 0 ? n : list.head;
    }
    this.hand = f;
    return -1;
  }
}
