// Regressions for issue 9 (reliability), items 1, 3, 4, 5, 10 and 13: mapped files, the file pager, the accessor.
import * as nodefs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Accessor, MemoryFileSystem, type FileHandle } from '../../fs/index.js';
import { mapFile, MappedFileTruncatedError, useFilePager } from '../../pagers/file-pager/index.js';
import { createAddressSpace, createVm, PagerIoError, TOKENS, type Vm } from '../../vmcore/index.js';
import { RecordingPager } from '../helpers/pagers.js';
import { tempFiles } from '../helpers/temp-files.js';

const PS = 4096;
const tmp = tempFiles('spinvm-rel-files-');
const pagedFile = tmp.paged;

/** A VM over an in-memory file system, and the handles it opened (to count descriptors). */
function memVm(frames = 16): { vm: Vm; fs: MemoryFileSystem; handles: FileHandle[] } {
  const fs = new MemoryFileSystem();
  const handles: FileHandle[] = [];
  const open = fs.open.bind(fs);
  fs.open = async (...args: Parameters<MemoryFileSystem['open']>) => {
    const h = await open(...args);
    handles.push(h);
    return h;
  };
  const vm = createVm({ frames });
  vm.container.bind(TOKENS.FileSystem).toConstantValue(fs);
  return { vm, fs, handles };
}

async function memFile(fs: MemoryFileSystem, p: string, bytes: Uint8Array): Promise<void> {
  const h = await fs.open(p, { create: true, writable: true });
  await h.write(bytes, 0);
  await h.close();
}

function openFds(): number {
  return nodefs.readdirSync('/proc/self/fd').length;
}

describe('item 1: concurrent mapFile of one file makes one memory object', () => {
  it('Promise.all of two mapFile calls: one object, each sees the other’s writes, closing one keeps the other registered', async () => {
    const p = pagedFile('twice.bin', 4);
    const vm = createVm({ frames: 16 });
    const [a, b] = await Promise.all([mapFile(vm, p, { writable: true }), mapFile(vm, p, { writable: true })]);
    expect(a.object === b.object).toBe(true); // (toBe would print two whole memory objects)
    await a.write(10, Uint8Array.of(0xaa));
    expect([...(await b.read(10, 1))]).toEqual([0xaa]);
    await a.close();
    const c = await mapFile(vm, p, { writable: true }); // must find b's object, not make a second one
    expect(c.object === b.object).toBe(true);
    expect(vm.memoryObjects()).toHaveLength(1);
    await b.write(20, Uint8Array.of(0xbb));
    await c.write(30, Uint8Array.of(0xcc));
    await b.close();
    await c.close();
    const disk = nodefs.readFileSync(p);
    expect([disk[10], disk[20], disk[30]]).toEqual([0xaa, 0xbb, 0xcc]);
    expect(vm.memoryObjects()).toHaveLength(0);
    await vm.destroy();
  });

  it('many concurrent mapFile calls, mixed read-only and writable: still one object', async () => {
    const p = pagedFile('many.bin', 2);
    const vm = createVm({ frames: 16 });
    const maps = await Promise.all(Array.from({ length: 6 }, (_, i) => mapFile(vm, p, { writable: i % 2 === 0 })));
    expect(new Set(maps.map((m) => m.object)).size).toBe(1);
    await Promise.all(maps.map((m) => m.close()));
    expect(vm.memoryObjects()).toHaveLength(0);
    await vm.destroy();
  });

  it('an empty file mapped without a size and, at the same time, with one: one object, the file extended to the size', async () => {
    // (Issue 11: an empty file maps, with size 0; it used to be refused.)
    const p = tmp.path('empty.bin');
    nodefs.writeFileSync(p, new Uint8Array(0));
    const vm = createVm({ frames: 16 });
    const [first, m] = await Promise.all([mapFile(vm, p), mapFile(vm, p, { writable: true, size: PS })]);
    expect(first.object === m.object).toBe(true);
    expect([first.size, m.size]).toEqual([PS, PS]); // the size is the file's, seen by both
    await m.write(0, Uint8Array.of(5));
    expect([...(await first.read(0, 1))]).toEqual([5]);
    await m.close();
    await first.close();
    expect(nodefs.readFileSync(p)[0]).toBe(5);
    await vm.destroy();
  });

  it('two concurrent as.map({ file, share: shared }): one page set', async () => {
    const p = pagedFile('as.bin', 4);
    const vm = createVm({ frames: 16 });
    useFilePager(vm);
    const as = createAddressSpace(vm);
    const [x, y] = await Promise.all([
      as.map({ file: p, length: 4 * PS, prot: ['read', 'write'], share: 'shared' }),
      as.map({ file: p, length: 4 * PS, prot: ['read', 'write'], share: 'shared' }),
    ]);
    await as.write(x + 100, Uint8Array.of(0x11));
    expect([...(await as.read(y + 100, 1))]).toEqual([0x11]);
    await as.write(y + 200, Uint8Array.of(0x22));
    await as.unmap(y, 4 * PS);
    await as.unmap(x, 4 * PS);
    const disk = nodefs.readFileSync(p);
    expect([disk[100], disk[200]]).toEqual([0x11, 0x22]);
    await vm.destroy();
  });
});

