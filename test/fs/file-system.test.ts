import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileSystemError, type FileHandle } from '../../fs/index.js';
import { InvalidArgumentError, SpinVmError } from '../../vmcore/errors.js';
import { kinds, pattern, slurp, spit, type Fixture } from './fixtures.js';

/** Runs `fn`, expecting a FileSystemError with this reason; returns it. */
async function failure(fn: () => unknown, reason: string): Promise<FileSystemError> {
  let caught: unknown;
  try {
    await fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(FileSystemError);
  expect(caught).toBeInstanceOf(SpinVmError);
  expect((caught as FileSystemError).reason).toBe(reason);
  expect((caught as FileSystemError).errno).toBe(reason);
  expect((caught as FileSystemError).code).toBe('SPINVM_FILE_SYSTEM');
  return caught as FileSystemError;
}

describe.each(kinds)('FileSystem: $name', (kind) => {
  let f: Fixture;
  let handles: FileHandle[];
  const at = (...parts: string[]): string => path.join(f.root, ...parts);
  const track = (h: FileHandle): FileHandle => (handles.push(h), h);

  beforeEach(async () => {
    f = await kind.make();
    handles = [];
  });
  afterEach(async () => {
    for (const h of handles) await h.close().catch(() => undefined);
    await f.cleanup();
  });

  describe('open', () => {
    it('fails with ENOENT naming the path when the file is missing and create is not set', async () => {
      const p = at('missing');
      const e = await failure(() => f.fs.open(p), 'ENOENT');
      expect(e.message).toBe(`open ${p}: no such file or directory (ENOENT)`);
      expect(e.path).toBe(p);
      expect(e.operation).toBe('open');
      await failure(() => f.fs.openSync(p, { writable: true }), 'ENOENT');
      expect(await f.fs.exists(p)).toBe(false);
    });

    it('creates an empty file with create, and keeps an existing one', async () => {
      const p = at('new');
      const h = track(await f.fs.open(p, { create: true }));
      expect(h.path).toBe(p);
      expect(h.writable).toBe(false);
      expect(h.sizeSync()).toBe(0);
      expect(await f.fs.exists(p)).toBe(true);
      await spit(f.fs, p, pattern(10));
      const again = track(f.fs.openSync(p, { create: true, writable: true }));
      expect(again.sizeSync()).toBe(10);
    });

    it('fails with ENOENT when creating under a missing directory', async () => {
      await failure(() => f.fs.open(at('nodir', 'f'), { create: true, writable: true }), 'ENOENT');
    });

    it('refuses a directory with EISDIR, read-only or writable, sync or async', async () => {
      await f.fs.mkdir(at('d'));
      const e = await failure(() => f.fs.open(at('d')), 'EISDIR');
      expect(e.message).toBe(`open ${at('d')}: is a directory (EISDIR)`);
      await failure(() => f.fs.open(at('d'), { writable: true }), 'EISDIR');
      await failure(() => f.fs.openSync(at('d')), 'EISDIR');
      await failure(() => f.fs.openSync(f.root, { create: true }), 'EISDIR');
    });

    it('fails with ENOTDIR for a path under a regular file', async () => {
      await spit(f.fs, at('file'), pattern(3));
      await failure(() => f.fs.open(at('file', 'x')), 'ENOTDIR');
      await failure(() => f.fs.openSync(at('file', 'x'), { create: true, writable: true }), 'ENOTDIR');
      await failure(() => f.fs.realpath(at('file', 'x')), 'ENOTDIR');
      expect(await f.fs.exists(at('file', 'x'))).toBe(false);
    });

    it('fails with EACCES on a file without permission, where permissions are enforced', async () => {
      await spit(f.fs, at('secret'), pattern(3));
      f.chmod(at('secret'), 0o000);
      if (f.enforcesPermissions) {
        const e = await failure(() => f.fs.open(at('secret')), 'EACCES');
        expect(e.message).toBe(`open ${at('secret')}: permission denied (EACCES)`);
        f.chmod(at('secret'), 0o444);
        track(await f.fs.open(at('secret')));
        await failure(() => f.fs.openSync(at('secret'), { writable: true }), 'EACCES');
      } else {
        // Running as root: the kernel lets root through, so all we can check is that nothing breaks.
        track(await f.fs.open(at('secret'), { writable: true }));
      }
    });

    it('truncates on open with truncate, and rejects truncate without writable', async () => {
      await spit(f.fs, at('t'), pattern(100));
      expect(() => f.fs.openSync(at('t'), { truncate: true })).toThrow(InvalidArgumentError);
      await expect(f.fs.open(at('t'), { truncate: true })).rejects.toThrow(InvalidArgumentError);
      expect((await slurp(f.fs, at('t'))).length).toBe(100);
      track(await f.fs.open(at('t'), { writable: true, truncate: true }));
      expect((await slurp(f.fs, at('t'))).length).toBe(0);
    });
  });

  describe('handles', () => {
    it('round-trips bytes with sync and async calls', async () => {
      const h = track(await f.fs.open(at('rw'), { create: true, writable: true }));
      expect(h.writeSync(pattern(5000), 0)).toBe(5000);
      expect(await h.write(pattern(1000, 7), 5000)).toBe(1000);
      expect(h.sizeSync()).toBe(6000);
      expect(await h.size()).toBe(6000);
      const back = new Uint8Array(6000);
      expect(h.readSync(back, 0)).toBe(6000);
      expect(back.subarray(0, 5000)).toEqual(pattern(5000));
      expect(back.subarray(5000)).toEqual(pattern(1000, 7));
      const back2 = new Uint8Array(6000);
      expect(await h.read(back2, 0)).toBe(6000);
      expect(back2).toEqual(back);
    });

    it('reads short only at end of file, and nothing past it', async () => {
      await spit(f.fs, at('short'), pattern(10));
      const h = track(await f.fs.open(at('short')));
      const buf = new Uint8Array(16).fill(0xaa);
      expect(h.readSync(buf, 4)).toBe(6);
      expect(buf.subarray(0, 6)).toEqual(pattern(6, 5));
      expect(buf.subarray(6)).toEqual(new Uint8Array(10).fill(0xaa)); // handles do not zero: the Accessor does
      expect(h.readSync(buf, 10)).toBe(0);
      expect(await h.read(buf, 1_000_000)).toBe(0);
    });

    it('reads and writes part of a buffer with offset and length', async () => {
      const h = track(await f.fs.open(at('part'), { create: true, writable: true }));
      const src = pattern(10);
      expect(h.writeSync(src, 100, 2, 5)).toBe(5);
      expect(h.sizeSync()).toBe(105);
      const dst = new Uint8Array(10);
      expect(h.readSync(dst, 100, 3, 5)).toBe(5);
      expect(Array.from(dst)).toEqual([0, 0, 0, 3, 4, 5, 6, 7, 0, 0]);
      expect(await h.read(dst, 99, 0, 2)).toBe(2);
      expect(Array.from(dst.subarray(0, 2))).toEqual([0, 3]); // the gap before byte 100 reads as zero
    });

    it('extends with zeros on write past the end and on truncate, and cuts on truncate', async () => {
      const h = track(await f.fs.open(at('grow'), { create: true, writable: true }));
      h.writeSync(pattern(10), 0);
      await h.truncate(3);
      expect(h.sizeSync()).toBe(3);
      await h.truncate(8);
      const buf = new Uint8Array(8).fill(9);
      expect(h.readSync(buf, 0)).toBe(8);
      expect(Array.from(buf)).toEqual([1, 2, 3, 0, 0, 0, 0, 0]); // old bytes do not come back
      await h.write(pattern(2), 20);
      expect(await h.size()).toBe(22);
      const gap = new Uint8Array(12).fill(9);
      expect(h.readSync(gap, 8)).toBe(12);
      expect(gap).toEqual(new Uint8Array(12));
      await h.sync();
    });

    it('refuses writes through a read-only handle with EBADF and changes nothing', async () => {
      await spit(f.fs, at('ro'), pattern(4));
      const h = track(await f.fs.open(at('ro')));
      const e = await failure(() => h.writeSync(pattern(4, 50), 0), 'EBADF');
      expect(e.message).toContain(at('ro'));
      await failure(() => h.write(pattern(4, 50), 0), 'EBADF');
      await failure(() => h.truncate(0), 'EBADF');
      expect(await slurp(f.fs, at('ro'))).toEqual(pattern(4));
    });

    it('fails every call after close with EBADF; close is idempotent and waits for calls in flight', async () => {
      const h = await f.fs.open(at('c'), { create: true, writable: true });
      const writing = h.write(pattern(3000), 0);
      const closing = h.close();
      expect(h.closed).toBe(true);
      await expect(writing).resolves.toBe(3000);
      await closing;
      await h.close();
      await failure(() => h.readSync(new Uint8Array(1), 0), 'EBADF');
      await failure(() => h.read(new Uint8Array(1), 0), 'EBADF');
      await failure(() => h.sizeSync(), 'EBADF');
      await failure(() => h.sync(), 'EBADF');
      expect(await slurp(f.fs, at('c'))).toEqual(pattern(3000));
    });

    it('keeps a removed file readable through a handle still open', async () => {
      await spit(f.fs, at('gone'), pattern(20));
      const h = track(await f.fs.open(at('gone')));
      await f.fs.remove(at('gone'));
      expect(await f.fs.exists(at('gone'))).toBe(false);
      const buf = new Uint8Array(20);
      expect(h.readSync(buf, 0)).toBe(20);
      expect(buf).toEqual(pattern(20));
    });
  });

  describe('directories and names', () => {
    it('removes files, not directories or missing paths', async () => {
      await spit(f.fs, at('f'), pattern(1));
      await f.fs.remove(at('f'));
      expect(await f.fs.exists(at('f'))).toBe(false);
      await failure(() => f.fs.remove(at('f')), 'ENOENT');
      await f.fs.mkdir(at('d'));
      await failure(() => f.fs.remove(at('d')), 'EISDIR');
    });

    it('makes directories recursively; an existing directory is fine, an existing file is EEXIST', async () => {
      await f.fs.mkdir(at('a', 'b', 'c'));
      await f.fs.mkdir(at('a', 'b', 'c'));
      await spit(f.fs, at('a', 'b', 'c', 'f'), pattern(2));
      expect(await f.fs.exists(at('a', 'b', 'c', 'f'))).toBe(true);
      await failure(() => f.fs.mkdir(at('a', 'b', 'c', 'f')), 'EEXIST');
      await failure(() => f.fs.mkdir(at('a', 'b', 'c', 'f', 'g')), 'ENOTDIR');
    });

    it('removes a directory tree with rmdir; a file is ENOTDIR, a missing path ENOENT', async () => {
      await f.fs.mkdir(at('t', 'u'));
      await spit(f.fs, at('t', 'u', 'f'), pattern(5));
      await spit(f.fs, at('t', 'g'), pattern(5));
      await spit(f.fs, at('t2'), pattern(5)); // a sibling whose name starts the same must survive
      await failure(() => f.fs.rmdir(at('t', 'g')), 'ENOTDIR');
      await f.fs.rmdir(at('t'));
      expect(await f.fs.exists(at('t'))).toBe(false);
      expect(await f.fs.exists(at('t', 'u', 'f'))).toBe(false);
      expect(await f.fs.exists(at('t2'))).toBe(true);
      await failure(() => f.fs.rmdir(at('t')), 'ENOENT');
    });

    it('makes fresh, distinct temporary directories', async () => {
      const a = await f.fs.mkdtemp(at('tmp-'));
      const b = await f.fs.mkdtemp(at('tmp-'));
      expect(a).not.toBe(b);
      expect(a.startsWith(at('tmp-'))).toBe(true);
      expect(a.length).toBe(at('tmp-').length + 6);
      await spit(f.fs, path.join(a, 'f'), pattern(1));
      expect(await f.fs.exists(path.join(a, 'f'))).toBe(true);
      await failure(() => f.fs.mkdtemp(at('nodir', 'tmp-')), 'ENOENT');
    });

    it('gives one realpath to every spelling of a file', async () => {
      await f.fs.mkdir(at('x', 'y'));
      await spit(f.fs, at('x', 'y', 'f'), pattern(1));
      const canonical = await f.fs.realpath(at('x', 'y', 'f'));
      expect(await f.fs.realpath(`${f.root}/x/./y/../y//f`)).toBe(canonical);
      expect(await f.fs.realpath(`${f.root}/x/y/f`)).toBe(canonical);
      expect(path.isAbsolute(canonical)).toBe(true);
      await failure(() => f.fs.realpath(at('x', 'nope')), 'ENOENT');
    });
  });

  describe('bad arguments', () => {
    const paths: unknown[] = ['', 42, undefined, null, 'a\0b', {}];
    it.each(paths)('rejects path %s with InvalidArgumentError', async (bad) => {
      const fs = f.fs as unknown as Record<string, (...args: unknown[]) => unknown>;
      expect(() => fs.openSync!(bad)).toThrow(InvalidArgumentError);
      for (const name of ['open', 'remove', 'mkdtemp', 'mkdir', 'rmdir', 'realpath', 'exists']) {
        await expect((async () => fs[name]!(bad))()).rejects.toThrow(InvalidArgumentError);
      }
    });

    it('rejects unknown or non-boolean open options', async () => {
      expect(() => f.fs.openSync(at('x'), { craete: true } as never)).toThrow(InvalidArgumentError);
      expect(() => f.fs.openSync(at('x'), { create: 'yes' } as never)).toThrow(InvalidArgumentError);
      await expect(f.fs.open(at('x'), 7 as never)).rejects.toThrow(InvalidArgumentError);
      expect(await f.fs.exists(at('x'))).toBe(false);
    });

    const positions: unknown[] = [-1, 1.5, NaN, Infinity, 2 ** 53, '3', undefined, 10n];
    it.each(positions)('rejects position %s and changes nothing', async (bad) => {
      await spit(f.fs, at('p'), pattern(8));
      const h = track(await f.fs.open(at('p'), { writable: true }));
      const buf = new Uint8Array(4).fill(0xee);
      expect(() => h.readSync(buf, bad as number)).toThrow(InvalidArgumentError);
      expect(() => h.writeSync(buf, bad as number)).toThrow(InvalidArgumentError);
      await expect(h.read(buf, bad as number)).rejects.toThrow(InvalidArgumentError);
      await expect(h.write(buf, bad as number)).rejects.toThrow(InvalidArgumentError);
      await expect(h.truncate(bad as number)).rejects.toThrow(InvalidArgumentError);
      expect(buf).toEqual(new Uint8Array(4).fill(0xee));
      expect(await slurp(f.fs, at('p'))).toEqual(pattern(8));
    });

    it('rejects buffers that are not Uint8Arrays, and offsets or lengths outside the buffer', async () => {
      const h = track(await f.fs.open(at('b'), { create: true, writable: true }));
      for (const bad of [[1, 2], new Uint16Array(2), 'ab', null]) {
        expect(() => h.writeSync(bad as never, 0)).toThrow(InvalidArgumentError);
        expect(() => h.readSync(bad as never, 0)).toThrow(InvalidArgumentError);
      }
      const buf = new Uint8Array(4);
      expect(() => h.writeSync(buf, 0, 5)).toThrow(InvalidArgumentError);
      expect(() => h.writeSync(buf, 0, 1, 4)).toThrow(InvalidArgumentError);
      expect(() => h.readSync(buf, 0, -1)).toThrow(InvalidArgumentError);
      expect(() => h.readSync(buf, 2 ** 53 - 2, 0, 4)).toThrow(InvalidArgumentError); // position + length past 2^53
      expect(h.sizeSync()).toBe(0);
    });
  });
});
