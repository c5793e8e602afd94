// Loads and stores: read / write across pages and mappings, the typed accessors, the synchronous path and the fault trap.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AddressNotResidentError, NotResidentError, ProtectionFault, SegmentationFault, type AddressSpace } from '../../vmcore/index.js';
import { pattern } from '../helpers/pagers.js';
import { expectNothingLeaked, filled, setup, type Setup } from './helpers.js';

let t: Setup;
afterEach(() => t.done());

/** Anonymous private, a private file and shared anonymous memory, back to back from page 4. */
async function threeMappings(space: AddressSpace, ps: number): Promise<string> {
  const file = t.file('f', pattern(2 * ps, 9));
  await space.map({ anonymous: true, length: 2 * ps, address: 4 * ps, fixed: true, prot: ['read', 'write'], share: 'private' });
  await space.map({ file, length: 2 * ps, address: 6 * ps, fixed: true, prot: ['read', 'write'], share: 'private' });
  await space.map({ anonymous: true, length: 2 * ps, address: 8 * ps, fixed: true, prot: ['read', 'write'], share: 'shared' });
  return file;
}

describe('read and write', () => {
  it('cross pages and mappings of every kind', async () => {
    t = setup({ pageSize: 512 });
    const { space, ps } = t;
    await threeMappings(space, ps);
    const data = pattern(5 * ps, 1);
    await space.write(4 * ps + 100, data);
    expect(await space.read(4 * ps + 100, 5 * ps)).toEqual(data);
    expect(space.readSync(4 * ps + 99, 5 * ps + 2)).toEqual(Uint8Array.from([0, ...data, 0]));
    expect(await space.read(4 * ps, 0)).toEqual(new Uint8Array(0));
  });

  it('with few frames and a default pager that pages out, anonymous memory survives eviction', async () => {
    t = setup({ pageSize: 512, frames: 4, swap: true });
    const { space, vm, ps } = t;
    const a = await space.map({ anonymous: true, length: 16 * ps, prot: ['read', 'write'], share: 'private' });
    const data = pattern(16 * ps, 2);
    await space.write(a, data);
    expect(await space.read(a, 16 * ps)).toEqual(data);
    const child = space.fork();
    await child.write(a + 5 * ps, filled(ps, 1));
    expect(await space.read(a, 16 * ps)).toEqual(data);
    expect(await child.read(a + 5 * ps, ps)).toEqual(filled(ps, 1));
    await child.destroy();
    await space.destroy();
    expectNothingLeaked(vm);
  });

  it('with asynchronous pagers, concurrent first writes to one page copy it once and every write lands', async () => {
    t = setup({ pageSize: 512, frames: 8, swap: 'async', asyncFiles: true });
    const { space, ps } = t;
    const file = t.file('f', filled(2 * ps, 1));
    const a = await space.map({ file, length: 2 * ps, prot: ['read', 'write'], share: 'private' });
    const n = await space.map({ anonymous: true, length: ps, prot: ['read', 'write'], share: 'private' });
    await Promise.all([0, 1, 2, 3, 4, 5].map((i) => space.write(a + i * 7, Uint8Array.of(i + 10))));
    await Promise.all([0, 1, 2, 3].map((i) => space.write(n + i, Uint8Array.of(i + 20))));
    expect(Array.from(await space.read(a, 36)).filter((_, i) => i % 7 === 0)).toEqual([10, 11, 12, 13, 14, 15]);
    expect(await space.read(n, 5)).toEqual(Uint8Array.of(20, 21, 22, 23, 0));
    expect(await space.read(a + ps, 1)).toEqual(Uint8Array.of(1));
  });
});