describe('item 3: vm.destroy() with a mapFile mapping still open', () => {
  it('writes its dirty pages back and closes its descriptor (real files)', async () => {
    const p = pagedFile('open.bin', 16);
    const before = openFds();
    const vm = createVm({ frames: 32 });
    const m = await mapFile(vm, p, { writable: true });
    for (let k = 0; k < 10; k++) await m.write(k * PS + 7, Uint8Array.of(0xf0 + k));
    await vm.destroy();
    const disk = nodefs.readFileSync(p);
    expect(Array.from({ length: 10 }, (_, k) => disk[k * PS + 7])).toEqual(Array.from({ length: 10 }, (_, k) => 0xf0 + k));
    expect(openFds()).toBe(before);
    await m.close(); // harmless afterwards
  });

  it('writes back and closes the handle (in-memory file system)', async () => {
    const { vm, fs, handles } = memVm();
    await memFile(fs, '/tmp/a.bin', new Uint8Array(4 * PS));
    const m = await mapFile(vm, '/tmp/a.bin', { writable: true });
    await m.write(PS + 3, Uint8Array.of(9, 8, 7));
    await vm.destroy();
    expect([...fs.contents('/tmp/a.bin').subarray(PS + 3, PS + 6)]).toEqual([9, 8, 7]);
    expect(handles.filter((h) => !h.closed)).toHaveLength(0);
  });

  it('a failed write-back makes vm.destroy() reject, and still closes the handle', async () => {
    const { vm, fs, handles } = memVm();
    await memFile(fs, '/tmp/b.bin', new Uint8Array(4 * PS));
    const m = await mapFile(vm, '/tmp/b.bin', { writable: true });
    await m.write(0, Uint8Array.of(1));
    fs.failNext('/tmp/b.bin', 'write', 'EIO', 10);
    await expect(vm.destroy()).rejects.toThrow();
    expect(handles.filter((h) => !h.closed)).toHaveLength(0);
  });

  it('a mapping held both by mapFile and an address space made after it: written back once, vm.destroy() resolves', async () => {
    const p = pagedFile('both.bin', 4);
    const before = openFds();
    const vm = createVm({ frames: 16 });
    useFilePager(vm);
    const m = await mapFile(vm, p, { writable: true });
    const as = createAddressSpace(vm);
    const at = await as.map({ file: p, length: 4 * PS, prot: ['read', 'write'], share: 'shared' });
    await m.write(1, Uint8Array.of(0x31));
    await as.write(at + PS, Uint8Array.of(0x32));
    await vm.destroy();
    const disk = nodefs.readFileSync(p);
    expect([disk[1], disk[PS]]).toEqual([0x31, 0x32]);
    expect(openFds()).toBe(before);
  });
});

