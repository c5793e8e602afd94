import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { FileSystemError, MemoryFileSystem, NodeFileSystem } from '../../fs/index.js';
import {
  DefaultPager,
  PageState,
  SwapIntegrityError,
  SwapSetupError,
  SwapSpace,
  useDefaultPager,
  type SwapSpaceOptions,
} from '../../pagers/default-pager/index.js';
import { crc32 } from '../../pagers/default-pager/checksum.js';
import { TOKENS } from '../../vmcore/index.js';
import {
  BogoPager,
  DestroyedError,
  FrameSizeError,
  InvalidArgumentError,
  OutOfMemoryError,
  PagerFailedError,
  PagerIoError,
  ResultCode,
  createVm,
  type MemoryObject,
  type Vm,
} from '../../vmcore/index.js';
import { pattern } from '../helpers/pagers.js';
import { failureOf } from '../helpers/failure.js';
import { PS } from '../helpers/small.js';

/** Everything a test opened, closed afterwards even when it fails. */
const vms: Vm[] = [];
const spaces: SwapSpace[] = [];
const scratch: string[] = [];

afterEach(async () => {
  await Promise.allSettled(vms.splice(0).map((vm) => vm.destroy()));
  await Promise.allSettled(spaces.splice(0).map((s) => s.close()));
  for (const dir of scratch.splice(0)) nodeFs.rmSync(dir, { recursive: true, force: true });
});

function vmOf(pageSize: number, frames: number): Vm {
  const vm = createVm({ pageSize, frames, policy: 'fifo' });
  vms.push(vm);
  return vm;
}

async function swapOf(options: Omit<SwapSpaceOptions, 'pageSize'> & { pageSize?: number } = {}): Promise<SwapSpace> {
  const swap = await SwapSpace.create({ pageSize: PS, ...options });
  spaces.push(swap);
  return swap;
}

/** A DefaultPager initialised as a memory object would, for calling it directly. */
function directPager(swap: SwapSpace, pageCount = 8, name = 'direct'): DefaultPager {
  const pager = new DefaultPager(swap);
  pager.init({ pageSize: swap.pageSize, size: pageCount * swap.pageSize, pageCount, name });
  return pager;
}

async function writePages(obj: MemoryObject, first: number, count: number, seed = 1): Promise<void> {
  for (let p = first; p < first + count; p++) await obj.write(p * obj.pageSize, pattern(obj.pageSize, p * 7919 + seed));
}

async function expectPages(obj: MemoryObject, first: number, count: number, seed = 1): Promise<void> {
  for (let p = first; p < first + count; p++) {
    const got = await obj.read(p * obj.pageSize, obj.pageSize);
    expect(Buffer.from(got).equals(pattern(obj.pageSize, p * 7919 + seed)), `page ${p}`).toBe(true);
  }
}