describe('the fault trap', () => {
  it('two faults on one page in flight wait on the same copy', async () => {
    t = setup({ pageSize: 512, frames: 8, swap: 'async' });
    const { space, vm, ps } = t;
    const a = await space.map({ anonymous: true, length: ps, prot: ['read', 'write'], share: 'private' });
    const free = vm.stat().freeFrames;
    const first = space.trap(a, 'write');
    const shadow = vm.memoryObjects()[0]!; // made by the first write fault
    const copies = vi.spyOn(shadow, 'write');
    const second = space.trap(a + 100, 'write');
    expect(first).toBeInstanceOf(Promise);
    expect(second).toBeInstanceOf(Promise);
    await Promise.all([first, second]);
    expect(copies).toHaveBeenCalledTimes(1);
    expect(space.trap(a + 200, 'write')).toBeUndefined();
    expect(vm.stat().freeFrames).toBe(free - 1);
  });

  it('a trap whose page is unmapped while it waits ends in a SegmentationFault for read and write', async () => {
    t = setup({ pageSize: 512, frames: 8, swap: 'async' });
    const { space, ps } = t;
    const a = await space.map({ anonymous: true, length: 2 * ps, prot: ['read', 'write'], share: 'private' });
    const writing = space.write(a, filled(2 * ps, 1));
    await space.unmap(a, 2 * ps);
    await expect(writing).rejects.toBeInstanceOf(SegmentationFault);
  });
});

describe('typed accessors (little-endian, 8 to 64 bits)', () => {
  it('read what write wrote, inside a page, across pages and across mappings', async () => {
    t = setup({ pageSize: 512 });
    const { space, ps } = t;
    await threeMappings(space, ps);
    for (const at of [4 * ps + 8, 5 * ps - 2, 6 * ps - 3, 8 * ps - 1]) {
      while (space.trap(at, 'write', 8)) await space.trap(at, 'write', 8);
      space.setUint8(at, 0xab);
      expect(space.getUint8(at)).toBe(0xab);
      space.setUint16(at, 0xbeef);
      expect(space.getUint16(at)).toBe(0xbeef);
      expect(space.readSync(at, 2)).toEqual(Uint8Array.of(0xef, 0xbe));
      space.setUint32(at, 0xdeadbeef);
      expect(space.getUint32(at)).toBe(0xdeadbeef);
      space.setBigUint64(at, 0xfedcba9876543210n);
      expect(space.getBigUint64(at)).toBe(0xfedcba9876543210n);
      expect(space.readSync(at, 8)).toEqual(Uint8Array.of(0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe));
    }
  });

  it('the synchronous path answers values, not promises, when every page touched is ready', async () => {
    t = setup();
    const { space, ps } = t;
    const a = await space.map({ anonymous: true, length: ps, prot: ['read', 'write'], share: 'private' });
    await space.write(a, Uint8Array.of(1));
    expect(space.trap(a, 'write', ps)).toBeUndefined();
    expect(space.getUint8(a)).toBe(1);
    expect(space.writeSync(a + 1, Uint8Array.of(2))).toBeUndefined();
    expect(typeof space.getUint32(a)).toBe('number');
  });

  it('a private page not yet copied, or not resident, throws AddressNotResidentError and changes nothing; trap makes it ready', async () => {
    t = setup({ pageSize: 512, frames: 4, swap: 'async' });
    const { space, ps } = t;
    const a = await space.map({ anonymous: true, length: 8 * ps, prot: ['read', 'write'], share: 'private' });
    expect(() => space.setUint32(a, 1)).toThrow(AddressNotResidentError);
    expect(() => space.writeSync(a + ps - 1, Uint8Array.of(1, 2))).toThrow(NotResidentError);
    expect(space.getUint32(a)).toBe(0); // the zero page is always ready for reading
    const p = space.trap(a, 'write', 4);
    expect(p).toBeInstanceOf(Promise);
    await p;
    space.setUint32(a, 0x01020304);
    // Fill every frame with other pages: page 0 is paged out.
    for (let i = 1; i < 8; i++) await space.write(a + i * ps, filled(ps, i));
    let err: unknown;
    try {
      space.getUint32(a);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AddressNotResidentError);
    expect(err).toMatchObject({ address: a, access: 'read', code: 'SPINVM_ADDRESS_NOT_RESIDENT' });
    let q;
    while ((q = space.trap(a, 'read', 4))) await q;
    expect(space.getUint32(a)).toBe(0x01020304);
  });

  it('faults win over residency: a segmentation or protection fault is thrown, not AddressNotResidentError', async () => {
    t = setup();
    const { space, ps } = t;
    const a = await space.map({ anonymous: true, length: ps, prot: 'read', share: 'private' });
    expect(() => space.setUint8(a, 1)).toThrow(ProtectionFault);
    expect(() => space.getBigUint64(a + ps - 4)).toThrow(SegmentationFault);
    expect(() => space.readSync(a + ps - 4, 8)).toThrow(SegmentationFault);
  });
});

