// The calls ported programs and emulators use beyond mmap/munmap/mprotect/msync: madvise (advise), mincore
// (residency), mlock/munlock (lock/unlock), MAP_POPULATE, MAP_FIXED_NOREPLACE and mremap (remap).
import { afterEach, describe, expect, it } from 'vitest';
import {
  AddressInUseError,
  BusError,
  InvalidArgumentError,
  OutOfMemoryError,
  Pager,
  RemapError,
  ResultCode,
  SegmentationFault,
  UnmappedRangeError,
  type PagerAdvice,
} from '../../vmcore/index.js';
import { filled, setup, type Setup } from './helpers.js';

let t: Setup;
afterEach(() => t.done());

/** A pager that records the advice it is given. */
class AdvisedPager extends Pager {
  readonly advice: Array<[number, number, PagerAdvice]> = [];
  override pageIn(_page: number, frame: Uint8Array): ResultCode {
    frame.fill(1);
    return ResultCode.Success;
  }
  override advise(first: number, count: number, advice: PagerAdvice): void {
    this.advice.push([first, count, advice]);
  }
}

describe("map({ fixed: 'noreplace' }) (MAP_FIXED_NOREPLACE)", () => {
  it('maps where nothing is, and refuses (EEXIST) over a mapping, changing nothing', async () => {
    t = setup({ frames: 8 });
    const { space, ps, mapper } = t;
    const a = await space.map({ anonymous: true, length: ps, address: 4 * ps, fixed: 'noreplace', prot: ['read', 'write'], share: 'private' });
    expect(a).toBe(4 * ps);
    await space.write(a, Uint8Array.of(7));
    const file = t.file('f', filled(ps, 1));
    const err = await space.map({ file, length: 2 * ps, address: 3 * ps, fixed: 'noreplace', prot: 'read', share: 'shared' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AddressInUseError);
    expect((err as AddressInUseError).code).toBe('SPINVM_ADDRESS_IN_USE');
    expect((err as AddressInUseError).errno).toBe('EEXIST');
    expect(space.mappings()).toHaveLength(1);
    expect(space.getUint8(a)).toBe(7);
    expect(mapper.entries.size).toBe(0); // the file opened for it is closed again
    await expect(space.map({ anonymous: true, length: ps, address: 4 * ps, fixed: 'sometimes' as never, prot: 'read', share: 'private' })).rejects.toThrow(
      InvalidArgumentError,
    );
  });
});

describe('populate (MAP_POPULATE) and residency (mincore)', () => {
  it('populate faults every page in; residency shows which pages are in', async () => {
    t = setup({ frames: 8 });
    const { space, ps } = t;
    const file = t.file('f', filled(3 * ps, 2));
    const a = await space.map({ file, length: 3 * ps, prot: 'read', share: 'shared', populate: true });
    expect([...space.residency(a, 3 * ps)]).toEqual([1, 1, 1]);
    const anon = await space.map({ anonymous: true, length: 3 * ps, prot: ['read', 'write'], share: 'private' });
    expect([...space.residency(anon, 3 * ps)]).toEqual([0, 0, 0]); // the zero page: nothing allocated
    await space.write(anon + ps, Uint8Array.of(1));
    expect([...space.residency(anon, 3 * ps)]).toEqual([0, 1, 0]);
    expect(space.residency(anon, 0)).toEqual(new Uint8Array(0));
    expect(() => space.residency(anon, 4 * ps)).toThrow(UnmappedRangeError);
    expect(() => space.residency(anon + 1, ps)).toThrow(InvalidArgumentError);
  });

  it('pages evicted by other faults show as not resident', async () => {
    t = setup({ frames: 2 });
    const { space, ps } = t;
    const file = t.file('f', filled(4 * ps, 3));
    const a = await space.map({ file, length: 4 * ps, prot: 'read', share: 'shared' });
    await space.read(a, 1);
    await space.read(a + ps, 1);
    await space.read(a + 2 * ps, 1);
    await space.read(a + 3 * ps, 1);
    const r = space.residency(a, 4 * ps);
    expect(r.reduce((x, y) => x + y, 0)).toBe(2);
    expect([...r.subarray(2)]).toEqual([1, 1]);
  });
});

describe('advise (madvise)', () => {
  it("dontneed drops a private mapping's pages: anonymous memory reads zeros, a file mapping the file", async () => {
    t = setup({ frames: 8 });
    const { space, ps } = t;
    const anon = await space.map({ anonymous: true, length: 2 * ps, prot: ['read', 'write'], share: 'private' });
    await space.write(anon, filled(2 * ps, 9));
    const file = t.file('f', filled(2 * ps, 1));
    const priv = await space.map({ file, length: 2 * ps, prot: ['read', 'write'], share: 'private' });
    await space.write(priv, filled(2 * ps, 8));
    await space.advise(anon, ps, 'dontneed');
    await space.advise(priv + ps, ps, 'dontneed');
    expect(await space.read(anon + ps - 1, 2)).toEqual(Uint8Array.of(0, 9));
    expect(await space.read(priv + ps - 1, 2)).toEqual(Uint8Array.of(8, 1));
    await space.write(anon, Uint8Array.of(4)); // writable again: a fresh zero page
    expect(await space.read(anon, 2)).toEqual(Uint8Array.of(4, 0));
  });

  it('after a fork, dontneed in the child reads the file, not the copy the parent made before the fork', async () => {
    t = setup({ frames: 8 });
    const { space, ps } = t;
    const file = t.file('f', filled(ps, 1));
    const a = await space.map({ file, length: ps, prot: ['read', 'write'], share: 'private' });
    await space.write(a, Uint8Array.of(9));
    const child = space.fork();
    await child.advise(a, ps, 'dontneed');
    expect((await child.read(a, 1))[0]).toBe(1);
    expect((await space.read(a, 1))[0]).toBe(9);
    await child.write(a + 1, Uint8Array.of(5));
    expect(await child.read(a, 2)).toEqual(Uint8Array.of(1, 5));
    const grandchild = child.fork();
    expect(await grandchild.read(a, 2)).toEqual(Uint8Array.of(1, 5));
    await grandchild.destroy();
    await child.destroy();
  });

  it('dontneed keeps shared data, and is refused over locked pages', async () => {
    t = setup({ frames: 8 });
    const { space, ps } = t;
    const file = t.file('f', filled(ps, 1));
    const s = await space.map({ file, length: ps, prot: ['read', 'write'], share: 'shared' });
    await space.write(s, Uint8Array.of(6));
    await space.advise(s, ps, 'dontneed');
    expect((await space.read(s, 1))[0]).toBe(6);
    const anon = await space.map({ anonymous: true, length: ps, prot: ['read', 'write'], share: 'private' });
    await space.write(anon, Uint8Array.of(3));
    await space.lock(anon, ps);
    await expect(space.advise(anon, ps, 'dontneed')).rejects.toThrow(/locked/);
    expect((await space.read(anon, 1))[0]).toBe(3);
  });

  it('willneed faults the range in; sequential and random reach the pager; bad calls are typed', async () => {
    t = setup({ frames: 8 });
    const { space, vm, ps } = t;
    const pager = new AdvisedPager();
    const obj = vm.createMemoryObject({ size: 4 * ps, pager });
    const a = await space.map({ object: obj, length: 4 * ps, offset: ps, prot: 'read', share: 'private' });
    await space.advise(a, 2 * ps, 'willneed');
    expect([...space.residency(a, 3 * ps)]).toEqual([1, 1, 0]);
    await space.advise(a, 3 * ps, 'sequential');
    await space.advise(a + ps, ps, 'random');
    expect(pager.advice).toEqual([
      [1, 3, 'sequential'],
      [2, 1, 'random'],
    ]);
    await space.advise(a, 0, 'normal');
    await expect(space.advise(a, ps, 'free' as never)).rejects.toThrow(InvalidArgumentError);
    await expect(space.advise(a, 5 * ps, 'willneed')).rejects.toThrow(UnmappedRangeError);
    await obj.destroy();
  });
});

describe('lock and unlock (mlock, munlock)', () => {
  it('locked pages stay resident under eviction; unlocked and unmapped ones are released', async () => {
    t = setup({ frames: 4 });
    const { space, vm, ps } = t;
    const file = t.file('f', filled(10 * ps, 1));
    const a = await space.map({ file, length: 10 * ps, prot: 'read', share: 'shared' });
    await space.lock(a, 2 * ps);
    await space.lock(a, ps); // locks do not nest
    expect(vm.stat().pinnedFrames).toBe(2);
    for (let p = 2; p < 10; p++) await space.read(a + p * ps, 1);
    expect([...space.residency(a, 2 * ps)]).toEqual([1, 1]);
    space.unlock(a, ps);
    expect(vm.stat().pinnedFrames).toBe(1);
    await space.unmap(a, 10 * ps);
    expect(vm.stat().pinnedFrames).toBe(0);
  });

  it('locking more than the pool can spare fails with OutOfMemoryError and leaves nothing locked', async () => {
    t = setup({ frames: 3 });
    const { space, vm, ps } = t;
    const file = t.file('f', filled(5 * ps, 1));
    const a = await space.map({ file, length: 5 * ps, prot: 'read', share: 'shared' });
    await expect(space.lock(a, 5 * ps)).rejects.toBeInstanceOf(OutOfMemoryError);
    expect(vm.stat().pinnedFrames).toBe(0);
    expect((await space.read(a + 4 * ps, 1))[0]).toBe(1);
  });

  it('a writable private page is copied before it is locked: writes go to the locked copy', async () => {
    t = setup({ frames: 4 });
    const { space, vm, ps } = t;
    const file = t.file('f', filled(ps, 1));
    const a = await space.map({ file, length: ps, prot: ['read', 'write'], share: 'private' });
    await space.lock(a, ps);
    expect(vm.stat().pinnedFrames).toBe(1);
    space.setUint8(a, 5); // resident, copied: the synchronous path works
    expect(space.getUint8(a)).toBe(5);
    expect(t.disk(file)[0]).toBe(1);
    await space.destroy();
    expect(vm.stat().pinnedFrames).toBe(0);
  });
});

describe('remap (mremap)', () => {
  it('shrinks: the tail is unmapped', async () => {
    t = setup({ frames: 8 });
    const { space, ps } = t;
    const a = await space.map({ anonymous: true, length: 3 * ps, prot: ['read', 'write'], share: 'private' });
    await space.write(a, Uint8Array.of(1));
    expect(await space.remap(a, 3 * ps, ps)).toBe(a);
    expect(space.getUint8(a)).toBe(1);
    await expect(space.read(a + ps, 1)).rejects.toBeInstanceOf(SegmentationFault);
  });

  it('grows in place when the pages after it are free: anonymous memory with zeros, files with more of the file', async () => {
    t = setup({ frames: 8 });
    const { space, ps } = t;
    const a = await space.map({ anonymous: true, length: ps, address: 10 * ps, prot: ['read', 'write'], share: 'private' });
    await space.write(a, Uint8Array.of(1));
    expect(await space.remap(a, ps, 3 * ps)).toBe(a);
    await space.write(a + 2 * ps, Uint8Array.of(3));
    expect([space.getUint8(a), (await space.read(a + ps, 1))[0], space.getUint8(a + 2 * ps)]).toEqual([1, 0, 3]);
    const file = t.file(
      'f',
      Uint8Array.from({ length: 2 * ps }, (_, i) => (i < ps ? 1 : 2)),
    );
    const f = await space.map({ file, length: ps, address: 20 * ps, prot: 'read', share: 'shared' });
    expect(await space.remap(f, ps, 3 * ps)).toBe(f);
    expect((await space.read(f + ps, 1))[0]).toBe(2);
    await expect(space.read(f + 2 * ps, 1)).rejects.toBeInstanceOf(BusError);
  });

  it('cannot grow into a mapping without move (ENOMEM); with move it takes its pages, contents and locks along', async () => {
    t = setup({ frames: 8 });
    const { space, vm, ps } = t;
    const a = await space.map({ anonymous: true, length: 2 * ps, address: 10 * ps, prot: ['read', 'write'], share: 'private' });
    await space.map({ anonymous: true, length: ps, address: 12 * ps, prot: 'read', share: 'private' });
    await space.write(a, Uint8Array.of(7));
    await space.write(a + ps, Uint8Array.of(8));
    await space.lock(a, ps);
    await expect(space.remap(a, 2 * ps, 4 * ps)).rejects.toBeInstanceOf(RemapError);
    const b = await space.remap(a, 2 * ps, 4 * ps, { move: true });
    expect(b).not.toBe(a);
    await expect(space.read(a, 1)).rejects.toBeInstanceOf(SegmentationFault);
    expect([space.getUint8(b), space.getUint8(b + ps)]).toEqual([7, 8]);
    await space.write(b + 3 * ps, Uint8Array.of(9));
    expect(space.getUint8(b + 3 * ps)).toBe(9);
    expect(vm.stat().pinnedFrames).toBe(1); // the lock moved with the page
    space.unlock(b, ps);
    expect(vm.stat().pinnedFrames).toBe(0);
  });

  it('moves to a given address, replacing what was there; refuses a range across two mappings and bad options', async () => {
    t = setup({ frames: 8 });
    const { space, ps } = t;
    const a = await space.map({ anonymous: true, length: ps, address: 10 * ps, prot: ['read', 'write'], share: 'private' });
    await space.write(a, Uint8Array.of(5));
    await space.map({ anonymous: true, length: ps, address: 11 * ps, prot: 'read', share: 'private' });
    await space.map({ anonymous: true, length: 2 * ps, address: 30 * ps, prot: 'read', share: 'private' });
    expect(await space.remap(a, ps, 2 * ps, { move: true, address: 30 * ps })).toBe(30 * ps);
    expect(space.getUint8(30 * ps)).toBe(5);
    expect(space.mappings().map((m) => m.address)).toEqual([11 * ps, 30 * ps]);
    await expect(space.remap(11 * ps, ps, ps, { address: 40 * ps })).rejects.toThrow(/needs MREMAP_MAYMOVE/);
    await space.map({ anonymous: true, length: ps, address: 12 * ps, prot: 'read', share: 'private' });
    await expect(space.remap(11 * ps, 2 * ps, 4 * ps, { move: true })).rejects.toThrow(/within one mapping/);
    await expect(space.remap(11 * ps, ps, 0)).rejects.toThrow(InvalidArgumentError);
    await expect(space.remap(11 * ps, ps, ps, { moves: true } as never)).rejects.toThrow(InvalidArgumentError);
  });

  it('written shared anonymous memory cannot grow (a documented limit); unwritten can', async () => {
    t = setup({ frames: 8 });
    const { space, ps } = t;
    const s = await space.map({ anonymous: true, length: ps, address: 10 * ps, prot: ['read', 'write'], share: 'shared' });
    expect(await space.remap(s, ps, 2 * ps)).toBe(s);
    await space.write(s + ps, Uint8Array.of(1));
    await expect(space.remap(s, 2 * ps, 3 * ps)).rejects.toBeInstanceOf(RemapError);
  });
});