describe('item 4: a failed read-ahead does not leave wrong bytes in the read-ahead window', () => {
  it('after a read-ahead on a shrunk file fails, an unrelated page still reads its own bytes', async () => {
    const p = pagedFile('ra.bin', 16);
    const vm = createVm({ frames: 64 });
    const m = await mapFile(vm, p);
    // Faults 0, 1, 2, 3: read-ahead grows to four pages, [3, 7) in the buffer; 5 and 6 are hits.
    for (const k of [0, 1, 2, 3, 5, 6]) expect((await m.read(k * PS, 1))[0]).toBe(k + 1);
    nodefs.truncateSync(p, 10 * PS); // pages 10..15 are gone
    // Fault 7 is sequential: an eight-page read-ahead [7, 15) that comes back short.
    await m.read(7 * PS, 1).catch(() => undefined);
    // Page 4 never left the file; it lay in the old read-ahead window.
    expect([...(await m.read(4 * PS, 4))]).toEqual([5, 5, 5, 5]);
    await m.close();
  });

  it('after a read-ahead whose first page is gone fails, the old window is not served', async () => {
    const p = pagedFile('ra3.bin', 16);
    const vm = createVm({ frames: 64 });
    const m = await mapFile(vm, p);
    for (const k of [0, 1, 2, 3, 5, 6]) await m.read(k * PS, 1); // [3, 7) in the buffer
    nodefs.truncateSync(p, 7 * PS); // pages 7..15 are gone, 4 is not
    const err = await m.read(7 * PS, 1).catch((e: unknown) => e);
    expect((err as PagerIoError).cause).toBeInstanceOf(MappedFileTruncatedError);
    expect([...(await m.read(4 * PS, 2))]).toEqual([5, 5]);
    await m.close();
  });

  it('a fault whose own page is still in the file succeeds though pages read ahead after it are gone', async () => {
    const p = pagedFile('ra2.bin', 16);
    const vm = createVm({ frames: 64 });
    const m = await mapFile(vm, p);
    for (const k of [0, 1, 2, 3, 5, 6]) await m.read(k * PS, 1);
    nodefs.truncateSync(p, 10 * PS);
    expect([...(await m.read(7 * PS, 1))]).toEqual([8]);
    expect([...(await m.read(9 * PS, 1))]).toEqual([10]);
    const err = await m.read(12 * PS, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PagerIoError);
    expect((err as PagerIoError).cause).toBeInstanceOf(MappedFileTruncatedError);
    await m.close();
  });
});

describe('item 5: the partial last page of a shared file mapping is memory', () => {
  const SIZE = PS + 1000; // one whole page and 1000 bytes of the second

  it('address space, shared: writes past end of file in the last page read back, and never reach the file', async () => {
    const p = pagedFile('tail.bin', 1, 1000);
    const original = nodefs.readFileSync(p);
    const vm = createVm({ frames: 16 });
    useFilePager(vm);
    const as = createAddressSpace(vm);
    const at = await as.map({ file: p, length: 2 * PS, prot: ['read', 'write'], share: 'shared' });
    expect([...(await as.read(at + SIZE, 4))]).toEqual([0, 0, 0, 0]); // zeros at first
    await as.write(at + SIZE - 2, Uint8Array.of(1, 2, 3, 4)); // straddles the end of file
    await as.write(at + 2 * PS - 1, Uint8Array.of(0x7f)); // the last byte of the page
    expect([...(await as.read(at + SIZE - 2, 4))]).toEqual([1, 2, 3, 4]);
    expect((await as.read(at + 2 * PS - 1, 1))[0]).toBe(0x7f);
    // A second shared mapping of the file sees the same tail.
    const at2 = await as.map({ file: p, length: 2 * PS, prot: ['read'], share: 'shared' });
    expect([...(await as.read(at2 + SIZE, 2))]).toEqual([3, 4]);
    await as.sync(at, 2 * PS);
    const disk = nodefs.readFileSync(p);
    expect(disk.length).toBe(SIZE); // never extended
    const expected = Buffer.from(original);
    expected[SIZE - 2] = 1;
    expected[SIZE - 1] = 2;
    expect(Buffer.compare(disk, expected)).toBe(0);
    await as.unmap(at2, 2 * PS);
    await as.unmap(at, 2 * PS);
    expect(nodefs.readFileSync(p).length).toBe(SIZE);
    await vm.destroy();
  });

  it('mapFile: the object covers the whole last page; the mapping’s size and bounds stay the file’s', async () => {
    const p = pagedFile('tail2.bin', 1, 1000);
    const vm = createVm({ frames: 16 });
    const m = await mapFile(vm, p, { writable: true });
    expect(m.size).toBe(SIZE);
    await expect(m.read(SIZE - 1, 2)).rejects.toThrow(); // still bounded by the file
    expect(m.object.size).toBe(2 * PS);
    expect([...(await m.object.read(SIZE, 2))]).toEqual([0, 0]);
    await m.object.write(SIZE + 10, Uint8Array.of(6, 6));
    expect([...(await m.object.read(SIZE + 10, 2))]).toEqual([6, 6]);
    await m.sync();
    await m.close();
    expect(nodefs.readFileSync(p).length).toBe(SIZE);
    await vm.destroy();
  });
});