describe('DefaultPager over real swap files', () => {
  it('pages an object ten times the pool out and back in; clean evictions write nothing', async () => {
    const vm = vmOf(4096, 16);
    const swap = await useDefaultPager(vm);
    const obj = vm.createMemoryObject({ size: 170 * 4096, name: 'big' });
    expect(obj.pager).toBeInstanceOf(DefaultPager);
    await writePages(obj, 0, 170);
    await expectPages(obj, 0, 170);
    const afterFirst = swap.stat();
    const stat = obj.stat();
    expect(stat.pageOuts).toBeGreaterThanOrEqual(170 - 16);
    expect(stat.evictions).toBeGreaterThanOrEqual(2 * (170 - 16));
    expect(stat.residentPages).toBe(16);
    expect(afterFirst.slotsInUse).toBeGreaterThanOrEqual(170 - 16);
    expect(afterFirst.files).toBe(2);
    // Both files got slots (round-robin), each slot one page.
    for (const p of swap.paths) expect(nodeFs.statSync(p).size).toBeGreaterThan(50 * 4096);
    // A second read pass only evicts clean pages whose slots are still good: no write at all.
    await expectPages(obj, 0, 170);
    expect(swap.stat().writes).toBe(afterFirst.writes);
    expect(swap.stat().reads).toBeGreaterThan(afterFirst.reads);
    await obj.destroy();
    expect(swap.stat().slotsInUse).toBe(0);
    expect(swap.stat().bytesInUse).toBe(0);
    expect(swap.stat().peakSlots).toBeGreaterThanOrEqual(170 - 16);
  });

  it('removes its swap directory when the instance shuts down', async () => {
    const vm = vmOf(PS, 4);
    const swap = await useDefaultPager(vm, { files: 3 });
    expect(swap.paths).toHaveLength(3);
    expect(path.dirname(swap.directory)).toBe(os.tmpdir());
    const obj = vm.createMemoryObject({ size: 20 * PS });
    await writePages(obj, 0, 20);
    expect(nodeFs.existsSync(swap.directory)).toBe(true);
    await vm.destroy();
    expect(nodeFs.existsSync(swap.directory)).toBe(false);
    expect(swap.closed).toBe(true);
  });

  it("uses a directory of the caller's choosing, and leaves the directory itself", async () => {
    const parent = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'spinvm-dp-test-'));
    scratch.push(parent);
    const swap = await swapOf({ directory: parent, files: 1 });
    expect(path.dirname(swap.directory)).toBe(parent);
    await swap.close();
    expect(nodeFs.readdirSync(parent)).toEqual([]);
  });

  it('a corrupted swap page surfaces as a PagerIoError caused by SwapIntegrityError, on every try, never as data', async () => {
    const vm = vmOf(PS, 4);
    const swap = await useDefaultPager(vm, { files: 2 });
    const obj = vm.createMemoryObject({ size: 12 * PS, name: 'victim' });
    await writePages(obj, 0, 12);
    const pager = obj.pager as DefaultPager;
    const { state, slot } = pager.pageState(1);
    expect(state).toBe(PageState.SwappedOut);
    // Flip bytes in the middle of the slot, behind the swap space's back.
    const file = swap.paths[slot % swap.paths.length]!;
    const position = Math.floor(slot / swap.paths.length) * PS;
    const fd = nodeFs.openSync(file, 'r+');
    nodeFs.writeSync(fd, Buffer.from('garbage!'), 0, 8, position + 100);
    nodeFs.closeSync(fd);
    for (let attempt = 0; attempt < 2; attempt++) {
      const err = await failureOf(obj.read(PS, 10));
      expect(err).toBeInstanceOf(PagerIoError);
      const cause = (err as PagerIoError).cause as SwapIntegrityError;
      expect(cause).toBeInstanceOf(SwapIntegrityError);
      expect(cause.code).toBe('SPINVM_SWAP_INTEGRITY');
      expect(cause.path).toBe(file);
      expect(cause.slot).toBe(slot);
      expect(cause.page).toBe(1);
      expect(cause.message).toContain(file);
      expect(cause.message).toContain('page 1 of victim');
    }
    expect(pager.pageState(1).state).toBe(PageState.SwappedOut);
    expect(swap.stat().integrityErrors).toBe(2);
    // The object lives on and its other pages are intact.
    expect(obj.isDestroyed).toBe(false);
    await expectPages(obj, 2, 10);
    await expectPages(obj, 0, 1);
  });

  it('a swap file cut short is an integrity error too', async () => {
    const swap = await swapOf({ files: 1 });
    const pager = directPager(swap);
    const frame = pattern(PS, 3);
    expect(pager.pageOut(0, frame, true)).toBe(ResultCode.Success);
    nodeFs.truncateSync(swap.paths[0]!, 100);
    expect(() => pager.pageIn(0, new Uint8Array(PS), 'read')).toThrow(/ends inside the slot/);
  });
});

