// mmap(2): creating mappings of anonymous memory, memory objects and files, and the faults they raise.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AccessDeniedError,
  BusError,
  NoFileMapperError,
  NotResidentError,
  PROT,
  ProtectionFault,
  SegmentationFault,
  createAddressSpace,
  createVm,
  TOKENS,
} from '../../vmcore/index.js';
import { pattern } from '../helpers/pagers.js';
import { expectNothingLeaked, filled, setup, type Setup } from './helpers.js';

let t: Setup;
beforeEach(() => {
  t = setup();
});
afterEach(() => t.done());

describe('mmap: anonymous memory', () => {
  it('a read of a never-written page maps the one shared zero page: zeros, and no frame is allocated', async () => {
    const { space, vm, ps } = t;
    const free = vm.stat().freeFrames;
    const a = await space.map({ anonymous: true, length: 4 * ps, prot: ['read', 'write'], share: 'private' });
    expect(await space.read(a, 4 * ps)).toEqual(new Uint8Array(4 * ps));
    expect(space.getUint32(a + ps + 8)).toBe(0);
    expect(space.trap(a + 3 * ps, 'read')).toBeUndefined();
    expect(space.readSync(a, 4 * ps)).toEqual(new Uint8Array(4 * ps));
    expect(vm.stat().freeFrames).toBe(free);
    expect(vm.memoryObjects()).toHaveLength(0);
    expect(space.stat()).toMatchObject({ mapped: 4 * ps, resident: 0 });
  });

  it('the first write allocates one private zeroed page; the other pages stay on the zero page', async () => {
    const { space, vm, ps } = t;
    const free = vm.stat().freeFrames;
    const a = await space.map({ anonymous: true, length: 4 * ps, prot: ['read', 'write'], share: 'private' });
    await space.write(a + ps + 10, Uint8Array.of(7, 8, 9));
    expect(vm.stat().freeFrames).toBe(free - 1);
    const page = await space.read(a + ps, ps);
    expect(page.slice(10, 13)).toEqual(Uint8Array.of(7, 8, 9));
    expect(page.filter((b) => b !== 0)).toHaveLength(3);
    expect(await space.read(a, ps)).toEqual(new Uint8Array(ps));
    expect(vm.stat().freeFrames).toBe(free - 1);
    expect(space.stat()).toMatchObject({ resident: ps, private: ps, shared: 0 });
  });

  it('a shared anonymous mapping reads the zero page too, and its first write allocates one page', async () => {
    const { space, vm, ps } = t;
    const free = vm.stat().freeFrames;
    const a = await space.map({ anonymous: true, length: 2 * ps, prot: 'read', share: 'shared' });
    expect(await space.read(a, 2 * ps)).toEqual(new Uint8Array(2 * ps));
    expect(vm.stat().freeFrames).toBe(free);
    space.protect(a, 2 * ps, ['read', 'write']);
    await space.write(a, Uint8Array.of(1));
    expect(vm.stat().freeFrames).toBe(free - 1);
  });

  it('without an address the space picks a free, page-aligned range, first fit from the first page (page 0 is never mapped)', async () => {
    const { space, ps } = t;
    const a = await space.map({ anonymous: true, length: 1, prot: 'read', share: 'private' });
    const b = await space.map({ anonymous: true, length: 2 * ps, prot: 'read', share: 'private' });
    expect(a).toBe(ps);
    expect(b).toBe(2 * ps);
    await space.unmap(a, ps);
    expect(await space.map({ anonymous: true, length: ps, prot: 'read', share: 'private' })).toBe(ps);
    expect(await space.map({ anonymous: true, length: 3 * ps, prot: 'read', share: 'private' })).toBe(4 * ps);
    expect(() => space.getUint8(0)).toThrow(SegmentationFault);
  });

  it('an address without fixed is a hint: used when that range is free, else another free range is chosen', async () => {
    const { space, ps } = t;
    expect(await space.map({ anonymous: true, length: ps, address: 100 * ps, prot: 'read', share: 'private' })).toBe(100 * ps);
    const other = await space.map({ anonymous: true, length: 2 * ps, address: 99 * ps, prot: 'read', share: 'private' });
    expect(other).not.toBe(99 * ps);
    expect(space.mappings().map((m) => m.address)).toEqual([ps, 100 * ps].sort((x, y) => x - y));
  });

  it('fixed maps exactly there and replaces what it overlaps (MAP_FIXED); the pages just outside keep their contents', async () => {
    const { space, ps } = t;
    const a = await space.map({ anonymous: true, length: 4 * ps, address: 10 * ps, prot: ['read', 'write'], share: 'private' });
    for (let i = 0; i < 4; i++) await space.write(a + i * ps, filled(ps, i + 1));
    expect(await space.map({ anonymous: true, length: 2 * ps, address: 11 * ps, fixed: true, prot: 'read', share: 'private' })).toBe(11 * ps);
    expect(space.getUint8(a)).toBe(1);
    expect(space.getUint8(a + ps)).toBe(0);
    expect(space.getUint8(a + 2 * ps + ps - 1)).toBe(0);
    expect(space.getUint8(a + 3 * ps)).toBe(4);
    expect(() => space.setUint8(a + ps, 1)).toThrow(ProtectionFault);
    expect(space.mappings().map((m) => [m.address / ps, m.length / ps, m.prot.join()])).toEqual([
      [10, 1, 'read,write'],
      [11, 2, 'read'],
      [13, 1, 'read,write'],
    ]);
  });

  it('the length is rounded up to whole pages', async () => {
    const { space, ps } = t;
    const a = await space.map({ anonymous: true, length: ps + 1, prot: 'read', share: 'private' });
    expect(space.mappings()[0]).toMatchObject({ address: a, length: 2 * ps });
  });

  it('prot is a list, a set, one name, none, or a PROT mask', async () => {
    const { space, ps } = t;
    const forms = [['read', 'write'], new Set(['execute'] as const), 'write', 'none', [], PROT.READ | PROT.EXEC] as const;
    for (const prot of forms) await space.map({ anonymous: true, length: ps, prot, share: 'private' });
    expect(space.mappings().map((m) => m.prot)).toEqual([['read', 'write'], ['execute'], ['write'], [], [], ['read', 'execute']]);
  });
});

