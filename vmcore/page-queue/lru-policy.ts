import { FifoPolicy } from './fifo-policy.js';

/**
 * Least recently used: FIFO's queue kept in order of last use. A hit moves its frame to the tail, so the
 * head (the frame unused for longest) is reclaimed first. Every hit relinks the frame, which is what makes
 * LRU dearer on the hit path than the FIFO family.
 */
export class LruPolicy extends FifoPolicy {
  override readonly name: string = 'lru';

  override access(frame: number): void {
    // push() unlinks a member first, so this is the O(1) move-to-tail.
    if (this.list.has(frame)) this.list.push(frame);
  }
}
