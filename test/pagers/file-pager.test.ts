import fc from 'fast-check';
import * as nodefs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Accessor, FileSystemError, MemoryFileSystem, NodeFileSystem } from '../../fs/index.js';
import { FilePager, mapFile, MappedFileTruncatedError, ReadOnlyMappingError } from '../../pagers/file-pager/index.js';
import { TOKENS } from '../../vmcore/index.js';
import { createVm, InvalidArgumentError, OutOfRangeError, PagerFailedError, PagerIoError, ResultCode } from '../../vmcore/index.js';
import { dataApiOps, disjointBatches, MODEL_SEED, runModel, type ModelConfig } from '../../conformance/model/index.js';
import { pattern } from '../helpers/pagers.js';
import { tempFiles } from '../helpers/temp-files.js';
import { smallVm } from '../helpers/small.js';

const tmp = tempFiles('spinvm-filepager-');
const { file } = tmp;

describe('FilePager on real files', () => {
  it('reads a file 4 times the pool through, in runs read straight into the frames', async () => {
    const data = pattern(4 * 1024 * 1024, 1);
    const p = file('big.bin', data);
    const vm = createVm({ frames: 256 }); // 1 MiB of frames for a 4 MiB file: runs of up to 64 pages
    const m = await mapFile(vm, p);
    for (let off = 0; off < data.length; off += 4096) {
      const page = await m.read(off, 4096);
      if (page[0] !== data[off] || page[4095] !== data[off + 4095]) throw new Error(`page at ${off} differs`);
    }
    expect(await m.read(1234567, 1000)).toEqual(data.subarray(1234567, 1234567 + 1000));
    const s = m.stat();
    expect(s.pagesRead).toBeGreaterThanOrEqual(1024);
    // 1024 pages in runs growing to 64, read straight into the frames: an I/O per stretch of adjacent frames.
    expect(s.reads).toBeLessThan(100);
    expect(m.object.stat().evictions).toBeGreaterThan(700);
    expect(m.object.stat().faults).toBeLessThan(100); // read-ahead pages come in without a fault
    await m.close();
  });

  it('writes pages, flushes, and the file on disk matches byte for byte (read with plain fs)', async () => {
    const data = pattern(300 * 1024 + 123, 2); // not a multiple of the page size
    const p = file('rw.bin', data);
    const vm = createVm({ frames: 8 });
    const m = await mapFile(vm, p, { writable: true });
    const expected = data.slice();
    for (const [off, seed] of [
      [0, 3],
      [4096 * 5 + 100, 4],
      [4096 * 40, 5],
      [data.length - 50, 6],
    ] as const) {
      const bytes = pattern(Math.min(6000, data.length - off), seed);
      await m.write(off, bytes);
      expected.set(bytes, off);
    }
    const written = await m.flush();
    expect(written).toBeGreaterThan(0);
    await m.sync();
    const disk = nodefs.readFileSync(p);
    expect(disk.length).toBe(data.length); // never extended past the mapped size
    expect(Buffer.compare(disk, Buffer.from(expected))).toBe(0);
    expect(await m.read(0, data.length)).toEqual(expected);
    await m.close();
  });

  it('flush joins contiguous dirty pages into one write', async () => {
    const p = file('runs.bin', new Uint8Array(64 * 4096));
    const vm = createVm({ frames: 64 });
    const m = await mapFile(vm, p, { writable: true });
    await m.write(0, new Uint8Array(20 * 4096).fill(7)); // pages 0..19
    await m.write(30 * 4096, new Uint8Array(4096).fill(8)); // page 30
    const before = m.stat().writes;
    expect(await m.flush()).toBe(21);
    expect(m.stat().writes - before).toBe(2);
    await m.close();
    const disk = nodefs.readFileSync(p);
    expect(disk[20 * 4096 - 1]).toBe(7);
    expect(disk[20 * 4096]).toBe(0);
    expect(disk[30 * 4096]).toBe(8);
  });

  it('two mappings of one file see each other’s writes at once, and close writes back', async () => {
    const p = file('shared.bin', new Uint8Array(10 * 4096));
    const vm = createVm({ frames: 4 });
    const a = await mapFile(vm, p, { writable: true });
    const b = await mapFile(vm, path.join(tmp.dir, '.', 'shared.bin'));
    expect(b.object).toBe(a.object);
    await a.write(5000, Uint8Array.of(1, 2, 3));
    expect([...(await b.read(5000, 3))]).toEqual([1, 2, 3]);
    await a.close();
    expect([...nodefs.readFileSync(p).subarray(5000, 5003)]).toEqual([1, 2, 3]);
    expect([...(await b.read(5000, 3))]).toEqual([1, 2, 3]); // b still open
    await b.close();
    expect(vm.memoryObjects()).toHaveLength(0);
  });

  it('a read-only mapping refuses writes with a typed error naming the path', async () => {
    const p = file('ro.bin', new Uint8Array(4096).fill(9));
    const vm = createVm({ frames: 4 });
    const m = await mapFile(vm, p);
    await expect(m.write(0, Uint8Array.of(1))).rejects.toThrow(ReadOnlyMappingError);
    await expect(m.write(0, Uint8Array.of(1))).rejects.toThrow(p);
    expect(() => m.writeSync(0, Uint8Array.of(1))).toThrow(ReadOnlyMappingError);
    await m.close();
    expect(nodefs.readFileSync(p)[0]).toBe(9);
  });

  it('a larger size extends the file only as far as asked', async () => {
    const p = file('grow.bin', new Uint8Array(100).fill(1));
    const vm = createVm({ frames: 4 });
    const m = await mapFile(vm, p, { writable: true, size: 10000 });
    expect([...(await m.read(98, 4))]).toEqual([1, 1, 0, 0]); // past the old end: zeros
    await m.write(9990, new Uint8Array(10).fill(5));
    await m.close();
    const disk = nodefs.readFileSync(p);
    expect(disk.length).toBe(10000);
    expect(disk[9999]).toBe(5);
  });

  it('creates a file when asked', async () => {
    const vm = createVm({ frames: 4 });
    const p = tmp.path('new.bin');
    const m = await mapFile(vm, p, { writable: true, create: true, size: 5000 });
    await m.write(4999, Uint8Array.of(3));
    await m.close();
    expect(nodefs.readFileSync(p).length).toBe(5000);
  });
});