describe('mmap: faults are typed and name the address and the access', () => {
  it('no mapping: SegmentationFault (address 0 always faults)', async () => {
    const { space, ps } = t;
    const a = await space.map({ anonymous: true, length: ps, prot: ['read', 'write'], share: 'private' });
    const err = (() => {
      try {
        space.getUint8(a + ps + 5);
      } catch (e) {
        return e as SegmentationFault;
      }
    })()!;
    expect(err).toBeInstanceOf(SegmentationFault);
    expect(err).toMatchObject({
      address: a + ps + 5,
      access: 'read',
      code: 'SPINVM_SEGMENTATION_FAULT',
      signal: 'SIGSEGV',
      siCode: 'SEGV_MAPERR',
      errno: 'EFAULT',
    });
    expect(err.message).toContain((a + ps + 5).toString(16));
    await expect(space.write(0, Uint8Array.of(1))).rejects.toMatchObject({ name: 'SegmentationFault', address: 0, access: 'write' });
    expect(() => space.trap(a + ps, 'execute')).toThrow(SegmentationFault);
  });

  it('wrong rights: ProtectionFault (write does not imply read; execute needs execute)', async () => {
    const { space, ps } = t;
    const ro = await space.map({ anonymous: true, length: ps, prot: 'read', share: 'private' });
    const wo = await space.map({ anonymous: true, length: ps, prot: 'write', share: 'private' });
    const none = await space.map({ anonymous: true, length: ps, prot: 'none', share: 'private' });
    await expect(space.write(ro + 4, Uint8Array.of(1))).rejects.toMatchObject({
      name: 'ProtectionFault',
      address: ro + 4,
      access: 'write',
      code: 'SPINVM_PROTECTION_FAULT',
      signal: 'SIGSEGV',
      siCode: 'SEGV_ACCERR',
    });
    expect(() => space.getUint8(wo)).toThrow(ProtectionFault);
    await space.write(wo, Uint8Array.of(1));
    expect(() => space.trap(ro, 'execute')).toThrow(ProtectionFault);
    expect(() => space.trap(none, 'read')).toThrow(/protection fault: mapping is none at 0x/);
  });

  it('a write that would fault part way writes nothing', async () => {
    const { space, ps } = t;
    const a = await space.map({ anonymous: true, length: ps, address: 8 * ps, prot: ['read', 'write'], share: 'private' });
    await space.map({ anonymous: true, length: ps, address: 9 * ps, prot: 'read', share: 'private' });
    await expect(space.write(a + ps - 2, filled(4, 9))).rejects.toMatchObject({ name: 'ProtectionFault', address: a + ps });
    expect(await space.read(a + ps - 2, 2)).toEqual(new Uint8Array(2));
  });
});

