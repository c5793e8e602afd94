// Issue 11: one page set per file, for every way in. openFile's pread / pwrite / truncate / size go through
// the same pages as mapFile and address-space mappings, so each sees the others at once (Linux's page cache,
// shared by read/write and mmap).
import * as nodefs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempFiles } from '../helpers/temp-files.js';
import { FileSystemError, MemoryFileSystem } from '../../fs/index.js';
import { mapFile, openFile, OpenFile, ReadOnlyFileError, ReadOnlyMappingError, useFilePager } from '../../pagers/file-pager/index.js';
import { BusError, createAddressSpace, createVm, DestroyedError, InvalidArgumentError, TOKENS, type Vm } from '../../vmcore/index.js';

const PS = 4096;
const tmp = tempFiles('spinvm-handle-');
const { file } = tmp;
let vm: Vm;
beforeEach(() => {
  vm = createVm({ frames: 16 });
  useFilePager(vm);
});
afterEach(() => vm.destroy().catch(() => undefined));

describe('openFile: every way in sees every other at once', () => {
  it('a byte pwritten is seen at once by a page already mapped, and a later sync of the mapping keeps it', async () => {
    const p = file('a.bin', new Uint8Array(2 * PS).fill(1));
    const as = createAddressSpace(vm);
    const a = await as.map({ file: p, length: 2 * PS, prot: ['read', 'write'], share: 'shared' });
    let t;
    while ((t = as.trap(a, 'read', 2 * PS))) await t;
    expect(as.getUint8(a + PS + 7)).toBe(1); // a cached translation of a resident page
    as.setUint8(a, 2); // the mapping dirties page 0
    const h = await openFile(vm, p, { writable: true });
    expect(await h.pwrite(PS + 7, Uint8Array.of(0x42, 0x43))).toBe(2);
    expect(as.getUint16(a + PS + 7)).toBe(0x4342);
    await as.sync(a, 2 * PS);
    const disk = nodefs.readFileSync(p);
    expect([disk[0], disk[PS + 7], disk[PS + 8]]).toEqual([2, 0x42, 0x43]); // neither write lost
    await h.close();
  });

  it('bytes written through a mapping, a mapFile view and the handle: pread answers all of them', async () => {
    const p = file('b.bin', new Uint8Array(3 * PS));
    const as = createAddressSpace(vm);
    const a = await as.map({ file: p, length: 3 * PS, prot: ['read', 'write'], share: 'shared' });
    const m = await mapFile(vm, p, { writable: true });
    const h = await openFile(vm, p, { writable: true });
    await as.write(a + 10, Uint8Array.of(1));
    await m.write(20, Uint8Array.of(2));
    await h.pwrite(30, Uint8Array.of(3));
    const seen = await h.pread(0, 31);
    expect([seen[10], seen[20], seen[30]]).toEqual([1, 2, 3]);
    expect([...(await m.read(30, 1)), ...(await as.read(a + 20, 1))]).toEqual([3, 2]);
    expect(m.object === (await mapFile(vm, p)).object).toBe(true);
    await h.close();
    await m.close();
  });

  it('pread answers fewer bytes at the end of the file and none past it, as POSIX pread', async () => {
    const p = file('c.bin', new Uint8Array(100).fill(5));
    const h = await openFile(vm, p);
    expect((await h.pread(90, 50)).length).toBe(10);
    expect((await h.pread(100, 5)).length).toBe(0);
    expect((await h.pread(10_000, 5)).length).toBe(0);
    expect([...(await h.pread(98, 2))]).toEqual([5, 5]);
    expect(await h.size()).toBe(100);
    await h.close();
  });

  it('pwrite past the end extends the file (the gap reads zeros) and every mapping reaches the new pages', async () => {
    const p = file('d.bin', new Uint8Array(10).fill(1));
    const as = createAddressSpace(vm);
    const a = await as.map({ file: p, length: 4 * PS, prot: 'read', share: 'shared' });
    await expect(as.read(a + 3 * PS, 1)).rejects.toBeInstanceOf(BusError);
    const h = await openFile(vm, p, { writable: true });
    await h.pwrite(3 * PS + 5, Uint8Array.of(9));
    expect(await h.size()).toBe(3 * PS + 6);
    expect([...(await as.read(a + 3 * PS + 4, 2))]).toEqual([0, 9]);
    expect([...(await h.pread(8, 4))]).toEqual([1, 1, 0, 0]);
    await h.sync();
    const disk = nodefs.readFileSync(p);
    expect(disk.length).toBe(3 * PS + 6);
    expect(disk[3 * PS + 5]).toBe(9);
    await h.close();
  });

  it('concurrent appends all land, and the size is their end', async () => {
    const p = file('e.bin', new Uint8Array(0));
    const h = await openFile(vm, p, { writable: true });
    await Promise.all(Array.from({ length: 20 }, (_, i) => h.pwrite(i * 1000, new Uint8Array(1000).fill(i + 1))));
    expect(await h.size()).toBe(20_000);
    const all = await h.pread(0, 20_000);
    expect(Array.from({ length: 20 }, (_, i) => all[i * 1000 + 999])).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await h.close();
    expect(nodefs.readFileSync(p).length).toBe(20_000);
  });

  it('truncate shrinks: pages past the end are dropped (dirty ones too), never written back; pread and mappings stop there', async () => {
    const p = file('f.bin', new Uint8Array(4 * PS).fill(1));
    const as = createAddressSpace(vm);
    const a = await as.map({ file: p, length: 4 * PS, prot: ['read', 'write'], share: 'shared' });
    await as.write(a + 3 * PS, new Uint8Array(PS).fill(7)); // dirty, resident
    const h = await openFile(vm, p, { writable: true });
    await h.truncate(PS / 2);
    expect(await h.size()).toBe(PS / 2);
    expect((await h.pread(0, PS)).length).toBe(PS / 2);
    await expect(as.read(a + 3 * PS, 1)).rejects.toBeInstanceOf(BusError);
    expect((await as.read(a + PS / 2, 1))[0]).toBe(0);
    await h.sync();
    await as.unmap(a, 4 * PS);
    expect(nodefs.readFileSync(p).length).toBe(PS / 2);
    await h.truncate(4 * PS);
    expect((await h.pread(3 * PS, PS)).every((b) => b === 0)).toBe(true); // not the 7s
    await h.close();
  });

  it('size() sees growth made by someone else', async () => {
    const p = file('g.bin', new Uint8Array(10));
    const h = await openFile(vm, p);
    expect(await h.size()).toBe(10);
    nodefs.appendFileSync(p, new Uint8Array(5000).fill(3));
    expect(await h.size()).toBe(5010);
    expect([...(await h.pread(5009, 10))]).toEqual([3]);
    await h.close();
  });

  it('MappedFile has the same calls: pread, pwrite, truncate; its size follows', async () => {
    const p = file('h.bin', new Uint8Array(PS).fill(1));
    const m = await mapFile(vm, p, { writable: true });
    await m.pwrite(2 * PS, Uint8Array.of(4));
    expect(m.size).toBe(2 * PS + 1);
    expect([...(await m.read(2 * PS, 1))]).toEqual([4]);
    expect([...(await m.pread(2 * PS, 10))]).toEqual([4]);
    await m.truncate(10);
    expect(m.size).toBe(10);
    await expect(m.read(10, 1)).rejects.toThrow(/past the end/);
    await m.close();
    expect(nodefs.readFileSync(p).length).toBe(10);
  });

  it('vm.destroy() writes back what the handle wrote, and the last close frees the pages', async () => {
    const p = file('i.bin', new Uint8Array(PS));
    const h = await openFile(vm, p, { writable: true });
    await h.pwrite(5, Uint8Array.of(6));
    expect(vm.memoryObjects()).toHaveLength(1);
    const h2 = await openFile(vm, p);
    await h.close();
    expect(vm.memoryObjects()).toHaveLength(1); // still open through h2
    expect(nodefs.readFileSync(p)[5]).toBe(6); // a close writes back
    await h2.close();
    expect(vm.memoryObjects()).toHaveLength(0);
    const h3 = await openFile(vm, p, { writable: true });
    await h3.pwrite(6, Uint8Array.of(7));
    await vm.destroy();
    expect(nodefs.readFileSync(p)[6]).toBe(7);
  });
});

