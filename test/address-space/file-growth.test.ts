// Issue 11: a file's size changes, and mappings see it. A fault is a BusError only past the file's current
// end; empty files map; a length past the end maps, as on Linux; mapFile follows.
import * as nodefs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempFiles } from '../helpers/temp-files.js';
import { MemoryFileSystem } from '../../fs/index.js';
import { mapFile, openFile, useFilePager } from '../../pagers/file-pager/index.js';
import { BusError, createAddressSpace, createVm, TOKENS, type AddressSpace, type Vm } from '../../vmcore/index.js';
import { expectNothingLeaked } from './helpers.js';

const PS = 4096;
const tmp = tempFiles('spinvm-growth-');
const { paged } = tmp;
let vm: Vm;
let as: AddressSpace;
beforeEach(() => {
  vm = createVm({ frames: 32 });
  useFilePager(vm);
  as = createAddressSpace(vm);
});
afterEach(() => vm.destroy().catch(() => undefined));

async function byteAt(address: number): Promise<number> {
  return (await as.read(address, 1))[0]!;
}

describe('growth made by someone else (a plain write, another process)', () => {
  it('an existing mapping reaches the pages the file grew by; BusError only past the current end', async () => {
    const p = paged('grow.bin', 2);
    const a = await as.map({ file: p, length: 6 * PS, prot: ['read', 'write'], share: 'shared' });
    await expect(as.read(a + 2 * PS, 1)).rejects.toBeInstanceOf(BusError);
    nodefs.appendFileSync(p, new Uint8Array(2 * PS).fill(7)); // four pages now
    expect(await byteAt(a + 2 * PS)).toBe(7);
    expect(await byteAt(a + 4 * PS - 1)).toBe(7);
    await expect(as.read(a + 4 * PS, 1)).rejects.toMatchObject({ name: 'BusError', address: a + 4 * PS });
    // The synchronous path too, and writes.
    let t;
    while ((t = as.trap(a + 3 * PS, 'write', 4))) await t;
    as.setUint32(a + 3 * PS, 0x01020304);
    expect(() => as.getUint8(a + 4 * PS)).toThrow(BusError);
    await as.sync(a, 6 * PS);
    const disk = nodefs.readFileSync(p);
    expect(disk.length).toBe(4 * PS);
    expect([...disk.subarray(3 * PS, 3 * PS + 5)]).toEqual([4, 3, 2, 1, 7]);
  });

  it('a new mapping made while another mapping of the file is open covers the grown file', async () => {
    const p = paged('new.bin', 2);
    const first = await as.map({ file: p, length: 2 * PS, prot: 'read', share: 'shared' });
    expect(await byteAt(first + PS)).toBe(2);
    nodefs.appendFileSync(p, new Uint8Array(2 * PS).fill(9));
    const other = createAddressSpace(vm);
    const second = await other.map({ file: p, length: 4 * PS, prot: 'read', share: 'shared' });
    expect((await other.read(second + 3 * PS, 2))[1]).toBe(9);
    const priv = await as.map({ file: p, length: 4 * PS, prot: ['read', 'write'], share: 'private' });
    expect(await byteAt(priv + 3 * PS)).toBe(9);
  });

  it('a private mapping reads the pages the file grew by (those it has not copied)', async () => {
    const p = paged('priv.bin', 1);
    const a = await as.map({ file: p, length: 3 * PS, prot: ['read', 'write'], share: 'private' });
    await as.write(a, Uint8Array.of(0xee)); // its own copy of page 0
    await expect(as.write(a + PS, Uint8Array.of(1))).rejects.toBeInstanceOf(BusError);
    nodefs.appendFileSync(p, new Uint8Array(PS).fill(5));
    expect([await byteAt(a), await byteAt(a + PS)]).toEqual([0xee, 5]);
    await as.write(a + PS, Uint8Array.of(6)); // copied now: the file keeps 5
    await as.unmap(a, 3 * PS);
    expect(nodefs.readFileSync(p)[PS]).toBe(5);
  });

  it('growth within the last page: the resident page takes the bytes the file gained once the size is seen', async () => {
    const p = tmp.path('tail.bin');
    nodefs.writeFileSync(p, new Uint8Array(100).fill(1));
    const a = await as.map({ file: p, length: 2 * PS, prot: 'read', share: 'shared' });
    expect(await byteAt(a + 200)).toBe(0); // past the end of the file in its last page: zero
    nodefs.appendFileSync(p, new Uint8Array(PS).fill(3)); // bytes 100 .. 4196
    expect(await byteAt(a + PS + 50)).toBe(3); // past the known end: the size is checked, the growth taken
    expect(await byteAt(a + 200)).toBe(3); // and the resident last page shows the file's new bytes
    expect(await byteAt(a + 99)).toBe(1);
  });
});