describe('FilePager bad input: typed errors naming the path, nothing lost', () => {
  it('a missing file, a directory; an empty file maps, with size 0', async () => {
    const vm = createVm({ frames: 4 });
    const missing = tmp.path('nope.bin');
    const err = await mapFile(vm, missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileSystemError);
    expect((err as FileSystemError).reason).toBe('ENOENT');
    expect((err as Error).message).toContain(missing);
    await expect(mapFile(vm, tmp.dir)).rejects.toSatisfy((e) => FileSystemError.is(e, 'EISDIR'));
    expect(vm.memoryObjects()).toHaveLength(0);
    const empty = await mapFile(vm, file('empty.bin', new Uint8Array(0)));
    expect(empty.size).toBe(0);
    await expect(empty.read(0, 1)).rejects.toBeInstanceOf(OutOfRangeError);
    await empty.close();
    expect(vm.memoryObjects()).toHaveLength(0);
  });

  it.each([
    [{ writable: 'yes' }, /writable must be a boolean/],
    [{ size: -1 }, /size must be a positive integer/],
    [{ size: 1.5 }, /size must be a positive integer/],
    [{ size: Number.NaN }, /size must be a positive integer/],
    [{ create: true }, /create must be used with writable/],
    [{ bogus: 1 }, /options.bogus/],
  ])('options %o', async (options, message) => {
    const vm = createVm({ frames: 4 });
    await expect(mapFile(vm, file('x.bin', new Uint8Array(10)), options as never)).rejects.toThrow(message);
  });

  it.each([[''], [42], [null]])('path %o', async (bad) => {
    await expect(mapFile(createVm({ frames: 4 }), bad as never)).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('a read past the end of a mapped file names the path', async () => {
    const p = file('short.bin', new Uint8Array(1000));
    const m = await mapFile(createVm({ frames: 4 }), p);
    await expect(m.read(990, 11)).rejects.toBeInstanceOf(OutOfRangeError);
    await expect(m.read(990, 11)).rejects.toThrow(p);
    await expect(m.read(-1, 1)).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('a file that shrinks under a mapping: the fault fails with a typed error naming the path; written data stays', async () => {
    const p = file('shrink.bin', pattern(8 * 4096, 7));
    const vm = createVm({ frames: 2 });
    const m = await mapFile(vm, p, { writable: true });
    await m.write(0, Uint8Array.of(42)); // dirty and resident
    nodefs.truncateSync(p, 4096);
    const err = await m.read(6 * 4096, 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PagerIoError);
    expect((err as PagerIoError).cause).toBeInstanceOf(MappedFileTruncatedError);
    expect((err as Error).message).toContain(p);
    expect([...(await m.read(0, 1))]).toEqual([42]);
  });

  it('a full device: DeviceFull keeps the page resident; flush reports it; the data reads back', async () => {
    const mem = new MemoryFileSystem({ capacity: 8 * 512 });
    const h = await mem.open('/disk.img', { create: true, writable: true });
    await h.write(new Uint8Array(4 * 512), 0);
    await h.close();
    const vm = smallVm({ frames: 4 });
    vm.container.bind(TOKENS.FileSystem).toConstantValue(mem);
    const m = await mapFile(vm, '/disk.img', { writable: true });
    await m.write(0, new Uint8Array(2048).fill(6));
    mem.failNext('/disk.img', 'write', 'ENOSPC'); // the disk is full for the next write
    const err = await m.flush().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PagerFailedError);
    expect((err as PagerFailedError).result).toBe(ResultCode.DeviceFull);
    expect(m.object.stat().dirtyPages).toBe(4);
    expect((await m.read(0, 2048)).every((b) => b === 6)).toBe(true);
    expect(await m.flush()).toBe(4);
    expect(mem.contents('/disk.img')!.every((b) => b === 6)).toBe(true);
  });
});

describe('FilePager against the reference model', () => {
  const cfg: ModelConfig = { pageSize: 512, frames: 3, objects: 2, objectSize: 512 * 6 + 100 };
  const ops = fc.array(dataApiOps(cfg), { minLength: 20, maxLength: 60 }).filter(disjointBatches);

  it.each(['memory', 'node'] as const)('randomized reads, writes and flushes over %s files', async (kind) => {
    await fc.assert(
      fc.asyncProperty(ops, async (list) => {
        const handles = Array.from({ length: cfg.objects }, (_, i) => {
          if (kind === 'memory') {
            const mem = new MemoryFileSystem();
            return mem.openSync(`/f${i}`, { create: true, writable: true });
          }
          const p = tmp.path(`model-${i}.bin`);
          nodefs.writeFileSync(p, new Uint8Array(0));
          return nodefsHandle(p);
        });
        const accessors = handles.map((h) => new Accessor(h, cfg.pageSize));
        await runModel(cfg, { makePager: (i) => new FilePager(accessors[i]!, cfg.objectSize, 0, () => true) }, list);
        for (const h of handles) await h.close();
      }),
      { seed: MODEL_SEED, numRuns: 80 },
    );
  });
});

function nodefsHandle(p: string) {
  return new NodeFileSystem().openSync(p, { writable: true });
}