describe('openFile: read-only handles, bad input, errors', () => {
  it('a handle opened without writable refuses pwrite and truncate (EBADF), and the file keeps its bytes', async () => {
    const p = file('ro.bin', new Uint8Array(10).fill(1));
    const h = await openFile(vm, p);
    expect(h).toBeInstanceOf(OpenFile);
    await expect(h.pwrite(0, Uint8Array.of(2))).rejects.toBeInstanceOf(ReadOnlyFileError);
    await expect(h.truncate(0)).rejects.toMatchObject({ code: 'SPINVM_READ_ONLY_FILE', errno: 'EBADF' });
    const m = await mapFile(vm, p);
    await expect(m.pwrite(0, Uint8Array.of(2))).rejects.toBeInstanceOf(ReadOnlyMappingError);
    await h.close();
    await m.close();
    expect([...nodefs.readFileSync(p)]).toEqual(new Array(10).fill(1));
  });

  it('a file that cannot be written: openFile writable fails (EACCES), read-only works; create makes a file', async () => {
    const mem = new MemoryFileSystem();
    const h0 = await mem.open('/tmp/x', { create: true, writable: true });
    await h0.write(Uint8Array.of(1, 2, 3), 0);
    await h0.close();
    mem.chmod('/tmp/x', 0o444);
    const v = createVm({ frames: 4 });
    v.container.bind(TOKENS.FileSystem).toConstantValue(mem);
    await expect(openFile(v, '/tmp/x', { writable: true })).rejects.toSatisfy((e) => FileSystemError.is(e, 'EACCES'));
    const h = await openFile(v, '/tmp/x');
    expect([...(await h.pread(0, 10))]).toEqual([1, 2, 3]);
    const n = await openFile(v, '/tmp/new', { writable: true, create: true });
    expect(await n.size()).toBe(0);
    await n.pwrite(0, Uint8Array.of(8));
    await v.destroy();
    expect([...mem.contents('/tmp/new')]).toEqual([8]);
  });

  it('bad arguments are typed errors before anything is touched; a closed handle is DestroyedError', async () => {
    const p = file('bad.bin', new Uint8Array(10));
    await expect(openFile(vm, '')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(openFile(vm, p, { create: true })).rejects.toThrow(/used with writable/);
    await expect(openFile(vm, p, { writeable: true } as never)).rejects.toThrow(InvalidArgumentError);
    await expect(openFile(vm, tmp.path('missing'))).rejects.toSatisfy((e) => FileSystemError.is(e, 'ENOENT'));
    const h = await openFile(vm, p, { writable: true });
    await expect(h.pread(-1, 1)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(h.pwrite(0, [1] as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(h.truncate(1.5)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await h.size()).toBe(10);
    await h.close();
    await h.close(); // idempotent
    await expect(h.pread(0, 1)).rejects.toBeInstanceOf(DestroyedError);
    expect(vm.memoryObjects()).toHaveLength(0);
  });
});