describe('growth by someone else within the last page (no access past the end to notice it)', () => {
  it('bytes a mapping writes in the last page after the file grew past them reach the file on sync and unmap', async () => {
    // The kernel differential test's seed 99: the old end is inside page 1; the file grows to three pages from
    // outside; a write into page 1 past the old end must be written back up to the new end.
    const p = tmp.path('late.bin');
    nodefs.writeFileSync(p, new Uint8Array(PS + 862).fill(1));
    const a = await as.map({ file: p, length: 2 * PS, prot: ['read', 'write'], share: 'shared' });
    nodefs.truncateSync(p, 2 * PS + 517);
    await as.write(a + PS + 2431, Uint8Array.of(0x32));
    await as.sync(a, 2 * PS);
    expect(nodefs.readFileSync(p)[PS + 2431]).toBe(0x32);
    await as.write(a + PS + 3000, Uint8Array.of(0x33));
    await as.unmap(a + PS, PS);
    const disk = nodefs.readFileSync(p);
    expect([disk.length, disk[PS + 3000], disk[PS + 861], disk[PS + 862]]).toEqual([2 * PS + 517, 0x33, 1, 0]);
  });

  it('a first fault of the last page reads the bytes the file gained, and the mapping’s writes there survive a later size check', async () => {
    const p = tmp.path('gain.bin');
    nodefs.writeFileSync(p, new Uint8Array(100).fill(1));
    const a = await as.map({ file: p, length: 2 * PS, prot: ['read', 'write'], share: 'shared' });
    nodefs.appendFileSync(p, new Uint8Array(1900).fill(2)); // 2000 bytes, still one page
    expect([await byteAt(a + 99), await byteAt(a + 1000), await byteAt(a + 2000)]).toEqual([1, 2, 0]);
    await as.write(a + 3000, Uint8Array.of(7)); // past the end: memory only
    nodefs.appendFileSync(p, new Uint8Array(2 * PS).fill(3)); // now into page 2
    expect(await byteAt(a + PS + 10)).toBe(3); // seen at the would-be BusError
    expect([await byteAt(a + 2500), await byteAt(a + 3000), await byteAt(a + 3001)]).toEqual([3, 7, 3]);
    await as.unmap(a, 2 * PS);
    expect(nodefs.readFileSync(p)[3000]).toBe(7); // it lies inside the file now: written back
  });
});

describe('the database pattern: grow the file, map more of it', () => {
  it('truncate through a file handle, then a new, longer mapping and remap of the old one reach the new pages', async () => {
    const p = paged('db.bin', 1);
    const h = await openFile(vm, p, { writable: true });
    const a = await as.map({ file: p, length: PS, prot: ['read', 'write'], share: 'shared' });
    await h.truncate(4 * PS);
    const b = await as.map({ file: p, length: 4 * PS, prot: ['read', 'write'], share: 'shared' });
    await as.write(b + 3 * PS, Uint8Array.of(0x44));
    expect(await byteAt(b + 2 * PS)).toBe(0); // the new bytes are zeros
    const grown = await as.remap(a, PS, 4 * PS, { move: true });
    expect(await byteAt(grown + 3 * PS)).toBe(0x44);
    await as.unmap(b, 4 * PS);
    await as.unmap(grown, 4 * PS);
    await h.close();
    const disk = nodefs.readFileSync(p);
    expect(disk.length).toBe(4 * PS);
    expect([disk[0], disk[3 * PS]]).toEqual([1, 0x44]);
    expectNothingLeaked(vm);
  });

  it('a mapping longer than the file, then the file grows under it: the same mapping reaches the new pages', async () => {
    const p = paged('grow-under.bin', 1);
    const h = await openFile(vm, p, { writable: true });
    const a = await as.map({ file: p, length: 8 * PS, prot: ['read', 'write'], share: 'shared' });
    await expect(as.write(a + 5 * PS, Uint8Array.of(1))).rejects.toBeInstanceOf(BusError);
    await h.pwrite(6 * PS, Uint8Array.of(6)); // extends the file to 6 pages and a byte
    await as.write(a + 5 * PS, Uint8Array.of(5));
    expect(await byteAt(a + 6 * PS)).toBe(6);
    await expect(as.read(a + 7 * PS, 1)).rejects.toBeInstanceOf(BusError);
    expect(await h.size()).toBe(6 * PS + 1);
    await h.close();
  });
});