describe('item 10: an fsync in flight never makes a page-out or a later sync fail', () => {
  /** An in-memory file whose fsync calls wait until `release()`. */
  async function heldSync(frames: number) {
    const { vm, fs } = memVm(frames);
    let release!: () => void;
    let hold = true;
    const held = new Promise<void>((r) => (release = r));
    fs.latency = (op) => (op === 'sync' && hold ? held : undefined);
    await memFile(fs, '/tmp/s.bin', new Uint8Array(16 * PS));
    return {
      vm,
      fs,
      release: () => {
        hold = false;
        release();
      },
    };
  }

  it('Accessor: a sync in flight conflicts with nothing issued after it, yet waits for the writes before it', async () => {
    const fs = new MemoryFileSystem();
    let releaseWrite!: () => void;
    let releaseSync!: () => void;
    const writeHeld = new Promise<void>((r) => (releaseWrite = r));
    const syncHeld = new Promise<void>((r) => (releaseSync = r));
    const events: string[] = [];
    fs.latency = (op) => (op === 'write' ? writeHeld : op === 'sync' ? syncHeld : undefined);
    const a = new Accessor(await fs.open('/tmp/acc.bin', { create: true, writable: true }), PS);
    const earlier = a.writePages(0, new Uint8Array(PS).fill(1), 1).then(() => events.push('write'));
    const synced = a.sync().then(() => events.push('sync'));
    releaseWrite();
    await earlier;
    await new Promise((r) => setImmediate(r));
    // The fsync is in flight now: sync writes, reads and size go on; so does another sync.
    expect(a.isBusy(0, 4, true)).toBe(false);
    expect(a.writePagesSync(1, new Uint8Array(PS).fill(2), 1)).toBe(PS);
    expect(a.sizeSync()).toBe(2 * PS);
    const second = a.sync().then(() => events.push('sync2'));
    let idle = false;
    void a.idle().then(() => (idle = true));
    await new Promise((r) => setImmediate(r));
    expect(idle).toBe(false); // idle() and close() still wait for the fsync
    releaseSync();
    await Promise.all([synced, second]);
    expect(events[0]).toBe('write');
    await a.close();
  });

  it('mapFile: flush and eviction of dirty pages during sync() succeed; a second sync succeeds', async () => {
    const { vm, fs, release } = await heldSync(4);
    const m = await mapFile(vm, '/tmp/s.bin', { writable: true });
    await m.write(0, Uint8Array.of(1));
    const first = m.sync(); // its fsync stays in flight
    await new Promise((r) => setImmediate(r));
    await m.write(PS, Uint8Array.of(2));
    expect(await m.flush()).toBe(1); // EBUSY before
    for (let k = 2; k < 12; k++) await m.write(k * PS, Uint8Array.of(k + 1)); // 4 frames: dirty pages are evicted
    const second = m.sync();
    release();
    await Promise.all([first, second]);
    const disk = fs.contents('/tmp/s.bin');
    expect(Array.from({ length: 12 }, (_, k) => disk[k * PS])).toEqual(Array.from({ length: 12 }, (_, k) => k + 1));
    await m.close();
    await vm.destroy();
  });

  it('address space: sync({ async: true }), then sync and unmap while its fsync is in flight', async () => {
    const { vm, fs, release } = await heldSync(4);
    useFilePager(vm);
    const as = createAddressSpace(vm);
    const at = await as.map({ file: '/tmp/s.bin', length: 16 * PS, prot: ['read', 'write'], share: 'shared' });
    await as.write(at, Uint8Array.of(0x41));
    await as.sync(at, 16 * PS, { async: true });
    await new Promise((r) => setImmediate(r));
    for (let k = 1; k < 10; k++) await as.write(at + k * PS, Uint8Array.of(0x41 + k)); // evictions
    const later = as.sync(at, 16 * PS);
    const gone = as.unmap(at, 16 * PS);
    release();
    await later;
    await gone;
    const disk = fs.contents('/tmp/s.bin');
    expect(Array.from({ length: 10 }, (_, k) => disk[k * PS])).toEqual(Array.from({ length: 10 }, (_, k) => 0x41 + k));
    await vm.destroy();
  });
});

