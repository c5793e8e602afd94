// The page queue (vmcore/page-queue/page-queue.ts): which frames are issued, and which one may go next.
import { describe, expect, it } from 'vitest';
import { FifoPolicy, type ReplacementPolicy } from '../../vmcore/index.js';
import { FramePool } from '../../vmcore/frames/frame-pool.js';
import { PageQueue, type FrameOwner } from '../../vmcore/page-queue/page-queue.js';
import { PS } from '../helpers/small.js';

/** FIFO that writes down what the queue tells it. */
class RecordingPolicy extends FifoPolicy {
  readonly calls: string[] = [];
  override attach(frames: number): void {
    this.calls.push(`attach ${frames}`);
    super.attach(frames);
  }
  override insert(frame: number, key: number): void {
    this.calls.push(`insert ${frame} ${key}`);
    super.insert(frame, key);
  }
  override remove(frame: number): void {
    this.calls.push(`remove ${frame}`);
    super.remove(frame);
  }
}

/** An owner whose frames may all go unless listed in `keep`. */
class Owner implements FrameOwner {
  readonly keep = new Set<number>();
  evictable(frame: number): boolean {
    return !this.keep.has(frame);
  }
}

/** A queue over `frames` frames with one owner (id 1), and a helper that pages a frame in and issues it. */
function setup(frames = 4, policy: ReplacementPolicy = new RecordingPolicy()) {
  const pool = new FramePool(PS, frames);
  const queue = new PageQueue<Owner>(pool, policy);
  const owner = new Owner();
  queue.register(1, owner);
  const issue = (page: number, id = 1): number => {
    const f = pool.state.allocate();
    pool.state.beginPageIn(f, id, page);
    pool.state.endPageIn(f);
    queue.issue(f, page);
    return f;
  };
  return { pool, state: pool.state, queue, owner, policy, issue };
}

describe('PageQueue', () => {
  it("attaches its policy to the pool once, and shares the pool's frame state", () => {
    const { queue, pool, policy } = setup(3);
    expect((policy as RecordingPolicy).calls).toEqual(['attach 3']);
    expect(queue.pool).toBe(pool);
    expect(queue.frames).toBe(pool.state);
    expect(queue.policy).toBe(policy);
  });

  it("issue queues the frame and tells the policy, with the page's key", () => {
    const { queue, state, issue, policy } = setup();
    const f = issue(5);
    expect(state.isQueued(f)).toBe(true);
    expect((policy as RecordingPolicy).calls.at(-1)).toBe(`insert ${f} 5`);
    expect(queue.ownerOf(f)).toBeInstanceOf(Owner);
  });

  it('reserve takes a queued frame out, telling the policy once; an unqueued frame is left alone', () => {
    const { queue, state, issue, policy } = setup();
    const calls = (policy as RecordingPolicy).calls;
    const f = issue(0);
    queue.reserve(f);
    expect(state.isQueued(f)).toBe(false);
    expect(calls.at(-1)).toBe(`remove ${f}`);
    const before = calls.length;
    queue.reserve(f);
    expect(calls.length).toBe(before);
  });

  it('requeue moves a frame to the tail', () => {
    const { queue, issue } = setup();
    const a = issue(0);
    const b = issue(1);
    expect(queue.victim(undefined)).toBe(a);
    queue.requeue(a, 0);
    expect(queue.victim(undefined)).toBe(b);
  });

  it("victim is the policy's pick among frames that may go, and leaves it on the queue", () => {
    const { queue, state, issue } = setup();
    const a = issue(0);
    issue(1);
    expect(queue.victim(undefined)).toBe(a);
    expect(queue.victim(undefined)).toBe(a);
    expect(state.isQueued(a)).toBe(true);
  });

  it('victim passes over busy, pinned, unqueued, skipped and unevictable frames', () => {
    const { queue, state, owner, issue } = setup(6);
    const busy = issue(0);
    state.beginPageOut(busy);
    const pinned = issue(1);
    state.pin(pinned, 1, true);
    const reserved = issue(2);
    queue.reserve(reserved);
    const skipped = issue(3);
    const kept = issue(4);
    owner.keep.add(kept);
    const last = issue(5);
    expect(queue.victim(new Set([skipped]))).toBe(last);
    expect(queue.victim(undefined)).toBe(skipped); // the skip set lasts one call
  });

  it('answers -1 when nothing may go', () => {
    const { queue, state, owner, issue } = setup(2);
    expect(queue.victim(undefined)).toBe(-1);
    const a = issue(0);
    const b = issue(1);
    state.pin(a, 1, false);
    owner.keep.add(b);
    expect(queue.victim(undefined)).toBe(-1);
  });

  it("ownerOf finds a frame's owner by the id its page-in recorded; stuck names queued frames their owner will not give up", () => {
    const { queue, owner, issue } = setup();
    const other = new Owner();
    queue.register(2, other);
    const a = issue(0, 1);
    const b = issue(0, 2);
    expect(queue.ownerOf(a)).toBe(owner);
    expect(queue.ownerOf(b)).toBe(other);
    other.keep.add(b);
    expect(queue.stuck(b)).toBe(true);
    expect(queue.stuck(a)).toBe(false);
    queue.reserve(b);
    expect(queue.stuck(b)).toBe(false);
    queue.unregister(2);
    expect(queue.ownerOf(b)).toBeUndefined();
  });
});
