// The frame pool (vmcore/frames/frame-pool.ts): the bytes of every frame, in a few large chunks.
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ResultCode } from '../../vmcore/index.js';
import { LazyPager, ScriptedPager } from '../helpers/pagers.js';
import { FramePool, isPageSize } from '../../vmcore/frames/frame-pool.js';
import { FrameState } from '../../vmcore/frames/frame-state.js';
import { PS, smallVm } from '../helpers/small.js';

describe('FramePool', () => {
  it.each([511, 513, 1000, 256, 2 ** 31, 0, -512, 512.5, NaN, '512', undefined])('refuses page size %s', (pageSize) => {
    expect(() => new FramePool(pageSize as number, 1)).toThrow(InvalidArgumentError);
    expect(isPageSize(pageSize)).toBe(false);
  });

  it.each([512, 4096, 65536, 2 ** 30])('takes page size %i', (pageSize) => {
    expect(isPageSize(pageSize)).toBe(true);
  });

  it.each([0, -1, 1.5, 2 ** 31, NaN, Infinity, '4', null])('refuses frame count %s', (frames) => {
    expect(() => new FramePool(PS, frames as number)).toThrow(InvalidArgumentError);
  });

  it('lays frames out back to back in one chunk when they fit', () => {
    const pool = new FramePool(PS, 4);
    expect(pool.chunks).toHaveLength(1);
    expect(pool.chunks[0]!.length).toBe(4 * PS);
    for (let f = 0; f < 4; f++) {
      expect(pool.chunk(f)).toBe(pool.chunks[0]);
      expect(pool.offset(f)).toBe(f * PS);
      const view = pool.view(f);
      expect(view.length).toBe(PS);
      expect(view.buffer).toBe(pool.chunks[0]!.buffer);
      expect(view.byteOffset).toBe(f * PS);
    }
  });

  it('splits frames over chunks of a power-of-two frame count, the last one short', () => {
    const pool = new FramePool(PS, 3);
    expect(pool.chunks.map((c) => c.length)).toEqual([2 * PS, PS]);
    expect(pool.chunkShift).toBe(1);
    expect(pool.chunkMask).toBe(1);
    expect([pool.chunk(2), pool.offset(2)]).toEqual([pool.chunks[1], 0]);
    pool.view(2).fill(9);
    expect(pool.chunks[1]!.every((b) => b === 9)).toBe(true);
    expect(pool.chunks[0]!.every((b) => b === 0)).toBe(true);
  });

  it('zero clears the whole frame or a range of it, and nothing of its neighbours', () => {
    const pool = new FramePool(PS, 3);
    for (let f = 0; f < 3; f++) pool.view(f).fill(f + 1);
    pool.zero(1);
    expect(pool.view(1).every((b) => b === 0)).toBe(true);
    pool.zero(0, 10, 20);
    expect(
      pool
        .view(0)
        .subarray(10, 20)
        .every((b) => b === 0),
    ).toBe(true);
    expect(pool.view(0)[9]).toBe(1);
    expect(pool.view(0)[20]).toBe(1);
    pool.zero(2, 100);
    expect(pool.view(2)[99]).toBe(3);
    expect(
      pool
        .view(2)
        .subarray(100)
        .every((b) => b === 0),
    ).toBe(true);
  });

  it("owns a frame state over its frames; the free count is the state's", () => {
    const pool = new FramePool(PS, 5);
    expect(pool.state).toBeInstanceOf(FrameState);
    expect(pool.state.frames).toBe(5);
    expect(pool.freeCount).toBe(5);
    pool.state.allocate();
    expect(pool.freeCount).toBe(4);
    expect(FramePool.bytesPerFrame).toBe(FrameState.bytesPerFrame);
  });
});

describe('frames passed between objects', () => {
  it("a frame that held another object's page is zeroed before its next owner's pager sees it", async () => {
    const vm = smallVm({ frames: 1, policy: 'fifo' });
    const first = vm.createMemoryObject({ size: PS });
    await first.write(0, new Uint8Array(PS).fill(0xab));
    await first.destroy(); // its frame goes back to the free list as it is
    const second = vm.createMemoryObject({ size: PS, pager: new LazyPager() });
    const seen = await second.read(0, PS);
    expect(seen.every((b) => b === 0)).toBe(true);
  });

  it('a frame given to a different object is zeroed first', async () => {
    const vm = smallVm({ frames: 1 });
    const a = vm.createMemoryObject({ size: PS });
    await a.write(0, new Uint8Array(PS).fill(0xaa));
    await a.destroy();
    // A pager that answers Success without filling the frame: it must still see no byte of a's.
    const lazy = new ScriptedPager();
    lazy.inDefault = ResultCode.Success;
    lazy.store.clear();
    lazy.inDefault = (_page, _frame) => ResultCode.Success;
    const b = vm.createMemoryObject({ size: PS, pager: lazy });
    expect((await b.read(0, PS)).every((x) => x === 0)).toBe(true);
  });
});