describe('empty files, and lengths past the end', () => {
  it('an empty file maps (shared and private); every access is a BusError until the file grows', async () => {
    const p = tmp.path('empty.bin');
    nodefs.writeFileSync(p, new Uint8Array(0));
    const s = await as.map({ file: p, length: 2 * PS, prot: ['read', 'write'], share: 'shared' });
    const q = await as.map({ file: p, length: 2 * PS, prot: ['read', 'write'], share: 'private' });
    for (const a of [s, q]) {
      await expect(as.read(a, 1)).rejects.toMatchObject({ name: 'BusError', address: a });
      await expect(as.write(a, Uint8Array.of(1))).rejects.toBeInstanceOf(BusError);
      expect(() => as.trap(a, 'read')).toThrow(BusError);
    }
    expect([...as.residency(s, 2 * PS)]).toEqual([0, 0]);
    const h = await openFile(vm, p, { writable: true });
    await h.pwrite(0, new TextEncoder().encode('hello'));
    expect(new TextDecoder().decode(await as.read(s, 5))).toBe('hello');
    expect(new TextDecoder().decode(await as.read(q, 5))).toBe('hello');
    expect(await byteAt(s + PS - 1)).toBe(0); // the rest of the last page
    await expect(as.read(s + PS, 1)).rejects.toBeInstanceOf(BusError);
    await h.close();
    await as.destroy();
    expect(nodefs.readFileSync(p).toString()).toBe('hello');
  });

  it('a length larger than the file: the rest of the last page is zeros, the pages after it BusError, populate stops there', async () => {
    const p = tmp.path('short.bin');
    nodefs.writeFileSync(p, new Uint8Array(PS + 10).fill(2));
    const a = await as.map({ file: p, length: 16 * PS, prot: 'read', share: 'shared', populate: true });
    expect([...as.residency(a, 3 * PS)]).toEqual([1, 1, 0]);
    expect([await byteAt(a + PS + 9), await byteAt(a + PS + 10), await byteAt(a + 2 * PS - 1)]).toEqual([2, 0, 0]);
    await expect(as.read(a + 2 * PS, 1)).rejects.toBeInstanceOf(BusError);
    await expect(as.read(a + 15 * PS, 1)).rejects.toBeInstanceOf(BusError);
  });

  it('an empty file on the in-memory file system, grown by a write through a handle', async () => {
    const mem = new MemoryFileSystem();
    await (await mem.open('/tmp/e', { create: true, writable: true })).close();
    const v = createVm({ frames: 8 });
    v.container.bind(TOKENS.FileSystem).toConstantValue(mem);
    useFilePager(v);
    const space = createAddressSpace(v);
    const a = await space.map({ file: '/tmp/e', length: PS, prot: 'read', share: 'shared' });
    await expect(space.read(a, 1)).rejects.toBeInstanceOf(BusError);
    const h = await openFile(v, '/tmp/e', { writable: true });
    await h.pwrite(10, Uint8Array.of(4));
    expect([...(await space.read(a + 9, 2))]).toEqual([0, 4]);
    await v.destroy();
    expect([...mem.contents('/tmp/e')]).toEqual([...new Uint8Array(10), 4]);
  });
});

