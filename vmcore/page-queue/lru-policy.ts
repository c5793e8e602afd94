import { FrameList } from './frame-list.js';
import type { ReplacementPolicy } from './replacement-policy.js';

/**
 * Least recently used: the queue is kept in order of last use. Issued frames join the tail, a hit moves its
 * frame to the tail, and the head (the frame unused for longest) is reclaimed first. Every hit relinks the
 * frame, which is what makes LRU dearer on the hit path than the FIFO family.
 */
export class LruPolicy implements ReplacementPolicy {
  readonly name: string = 'lru';
  private list!: FrameList;

  /** One FrameList: next and prev (Int32) and a membership byte. */
  get bytesPerFrame(): number {
    return FrameList.bytesPerFrame;
  }

  attach(frames: number): void {
    this.list = new FrameList(frames);
  }

  insert(frame: number, _key: number): void {
    this.list.push(frame);
  }

  access(frame: number): void {
    // push() unlinks a member first, so this is the O(1) move-to-tail.
    if (this.list.has(frame)) this.list.push(frame);
  }

  remove(frame: number): void {
    this.list.unlink(frame);
  }

  victim(eligible: (frame: number) => boolean): number {
    const next = this.list.next;
    for (let f = this.list.head; f >= 0; f = next[f]!) if (eligible(f)) return f;
    return -1;
  }
}