describe('mmap: private (copy-on-write) file mappings', () => {
  it('reads share the file page with every other mapping of the file: one frame for both', async () => {
    const { space, vm, ps } = t;
    const file = t.file('data', pattern(2 * ps, 1));
    const priv = await space.map({ file, length: 2 * ps, prot: 'read', share: 'private' });
    const shared = await space.map({ file, length: 2 * ps, prot: 'read', share: 'shared' });
    const free = vm.stat().freeFrames;
    expect(await space.read(priv, ps)).toEqual(pattern(2 * ps, 1).subarray(0, ps));
    expect(vm.stat().freeFrames).toBe(free - 1);
    expect(space.readSync(shared, ps)).toEqual(pattern(2 * ps, 1).subarray(0, ps));
    expect(vm.stat().freeFrames).toBe(free - 1);
    expect(space.stat()).toMatchObject({ resident: 2 * ps, shared: 2 * ps, private: 0 });
  });

  it('the first write to a page copies it: the copy holds the file bytes plus the write, and the file never sees it', async () => {
    const { space, vm, ps } = t;
    const data = pattern(2 * ps, 2);
    const file = t.file('data', data);
    const priv = await space.map({ file, length: 2 * ps, prot: ['read', 'write'], share: 'private' });
    const shared = await space.map({ file, length: 2 * ps, prot: 'read', share: 'shared' });
    await space.read(priv, 2 * ps);
    const free = vm.stat().freeFrames;
    await space.write(priv + ps + 1, Uint8Array.of(0xaa));
    expect(vm.stat().freeFrames).toBe(free - 1);
    const expected = data.slice();
    expected[ps + 1] = 0xaa;
    expect(await space.read(priv, 2 * ps)).toEqual(expected);
    expect(await space.read(shared, 2 * ps)).toEqual(data);
    await space.sync(priv, 2 * ps);
    await space.unmap(priv, 2 * ps);
    await space.unmap(shared, 2 * ps);
    expect(t.disk(file)).toEqual(data);
  });

  it("pages not yet copied show the file's later changes; copied pages do not", async () => {
    const { space, ps } = t;
    const file = t.file('data', filled(2 * ps, 1));
    const priv = await space.map({ file, length: 2 * ps, prot: ['read', 'write'], share: 'private' });
    const shared = await space.map({ file, length: 2 * ps, prot: ['read', 'write'], share: 'shared' });
    await space.write(priv, Uint8Array.of(5)); // page 0 copied
    await space.write(shared, filled(2 * ps, 9));
    expect(space.getUint8(priv)).toBe(5);
    expect(space.getUint8(priv + 1)).toBe(1);
    expect(space.getUint8(priv + ps)).toBe(9);
  });

  it('an offset maps the file from that page on', async () => {
    const { space, ps } = t;
    const data = pattern(4 * ps, 3);
    const file = t.file('data', data);
    const a = await space.map({ file, offset: 2 * ps, length: 2 * ps, prot: 'read', share: 'private' });
    expect(await space.read(a, 2 * ps)).toEqual(data.subarray(2 * ps));
    expect(space.mappings()[0]).toMatchObject({ kind: 'file', file, offset: 2 * ps, share: 'private' });
  });
});

