import { describe, expect, it } from 'vitest';
import { Accessor, FileSystemError, MemoryFileSystem } from '../../fs/index.js';
import { InvalidArgumentError } from '../../vmcore/errors.js';
import { gate, pattern, spit } from './fixtures.js';
import { PS } from '../helpers/small.js';

async function setup(options: ConstructorParameters<typeof MemoryFileSystem>[0] = {}): Promise<MemoryFileSystem> {
  return new MemoryFileSystem({ directories: ['/d'], ...options });
}

describe('MemoryFileSystem fault injection', () => {
  it('fails the next call of the chosen operation on the chosen path, once', async () => {
    const fs = await setup();
    await spit(fs, '/d/f', pattern(PS));
    const h = fs.openSync('/d/f', { writable: true });
    fs.failNext('/d/./f', 'read');
    const buf = new Uint8Array(PS);
    let caught: unknown;
    try {
      h.readSync(buf, 0);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FileSystemError);
    expect((caught as FileSystemError).message).toBe('read /d/f: input/output error (injected) (EIO)');
    expect(buf).toEqual(new Uint8Array(PS));
    expect(h.readSync(buf, 0)).toBe(PS); // only once
    expect(h.writeSync(buf, 0)).toBe(PS); // other operations unaffected
    await h.close();
  });

  it('fails several times, on async calls too, and on other operations', async () => {
    const fs = await setup();
    await spit(fs, '/d/f', pattern(8));
    fs.failNext('/d/f', 'open', 'EMFILE', 2);
    await expect(fs.open('/d/f')).rejects.toMatchObject({ reason: 'EMFILE' });
    expect(() => fs.openSync('/d/f')).toThrow(FileSystemError);
    const h = await fs.open('/d/f', { writable: true });
    fs.failNext('/d/f', 'write', 'EIO');
    await expect(h.write(pattern(8, 9), 0)).rejects.toMatchObject({ reason: 'EIO', operation: 'write' });
    expect(fs.contents('/d/f')).toEqual(pattern(8)); // a failed write changed nothing
    fs.failNext('/d/f', 'sync');
    await expect(h.sync()).rejects.toMatchObject({ reason: 'EIO', operation: 'sync' });
    fs.failNext('/d/f', 'truncate', 'EPERM');
    await expect(h.truncate(0)).rejects.toMatchObject({ reason: 'EPERM' });
    fs.failNext('/d/f', 'close');
    await expect(h.close()).rejects.toMatchObject({ reason: 'EIO', operation: 'close' });
    expect(h.closed).toBe(true);
    fs.failNext('/d/f', 'remove', 'EBUSY');
    await expect(fs.remove('/d/f')).rejects.toMatchObject({ reason: 'EBUSY' });
    fs.failNext('/d', 'rmdir');
    await expect(fs.rmdir('/d')).rejects.toMatchObject({ reason: 'EIO' });
    fs.failNext('/d/f', 'read');
    fs.clearFaults();
    expect(fs.openSync('/d/f').readSync(new Uint8Array(8), 0)).toBe(8);
  });

  it('wraps an injected Error, keeping it as the cause', async () => {
    const fs = await setup();
    await spit(fs, '/d/f', pattern(8));
    const h = fs.openSync('/d/f');
    const cause = Object.assign(new Error('disk on fire'), { code: 'EIO' });
    fs.failNext('/d/f', 'read', cause);
    await expect(h.read(new Uint8Array(8), 0)).rejects.toSatisfy((e: unknown) => e instanceof FileSystemError && e.cause === cause && e.reason === 'EIO');
  });

  it('surfaces injected faults through the Accessor as FileSystemErrors, zeroing nothing', async () => {
    const fs = await setup();
    await spit(fs, '/d/f', pattern(2 * PS));
    const a = new Accessor(fs.openSync('/d/f', { writable: true }), PS);
    const dest = new Uint8Array(2 * PS).fill(0xaa);
    fs.failNext('/d/f', 'read');
    expect(() => a.readPagesSync(0, 2, dest)).toThrow(FileSystemError);
    expect(dest).toEqual(new Uint8Array(2 * PS).fill(0xaa));
    fs.failNext('/d/f', 'write', 'EIO');
    await expect(a.writePages(0, dest, 1)).rejects.toMatchObject({ reason: 'EIO' });
    await a.close();
  });

  it('fails growth past capacity with ENOSPC, whole, and frees space on remove', async () => {
    const fs = await setup({ capacity: 3 * PS });
    const a = new Accessor(await fs.open('/d/f', { create: true, writable: true }), PS);
    expect(a.writePagesSync(0, pattern(2 * PS), 2)).toBe(2 * PS);
    expect(fs.used).toBe(2 * PS);
    let caught: unknown;
    try {
      a.writePagesSync(2, pattern(2 * PS), 2);
    } catch (error) {
      caught = error;
    }
    expect(FileSystemError.is(caught, 'ENOSPC')).toBe(true);
    expect((caught as Error).message).toBe('write /d/f: no space left on device (ENOSPC)');
    expect(a.sizeSync()).toBe(2 * PS); // nothing written
    expect(a.writePagesSync(1, pattern(PS, 5), 1)).toBe(PS); // rewriting within the file needs no space
    expect(a.writePagesSync(2, pattern(PS), 1)).toBe(PS); // exactly full
    await expect(a.writePages(3, pattern(PS), 1)).rejects.toMatchObject({ reason: 'ENOSPC' });
    await expect(a.truncate(4 * PS)).rejects.toMatchObject({ reason: 'ENOSPC' });
    const other = fs.openSync('/d/g', { create: true, writable: true });
    expect(() => other.writeSync(pattern(1), 0)).toThrow(FileSystemError);
    await a.truncate(PS);
    expect(fs.used).toBe(PS);
    expect(other.writeSync(pattern(PS), 0)).toBe(PS);
    await fs.remove('/d/g');
    expect(fs.used).toBe(2 * PS); // still open: its bytes live on
    await other.close();
    expect(fs.used).toBe(PS);
    fs.capacity = Infinity;
    await a.writePages(10, pattern(PS), 1);
    await a.close();
  });

  it('fails growth past maxFileSize with EFBIG', async () => {
    const fs = await setup({ maxFileSize: 1000 });
    const h = fs.openSync('/d/f', { create: true, writable: true });
    expect(() => h.writeSync(pattern(10), 995)).toThrow(expect.objectContaining({ reason: 'EFBIG' }));
    expect(h.writeSync(pattern(10), 990)).toBe(10);
    await expect(h.truncate(1001)).rejects.toMatchObject({ reason: 'EFBIG' });
  });

  it('corrupts a stored byte, for checksum tests', async () => {
    const fs = await setup();
    await spit(fs, '/d/f', pattern(4));
    fs.corrupt('/d/f', 2);
    expect(Array.from(fs.contents('/d/f'))).toEqual([1, 2, 3 ^ 0xff, 4]);
    fs.corrupt('/d/f', 0, 0x01);
    expect(fs.contents('/d/f')[0]).toBe(0);
    expect(() => fs.corrupt('/d/f', 4)).toThrow(InvalidArgumentError);
    expect(() => fs.corrupt('/d/f', 0, 0)).toThrow(InvalidArgumentError);
    expect(() => fs.corrupt('/d/nope', 0)).toThrow(expect.objectContaining({ reason: 'ENOENT' }));
    expect(() => fs.corrupt('/d', 0)).toThrow(expect.objectContaining({ reason: 'EISDIR' }));
  });

  it('refuses changes on a read-only file system with EROFS', async () => {
    const fs = await setup();
    await spit(fs, '/d/f', pattern(4));
    const writer = fs.openSync('/d/f', { writable: true });
    fs.readOnly = true;
    await expect(fs.open('/d/f', { writable: true })).rejects.toMatchObject({ reason: 'EROFS' });
    await expect(fs.open('/d/g', { create: true })).rejects.toMatchObject({ reason: 'EROFS' });
    await expect(fs.mkdir('/d/e')).rejects.toMatchObject({ reason: 'EROFS' });
    await expect(fs.mkdtemp('/d/t-')).rejects.toMatchObject({ reason: 'EROFS' });
    await expect(fs.remove('/d/f')).rejects.toMatchObject({ reason: 'EROFS' });
    await expect(fs.rmdir('/d')).rejects.toMatchObject({ reason: 'EROFS' });
    await fs.mkdir('/d'); // exists already: nothing to change
    expect(fs.openSync('/d/f').readSync(new Uint8Array(4), 0)).toBe(4);
    expect(fs.openSync('/d/f', { create: true }).sizeSync()).toBe(4);
    expect(writer.writeSync(pattern(4, 9), 0)).toBe(4); // handles opened before keep working
  });

  it('delays async calls as the latency hook says, completing them in its order', async () => {
    const fs = await setup();
    const held = gate();
    const h = fs.openSync('/d/f', { create: true, writable: true });
    fs.latency = (op) => (op === 'write' ? held.promise : 0);
    const writing = h.write(pattern(4), 0);
    await new Promise((r) => setTimeout(r, 5));
    expect(h.sizeSync()).toBe(0); // not yet applied
    const closing = h.close(); // waits for it
    held.open();
    await expect(writing).resolves.toBe(4);
    await closing;
    expect(fs.contents('/d/f')).toEqual(pattern(4));
  });

  it('rejects bad options and helper arguments', async () => {
    expect(() => new MemoryFileSystem({ capacity: -1 })).toThrow(InvalidArgumentError);
    expect(() => new MemoryFileSystem({ capacity: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => new MemoryFileSystem({ maxFileSize: NaN })).toThrow(InvalidArgumentError);
    const fs = await setup();
    expect(() => fs.failNext('', 'read')).toThrow(InvalidArgumentError);
    expect(() => fs.failNext('/d/f', 'read', 'EIO', -1)).toThrow(InvalidArgumentError);
    await spit(fs, '/d/f', pattern(1));
    expect(() => fs.chmod('/d/f', -1)).toThrow(InvalidArgumentError);
  });

  it('is a MemoryFileSystem rooted at "/" whose relative paths start there', async () => {
    const fs = new MemoryFileSystem({ directories: [] });
    await fs.mkdir('a/b');
    expect(await fs.realpath('a/../a/b')).toBe('/a/b');
    expect(await fs.exists('/a/b')).toBe(true);
    await expect(fs.rmdir('/')).rejects.toMatchObject({ reason: 'EBUSY' });
    await expect(fs.open('/a/b/', { create: true, writable: true })).rejects.toMatchObject({ reason: 'EISDIR' });
    await expect(fs.open('/a/new/', { create: true, writable: true })).rejects.toMatchObject({ reason: 'EISDIR' });
  });
});
