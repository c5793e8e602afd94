// msync(2): shared writes reach the file, durably; invalidate keeps private copies (as Linux); anonymous memory has nothing to sync.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, UnmappedRangeError } from '../../vmcore/index.js';
import { tick } from '../helpers/pagers.js';
import { filled, setup, type Setup } from './helpers.js';

let t: Setup;
beforeEach(() => {
  t = setup();
});
afterEach(() => t.done());

describe('msync: shared file mappings', () => {
  it('writes stay in memory until sync, then reach the file (read back with plain fs) and are made durable', async () => {
    const { space, mapper, ps } = t;
    const file = t.file('f', filled(3 * ps, 1));
    const a = await space.map({ file, length: 3 * ps, prot: ['read', 'write'], share: 'shared' });
    await space.write(a + ps + 5, Uint8Array.of(2, 3));
    expect(t.disk(file)[ps + 5]).toBe(1);
    await space.sync(a + ps, ps);
    const expected = filled(3 * ps, 1);
    expected.set([2, 3], ps + 5);
    expect(t.disk(file)).toEqual(expected);
    expect(mapper.syncs).toBe(1); // flushed and fsynced
  });

  it('writes through the sync accessors reach the file too', async () => {
    const { space, ps } = t;
    const file = t.file('f', new Uint8Array(ps));
    const a = await space.map({ file, length: ps, prot: ['read', 'write'], share: 'shared' });
    let p;
    while ((p = space.trap(a, 'write', 8))) await p;
    space.setBigUint64(a, 0x0807060504030201n);
    await space.sync(a, ps);
    expect(t.disk(file).subarray(0, 9)).toEqual(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 0));
  });

  it('writes reach the file on unmap, even while another mapping keeps the file open', async () => {
    const { space, mapper, ps } = t;
    const file = t.file('f', new Uint8Array(2 * ps));
    const a = await space.map({ file, length: 2 * ps, prot: ['read', 'write'], share: 'shared' });
    const b = await space.map({ file, length: 2 * ps, prot: 'read', share: 'shared' });
    await space.write(a + ps, Uint8Array.of(7));
    await space.unmap(a, 2 * ps);
    expect(mapper.entries.size).toBe(1); // still open through b
    expect(t.disk(file)[ps]).toBe(7);
    expect(space.getUint8(b + ps)).toBe(7);
  });

  it('private writes never reach the file: not on sync, not on unmap', async () => {
    const { space, ps } = t;
    const file = t.file('f', filled(ps, 1));
    const a = await space.map({ file, length: ps, prot: ['read', 'write'], share: 'private' });
    await space.write(a, filled(ps, 9));
    await space.sync(a, ps);
    await space.unmap(a, ps);
    expect(t.disk(file)).toEqual(filled(ps, 1));
  });

  it('async: resolves at once; the write-back finishes in the background', async () => {
    const { space, ps } = t;
    const file = t.file('f', new Uint8Array(ps));
    const a = await space.map({ file, length: ps, prot: ['read', 'write'], share: 'shared' });
    await space.write(a, Uint8Array.of(5));
    await space.sync(a, ps, { async: true });
    for (let i = 0; i < 10 && t.disk(file)[0] !== 5; i++) await tick();
    expect(t.disk(file)[0]).toBe(5);
  });

  it('an error of an async sync is reported by the next sync of the file', async () => {
    const { space, mapper, ps } = t;
    const file = t.file('f', new Uint8Array(ps));
    const a = await space.map({ file, length: ps, prot: ['read', 'write'], share: 'shared' });
    mapper.failNextSync = true;
    await space.sync(a, ps, { async: true });
    await tick();
    await expect(space.sync(a, ps)).rejects.toThrow(/ENOSPC/);
    await space.sync(a, ps);
  });

  it('a failed sync on unmap still unmaps, and reports the error', async () => {
    const { space, mapper, ps } = t;
    const file = t.file('f', new Uint8Array(ps));
    const a = await space.map({ file, length: ps, prot: ['read', 'write'], share: 'shared' });
    mapper.failNextSync = true;
    await expect(space.unmap(a, ps)).rejects.toThrow(/ENOSPC/);
    expect(space.mappings()).toEqual([]);
    expect(mapper.entries.size).toBe(0);
  });
});