describe('the synchronous accessors never use a stale translation', () => {
  async function ready(space: AddressSpace, address: number, access: 'read' | 'write'): Promise<void> {
    let p;
    while ((p = space.trap(address, access, 4))) await p;
  }

  it.each([
    ['synchronous', false],
    ['asynchronous', true],
  ] as const)('after a copy-on-write (%s pagers): the copy, not the file', async (_label, async) => {
    t = setup(async ? { swap: 'async', asyncFiles: true } : {});
    const { space, ps } = t;
    const file = t.file('f', filled(ps, 1));
    const a = await space.map({ file, length: ps, prot: ['read', 'write'], share: 'private' });
    await ready(space, a, 'read');
    expect(space.getUint8(a)).toBe(1);
    await ready(space, a, 'write');
    space.setUint8(a, 2);
    expect(space.getUint8(a)).toBe(2);
    await space.sync(a, ps, { invalidate: true }); // keeps the private copy, as Linux does
    expect(space.getUint8(a)).toBe(2);
    await space.write(a, Uint8Array.of(3));
    expect(space.getUint8(a)).toBe(3);
  });

  it('after protect, unmap and a fixed map over it', async () => {
    t = setup();
    const { space, ps } = t;
    const a = await space.map({ anonymous: true, length: ps, prot: ['read', 'write'], share: 'private' });
    await ready(space, a, 'write');
    space.setUint8(a, 1);
    expect(space.getUint8(a)).toBe(1);
    space.protect(a, ps, 'read');
    expect(() => space.setUint8(a, 2)).toThrow(ProtectionFault);
    space.protect(a, ps, 'write');
    expect(() => space.getUint8(a)).toThrow(ProtectionFault);
    space.protect(a, ps, ['read', 'write']);
    await space.map({ anonymous: true, length: ps, address: a, fixed: true, prot: ['read', 'write'], share: 'private' });
    expect(space.getUint8(a)).toBe(0);
    expect(() => space.setUint8(a, 2)).toThrow(AddressNotResidentError);
    await space.unmap(a, ps);
    expect(() => space.getUint8(a)).toThrow(SegmentationFault);
    expect(() => space.setUint8(a, 2)).toThrow(SegmentationFault);
  });

  it('after a fork: a write in the parent is not seen by the child', async () => {
    t = setup();
    const { space, ps } = t;
    const a = await space.map({ anonymous: true, length: ps, prot: ['read', 'write'], share: 'private' });
    await ready(space, a, 'write');
    space.setUint8(a, 1);
    const child = space.fork();
    expect(() => space.setUint8(a, 2)).toThrow(AddressNotResidentError);
    await ready(space, a, 'write');
    space.setUint8(a, 2);
    expect([space.getUint8(a), child.getUint8(a)]).toEqual([2, 1]);
    await child.destroy();
  });

  it('a shared anonymous page another space writes first is seen at once', async () => {
    t = setup();
    const { space, ps } = t;
    const a = await space.map({ anonymous: true, length: ps, prot: ['read', 'write'], share: 'shared' });
    const child = space.fork();
    expect(space.getUint8(a)).toBe(0);
    await ready(child, a, 'write');
    child.setUint8(a, 5);
    expect(space.getUint8(a)).toBe(5);
    await child.destroy();
  });
});

describe('stat', () => {
  it('counts mapped, resident, shared and private bytes', async () => {
    t = setup();
    const { space, ps } = t;
    const file = t.file('f', filled(4 * ps, 1));
    const a = await space.map({ anonymous: true, length: 4 * ps, prot: ['read', 'write'], share: 'private' });
    const f = await space.map({ file, length: 4 * ps, prot: ['read', 'write'], share: 'private' });
    await space.map({ file, length: 4 * ps, prot: 'read', share: 'shared' });
    await space.write(a, Uint8Array.of(1)); // 1 private page
    await space.read(a + ps, ps); // the zero page: nothing
    await space.read(f, 2 * ps); // 2 file pages, shared with the page cache
    await space.write(f + 3 * ps, Uint8Array.of(1)); // 1 private copy (its file page came in to be copied)
    // s maps the same file pages: the three that are resident count again, per mapping, as shared (as RSS does).
    expect(space.stat()).toEqual({ mapped: 12 * ps, resident: 7 * ps, shared: 5 * ps, private: 2 * ps, mappings: 3 });
  });
});
