import type { ReplacementPolicy } from './replacement-policy.js';

/**
 * The classic CLOCK (Corbató, 1968): the frames are slots on a circle and a hand sweeps them in frame
 * order. At a reclaim the hand looks at the slot under it: a queued frame whose reference bit is set has the
 * bit cleared and is passed over; the first eligible queued frame with the bit clear is the victim, and the
 * hand moves one past it, so the page that replaces it in that slot is the last the hand will reach.
 *
 * This differs from SecondChancePolicy, which rotates a queue in issue order: here the order is the order of
 * the slots, whatever order frames were issued in, and nothing is ever relinked. When frames are filled in
 * slot order and a victim's slot is refilled at once (as in a pure replay), the two choose the same victims.
 *
 * A newly issued frame starts with its reference bit clear, as SecondChancePolicy does: the reference that
 * faulted it in is not counted as a reuse.
 */
export class ClockPolicy implements ReplacementPolicy {
  readonly name: string = 'clock';
  private queued!: Uint8Array;
  private referenced!: Uint8Array;
  private frames = 0;
  private count = 0;
  private hand = 0;

  /** A queued byte and a reference byte per slot; no links. */
  get bytesPerFrame(): number {
    return 2;
  }

  attach(frames: number): void {
    this.frames = frames;
    this.queued = new Uint8Array(frames);
    this.referenced = new Uint8Array(frames);
    this.count = 0;
    this.hand = 0;
  }

  insert(frame: number, _key: number): void {
    if (this.queued[frame] === 0) this.count++;
    this.queued[frame] = 1;
    this.referenced[frame] = 0;
  }

  access(frame: number): void {
    if (this.queued[frame] === 1) this.referenced[frame] = 1;
  }

  remove(frame: number): void {
    if (this.queued[frame] === 0) return;
    this.queued[frame] = 0;
    this.referenced[frame] = 0;
    this.count--;
  }

  victim(eligible: (frame: number) => boolean): number {
    const n = this.frames;
    if (this.count === 0) return -1;
    const queued = this.queued;
    const referenced = this.referenced;
    // The first turn clears the bit of every eligible queued frame it passes, so by the end of the second
    // turn an eligible frame, if there is one, has been found. Ineligible frames keep their bits.
    let h = this.hand;
    for (let step = 2 * n; step > 0; step--) {
      if (queued[h] === 1 && eligible(h)) {
        if (referenced[h] === 0) {
          this.hand = h + 1 === n ? 0 : h + 1;
          return h;
        }
        referenced[h] = 0;
      }
      h = h + 1 === n ? 0 : h + 1;
    }
    this.hand = h;
    return -1;
  }
}