describe('msync: invalidate (as Linux: private copies are kept)', () => {
  it("keeps a private mapping's own writes; pages it never wrote show the file, before and after", async () => {
    const { space, ps } = t;
    const file = t.file('f', filled(3 * ps, 1));
    const a = await space.map({ file, length: 3 * ps, prot: ['read', 'write'], share: 'private' });
    const s = await space.map({ file, length: 3 * ps, prot: ['read', 'write'], share: 'shared' });
    await space.write(a, filled(ps, 9));
    await space.write(s + 2 * ps, Uint8Array.of(5)); // through the shared mapping: the file's page
    await space.sync(a, 3 * ps, { invalidate: true });
    expect([space.getUint8(a), (await space.read(a + ps, 1))[0], (await space.read(a + 2 * ps, 1))[0]]).toEqual([9, 1, 5]);
    await space.write(s, Uint8Array.of(7));
    expect((await space.read(a, 1))[0]).toBe(9); // its copy, not the file
  });

  it('keeps the copies made before a fork in both spaces', async () => {
    const { space, ps } = t;
    const file = t.file('f', filled(ps, 1));
    const a = await space.map({ file, length: ps, prot: ['read', 'write'], share: 'private' });
    await space.write(a, filled(ps, 9));
    const child = space.fork();
    await child.sync(a, ps, { invalidate: true });
    expect((await child.read(a, 1))[0]).toBe(9);
    await child.write(a + 1, Uint8Array.of(3));
    expect(await child.read(a, 2)).toEqual(Uint8Array.of(9, 3));
    expect(await space.read(a, 2)).toEqual(Uint8Array.of(9, 9));
    await child.destroy();
  });

  it('protect and sync of a length of 0 succeed and change nothing, even over unmapped pages; unmap refuses it', async () => {
    const { space, mapper, ps } = t;
    const file = t.file('f', filled(ps, 1));
    const a = await space.map({ file, length: ps, address: 4 * ps, prot: 'read', share: 'shared' });
    space.protect(a, 0, 'none');
    space.protect(20 * ps, 0, ['read', 'write']);
    await space.sync(a, 0);
    await space.sync(20 * ps, 0, { invalidate: true });
    expect(space.mappings()[0]!.prot).toEqual(['read']);
    expect(mapper.syncs).toBe(0);
    await expect(space.unmap(a, 0)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(() => space.protect(a + 1, 0, 'read')).toThrow(InvalidArgumentError);
  });

  it('anonymous memory: nothing to do, the contents stay', async () => {
    const { space, ps } = t;
    const a = await space.map({ anonymous: true, length: ps, prot: ['read', 'write'], share: 'private' });
    const s = await space.map({ anonymous: true, length: ps, prot: ['read', 'write'], share: 'shared' });
    await space.write(a, Uint8Array.of(1));
    await space.write(s, Uint8Array.of(2));
    await space.sync(a, 2 * ps, { invalidate: true });
    expect([space.getUint8(a), space.getUint8(s)]).toEqual([1, 2]);
  });

  it('a range containing an unmapped page: UnmappedRangeError (ENOMEM), nothing synced or invalidated', async () => {
    const { space, mapper, ps } = t;
    const file = t.file('f', new Uint8Array(ps));
    const a = await space.map({ file, length: ps, address: 4 * ps, prot: ['read', 'write'], share: 'private' });
    await space.write(a, Uint8Array.of(1));
    await expect(space.sync(a, 2 * ps, { invalidate: true })).rejects.toBeInstanceOf(UnmappedRangeError);
    await expect(space.sync(a - ps, 2 * ps)).rejects.toMatchObject({ code: 'SPINVM_UNMAPPED_RANGE', errno: 'ENOMEM', unmapped: a - ps });
    expect(space.getUint8(a)).toBe(1);
    expect(mapper.syncs).toBe(0);
  });
});
