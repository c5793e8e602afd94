import type { FramePool } from '../frames/frame-pool.js';
import type { FrameState } from '../frames/frame-state.js';
import type { ReplacementPolicy } from './replacement-policy.js';

/** What the page queue asks a frame's owner (a memory object) before naming the frame as a victim. */
export interface FrameOwner {
  /** Whether the owner could give this frame up at all (a dirty page whose pager cannot page out cannot). */
  evictable(frame: number): boolean;
}

/**
 * departure's PageQueue: the issued frames, in the order the replacement policy keeps them. Issued frames
 * join the queue; a reserved frame leaves it so nobody recycles it while it is handed out or freed. The
 * queue only picks: `victim` names the frame the policy would reclaim next among those that may go, and
 * the page-out path (memory-object/page-out.ts) writes it back and frees it.
 */
export class PageQueue<Owner extends FrameOwner = FrameOwner> {
  readonly frames: FrameState;
  private readonly owners = new Map<number, Owner>();
  /** Frames `victim` must pass over this time; set only for the span of one `victim` call. */
  private skip: ReadonlySet<number> | undefined;
  /** Made once, so that asking for a victim allocates nothing. */
  private readonly eligible = (frame: number): boolean => this.frames.reclaimable(frame) && !this.skip?.has(frame) && this.ownerOf(frame).evictable(frame);

  constructor(
    readonly pool: FramePool,
    readonly policy: ReplacementPolicy,
  ) {
    this.frames = pool.state;
    policy.attach(pool.frames);
  }

  register(id: number, owner: Owner): void {
    this.owners.set(id, owner);
  }

  unregister(id: number): void {
    this.owners.delete(id);
  }

  /** The registered owner of a queued frame. */
  ownerOf(frame: number): Owner {
    return this.owners.get(this.frames.ownerOf(frame))!;
  }

  /** The frame is filled and handed out: it joins the queue. `key` names its page, for policies that remember pages. */
  issue(frame: number, key: number): void {
    this.frames.enqueue(frame);
    this.policy.insert(frame, key);
  }

  /** Takes a frame out of the queue (it is being handed out, freed or reclaimed). */
  reserve(frame: number): void {
    if (this.frames.dequeue(frame)) this.policy.remove(frame);
  }

  /** Moves a frame its owner kept back to the tail, so the next scan looks elsewhere first. */
  requeue(frame: number, key: number): void {
    this.reserve(frame);
    this.issue(frame, key);
  }

  /**
   * The frame the policy would reclaim next, or -1: queued, idle, unpinned, not in `skip`, and one its
   * owner could give up. It stays on the queue until the page-out path reserves it.
   */
  victim(skip: ReadonlySet<number> | undefined): number {
    this.skip = skip;
    const frame = this.policy.victim(this.eligible);
    this.skip = undefined;
    return frame;
  }

  /** Whether the queued frame could be reclaimed at all, were it idle (for the out-of-memory report). */
  stuck(frame: number): boolean {
    return this.frames.isQueued(frame) && !this.ownerOf(frame).evictable(frame);
  }
}
