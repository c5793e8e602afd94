// The frame-state module's transitions (vmcore/frames/frame-state.ts), one by one and refused.
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../vmcore/index.js';
import { FrameState } from '../../vmcore/frames/frame-state.js';

/** The per-frame values, read through the test-only escape hatch. */
function raw(state: FrameState, frame: number) {
  const a = state.__arrays();
  return { owner: a.owner[frame], page: a.page[frame], flags: a.flags[frame], pins: a.pins[frame] };
}

/** A snapshot of everything the state holds, to show a refused transition changed nothing. */
function snapshot(state: FrameState) {
  const a = state.__arrays();
  return {
    owner: [...a.owner],
    page: [...a.page],
    flags: [...a.flags],
    pins: [...a.pins],
    free: state.freeCount,
    busy: state.busyCount,
    transient: state.transientPinCount,
  };
}

/** A frame taken, paged in for owner 1 at `page`, and queued: Resident(Q). */
function resident(state: FrameState, page = 7, owner = 1): number {
  const f = state.allocate();
  state.beginPageIn(f, owner, page);
  state.endPageIn(f);
  state.enqueue(f);
  return f;
}

/** Whether `changed()` resolved by the end of this turn. */
async function woke(promise: Promise<void>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('a new frame state', () => {
  it('has every frame free, unowned and unpinned, and hands them out from frame 0 up', () => {
    const s = new FrameState(3);
    expect(s.frames).toBe(3);
    expect(s.freeCount).toBe(3);
    expect(s.busyCount).toBe(0);
    expect(s.transientPinCount).toBe(0);
    for (let f = 0; f < 3; f++) {
      expect(s.isFree(f)).toBe(true);
      expect(s.ownerOf(f)).toBe(-1);
      expect(s.pinCount(f)).toBe(0);
    }
    expect([s.allocate(), s.allocate(), s.allocate(), s.allocate()]).toEqual([0, 1, 2, -1]);
    expect(s.freeCount).toBe(0);
  });

  it('keeps its state in typed arrays, one element per frame, the sizes bytesPerFrame counts', () => {
    const a = new FrameState(5).__arrays();
    expect(a.owner).toBeInstanceOf(Int32Array);
    expect(a.page).toBeInstanceOf(Float64Array);
    expect(a.flags).toBeInstanceOf(Uint8Array);
    expect(a.pins).toBeInstanceOf(Uint32Array);
    expect(a.freeStack).toBeInstanceOf(Int32Array);
    for (const array of Object.values(a)) expect(array.length).toBe(5);
    expect(FrameState.bytesPerFrame).toBe(Object.values(a).reduce((sum, array) => sum + array.BYTES_PER_ELEMENT, 0));
  });
});

describe('page-in: Free → Taken → Busy(in) → Resident', () => {
  it('allocate takes a frame off the free list without making it busy', () => {
    const s = new FrameState(2);
    const f = s.allocate();
    expect(s.isFree(f)).toBe(false);
    expect(s.isBusy(f)).toBe(false);
    expect(s.busyCount).toBe(0);
    expect(s.freeCount).toBe(1);
  });

  it('beginPageIn makes it busy with its owner and page, and says when the bytes last belonged to another object', () => {
    const s = new FrameState(1);
    const f = s.allocate();
    expect(s.beginPageIn(f, 4, 9)).toBe(true);
    expect(s.isBusy(f)).toBe(true);
    expect(s.busyCount).toBe(1);
    expect([s.ownerOf(f), s.pageOf(f)]).toEqual([4, 9]);
    expect(s.reclaimable(f)).toBe(false);
    s.abortPageIn(f);
    // The same owner again: its own bytes, nothing to zero. Another owner: zero them.
    expect(s.beginPageIn(s.allocate(), 4, 2)).toBe(false);
    s.abortPageIn(f);
    expect(s.beginPageIn(s.allocate(), 5, 2)).toBe(true);
    expect(s.ownerOf(f)).toBe(5);
  });

  it('endPageIn ends the busy span and wakes waiters; enqueue makes the frame reclaimable', async () => {
    const s = new FrameState(1);
    const f = s.allocate();
    s.beginPageIn(f, 1, 0);
    const waiting = s.changed();
    s.endPageIn(f);
    expect(await woke(waiting)).toBe(true);
    expect(s.busyCount).toBe(0);
    expect(s.reclaimable(f)).toBe(false); // not on the queue yet
    s.enqueue(f);
    expect(s.isQueued(f)).toBe(true);
    expect(s.reclaimable(f)).toBe(true);
    expect(s.isDirty(f)).toBe(false);
  });

  it('abortPageIn sends the frame straight back to the free list', async () => {
    const s = new FrameState(1);
    const f = s.allocate();
    s.beginPageIn(f, 1, 0);
    const waiting = s.changed();
    s.abortPageIn(f);
    expect(await woke(waiting)).toBe(true);
    expect(s.isFree(f)).toBe(true);
    expect(s.busyCount).toBe(0);
    expect(s.freeCount).toBe(1);
  });

  it('a handed-off frame begins its page-in without counting as busy twice', () => {
    const s = new FrameState(1);
    const f = resident(s);
    s.dequeue(f);
    s.handOff(f);
    expect(s.busyCount).toBe(1);
    expect(s.beginPageIn(f, 2, 3)).toBe(true);
    expect(s.busyCount).toBe(1);
    s.endPageIn(f);
    expect(s.busyCount).toBe(0);
  });
});

describe('dirty pages and page-out: Resident → Busy(out) → Resident, or handed off', () => {
  it('markDirty and markClean set and clear the dirty bit', () => {
    const s = new FrameState(1);
    const f = resident(s);
    s.markDirty(f);
    expect(s.isDirty(f)).toBe(true);
    expect(s.isFlushable(f)).toBe(true);
    expect(s.isDirtyOrPagingOut(f)).toBe(true);
    s.markClean(f);
    expect(s.isDirty(f)).toBe(false);
    expect(s.isDirtyOrPagingOut(f)).toBe(false);
  });

  it('beginPageOut clears the dirty bit, so a write during the page-out shows at its end', () => {
    const s = new FrameState(1);
    const f = resident(s);
    s.markDirty(f);
    s.beginPageOut(f);
    expect(s.isBusy(f)).toBe(true);
    expect(s.isDirty(f)).toBe(false);
    expect(s.isDirtyOrPagingOut(f)).toBe(true);
    expect(s.isFlushable(f)).toBe(false);
    expect(s.reclaimable(f)).toBe(false);
    expect(s.busyCount).toBe(1);
    s.markDirty(f); // written meanwhile
    s.endPageOut(f);
    expect(s.isBusy(f)).toBe(false);
    expect(s.isDirty(f)).toBe(true);
    expect(s.isQueued(f)).toBe(true);
    expect(s.busyCount).toBe(0);
  });

  it('a frame paged out and handed off stays busy, off the queue, until its next page-in', () => {
    const s = new FrameState(1);
    const f = resident(s);
    s.beginPageOut(f);
    s.dequeue(f);
    s.handOff(f);
    expect(s.isBusy(f)).toBe(true);
    expect(s.isQueued(f)).toBe(false);
    expect(s.busyCount).toBe(1);
  });

  it('a clean frame handed off without a page-out becomes busy', () => {
    const s = new FrameState(1);
    const f = resident(s);
    s.dequeue(f);
    s.handOff(f);
    expect(s.isBusy(f)).toBe(true);
    expect(s.busyCount).toBe(1);
  });

  it('owner and page change only when a page-in begins', () => {
    const s = new FrameState(1);
    const f = resident(s, 7, 1);
    const seen = () => [s.ownerOf(f), s.pageOf(f)];
    s.markDirty(f);
    s.beginPageOut(f);
    s.endPageOut(f);
    s.pin(f, 1, false);
    s.unpin(f, false);
    s.dequeue(f);
    s.handOff(f);
    expect(seen()).toEqual([1, 7]);
    s.beginPageIn(f, 2, 8);
    expect(seen()).toEqual([2, 8]);
  });
});

describe('the queue bit', () => {
  it('dequeue says whether the frame was queued', () => {
    const s = new FrameState(1);
    const f = resident(s);
    expect(s.dequeue(f)).toBe(true);
    expect(s.dequeue(f)).toBe(false);
    expect(s.isQueued(f)).toBe(false);
    s.enqueue(f);
    expect(s.isQueued(f)).toBe(true);
  });
});

describe('pins', () => {
  it('a pinned frame is not reclaimable; unpinning it wakes waiters', async () => {
    const s = new FrameState(1);
    const f = resident(s);
    s.pin(f, 2, false);
    expect(s.pinCount(f)).toBe(2);
    expect(s.reclaimable(f)).toBe(false);
    expect(s.inUse(f)).toBe(true);
    s.unpin(f, false);
    expect(s.reclaimable(f)).toBe(false);
    const waiting = s.changed();
    s.unpin(f, false);
    expect(await woke(waiting)).toBe(true);
    expect(s.reclaimable(f)).toBe(true);
    expect(s.inUse(f)).toBe(false);
  });

  it('transient pins are counted apart; handOverPin makes one lasting and wakes waiters', async () => {
    const s = new FrameState(1);
    const f = resident(s);
    s.pin(f, 3, true);
    expect(s.transientPinCount).toBe(3);
    s.unpin(f, true);
    expect(s.transientPinCount).toBe(2);
    const waiting = s.changed();
    s.handOverPin();
    expect(await woke(waiting)).toBe(true);
    expect(s.transientPinCount).toBe(1);
    expect(s.pinCount(f)).toBe(2);
  });

  it('unpinning an unpinned frame does nothing', () => {
    const s = new FrameState(1);
    const f = resident(s);
    const before = snapshot(s);
    s.unpin(f, true);
    expect(snapshot(s)).toEqual(before);
  });

  it('dropLastingPins never goes below zero', () => {
    const s = new FrameState(1);
    const f = resident(s);
    s.pin(f, 2, false);
    s.dropLastingPins(f, 1);
    expect(s.pinCount(f)).toBe(1);
    s.dropLastingPins(f, 5);
    expect(s.pinCount(f)).toBe(0);
  });

  it('refuses more than 2^32 - 1 pins on one frame', () => {
    const s = new FrameState(1);
    const f = resident(s);
    s.pin(f, 0xffffffff, false);
    expect(() => s.pin(f, 1, true)).toThrow(InvalidArgumentError);
    expect(s.pinCount(f)).toBe(0xffffffff);
    expect(s.transientPinCount).toBe(0);
  });
});

describe('orphans: the owner was destroyed while the frame was in use', () => {
  it('a busy orphan goes to the free list when its page-out ends', () => {
    const s = new FrameState(1);
    const f = resident(s);
    s.beginPageOut(f);
    s.dequeue(f);
    s.orphan(f);
    expect(s.isOrphan(f)).toBe(true);
    s.endPageOut(f);
    expect(s.isFree(f)).toBe(true);
    expect(s.freeCount).toBe(1);
    expect(s.busyCount).toBe(0);
  });

  it('a pinned orphan goes to the free list with its last pin, not before', () => {
    const s = new FrameState(1);
    const f = resident(s);
    s.pin(f, 2, true);
    s.dequeue(f);
    s.orphan(f);
    s.unpin(f, true);
    expect(s.isFree(f)).toBe(false);
    s.unpin(f, true);
    expect(s.isFree(f)).toBe(true);
    expect(s.transientPinCount).toBe(0);
  });

  it('an orphan both busy and pinned waits for both', () => {
    const s = new FrameState(1);
    const f = resident(s);
    s.pin(f, 1, true);
    s.beginPageOut(f);
    s.dequeue(f);
    s.orphan(f);
    s.endPageOut(f);
    expect(s.isFree(f)).toBe(false);
    expect(s.isOrphan(f)).toBe(true);
    s.unpin(f, true);
    expect(s.isFree(f)).toBe(true);
  });

  it('an unpinned busy orphan can be handed off instead: no longer an orphan', () => {
    const s = new FrameState(1);
    const f = resident(s);
    s.beginPageOut(f);
    s.dequeue(f);
    s.orphan(f);
    s.handOff(f);
    expect(s.isOrphan(f)).toBe(false);
    expect(s.isBusy(f)).toBe(true);
    expect(s.busyCount).toBe(1);
  });
});

describe('free', () => {
  it('frees a taken frame or an idle resident one off the queue, dirty or not, and wakes waiters', async () => {
    const s = new FrameState(2);
    const taken = s.allocate();
    s.free(taken);
    expect(s.isFree(taken)).toBe(true);
    const f = resident(s);
    s.markDirty(f);
    s.dequeue(f);
    const waiting = s.changed();
    s.free(f);
    expect(await woke(waiting)).toBe(true);
    expect(raw(s, f).flags).toBe(1);
    expect(s.freeCount).toBe(2);
  });
});

describe('census', () => {
  it('counts queued, dirty and pinned frames', () => {
    const s = new FrameState(4);
    const a = resident(s, 0);
    const b = resident(s, 1);
    resident(s, 2);
    s.markDirty(a);
    s.pin(b, 1, false);
    expect(s.census()).toEqual({ queued: 3, dirty: 1, pinned: 1 });
  });
});

describe('refused transitions throw and change nothing', () => {
  type Setup = (s: FrameState) => number;
  const free: Setup = () => 0;
  const taken: Setup = (s) => s.allocate();
  const busyIn: Setup = (s) => {
    const f = s.allocate();
    s.beginPageIn(f, 1, 0);
    return f;
  };
  const queued: Setup = (s) => resident(s);
  const pagingOut: Setup = (s) => {
    const f = resident(s);
    s.beginPageOut(f);
    return f;
  };
  const pinned: Setup = (s) => {
    const f = resident(s);
    s.dequeue(f);
    s.pin(f, 1, false);
    return f;
  };
  const orphan: Setup = (s) => {
    const f = pagingOut(s);
    s.dequeue(f);
    s.orphan(f);
    return f;
  };
  const idle: Setup = (s) => {
    const f = resident(s);
    s.dequeue(f);
    return f;
  };

  it.each<[string, Setup, (s: FrameState, f: number) => void]>([
    ['free a free frame', free, (s, f) => s.free(f)],
    ['free a busy frame', busyIn, (s, f) => s.free(f)],
    ['free a queued frame', queued, (s, f) => s.free(f)],
    ['free a pinned frame', pinned, (s, f) => s.free(f)],
    ['begin a page-in of a resident frame', queued, (s, f) => s.beginPageIn(f, 1, 0)],
    ['begin a page-in of a free frame', free, (s, f) => s.beginPageIn(f, 1, 0)],
    ['end a page-in that did not begin', taken, (s, f) => s.endPageIn(f)],
    ['abort a page-in that did not begin', queued, (s, f) => s.abortPageIn(f)],
    ['begin a page-out of a busy frame', pagingOut, (s, f) => s.beginPageOut(f)],
    ['begin a page-out of a free frame', free, (s, f) => s.beginPageOut(f)],
    ['end a page-out that did not begin', queued, (s, f) => s.endPageOut(f)],
    ['hand off a free frame', free, (s, f) => s.handOff(f)],
    ['hand off a frame still on the queue', queued, (s, f) => s.handOff(f)],
    ['queue a free frame', free, (s, f) => s.enqueue(f)],
    ['queue a busy frame', busyIn, (s, f) => s.enqueue(f)],
    ['queue a queued frame', queued, (s, f) => s.enqueue(f)],
    ['queue an orphan', orphan, (s, f) => s.enqueue(f)],
    ['orphan an idle frame', idle, (s, f) => s.orphan(f)],
    ['orphan a queued frame', queued, (s, f) => s.orphan(f)],
  ])('%s', (_what, setup, transition) => {
    const s = new FrameState(2);
    const f = setup(s);
    const before = snapshot(s);
    expect(() => transition(s, f)).toThrow(/refused for frame \d+ .*a bug in spinvm/);
    expect(snapshot(s)).toEqual(before);
  });
});
