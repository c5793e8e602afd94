import { OutOfMemoryError } from '../errors.js';
import { FrameFlag, type FramePool } from '../frames/frame-pool.js';
import { isPromise, type MaybePromise } from '../util/maybe-promise.js';
import type { ReplacementPolicy } from './replacement-policy.js';

export const enum EvictOutcome {
  /** The frame left its owner's cache and the queue; the caller may reuse it. */
  Freed = 0,
  /** The owner kept it because its page-out failed (DeviceFull, NotImplemented): look elsewhere this time. */
  Kept = 1,
  /** The owner kept it because it was written or pinned during its page-out: it may be tried again. */
  Again = 2,
}

/** What the page queue needs of a frame's owner (a memory object) to reclaim from it. */
export interface FrameOwner {
  /** Whether this frame can be reclaimed at all (a dirty page whose pager cannot page out cannot). */
  evictable(frame: number): boolean;
  /** Takes the frame back, paging it out first if needed. Throws or rejects when the pager fails. */
  evict(frame: number): MaybePromise<EvictOutcome>;
}

/**
 * departure's PageQueue with its Pages: frames come from the pool's free list while it has any, else the
 * policy names a victim from the queue's head end, which its owner pages out (when dirty) and gives up.
 * Issued frames join the queue; a reserved frame leaves it so nobody recycles it while it is handed out.
 */
export class PageQueue {
  private readonly owners = new Map<number, FrameOwner>();
  private tried: Set<number> | undefined;
  private readonly eligible = (frame: number): boolean => {
    const flags = this.pool.flags[frame]!;
    return (
      (flags & (FrameFlag.Queued | FrameFlag.Busy | FrameFlag.Free)) === FrameFlag.Queued &&
      this.pool.pins[frame] === 0 &&
      !this.tried?.has(frame) &&
      this.owners.get(this.pool.owner[frame]!)!.evictable(frame)
    );
  };

  constructor(
    readonly pool: FramePool,
    readonly policy: ReplacementPolicy,
  ) {
    policy.attach(pool.frames);
  }

  register(id: number, owner: FrameOwner): void {
    this.owners.set(id, owner);
  }

  unregister(id: number): void {
    this.owners.delete(id);
  }

  /** The frame is filled and handed out: it joins the queue. */
  issue(frame: number, key: number): void {
    this.pool.flags[frame] |= FrameFlag.Queued;
    this.policy.insert(frame, key);
  }

  /** Takes a frame out of the queue (it is being handed out, freed or reclaimed). */
  reserve(frame: number): void {
    if (this.pool.flags[frame]! & FrameFlag.Queued) {
      this.pool.flags[frame] &= ~FrameFlag.Queued;
      this.policy.remove(frame);
    }
  }

  /** Moves a frame its owner kept back to the tail, so the next scan looks elsewhere first. */
  requeue(frame: number, key: number): void {
    this.reserve(frame);
    this.issue(frame, key);
  }

  /** A frame for a page-in: free if there is one, otherwise reclaimed. Synchronous unless a page-out or a wait is needed. */
  allocate(): MaybePromise<number> {
    const frame = this.pool.takeFree();
    return frame >= 0 ? frame : this.reclaim(undefined);
  }

  private reclaim(tried: Set<number> | undefined): MaybePromise<number> {
    for (;;) {
      this.tried = tried;
      const frame = this.policy.victim(this.eligible);
      this.tried = undefined;
      if (frame < 0) return this.noVictim(tried);
      const outcome = this.owners.get(this.pool.owner[frame]!)!.evict(frame);
      if (isPromise(outcome)) {
        return outcome.then((o) => (o === EvictOutcome.Freed ? frame : this.retry(o === EvictOutcome.Kept ? frame : -1, tried)));
      }
      if (outcome === EvictOutcome.Freed) return frame;
      if (outcome === EvictOutcome.Kept) (tried ??= new Set()).add(frame);
    }
  }

  private retry(kept: number, tried: Set<number> | undefined): MaybePromise<number> {
    if (kept >= 0) (tried ??= new Set()).add(kept);
    const frame = this.pool.takeFree();
    return frame >= 0 ? frame : this.reclaim(tried);
  }

  private noVictim(tried: Set<number> | undefined): MaybePromise<number> {
    const pool = this.pool;
    // In-flight page-ins and page-outs, and the short pins of reads and writes, end by themselves: wait.
    if (pool.busy > 0 || pool.transientPins > 0) {
      return pool.changed().then(() => {
        const frame = pool.takeFree();
        return frame >= 0 ? frame : this.reclaim(tried);
      });
    }
    let pinned = 0;
    let stuck = 0;
    for (let f = 0; f < pool.frames; f++) {
      if (pool.pins[f]! > 0) pinned++;
      else if (pool.flags[f]! & FrameFlag.Queued && !this.owners.get(pool.owner[f]!)!.evictable(f)) stuck++;
    }
    throw new OutOfMemoryError(
      pool.frames,
      `${pinned} pinned, ${stuck} dirty with a pager that cannot page them out, ${tried?.size ?? 0} kept after a failed page-out (device full)`,
    );
  }
}