describe('DefaultPager states and answers (called directly)', () => {
  it('answers AlreadyPagedIn and AlreadyPagedOut from its state, synchronously', async () => {
    const swap = await swapOf({ fs: new MemoryFileSystem() });
    const pager = directPager(swap);
    const frame = new Uint8Array(PS).fill(9);
    expect(pager.pageIn(0, frame, 'read')).toBe(ResultCode.Success);
    expect(frame.every((b) => b === 0)).toBe(true);
    expect(pager.pageState(0).state).toBe(PageState.ZeroFilled);
    expect(pager.pageIn(0, frame, 'read')).toBe(ResultCode.AlreadyPagedIn);
    // A zero-filled page evicted unchanged needs no slot: it is "never written" again.
    expect(pager.pageOut(0, frame, false)).toBe(ResultCode.Success);
    expect(pager.pageState(0).state).toBe(PageState.NeverWritten);
    expect(swap.stat().writes).toBe(0);

    expect(pager.pageIn(0, frame, 'write')).toBe(ResultCode.Success);
    frame.set(pattern(PS, 42));
    expect(pager.pageOut(0, frame, true)).toBe(ResultCode.Success);
    expect(pager.pageState(0).state).toBe(PageState.SwappedOut);
    expect(pager.pageOut(0, frame, false)).toBe(ResultCode.AlreadyPagedOut);
    expect(swap.stat()).toMatchObject({ slotsInUse: 1, writes: 1 });

    const back = new Uint8Array(PS);
    expect(pager.pageIn(0, back, 'read')).toBe(ResultCode.Success);
    expect(Buffer.from(back).equals(pattern(PS, 42))).toBe(true);
    expect(pager.pageIn(0, back, 'read')).toBe(ResultCode.AlreadyPagedIn);
    expect(pager.pageState(0).state).toBe(PageState.InMemoryBacked);
    // Unchanged since it came in: the slot still holds it, so no write.
    expect(pager.pageOut(0, back, false)).toBe(ResultCode.Success);
    expect(pager.pageOut(0, back, false)).toBe(ResultCode.AlreadyPagedOut);
    expect(swap.stat().writes).toBe(1);
    // A dirty page-out is always written, in place, even when the pager believes the page is out
    // (flush pages out and keeps the page resident; it may be written again).
    back[0] ^= 1;
    expect(pager.pageOut(0, back, true)).toBe(ResultCode.Success);
    expect(swap.stat()).toMatchObject({ slotsInUse: 1, writes: 2 });
    const again = new Uint8Array(PS);
    pager.pageIn(0, again, 'read');
    expect(again[0]).toBe(back[0]);
  });

  it('a failed rewrite of a held slot marks it stale, so a later clean page-out writes instead of trusting it', async () => {
    const fs = new MemoryFileSystem();
    const swap = await swapOf({ fs, files: 1 });
    const pager = directPager(swap);
    const frame = pattern(PS, 1);
    pager.pageOut(0, frame, true);
    pager.pageIn(0, frame, 'read');
    frame[0] ^= 0xff;
    fs.failNext(swap.paths[0]!, 'write', 'EIO');
    expect(() => pager.pageOut(0, frame, true)).toThrow(FileSystemError);
    expect(pager.pageState(0)).toEqual({ state: PageState.InMemory, slot: 0 });
    fs.failNext(swap.paths[0]!, 'write', 'ENOSPC');
    expect(pager.pageOut(0, frame, false)).toBe(ResultCode.DeviceFull);
    expect(pager.pageOut(0, frame, false)).toBe(ResultCode.Success);
    expect(swap.slotsInUse).toBe(1);
    const back = new Uint8Array(PS);
    pager.pageIn(0, back, 'read');
    expect(Buffer.from(back).equals(frame)).toBe(true);
  });

  it('checks frame sizes, and answers PagerDestroyed after destroy, which frees every slot', async () => {
    const swap = await swapOf({ fs: new MemoryFileSystem() });
    const pager = directPager(swap);
    expect(() => pager.pageIn(0, new Uint8Array(PS - 1), 'read')).toThrow(FrameSizeError);
    expect(() => pager.pageOut(0, new Uint8Array(PS + 1), true)).toThrow(FrameSizeError);
    for (let p = 0; p < 5; p++) pager.pageOut(p, pattern(PS, p), true);
    pager.pageIn(2, new Uint8Array(PS), 'read'); // keeps its slot while in memory
    expect(swap.slotsInUse).toBe(5);
    pager.destroy();
    expect(swap.slotsInUse).toBe(0);
    expect(pager.pageIn(0, new Uint8Array(PS), 'read')).toBe(ResultCode.PagerDestroyed);
    expect(pager.pageOut(0, new Uint8Array(PS), true)).toBe(ResultCode.PagerDestroyed);
    pager.destroy(); // harmless
  });

  it('refuses a memory object whose page size differs from the swap space', async () => {
    const swap = await swapOf({ fs: new MemoryFileSystem() });
    const vm = vmOf(1024, 4);
    expect(() => vm.createMemoryObject({ size: 4096, pager: new DefaultPager(swap) })).toThrow(PagerIoError);
  });

  it('keeps a sparse table for huge objects: pages far apart page out and back', async () => {
    const swap = await swapOf({ fs: new MemoryFileSystem() });
    const vm = vmOf(PS, 2);
    const obj = vm.createMemoryObject({ size: 2 ** 50, pager: new DefaultPager(swap) });
    const far = [0, 2 ** 20, 2 ** 40 + 3, 2 ** 41 - 1];
    for (const p of far) await obj.write(p * PS, pattern(PS, p % 1000));
    for (const p of far) expect(Buffer.from(await obj.read(p * PS, PS)).equals(pattern(PS, p % 1000))).toBe(true);
    expect(swap.slotsInUse).toBe(4);
    await obj.destroy();
    expect(swap.slotsInUse).toBe(0);
  });
});

