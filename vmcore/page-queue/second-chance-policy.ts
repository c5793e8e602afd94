import { FifoPolicy } from './fifo-policy.js';

/**
 * SPIN's replacement: FIFO with a second chance. A frame used since it was queued is moved to the tail
 * with its mark cleared instead of being reclaimed.
 */
export class SecondChancePolicy extends FifoPolicy {
  override readonly name: string = 'second-chance';
  private referenced!: Uint8Array;

  override get bytesPerFrame(): number {
    return super.bytesPerFrame + 1;
  }

  override attach(frames: number): void {
    super.attach(frames);
    this.referenced = new Uint8Array(frames);
  }

  override insert(frame: number, key: number): void {
    this.referenced[frame] = 0;
    super.insert(frame, key);
  }

  override access(frame: number): void {
    this.referenced[frame] = 1;
  }

  override victim(eligible: (frame: number) => boolean): number {
    // Every referenced frame is moved at most once, so two passes over the list always end.
    const list = this.list;
    let budget = list.size * 2 + 1;
    let moved = false;
    for (let f = list.head; f >= 0 && budget-- > 0;) {
      let following = list.next[f]!;
      if (eligible(f)) {
        if (this.referenced[f] === 0) return f;
        this.referenced[f] = 0;
        if (following >= 0) list.push(f);
        moved = true;
      }
      if (following < 0 && moved) {
        following = list.head;
        moved = false;
      }
      f = following;
    }
    return -1;
  }
}
