import * as nodeFs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileRegistry, FileSystemError, MemoryFileSystem, NodeFileSystem, type FileLease, type FileSystem } from '../../fs/index.js';
import { InvalidArgumentError } from '../../vmcore/errors.js';
import { kinds, pattern, slurp, spit, type Fixture } from './fixtures.js';
import { PS } from '../helpers/small.js';

/** Wraps a FileSystem, counting opens. */
function countingOpens(fs: FileSystem): { fs: FileSystem; opens: () => number } {
  let n = 0;
  const wrapped = new Proxy(fs, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (key === 'open' || key === 'openSync') n++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { fs: wrapped, opens: () => n };
}

describe.each(kinds)('FileRegistry on $name', (kind) => {
  let f: Fixture;
  let leases: FileLease[];
  const at = (...parts: string[]): string => path.join(f.root, ...parts);
  const keep = (l: FileLease): FileLease => (leases.push(l), l);

  beforeEach(async () => {
    f = await kind.make();
    leases = [];
  });
  afterEach(async () => {
    for (const l of leases) await l.release().catch(() => undefined);
    await f.cleanup();
  });

  it('serves two spellings of one file with one accessor, and closes it with the last release', async () => {
    await f.fs.mkdir(at('d'));
    await spit(f.fs, at('d', 'f'), pattern(PS));
    const registry = new FileRegistry(f.fs, PS);
    const one = keep(await registry.acquire(at('d', 'f')));
    const two = keep(await registry.acquire(`${f.root}/d/../d/./f`));
    const canonical = await f.fs.realpath(at('d', 'f'));
    expect(one.accessor).toBe(two.accessor);
    expect(one.entry).toBe(two.entry);
    expect(one.shared).toBe(two.shared);
    expect(one.path).toBe(canonical);
    expect(two.path).toBe(canonical);
    expect(registry.size).toBe(1);
    expect(registry.get(canonical)).toBe(one.entry);
    expect(registry.paths()).toEqual([canonical]);
    expect(one.entry.leases).toBe(2);
    expect(one.accessor.pageSize).toBe(PS);

    const accessor = one.accessor;
    const handle = accessor.handle;
    await one.release();
    await one.release(); // idempotent: does not drop the other lease
    expect(one.released).toBe(true);
    expect(() => one.accessor).toThrow(FileSystemError);
    expect(handle.closed).toBe(false);
    expect(two.accessor.readPagesSync(0, 1, new Uint8Array(PS))).toBe(PS);

    await two.release();
    expect(handle.closed).toBe(true);
    expect(accessor.closed).toBe(true);
    expect(registry.size).toBe(0);
    expect(registry.get(canonical)).toBeUndefined();
  });

  it('opens the file once for concurrent acquires', async () => {
    await spit(f.fs, at('c'), pattern(PS));
    const { fs, opens } = countingOpens(f.fs);
    const registry = new FileRegistry(fs, PS);
    const all = await Promise.all([registry.acquire(at('c')), registry.acquire(at('c')), registry.acquire(at('c'))]);
    all.forEach(keep);
    expect(new Set(all.map((l) => l.accessor)).size).toBe(1);
    expect(opens()).toBe(1);
  });

  it('fails with ENOENT for a missing file unless create is set', async () => {
    const registry = new FileRegistry(f.fs, PS);
    await expect(registry.acquire(at('none'))).rejects.toMatchObject({ reason: 'ENOENT' });
    expect(registry.size).toBe(0);
    const lease = keep(await registry.acquire(at('none'), { create: true, writable: true }));
    expect(lease.accessor.writable).toBe(true);
    expect(lease.accessor.writePagesSync(0, pattern(PS), 1)).toBe(PS);
    await lease.release();
    expect(await slurp(f.fs, at('none'))).toEqual(pattern(PS));
  });

  it('upgrades a read-only file to writable in place, keeping the same accessor', async () => {
    await spit(f.fs, at('u'), pattern(PS));
    const registry = new FileRegistry(f.fs, PS);
    const reader = keep(await registry.acquire(at('u')));
    const accessor = reader.accessor;
    const oldHandle = accessor.handle;
    expect(accessor.writable).toBe(false);
    expect(() => accessor.writePagesSync(0, pattern(PS), 1)).toThrow(FileSystemError);

    const writer = keep(await registry.acquire(at('u'), { writable: true }));
    expect(writer.accessor).toBe(accessor);
    expect(writer.writable).toBe(true);
    expect(reader.writable).toBe(false);
    expect(accessor.writable).toBe(true);
    expect(accessor.writePagesSync(0, pattern(PS, 77), 1)).toBe(PS);
    await accessor.idle();
    await new Promise((r) => setTimeout(r, 0));
    expect(oldHandle.closed).toBe(true);

    await writer.release(); // stays writable while the file is open
    expect(reader.accessor.writable).toBe(true);
    await reader.release();
    expect(await slurp(f.fs, at('u'))).toEqual(pattern(PS, 77));
  });

  it('fails a writable acquire it cannot grant, leaving read-only leases working', async () => {
    await spit(f.fs, at('locked'), pattern(PS));
    const registry = new FileRegistry(f.fs, PS);
    const reader = keep(await registry.acquire(at('locked')));
    f.chmod(at('locked'), 0o444);
    if (f.enforcesPermissions) {
      await expect(registry.acquire(at('locked'), { writable: true })).rejects.toMatchObject({ reason: 'EACCES' });
      expect(reader.entry.leases).toBe(1);
      expect(reader.accessor.writable).toBe(false);
      expect(reader.accessor.readPagesSync(0, 1, new Uint8Array(PS))).toBe(PS);
    }
    await reader.release();
    expect(registry.size).toBe(0);
  });

  it('reopens a file released and acquired again, after the old accessor has finished', async () => {
    const registry = new FileRegistry(f.fs, PS);
    const first = await registry.acquire(at('again'), { create: true, writable: true });
    const accessor = first.accessor;
    const writing = accessor.writePages(0, pattern(2 * PS), 2);
    const releasing = first.release();
    const second = keep(await registry.acquire(at('again')));
    expect(second.accessor).not.toBe(accessor);
    const dest = new Uint8Array(2 * PS);
    expect(second.accessor.readPagesSync(0, 2, dest)).toBe(2 * PS); // sees the old accessor's write
    expect(dest).toEqual(pattern(2 * PS));
    await writing;
    await releasing;
  });

  it('gives the pager layer one attachment slot per file, living as long as the file is open', async () => {
    await spit(f.fs, at('s'), pattern(1));
    const registry = new FileRegistry(f.fs, PS);
    const key = Symbol('pages');
    let made = 0;
    const one = keep(await registry.acquire(at('s')));
    const two = keep(await registry.acquire(at('s')));
    const a = one.entry.attachment(key, () => ({ made: ++made }));
    const b = two.entry.attachment(key, () => ({ made: ++made }));
    expect(a).toBe(b);
    expect(made).toBe(1);
    one.shared.set('note', 42);
    expect(two.shared.get('note')).toBe(42);
    await one.release();
    await two.release();
    const three = keep(await registry.acquire(at('s')));
    expect(three.shared.size).toBe(0);
  });

  it('rejects bad arguments before touching anything', async () => {
    expect(() => new FileRegistry(f.fs, 0)).toThrow(InvalidArgumentError);
    expect(() => new FileRegistry(f.fs, 1.5)).toThrow(InvalidArgumentError);
    expect(() => new FileRegistry(null as never)).toThrow(InvalidArgumentError);
    const registry = new FileRegistry(f.fs);
    expect(registry.pageSize).toBe(4096);
    await expect(registry.acquire('')).rejects.toThrow(InvalidArgumentError);
    await expect(registry.acquire(7 as never)).rejects.toThrow(InvalidArgumentError);
    await expect(registry.acquire(at('x'), { create: 1 } as never)).rejects.toThrow(InvalidArgumentError);
    await expect(registry.acquire(at('x'), { truncate: true } as never)).rejects.toThrow(InvalidArgumentError);
    expect(await f.fs.exists(at('x'))).toBe(false);
  });
});

describe('FileRegistry identity through symbolic links (NodeFileSystem)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await new NodeFileSystem().mkdtemp(path.join((await import('node:os')).tmpdir(), 'spinvm-reg-'));
  });
  afterEach(() => nodeFs.rmSync(dir, { recursive: true, force: true }));

  it('serves a file and a symlink to it with one accessor', async () => {
    const fs = new NodeFileSystem();
    nodeFs.writeFileSync(path.join(dir, 'real'), 'data');
    nodeFs.symlinkSync(path.join(dir, 'real'), path.join(dir, 'link'));
    const registry = new FileRegistry(fs, PS);
    const a = await registry.acquire(path.join(dir, 'real'));
    const b = await registry.acquire(path.join(dir, 'link'));
    expect(a.accessor).toBe(b.accessor);
    await a.release();
    await b.release();
  });
});