describe('swap full, I/O errors and reclaiming', () => {
  it('limit reached → DeviceFull: the page stays resident, then OutOfMemoryError with every byte intact', async () => {
    const vm = vmOf(PS, 4);
    const swap = await useDefaultPager(vm, { fs: new MemoryFileSystem(), limit: 4 * PS + 100 });
    const obj = vm.createMemoryObject({ size: 16 * PS });
    const full: number[] = [];
    obj.on('deviceFull', (e) => full.push(e.page));
    await writePages(obj, 0, 8); // 4 pages out (the whole swap), 4 resident and dirty
    expect(swap.stat().slotsInUse).toBe(4);
    const err = await failureOf(obj.write(8 * PS, pattern(PS, 8)));
    expect(err).toBeInstanceOf(OutOfMemoryError);
    expect(full.sort()).toEqual([4, 5, 6, 7]);
    expect(obj.isDestroyed).toBe(false);
    for (let p = 4; p < 8; p++) {
      expect(obj.isResident(p * PS, PS)).toBe(true);
      expect(Buffer.from(obj.readSync(p * PS, PS)).equals(pattern(PS, p * 7919 + 1))).toBe(true);
    }
    // flush cannot write them either: PagerFailedError(DeviceFull), pages still dirty and intact.
    const flushed = await failureOf(obj.flush());
    expect(flushed).toBeInstanceOf(PagerFailedError);
    expect((flushed as PagerFailedError).result).toBe(ResultCode.DeviceFull);
    expect(obj.stat().dirtyPages).toBe(4);
  });

  it('slots freed by another object let DeviceFull pages go out, and everything reads back', async () => {
    const vm = vmOf(PS, 4);
    const swap = await useDefaultPager(vm, { fs: new MemoryFileSystem(), limit: 6 * PS });
    const a = vm.createMemoryObject({ size: 8 * PS, name: 'a' });
    await writePages(a, 0, 8); // 4 slots
    const b = vm.createMemoryObject({ size: 8 * PS, name: 'b' });
    let fulls = 0;
    b.on('deviceFull', () => fulls++);
    await writePages(b, 0, 2, 2); // evicts two of a's resident pages: the swap is full
    expect(swap.slotsInUse).toBe(6);
    await expect(b.write(2 * PS, pattern(PS, 2 * 7919 + 2))).rejects.toBeInstanceOf(OutOfMemoryError);
    expect(fulls).toBe(2); // b's two resident pages; a's were reported on a
    await a.destroy();
    expect(swap.slotsInUse).toBe(0);
    await writePages(b, 2, 6, 2);
    await expectPages(b, 0, 8, 2);
    expect(swap.stat().peakSlots).toBe(6);
  });

  it('slots kept for clean pages in memory are given back when swap runs out', async () => {
    const swap = await swapOf({ fs: new MemoryFileSystem(), limit: 5 * PS });
    const a = directPager(swap, 8, 'a');
    const b = directPager(swap, 8, 'b');
    const frame = new Uint8Array(PS);
    a.pageOut(0, pattern(PS, 100), true);
    a.pageIn(0, frame, 'read'); // swap not crowded: page 0 keeps its slot
    expect(a.pageState(0)).toMatchObject({ state: PageState.InMemoryBacked });
    for (let p = 1; p < 4; p++) expect(a.pageOut(p, pattern(PS, 100 + p), true)).toBe(ResultCode.Success);
    expect(b.pageOut(0, pattern(PS, 200), true)).toBe(ResultCode.Success);
    expect(swap.slotsInUse).toBe(5);
    // Full: b's next page-out takes the slot a held for its page in memory.
    expect(b.pageOut(1, pattern(PS, 201), true)).toBe(ResultCode.Success);
    expect(a.pageState(0)).toEqual({ state: PageState.InMemory, slot: -1 });
    // a's page 0 is now only in its frame: a clean eviction must write it, and there is no room.
    expect(a.pageOut(0, frame, false)).toBe(ResultCode.DeviceFull);
    expect(a.pageState(0).state).toBe(PageState.InMemory);
    b.destroy();
    expect(a.pageOut(0, frame, false)).toBe(ResultCode.Success);
    const back = new Uint8Array(PS);
    a.pageIn(0, back, 'read');
    expect(Buffer.from(back).equals(pattern(PS, 100))).toBe(true);
  });

  it('a page that comes in while swap is crowded gives its slot back at once', async () => {
    const swap = await swapOf({ fs: new MemoryFileSystem(), limit: 4 * PS });
    const pager = directPager(swap);
    pager.pageOut(0, pattern(PS, 1), true);
    pager.pageOut(1, pattern(PS, 2), true);
    expect(swap.crowded).toBe(true); // half of 4 slots
    pager.pageIn(0, new Uint8Array(PS), 'read');
    expect(pager.pageState(0)).toEqual({ state: PageState.InMemory, slot: -1 });
    expect(swap.slotsInUse).toBe(1);
  });

  it('ENOSPC from the file system is DeviceFull; the page is kept and goes out once there is room', async () => {
    const fs = new MemoryFileSystem({ capacity: 3 * PS });
    const vm = vmOf(PS, 2);
    const swap = await useDefaultPager(vm, { fs, files: 1 });
    const obj = vm.createMemoryObject({ size: 8 * PS });
    let fulls = 0;
    obj.on('deviceFull', () => fulls++);
    await writePages(obj, 0, 5); // 3 pages fit the device
    await expect(obj.write(5 * PS, pattern(PS, 5 * 7919 + 1))).rejects.toBeInstanceOf(OutOfMemoryError);
    expect(fulls).toBeGreaterThan(0);
    expect(swap.slotsInUse).toBe(3);
    fs.capacity = Infinity;
    await writePages(obj, 5, 3);
    await expectPages(obj, 0, 8);
  });

  it('other write errors become a PagerIoError on the fault that needed the frame; nothing is lost', async () => {
    const fs = new MemoryFileSystem();
    const vm = vmOf(PS, 2);
    const swap = await useDefaultPager(vm, { fs, files: 1 });
    const obj = vm.createMemoryObject({ size: 6 * PS });
    await writePages(obj, 0, 2);
    fs.failNext(swap.paths[0]!, 'write', 'EIO');
    const err = await failureOf(obj.write(2 * PS, pattern(PS, 2 * 7919 + 1)));
    expect(err).toBeInstanceOf(PagerIoError);
    expect(((err as PagerIoError).cause as FileSystemError).reason).toBe('EIO');
    expect(swap.slotsInUse).toBe(0); // the slot taken for the failed write went back
    await writePages(obj, 2, 4);
    await expectPages(obj, 0, 6);
  });

  it('a failed read is a PagerIoError; the page stays out and reads on the next try', async () => {
    const fs = new MemoryFileSystem();
    const vm = vmOf(PS, 2);
    const swap = await useDefaultPager(vm, { fs, files: 1 });
    const obj = vm.createMemoryObject({ size: 4 * PS });
    await writePages(obj, 0, 4);
    fs.failNext(swap.paths[0]!, 'read', 'EIO');
    await expect(obj.read(0, 1)).rejects.toBeInstanceOf(PagerIoError);
    await expectPages(obj, 0, 4);
  });

  it('MemoryFileSystem.corrupt is caught by the checksum', async () => {
    const fs = new MemoryFileSystem();
    const vm = vmOf(PS, 2);
    const swap = await useDefaultPager(vm, { fs, files: 1 });
    const obj = vm.createMemoryObject({ size: 4 * PS });
    await writePages(obj, 0, 4);
    const { slot } = (obj.pager as DefaultPager).pageState(0);
    fs.corrupt(swap.paths[0]!, slot * PS + PS - 1, 0x01);
    const err = await failureOf(obj.read(0, PS));
    expect((err as PagerIoError).cause).toBeInstanceOf(SwapIntegrityError);
  });
});

