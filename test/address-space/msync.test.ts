// msync(2): shared writes reach the file, durably; invalidate drops private copies; anonymous memory has nothing to sync.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnmappedRangeError } from '../../vmcore/index.js';
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

describe('msync: invalidate', () => {
  it('drops private copies in the range: the file shows again, and the pages outside keep their copies', async () => {
    const { space, ps } = t;
    const file = t.file('f', filled(3 * ps, 1));
    const a = await space.map({ file, length: 3 * ps, prot: ['read', 'write'], share: 'private' });
    await space.write(a, filled(3 * ps, 9));
    await space.sync(a + ps, ps, { invalidate: true });
    expect([space.getUint8(a + ps - 1), (await space.read(a + ps, 1))[0], space.getUint8(a + 2 * ps)]).toEqual([9, 1, 9]);
    // Writing the page again copies it again, from the file.
    await space.write(a + ps, Uint8Array.of(4));
    expect(await space.read(a + ps, 2)).toEqual(Uint8Array.of(4, 1));
  });

  it('drops the copies made before a fork too, in this space only', async () => {
    const { space, ps } = t;
    const file = t.file('f', filled(ps, 1));
    const a = await space.map({ file, length: ps, prot: ['read', 'write'], share: 'private' });
    await space.write(a, filled(ps, 9));
    const child = space.fork();
    await child.sync(a, ps, { invalidate: true });
    expect((await child.read(a, 1))[0]).toBe(1);
    expect(space.getUint8(a)).toBe(9);
    await child.write(a + 1, Uint8Array.of(3));
    expect(await child.read(a, 2)).toEqual(Uint8Array.of(1, 3));
    const grandchild = child.fork();
    expect(await grandchild.read(a, 3)).toEqual(Uint8Array.of(1, 3, 1));
    await child.sync(a, ps, { invalidate: true });
    expect(await child.read(a, 2)).toEqual(Uint8Array.of(1, 1));
    expect(await grandchild.read(a, 2)).toEqual(Uint8Array.of(1, 3));
    await grandchild.destroy();
    await child.destroy();
  });

  it('a fork right after an invalidate sees the file too, and so do its copies', async () => {
    const { space, ps } = t;
    const file = t.file('f', filled(ps, 1));
    const a = await space.map({ file, length: ps, prot: ['read', 'write'], share: 'private' });
    await space.write(a, filled(ps, 9));
    const child = space.fork();
    await child.sync(a, ps, { invalidate: true });
    const grandchild = child.fork();
    expect(await grandchild.read(a, 2)).toEqual(Uint8Array.of(1, 1));
    await grandchild.write(a, Uint8Array.of(4));
    expect(await grandchild.read(a, 2)).toEqual(Uint8Array.of(4, 1));
    expect(await child.read(a, 2)).toEqual(Uint8Array.of(1, 1));
    expect(await space.read(a, 2)).toEqual(Uint8Array.of(9, 9));
    await grandchild.destroy();
    await child.destroy();
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
    await expect(space.sync(a - ps, 2 * ps)).rejects.toMatchObject({ code: 'ENOMEM', unmapped: a - ps });
    expect(space.getUint8(a)).toBe(1);
    expect(mapper.syncs).toBe(0);
  });
});