describe('shrinking through the file’s pages', () => {
  it('truncate: mappings fault with BusError past the new end (the synchronous path too), the rest of the last page is zeros', async () => {
    const p = paged('shrink.bin', 4);
    const h = await openFile(vm, p, { writable: true });
    const a = await as.map({ file: p, length: 4 * PS, prot: ['read', 'write'], share: 'shared' });
    let t;
    while ((t = as.trap(a, 'read', 4 * PS))) await t;
    expect([as.getUint8(a + PS + 100), as.getUint8(a + 3 * PS)]).toEqual([2, 4]); // now cached translations
    as.setUint8(a + 3 * PS + 1, 0x99); // a dirty page that will be cut away
    await h.truncate(PS + 50);
    expect(() => as.getUint8(a + 3 * PS)).toThrow(BusError);
    expect(() => as.setUint8(a + 3 * PS, 1)).toThrow(BusError);
    await expect(as.read(a + 2 * PS, 1)).rejects.toBeInstanceOf(BusError);
    expect([as.getUint8(a + PS + 49), as.getUint8(a + PS + 50), as.getUint8(a + PS + 100)]).toEqual([2, 0, 0]);
    await as.sync(a, 2 * PS);
    expect(nodefs.readFileSync(p).length).toBe(PS + 50); // the dropped dirty page never came back
    // Growing again: zeros, not the old bytes.
    await h.truncate(4 * PS);
    expect([await byteAt(a + PS + 100), await byteAt(a + 3 * PS + 1)]).toEqual([0, 0]);
    await as.unmap(a, 4 * PS);
    await h.close();
    expect(
      nodefs
        .readFileSync(p)
        .subarray(PS + 50)
        .every((b) => b === 0),
    ).toBe(true);
    expectNothingLeaked(vm);
  });

  it('a mapping in another address space and a private mapping see the cut too', async () => {
    const p = paged('shrink2.bin', 3);
    const other = createAddressSpace(vm);
    const s = await other.map({ file: p, length: 3 * PS, prot: 'read', share: 'shared' });
    const q = await as.map({ file: p, length: 3 * PS, prot: 'read', share: 'private' });
    expect([(await other.read(s + 2 * PS, 1))[0], await byteAt(q + 2 * PS)]).toEqual([3, 3]);
    const m = await mapFile(vm, p, { writable: true });
    await m.truncate(2 * PS);
    expect(m.size).toBe(2 * PS);
    await expect(other.read(s + 2 * PS, 1)).rejects.toBeInstanceOf(BusError);
    await expect(as.read(q + 2 * PS, 1)).rejects.toBeInstanceOf(BusError);
    expect(await byteAt(q + PS)).toBe(2);
    await m.close();
  });

  it('bytes a mapping wrote past the end of the file in its last page read zeros once the file is extended', async () => {
    const p = tmp.path('ext.bin');
    nodefs.writeFileSync(p, new Uint8Array(100).fill(1));
    const a = await as.map({ file: p, length: PS, prot: ['read', 'write'], share: 'shared' });
    await as.write(a + 200, Uint8Array.of(0xab)); // memory only: past the end of the file
    expect(await byteAt(a + 200)).toBe(0xab);
    const h = await openFile(vm, p, { writable: true });
    await h.truncate(300);
    expect(await byteAt(a + 200)).toBe(0); // as Linux: the file's bytes there are zeros
    expect([...(await h.pread(199, 2))]).toEqual([0, 0]);
    await h.close();
  });
});

describe('mapFile follows', () => {
  it('an empty file maps; writable with a larger size extends the file at once; read-only ignores the size', async () => {
    const p = tmp.path('mf.bin');
    nodefs.writeFileSync(p, new Uint8Array(0));
    const ro = await mapFile(vm, p, { size: 3 * PS });
    expect(ro.size).toBe(0);
    const rw = await mapFile(vm, p, { writable: true, size: 3 * PS });
    expect(nodefs.statSync(p).size).toBe(3 * PS);
    expect([ro.size, rw.size]).toEqual([3 * PS, 3 * PS]); // one file, one size
    await rw.write(3 * PS - 1, Uint8Array.of(8));
    expect([...(await ro.read(3 * PS - 1, 1))]).toEqual([8]);
    const small = await mapFile(vm, p, { writable: true, size: 10 }); // a smaller size never cuts the file
    expect(small.size).toBe(3 * PS);
    await Promise.all([ro.close(), rw.close(), small.close()]);
    expect(nodefs.readFileSync(p)[3 * PS - 1]).toBe(8);
  });

  it('its size follows growth seen through another way in, and its read and write bounds with it', async () => {
    const p = paged('follow.bin', 1);
    const m = await mapFile(vm, p, { writable: true });
    await expect(m.read(PS, 1)).rejects.toThrow(/past the end/);
    nodefs.appendFileSync(p, new Uint8Array(PS).fill(4));
    const again = await mapFile(vm, p); // a new open checks the size
    expect([m.size, again.size]).toEqual([2 * PS, 2 * PS]);
    expect([...(await m.read(PS, 1))]).toEqual([4]);
    await m.close();
    await again.close();
  });
});
