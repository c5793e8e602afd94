import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Accessor, AccessorBusyError, FileSystemError, MemoryFileSystem, type FileHandle } from '../../fs/index.js';
import { InvalidArgumentError } from '../../vmcore/errors.js';
import { gate, kinds, pattern, slurp, spit, type Fixture } from './fixtures.js';
import { PS } from '../helpers/small.js';

/** Counts the calls that reach a handle, to check that a run of pages is one call. */
function counting(h: FileHandle): { handle: FileHandle; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const handle = new Proxy(h, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls[String(key)] = (calls[String(key)] ?? 0) + 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { handle, calls };
}

describe.each(kinds)('Accessor on $name', (kind) => {
  let f: Fixture;
  let accessors: Accessor[];
  const at = (name: string): string => path.join(f.root, name);

  async function accessorOn(name: string, bytes?: Uint8Array, writable = true): Promise<Accessor> {
    if (bytes) await spit(f.fs, at(name), bytes);
    const a = new Accessor(await f.fs.open(at(name), { create: true, writable }), PS);
    accessors.push(a);
    return a;
  }

  beforeEach(async () => {
    f = await kind.make();
    accessors = [];
  });
  afterEach(async () => {
    for (const a of accessors) await a.close().catch(() => undefined);
    await f.cleanup();
  });

  it('reads and writes runs of pages, sync and async, in one handle call each', async () => {
    const a = await accessorOn('run', pattern(4 * PS));
    const { handle, calls } = counting(a.handle);
    const b = new Accessor(handle, PS);
    const dest = new Uint8Array(3 * PS);
    expect(b.readPagesSync(1, 3, dest)).toBe(3 * PS);
    expect(dest).toEqual(pattern(4 * PS).subarray(PS));
    expect(await b.readPages(0, 2, dest)).toBe(2 * PS);
    expect(dest.subarray(0, 2 * PS)).toEqual(pattern(2 * PS));
    expect(b.writePagesSync(4, pattern(2 * PS, 9), 2)).toBe(2 * PS);
    expect(await b.writePages(6, pattern(PS, 3), 1)).toBe(PS);
    expect(calls).toEqual({ readSync: 1, read: 1, writeSync: 1, write: 1 });
    expect(b.sizeSync()).toBe(7 * PS);
    const all = await slurp(f.fs, at('run'));
    expect(all.subarray(4 * PS, 6 * PS)).toEqual(pattern(2 * PS, 9));
    expect(all.subarray(6 * PS)).toEqual(pattern(PS, 3));
  });

  it.each([1, PS - 1, PS, PS + 1, 2 * PS - 1])('zero-fills past end of file (file of %i bytes), touching nothing beyond the run', async (size) => {
    const a = await accessorOn('eof', pattern(size));
    for (const read of [(d: Uint8Array) => Promise.resolve(a.readPagesSync(0, 2, d)), (d: Uint8Array) => a.readPages(0, 2, d)]) {
      const dest = new Uint8Array(3 * PS).fill(0xaa); // stale frame contents
      expect(await read(dest)).toBe(size);
      expect(dest.subarray(0, size)).toEqual(pattern(size));
      expect(dest.subarray(size, 2 * PS)).toEqual(new Uint8Array(2 * PS - size)); // every byte from EOF, none missed
      expect(dest.subarray(2 * PS)).toEqual(new Uint8Array(PS).fill(0xaa)); // past the run: untouched
    }
  });

  it('reads pages wholly past end of file as zeros', async () => {
    const a = await accessorOn('past', pattern(PS));
    const dest = new Uint8Array(2 * PS).fill(0x55);
    expect(a.readPagesSync(5, 2, dest)).toBe(0);
    expect(dest).toEqual(new Uint8Array(2 * PS));
    dest.fill(0x55);
    expect(await a.readPages(5, 2, dest)).toBe(0);
    expect(dest).toEqual(new Uint8Array(2 * PS));
  });

  it('reads bytes at or past limitBytes as zeros even when the file has them', async () => {
    const a = await accessorOn('lim', pattern(3 * PS));
    const dest = new Uint8Array(2 * PS).fill(0xaa);
    expect(a.readPagesSync(1, 2, dest, PS + 10)).toBe(10);
    expect(dest.subarray(0, 10)).toEqual(pattern(3 * PS).subarray(PS, PS + 10));
    expect(dest.subarray(10)).toEqual(new Uint8Array(2 * PS - 10));
    dest.fill(0xaa);
    expect(await a.readPages(2, 1, dest, PS)).toBe(0);
    expect(dest.subarray(0, PS)).toEqual(new Uint8Array(PS));
  });

  it('writes the partial last page only up to limitBytes, so the file does not grow past the object', async () => {
    const a = await accessorOn('wl');
    const src = pattern(2 * PS, 40);
    expect(a.writePagesSync(0, src, 2, PS + 100)).toBe(PS + 100);
    expect(a.sizeSync()).toBe(PS + 100);
    expect(await a.writePages(1, src, 1, PS + 100)).toBe(100);
    expect(await a.size()).toBe(PS + 100);
    expect(a.writePagesSync(3, src, 1, PS + 100)).toBe(0); // wholly past the limit: nothing written
    expect(a.sizeSync()).toBe(PS + 100);
    // Without a limit whole pages are written.
    expect(a.writePagesSync(1, src, 1)).toBe(PS);
    expect(a.sizeSync()).toBe(2 * PS);
  });

  it('keeps file bytes beyond the limit when the file is longer than the object', async () => {
    const a = await accessorOn('longer', pattern(2 * PS));
    await a.writePages(1, new Uint8Array(PS).fill(7), 1, PS + 4);
    const all = await slurp(f.fs, at('longer'));
    expect(all.length).toBe(2 * PS);
    expect(all.subarray(PS, PS + 4)).toEqual(new Uint8Array(4).fill(7));
    expect(all.subarray(PS + 4)).toEqual(pattern(2 * PS).subarray(PS + 4));
  });

  it('applies overlapping async writes in the order they were issued, and reads after them', async () => {
    const a = await accessorOn('order', new Uint8Array(2 * PS));
    if (f.fs instanceof MemoryFileSystem) {
      // Make earlier calls slower than later ones, so an unordered accessor would get it wrong.
      let n = 0;
      f.fs.latency = (op) => (op === 'write' ? Math.max(0, 20 - 2 * n++) : 0);
    }
    const writes: Promise<number>[] = [];
    for (let i = 1; i <= 10; i++) writes.push(a.writePages(i % 2, new Uint8Array(2 * PS).fill(i), 2, 2 * PS));
    const dest = new Uint8Array(2 * PS);
    const read = a.readPages(0, 2, dest);
    await a.writePages(1, new Uint8Array(PS).fill(99), 1); // issued after the read: must not show in it
    await Promise.all(writes);
    expect(await read).toBe(2 * PS);
    // Write i covered pages i%2 .. 1 (clipped at 2 pages): page 0 last written by 10, page 1 by 10 too.
    expect(dest.subarray(0, PS)).toEqual(new Uint8Array(PS).fill(10));
    expect(dest.subarray(PS)).toEqual(new Uint8Array(PS).fill(10));
    const after = new Uint8Array(2 * PS);
    await a.readPages(0, 2, after);
    expect(after.subarray(PS)).toEqual(new Uint8Array(PS).fill(99));
  });

  it('orders truncate and size after the writes issued before them', async () => {
    const a = await accessorOn('trunc');
    const w = a.writePages(0, pattern(4 * PS), 4);
    const t = a.truncate(PS + 1);
    const s = a.size();
    // size() counts what was issued before it, and need not wait for what comes after (a later write may or
    // may not be counted: the accessor's ordering rules), so the next write is issued once it has answered.
    expect(await s).toBe(PS + 1);
    const w2 = a.writePages(3, pattern(PS), 1);
    const s2 = a.size();
    await Promise.all([w, t, w2]);
    expect(await s2).toBe(4 * PS);
    const dest = new Uint8Array(2 * PS).fill(1);
    a.readPagesSync(1, 2, dest);
    expect(dest[0]).toBe(pattern(4 * PS)[PS]);
    expect(dest.subarray(1)).toEqual(new Uint8Array(2 * PS - 1));
    await a.sync();
  });

  it('refuses a sync call that conflicts with an async call in flight, and allows one that does not', async () => {
    const a = await accessorOn('busy', pattern(4 * PS));
    const dest = new Uint8Array(PS).fill(0xaa);
    const writing = a.writePages(0, new Uint8Array(2 * PS).fill(3), 2);
    expect(a.isBusy(1, 1, false)).toBe(true);
    expect(a.isBusy(2, 2, true)).toBe(false);
    let caught: unknown;
    try {
      a.readPagesSync(1, 1, dest);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AccessorBusyError);
    expect(caught).toBeInstanceOf(FileSystemError);
    expect((caught as FileSystemError).reason).toBe('EBUSY');
    expect(dest).toEqual(new Uint8Array(PS).fill(0xaa)); // nothing read, nothing zeroed
    expect(() => a.writePagesSync(0, dest, 1)).toThrow(AccessorBusyError);
    expect(() => a.sizeSync()).toThrow(AccessorBusyError);
    expect(a.readPagesSync(2, 1, dest)).toBe(PS); // no overlap: runs at once
    expect(a.writePagesSync(3, dest, 1)).toBe(PS);
    await writing;
    await a.idle();
    expect(a.pendingCount).toBe(0);
    expect(a.readPagesSync(1, 1, dest)).toBe(PS);
    expect(dest).toEqual(new Uint8Array(PS).fill(3));

    // An async read in flight blocks sync writes to its range, not sync reads.
    const reading = a.readPages(0, 1, new Uint8Array(PS));
    expect(a.readPagesSync(0, 1, dest)).toBe(PS);
    expect(() => a.writePagesSync(0, dest, 1)).toThrow(AccessorBusyError);
    expect(a.isBusy(0, 1, true)).toBe(true);
    expect(a.isBusy(0, 1, false)).toBe(false);
    await reading;
    expect(a.writePagesSync(0, dest, 1)).toBe(PS);
  });

  it('closes after the calls in flight, then fails every call with EBADF', async () => {
    const a = await accessorOn('close');
    const writing = a.writePages(0, pattern(PS), 1);
    const closing = a.close();
    expect(a.closed).toBe(true);
    await expect(writing).resolves.toBe(PS);
    await closing;
    expect(a.handle.closed).toBe(true);
    expect(() => a.readPagesSync(0, 1, new Uint8Array(PS))).toThrow(FileSystemError);
    await expect(a.writePages(0, pattern(PS), 1)).rejects.toMatchObject({ reason: 'EBADF' });
    expect(await slurp(f.fs, at('close'))).toEqual(pattern(PS));
  });

  it('refuses writes on a read-only file with EBADF', async () => {
    const a = await accessorOn('ro', pattern(PS), false);
    expect(a.writable).toBe(false);
    expect(() => a.writePagesSync(0, new Uint8Array(PS), 1)).toThrow(FileSystemError);
    await expect(a.writePages(0, new Uint8Array(PS), 1)).rejects.toMatchObject({ reason: 'EBADF', operation: 'write' });
    await expect(a.truncate(0)).rejects.toMatchObject({ reason: 'EBADF' });
    expect(await slurp(f.fs, at('ro'))).toEqual(pattern(PS));
  });

  describe('bad arguments change nothing', () => {
    const badIndexes: unknown[] = [-1, 0.5, NaN, Infinity, -Infinity, 2 ** 53, '1', null, undefined, 1n];
    it.each(badIndexes)('firstPage or count %s', async (bad) => {
      const a = await accessorOn('bad', pattern(2 * PS));
      const buf = new Uint8Array(2 * PS).fill(0xcc);
      const b = bad as number;
      expect(() => a.readPagesSync(b, 1, buf)).toThrow(InvalidArgumentError);
      expect(() => a.readPagesSync(0, b, buf)).toThrow(InvalidArgumentError);
      expect(() => a.writePagesSync(b, buf, 1)).toThrow(InvalidArgumentError);
      expect(() => a.writePagesSync(0, buf, b)).toThrow(InvalidArgumentError);
      await expect(a.readPages(b, 1, buf)).rejects.toThrow(InvalidArgumentError);
      await expect(a.writePages(0, buf, b)).rejects.toThrow(InvalidArgumentError);
      expect(() => a.readPagesSync(0, 1, buf, -1)).toThrow(InvalidArgumentError);
      expect(() => a.writePagesSync(0, buf, 1, 1.5)).toThrow(InvalidArgumentError);
      expect(() => a.isBusy(b, 1, true)).toThrow(InvalidArgumentError);
      expect(buf).toEqual(new Uint8Array(2 * PS).fill(0xcc));
      expect(await slurp(f.fs, at('bad'))).toEqual(pattern(2 * PS));
    });

    it('huge runs past 2^53 bytes, short or mistyped buffers', async () => {
      const a = await accessorOn('huge', pattern(PS));
      const buf = new Uint8Array(PS).fill(0xcc);
      expect(() => a.readPagesSync(2 ** 44, 1, buf)).toThrow(InvalidArgumentError); // 2^44 * 512 = 2^53
      expect(() => a.writePagesSync(2 ** 44 - 1, buf, 2)).toThrow(InvalidArgumentError);
      expect(() => a.readPagesSync(0, 2, buf)).toThrow(InvalidArgumentError); // dest too short
      expect(() => a.writePagesSync(0, buf, 2)).toThrow(InvalidArgumentError);
      expect(() => a.readPagesSync(0, 1, new Uint16Array(PS) as never)).toThrow(InvalidArgumentError);
      expect(() => a.writePagesSync(0, Array.from(buf) as never, 1)).toThrow(InvalidArgumentError);
      await expect(a.truncate(-1)).rejects.toThrow(InvalidArgumentError);
      expect(buf).toEqual(new Uint8Array(PS).fill(0xcc));
      expect(await slurp(f.fs, at('huge'))).toEqual(pattern(PS));
    });

    it('page sizes and handles in the constructor', async () => {
      const h = await f.fs.open(at('ctor'), { create: true });
      for (const ps of [0, -512, 1.5, NaN, 2 ** 31, '512']) expect(() => new Accessor(h, ps as number)).toThrow(InvalidArgumentError);
      expect(() => new Accessor({} as FileHandle, PS)).toThrow(InvalidArgumentError);
      await h.close();
    });
  });
});

describe('Accessor ordering with calls held in flight (MemoryFileSystem)', () => {
  it('runs non-overlapping async calls concurrently and holds back overlapping ones', async () => {
    const fs = new MemoryFileSystem({ directories: ['/d'] });
    const held = gate();
    fs.latency = (op) => (op === 'write' && holding ? held.promise : undefined);
    let holding = true;
    const a = new Accessor(await fs.open('/d/f', { create: true, writable: true }), PS);
    const first = a.writePages(0, new Uint8Array(PS).fill(1), 1);
    holding = false;
    const other = a.writePages(1, new Uint8Array(PS).fill(2), 1);
    const dest = new Uint8Array(PS);
    const overlapping = a.readPages(0, 1, dest);
    let readDone = false;
    void overlapping.then(() => (readDone = true));
    await other; // not held back by the held write on page 0
    await new Promise((r) => setTimeout(r, 5));
    expect(readDone).toBe(false); // waits for the write it overlaps
    expect(a.isBusy(0, 1, false)).toBe(true);
    held.open();
    await first;
    await overlapping;
    expect(dest).toEqual(new Uint8Array(PS).fill(1));
    await a.close();
  });

  it('keeps order after an async call fails', async () => {
    const fs = new MemoryFileSystem({ directories: ['/d'] });
    const a = new Accessor(await fs.open('/d/f', { create: true, writable: true }), PS);
    fs.failNext('/d/f', 'write', 'EIO');
    const failing = a.writePages(0, new Uint8Array(PS).fill(1), 1);
    const next = a.writePages(0, new Uint8Array(PS).fill(2), 1);
    await expect(failing).rejects.toMatchObject({ reason: 'EIO', path: '/d/f' });
    await expect(next).resolves.toBe(PS);
    expect(fs.contents('/d/f')).toEqual(new Uint8Array(PS).fill(2));
    expect(a.pendingCount).toBe(0);
  });
});
