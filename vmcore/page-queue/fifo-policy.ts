import { FrameList } from './frame-list.js';
import type { ReplacementPolicy } from './replacement-policy.js';

/** The seed's page queue as it is: issued frames join the tail, the head is reclaimed first. */
export class FifoPolicy implements ReplacementPolicy {
  readonly name: string = 'fifo';
  protected list!: FrameList;

  get bytesPerFrame(): number {
    return FrameList.bytesPerFrame;
  }

  attach(frames: number): void {
    this.list = new FrameList(frames);
  }

  insert(frame: number, _key: number): void {
    this.list.push(frame);
  }

  access(_frame: number): void {}

  remove(frame: number): void {
    this.list.unlink(frame);
  }

  victim(eligible: (frame: number) => boolean): number {
    const next = this.list.next;
    for (let f = this.list.head; f >= 0; f = next[f]!) if (eligible(f)) return f;
    return -1;
  }
}