describe('FileRegistry failures (MemoryFileSystem)', () => {
  it('forgets a file whose open failed, so the next acquire tries again', async () => {
    const fs = new MemoryFileSystem({ directories: ['/d'] });
    await spit(fs, '/d/f', pattern(4));
    const registry = new FileRegistry(fs, PS);
    fs.failNext('/d/f', 'open', 'EMFILE');
    await expect(registry.acquire('/d/f')).rejects.toMatchObject({ reason: 'EMFILE', path: '/d/f' });
    expect(registry.size).toBe(0);
    const lease = await registry.acquire('/d/f');
    expect(lease.accessor.sizeSync()).toBe(4);
    await lease.release();
  });

  it('refuses a writable lease on a read-only file system with EROFS', async () => {
    const fs = new MemoryFileSystem({ directories: ['/d'] });
    await spit(fs, '/d/f', pattern(4));
    fs.readOnly = true;
    const registry = new FileRegistry(fs, PS);
    await expect(registry.acquire('/d/f', { writable: true })).rejects.toMatchObject({ reason: 'EROFS' });
    await expect(registry.acquire('/d/g', { create: true })).rejects.toMatchObject({ reason: 'EROFS' });
    const reader = await registry.acquire('/d/f');
    await expect(registry.acquire('/d/f', { writable: true })).rejects.toMatchObject({ reason: 'EROFS' });
    expect(reader.entry.leases).toBe(1);
    await reader.release();
    expect(registry.size).toBe(0);
  });
});
