// munmap(2): removing any page range; mappings split on page boundaries and the pages outside keep their state.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SegmentationFault } from '../../vmcore/index.js';
import { expectNothingLeaked, filled, setup, type Setup } from './helpers.js';
import { expectPages, FIRST, FIVE_CASES, LAST, layout, type PageState } from './split-cases.js';

let t: Setup;
beforeEach(() => {
  t = setup();
});
afterEach(() => t.done());

describe('munmap: the five ways a range cuts a mapping', () => {
  it.each(FIVE_CASES)('%s: the range is unmapped, the pages just outside keep their contents and protection', async (_label, first, pages) => {
    const { space, ps } = t;
    const state = await layout(t);
    await space.unmap(first * ps, pages * ps);
    const expected = new Map<number, PageState | undefined>(state);
    for (let p = first; p < first + pages; p++) expected.set(p, undefined);
    await expectPages(space, ps, expected);
    // The pieces left of one mapping are still that mapping: their private pages are intact and writable.
    for (let p = 12; p < 20; p++) {
      if (expected.get(p) === undefined) continue;
      await space.write(p * ps + 1, Uint8Array.of(0xee));
      expect(space.getUint8(p * ps + 1)).toBe(0xee);
      expect(space.getUint8(p * ps + 2)).toBe(p - 11);
    }
  });

  it('the hole in the middle leaves two mappings with the old offsets', async () => {
    const { space, ps } = t;
    const data = Uint8Array.from({ length: 6 * ps }, (_, i) => Math.floor(i / ps) + 1);
    const file = t.file('f', data);
    const a = await space.map({ file, length: 6 * ps, prot: 'read', share: 'private' });
    await space.unmap(a + 2 * ps, 2 * ps);
    expect(space.mappings().map((m) => [m.address - a, m.length, m.offset])).toEqual([
      [0, 2 * ps, 0],
      [4 * ps, 2 * ps, 4 * ps],
    ]);
    expect((await space.read(a + 4 * ps, 1))[0]).toBe(5);
  });

  it('unmapping a range with nothing mapped in it is not an error; the length is rounded up to pages', async () => {
    const { space, ps } = t;
    await space.unmap(1000 * ps, 3);
    const a = await space.map({ anonymous: true, length: 3 * ps, prot: 'read', share: 'private' });
    await space.unmap(a, ps + 1);
    expect(space.mappings()).toMatchObject([{ address: a + 2 * ps, length: ps }]);
  });

  it('after munmap every access to the range faults, sync ones included', async () => {
    const { space, ps } = t;
    const a = await space.map({ anonymous: true, length: ps, prot: ['read', 'write'], share: 'private' });
    await space.write(a, Uint8Array.of(1));
    await space.unmap(a, ps);
    expect(() => space.getUint8(a)).toThrow(SegmentationFault);
    expect(() => space.setUint8(a, 1)).toThrow(SegmentationFault);
    await expect(space.read(a, 1)).rejects.toBeInstanceOf(SegmentationFault);
  });

  it('frames are freed as soon as no mapping uses them; nothing leaks after everything is unmapped', async () => {
    const { space, vm, ps } = t;
    const frames = vm.stat().frames;
    const file = t.file('f', filled(4 * ps, 1));
    const a = await space.map({ anonymous: true, length: 4 * ps, prot: ['read', 'write'], share: 'private' });
    const s = await space.map({ anonymous: true, length: 4 * ps, prot: ['read', 'write'], share: 'shared' });
    const f = await space.map({ file, length: 4 * ps, prot: ['read', 'write'], share: 'private' });
    const g = await space.map({ file, length: 4 * ps, prot: ['read', 'write'], share: 'shared' });
    for (const m of [a, s, f, g]) await space.write(m, filled(4 * ps, 7));
    expect(vm.stat().freeFrames).toBe(frames - 16);
    await space.unmap(a, 2 * ps); // half of the anonymous memory: its object stays for the other half
    await space.unmap(a + 2 * ps, 2 * ps);
    expect(vm.stat().freeFrames).toBe(frames - 12);
    await space.unmap(s, 4 * ps);
    await space.unmap(f, 4 * ps);
    await space.unmap(g, 4 * ps);
    expect(space.stat()).toEqual({ mapped: 0, resident: 0, shared: 0, private: 0, mappings: 0 });
    expectNothingLeaked(vm);
    expect(t.disk(file)).toEqual(filled(4 * ps, 7)); // the shared writes reached the file on unmap
  });

  it('pages outside the layout stay unmapped', async () => {
    const { space, ps } = t;
    await layout(t);
    expect(() => space.trap((FIRST - 1) * ps, 'read')).toThrow(SegmentationFault);
    expect(() => space.trap((LAST + 1) * ps, 'read')).toThrow(SegmentationFault);
  });
});