describe('useDefaultPager: the default pager swapped in live', () => {
  it('objects made before keep the bogopager and keep working; objects made after page out to swap', async () => {
    const vm = vmOf(PS, 8);
    const before = vm.createMemoryObject({ size: 4 * PS, name: 'before' });
    await writePages(before, 0, 4, 3);
    const fs = new MemoryFileSystem();
    vm.container.bind(TOKENS.FileSystem).toConstantValue(fs);
    const swap = await useDefaultPager(vm);
    expect(swap.fs).toBe(fs); // taken from the container
    expect(vm.container.get(TOKENS.SwapSpace)).toBe(swap);
    const after = vm.createMemoryObject({ size: 24 * PS, name: 'after' });
    expect(before.pager).toBeInstanceOf(BogoPager);
    expect(after.pager).toBeInstanceOf(DefaultPager);
    await writePages(after, 0, 24);
    await expectPages(after, 0, 24);
    // The bogopager's dirty pages could not be evicted: they are all still there.
    expect(before.stat()).toMatchObject({ residentPages: 4, evictions: 0, dirtyPages: 4 });
    expect(after.stat().evictions).toBeGreaterThan(0);
    await expectPages(before, 0, 4, 3);
    await before.write(0, pattern(10, 1));

    // A second call rebinds a new swap space; earlier objects keep theirs.
    const second = await useDefaultPager(vm, { fs, files: 1 });
    const third = vm.createMemoryObject({ size: 8 * PS });
    expect((third.pager as DefaultPager).swap).toBe(second);
    expect((after.pager as DefaultPager).swap).toBe(swap);
    await vm.destroy();
    expect(swap.closed && second.closed).toBe(true);
    expect(await fs.exists(swap.directory)).toBe(false);
    expect(await fs.exists(second.directory)).toBe(false);
  });

  it('refuses a destroyed instance and leaves no files behind', async () => {
    const vm = vmOf(PS, 2);
    await vm.destroy();
    const fs = new MemoryFileSystem();
    await expect(useDefaultPager(vm, { fs })).rejects.toBeInstanceOf(DestroyedError);
    expect(await fs.exists(path.join(os.tmpdir()))).toBe(true);
  });

  it("rejects bad options, including a page size (it is the instance's)", async () => {
    const vm = vmOf(PS, 2);
    await expect(useDefaultPager(vm, { pageSize: 512 } as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(useDefaultPager(vm, 'x' as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(useDefaultPager(vm, { files: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
  });
});

describe('SwapSpace: bad input and bookkeeping', () => {
  it('rejects files out of range, a bad limit, page size or option', async () => {
    for (const files of [0, 9, 1.5, NaN, -1, '2']) {
      await expect(SwapSpace.create({ pageSize: PS, files } as never)).rejects.toThrow(/options\.files must be an integer from 1 to 8/);
    }
    for (const limit of [-1, 1.5, NaN, -Infinity]) {
      await expect(SwapSpace.create({ pageSize: PS, limit })).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    for (const pageSize of [0, -512, 1.5, undefined]) {
      await expect(SwapSpace.create({ pageSize } as never)).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    await expect(SwapSpace.create({ pageSize: PS, dir: '/tmp' } as never)).rejects.toThrow(/options\.dir/);
    await expect(SwapSpace.create(undefined as never)).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('a directory under a regular file fails at create() with ENOTDIR, naming the path', async () => {
    const parent = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'spinvm-dp-test-'));
    scratch.push(parent);
    const file = path.join(parent, 'plain-file');
    nodeFs.writeFileSync(file, 'x');
    for (const directory of [file, path.join(file, 'sub')]) {
      const err = await failureOf(SwapSpace.create({ pageSize: PS, directory }));
      expect(err).toBeInstanceOf(SwapSetupError);
      expect((err as SwapSetupError).errno).toBe('ENOTDIR');
      expect(err.message).toContain(directory);
      expect((err as SwapSetupError).cause).toBeInstanceOf(FileSystemError);
    }
    const missing = path.join(parent, 'missing');
    expect(((await failureOf(SwapSpace.create({ pageSize: PS, directory: missing }))) as SwapSetupError).errno).toBe('ENOENT');
    expect(nodeFs.readdirSync(parent)).toEqual(['plain-file']);
  });

  it('a read-only file system fails at create() with EROFS', async () => {
    const err = await failureOf(SwapSpace.create({ pageSize: PS, fs: new MemoryFileSystem({ readOnly: true }) }));
    expect(err).toBeInstanceOf(SwapSetupError);
    expect((err as SwapSetupError).errno).toBe('EROFS');
    expect(err.message).toMatch(/cannot set up swap files under .*read-only file system/);
  });

  it('a file that cannot be opened cleans up the directory it made', async () => {
    const fs = new MemoryFileSystem();
    const real = fs.open.bind(fs);
    let opened = 0;
    fs.open = (p, o) => (++opened === 2 ? Promise.reject(new FileSystemError('open', p, 'EMFILE')) : real(p, o));
    const err = await failureOf(SwapSpace.create({ pageSize: PS, fs, files: 3 }));
    expect((err as SwapSetupError).errno).toBe('EMFILE');
    const dir = path.dirname(((err as SwapSetupError).cause as FileSystemError).path);
    expect(await fs.exists(dir)).toBe(false);
  });

  it('allocates round-robin over the files, reuses freed slots first, and stops at the limit', async () => {
    const swap = await swapOf({ fs: new MemoryFileSystem(), files: 3, limit: 7 * PS + 1 });
    const slots = Array.from({ length: 7 }, () => swap.allocate());
    expect(slots).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(swap.allocate()).toBe(-1);
    for (const s of slots) expect(swap.writeSync(s, pattern(PS, s))).toBe(true);
    const fs = swap.fs as MemoryFileSystem;
    expect(swap.paths.map((p) => fs.contents(p).length)).toEqual([3 * PS, 2 * PS, 2 * PS]);
    // slot 4 is in file 1 at position 1.
    expect(Buffer.from(fs.contents(swap.paths[1]!).subarray(PS, 2 * PS)).equals(pattern(PS, 4))).toBe(true);
    swap.free(4);
    swap.free(2);
    expect(swap.stat()).toMatchObject({ slotsInUse: 5, bytesInUse: 5 * PS, peakSlots: 7, peakBytes: 7 * PS, fileSlots: 7 });
    expect(swap.allocate()).toBe(2);
    expect(swap.allocate()).toBe(4);
    expect(() => swap.free(99)).toThrow(InvalidArgumentError);
    swap.free(0);
    expect(() => swap.free(0)).toThrow(InvalidArgumentError);
    expect(() => swap.readSync(0, new Uint8Array(PS))).toThrow(InvalidArgumentError);
    expect(() => swap.writeSync(1, new Uint8Array(10))).toThrow(InvalidArgumentError);
    await swap.close();
    await swap.close();
    expect(() => swap.allocate()).toThrow(DestroyedError);
  });

  it('grows its slot tables past their first size, and a limit of 0 holds nothing', async () => {
    const swap = await swapOf({ fs: new MemoryFileSystem(), files: 8 });
    for (let i = 0; i < 300; i++) expect(swap.allocate()).toBe(i);
    expect(swap.writeSync(299, pattern(PS, 299))).toBe(true);
    const back = new Uint8Array(PS);
    swap.readSync(299, back);
    expect(Buffer.from(back).equals(pattern(PS, 299))).toBe(true);
    for (let i = 0; i < 300; i++) swap.free(i);
    expect(swap.slotsInUse).toBe(0);
    const none = await swapOf({ fs: new MemoryFileSystem(), limit: 0 });
    expect(none.allocate()).toBe(-1);
  });

  it("uses the standard CRC-32 (zlib's)", () => {
    const data = pattern(4096, 5);
    expect(crc32(data)).toBe(zlib.crc32(data));
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('defaults to real files in the temporary directory', async () => {
    const swap = await swapOf();
    expect(swap.fs).toBeInstanceOf(NodeFileSystem);
    expect(swap.paths).toHaveLength(2);
    for (const p of swap.paths) expect(nodeFs.statSync(p).size).toBe(0);
    await swap.close();
    expect(nodeFs.existsSync(swap.directory)).toBe(false);
  });
});