describe('mmap: shared file mappings', () => {
  it('writes are visible at once to every mapping of the same file in every address space', async () => {
    const { space, vm, ps } = t;
    const file = t.file('data', new Uint8Array(2 * ps));
    const other = createAddressSpace(vm);
    const a = await space.map({ file, length: 2 * ps, prot: ['read', 'write'], share: 'shared' });
    const b = await space.map({ file, length: 2 * ps, prot: ['read', 'write'], share: 'shared' });
    const c = await other.map({ file, offset: ps, length: ps, prot: 'read', share: 'shared' });
    await space.write(a + ps + 3, Uint8Array.of(1, 2, 3, 4));
    expect(space.getUint32(b + ps + 3)).toBe(0x04030201);
    expect(other.getUint32(c + 3)).toBe(0x04030201);
    space.setUint16(b + ps + 3, 0xbeef);
    expect(other.getUint16(c + 3)).toBe(0xbeef);
    await other.destroy();
  });

  it('past the end of the file: the rest of the last page reads as zero; the pages after it raise BusError', async () => {
    const { space, ps } = t;
    const data = pattern(ps + ps / 2, 4);
    const file = t.file('data', data);
    for (const share of ['shared', 'private'] as const) {
      const a = await space.map({ file, length: 4 * ps, prot: ['read', 'write'], share });
      expect(await space.read(a, 2 * ps)).toEqual(Uint8Array.from([...data, ...new Uint8Array(ps / 2)]));
      await expect(space.read(a + 2 * ps, 1)).rejects.toMatchObject({
        name: 'BusError',
        address: a + 2 * ps,
        access: 'read',
        code: 'SPINVM_BUS_ERROR',
        signal: 'SIGBUS',
        siCode: 'BUS_ADRERR',
      });
      await expect(space.write(a + 3 * ps + 7, Uint8Array.of(1))).rejects.toBeInstanceOf(BusError);
      await expect(space.read(a + 2 * ps - 2, 4)).rejects.toMatchObject({ name: 'BusError', address: a + 2 * ps });
      expect(() => space.getUint8(a + 2 * ps)).toThrow(BusError);
      expect(() => space.trap(a + 2 * ps, 'write')).toThrow(BusError);
      expect(() => space.setUint32(a + 2 * ps - 2, 1)).toThrow(share === 'shared' ? BusError : NotResidentError);
    }
  });

  it('bytes written past the end of the file in its last page never reach the file', async () => {
    const { space, ps } = t;
    const data = pattern(ps / 2, 5);
    const file = t.file('data', data);
    const a = await space.map({ file, length: ps, prot: ['read', 'write'], share: 'shared' });
    await space.write(a + ps / 2 - 1, Uint8Array.of(1, 2));
    await space.sync(a, ps);
    const expected = data.slice();
    expected[ps / 2 - 1] = 1;
    expect(t.disk(file)).toEqual(expected);
  });

  it('a shared mapping with write rights of a file opened read-only: AccessDeniedError (EACCES), nothing mapped', async () => {
    const { space, mapper, ps } = t;
    const file = t.file('ro', filled(ps, 1));
    mapper.readOnly.add(file);
    await expect(space.map({ file, length: ps, prot: ['read', 'write'], share: 'shared' })).rejects.toMatchObject({
      name: 'AccessDeniedError',
      code: 'SPINVM_ACCESS_DENIED',
      errno: 'EACCES',
    });
    expect(space.mappings()).toEqual([]);
    expect(mapper.entries.size).toBe(0); // the reference was closed
    // Read-only shared, and private with write rights, are fine: a private write never reaches the file.
    const ro = await space.map({ file, length: ps, prot: 'read', share: 'shared' });
    const priv = await space.map({ file, length: ps, prot: ['read', 'write'], share: 'private' });
    await space.write(priv, Uint8Array.of(2));
    expect(space.getUint8(ro)).toBe(1);
    expect(() => space.protect(ro, ps, ['read', 'write'])).toThrow(AccessDeniedError);
    expect(space.mappings().map((m) => m.prot)).toEqual([['read'], ['read', 'write']]);
  });

  it('a missing file rejects and maps nothing', async () => {
    const { space, ps } = t;
    await expect(space.map({ file: `${t.dir}/nope`, length: ps, prot: 'read', share: 'shared' })).rejects.toThrow(/ENOENT/);
    expect(space.mappings()).toEqual([]);
  });

  it('without a FileMapper bound: NoFileMapperError (ENODEV)', async () => {
    const vm = createVm({ pageSize: 4096, frames: 4 });
    const space = createAddressSpace(vm);
    expect(vm.container.isBound(TOKENS.FileMapper)).toBe(false);
    await expect(space.map({ file: '/etc/hostname', length: 1, prot: 'read', share: 'private' })).rejects.toBeInstanceOf(NoFileMapperError);
    await vm.destroy();
  });
});

describe('mmap: memory objects', () => {
  it('shared: writes go to the object itself; private: the object never changes', async () => {
    const { space, vm, ps } = t;
    const object = vm.createMemoryObject({ size: 2 * ps, name: 'obj' });
    await object.write(0, filled(2 * ps, 3));
    const s = await space.map({ object, length: 2 * ps, prot: ['read', 'write'], share: 'shared' });
    const p = await space.map({ object, length: 2 * ps, prot: ['read', 'write'], share: 'private' });
    await space.write(s + 1, Uint8Array.of(4));
    expect((await object.read(0, 2))[1]).toBe(4);
    await space.write(p + 2, Uint8Array.of(5));
    expect((await object.read(0, 3))[2]).toBe(3);
    expect(space.getUint8(p + 1)).toBe(4);
    await space.destroy();
    expect(object.isDestroyed).toBe(false); // the caller's object is the caller's
    expect(vm.memoryObjects()).toEqual([object]);
    await object.destroy();
    expectNothingLeaked(vm);
  });

  it('an object whose size is not whole pages: bytes past its end read as zero and writes there are dropped; pages past it raise BusError', async () => {
    const { space, vm, ps } = t;
    const object = vm.createMemoryObject({ size: ps + 10, name: 'odd' });
    await object.write(0, filled(ps + 10, 1));
    const a = await space.map({ object, length: 3 * ps, prot: ['read', 'write'], share: 'shared' });
    expect(space.getUint32(a + ps + 8)).toBe(0x0101);
    space.setUint32(a + ps + 8, 0xffffffff);
    expect(space.getUint32(a + ps + 8)).toBe(0xffff);
    expect(await space.read(a + ps + 8, 4)).toEqual(Uint8Array.of(0xff, 0xff, 0, 0));
    expect(() => space.getUint8(a + 2 * ps)).toThrow(BusError);
  });
});