describe('item 13, since run page-in: pages read ahead after the file shrinks', () => {
  // Read-ahead now reads runs straight into frames, so a page read ahead is resident and keeps its bytes like
  // any resident page (the README's documented divergence); a page that was not read ahead faults as before.
  it('a page read ahead keeps its bytes; one never read faults with PagerIoError / MappedFileTruncatedError once the file shrank', async () => {
    const p = pagedFile('ra13.bin', 8);
    const vm = createVm({ frames: 64 });
    const m = await mapFile(vm, p);
    await m.read(0, 1);
    await m.read(PS, 1); // a run of pages 1 and 2
    const two = (await m.read(2 * PS, 1))[0];
    nodefs.truncateSync(p, PS);
    expect((await m.read(2 * PS, 1))[0]).toBe(two);
    const err = await m.read(3 * PS, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PagerIoError);
    expect((err as PagerIoError).cause).toBeInstanceOf(MappedFileTruncatedError);
    expect((err as Error).message).toContain(p);
    await m.close();
  });

  it('the in-memory file system too, and pages still in the file are served', async () => {
    const { vm, fs } = memVm(64);
    const data = new Uint8Array(12 * PS);
    for (let k = 0; k < 12; k++) data.fill(k + 1, k * PS, (k + 1) * PS);
    await memFile(fs, '/tmp/r.bin', data);
    const m = await mapFile(vm, '/tmp/r.bin');
    for (const k of [0, 1, 3]) await m.read(k * PS, 1); // runs [0], [1, 3), [3, 7)
    const h = await fs.open('/tmp/r.bin', { writable: true });
    await h.truncate(8 * PS);
    await h.close();
    expect((await m.read(5 * PS, 1))[0]).toBe(6); // resident, and still in the file
    expect((await m.read(7 * PS, 1))[0]).toBe(8); // not resident, still in the file
    const err = await m.read(9 * PS, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PagerIoError);
    expect((err as PagerIoError).cause).toBeInstanceOf(MappedFileTruncatedError);
    await m.close();
    await vm.destroy();
  });
});

describe('found by the fuzz test: a second mapFile never makes page-outs of the file fail', () => {
  it("its size check in flight holds back no eviction of the file's dirty pages (no EBUSY)", async () => {
    let sizing: Promise<void> | undefined;
    let sizeAsked!: () => void;
    const asked = new Promise<void>((resolve) => (sizeAsked = resolve));
    const fs = new MemoryFileSystem({
      latency: (operation) => {
        if (operation !== 'size' || sizing === undefined) return undefined;
        sizeAsked();
        return sizing;
      },
    });
    const vm = createVm({ pageSize: 4096, frames: 1 });
    vm.container.bind(TOKENS.FileSystem).toConstantValue(fs);
    const file = path.join(os.tmpdir(), 'second-map.bin');
    const a = await mapFile(vm, file, { writable: true, create: true, size: 2 * 4096 });
    await a.write(0, Uint8Array.of(1, 2, 3));
    let release!: () => void;
    sizing = new Promise<void>((resolve) => (release = resolve));
    const second = mapFile(vm, file, { writable: true });
    await asked; // the second mapping's size check is in flight
    const other = vm.createMemoryObject({ size: 4096, pager: new RecordingPager() });
    await other.write(0, Uint8Array.of(9)); // needs the one frame: the file's dirty page goes out now
    release();
    const b = await second;
    expect([...(await b.read(0, 3))]).toEqual([1, 2, 3]);
    await b.close();
    await a.close();
    await vm.destroy();
  });
});

describe('found by the fuzz test: no descriptor outlives a closed file', () => {
  it('closing an accessor waits for the handle an upgrade to writable let go of', async () => {
    const fs = new MemoryFileSystem();
    const file = path.join(os.tmpdir(), 'upgrade.bin');
    await (await fs.open(file, { create: true, writable: true })).close();
    const readOnly = await fs.open(file, { writable: false });
    let finishOld!: () => void;
    const oldClosing = new Promise<void>((resolve) => (finishOld = resolve));
    const closeOld = readOnly.close.bind(readOnly);
    readOnly.close = () => oldClosing.then(closeOld);
    const accessor = new Accessor(readOnly, 4096);
    void accessor.replaceHandle(await fs.open(file, { writable: true }));
    let closed = false;
    const closing = accessor.close().then(() => (closed = true));
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(closed).toBe(false);
    finishOld();
    await closing;
    expect(closed).toBe(true);
  });
});
