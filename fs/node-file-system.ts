import * as fs from 'node:fs';
import { InvalidArgumentError } from '../vmcore/index.js';
import { FileSystemError, type FileOperation } from './errors.js';
import type { FileHandle, FileSystem, OpenOptions } from './file-system.js';
import { InFlight } from './in-flight.js';
import { checkFlags, checkIndex, checkPath, checkTransfer } from './validate.js';

const OPEN_KEYS = ['create', 'writable', 'truncate'] as const;

/** Checks `open`'s arguments and turns the options into open(2) flags. Shared with nothing else on purpose. */
function openFlags(path: unknown, options: unknown): { path: string; flags: number; writable: boolean } {
  checkPath('path', path);
  const o = checkFlags('options', options, OPEN_KEYS);
  const writable = o.writable === true;
  if (o.truncate === true && !writable) throw new InvalidArgumentError('options.truncate', true, 'false unless options.writable is true');
  const c = fs.constants;
  const flags = (writable ? c.O_RDWR : c.O_RDONLY) | (o.create === true ? c.O_CREAT : 0) | (o.truncate === true ? c.O_TRUNC : 0);
  return { path: path as string, flags, writable };
}

/** A directory opens read-only without complaint on Linux; refuse it at open, as every FileSystem does. */
function isDirectoryError(path: string): FileSystemError {
  return new FileSystemError('open', path, 'EISDIR');
}

/** The file system of the machine, through node:fs. Relative paths are relative to the process's cwd. */
export class NodeFileSystem implements FileSystem {
  openSync(path: string, options?: OpenOptions): FileHandle {
    const o = openFlags(path, options);
    let fd: number;
    try {
      fd = fs.openSync(o.path, o.flags, 0o666);
    } catch (error) {
      throw FileSystemError.from(error, 'open', o.path);
    }
    let directory: boolean;
    try {
      directory = fs.fstatSync(fd).isDirectory();
    } catch (error) {
      closeQuietly(fd);
      throw FileSystemError.from(error, 'open', o.path);
    }
    if (directory) {
      closeQuietly(fd);
      throw isDirectoryError(o.path);
    }
    return new NodeFileHandle(fd, o.path, o.writable);
  }

  async open(path: string, options?: OpenOptions): Promise<FileHandle> {
    const o = openFlags(path, options);
    const fd = await call('open', o.path, (cb: Callback<number>) => fs.open(o.path, o.flags, 0o666, cb));
    let stats: fs.Stats;
    try {
      stats = await call('open', o.path, (cb: Callback<fs.Stats>) => fs.fstat(fd, cb));
    } catch (error) {
      closeQuietly(fd);
      throw error;
    }
    if (stats.isDirectory()) {
      closeQuietly(fd);
      throw isDirectoryError(o.path);
    }
    return new NodeFileHandle(fd, o.path, o.writable);
  }

  async remove(path: string): Promise<void> {
    checkPath('path', path);
    try {
      await fs.promises.unlink(path);
    } catch (error) {
      // unlink(2) of a directory is EISDIR on Linux but EPERM on macOS: say EISDIR everywhere.
      if ((error as { code?: string }).code === 'EPERM' && (await isDirectory(path))) {
        throw new FileSystemError('remove', path, 'EISDIR', { cause: error });
      }
      throw FileSystemError.from(error, 'remove', path);
    }
  }

  async mkdtemp(prefix: string): Promise<string> {
    checkPath('prefix', prefix);
    return attempt('mkdtemp', prefix, () => fs.promises.mkdtemp(prefix));
  }

  async mkdir(path: string): Promise<void> {
    checkPath('path', path);
    await attempt('mkdir', path, () => fs.promises.mkdir(path, { recursive: true }));
  }

  async rmdir(path: string): Promise<void> {
    checkPath('path', path);
    await attempt('rmdir', path, async () => {
      // fs.rm would happily remove a file too; rmdir is for directories only.
      const stats = await fs.promises.lstat(path);
      if (!stats.isDirectory()) throw new FileSystemError('rmdir', path, 'ENOTDIR');
      await fs.promises.rm(path, { recursive: true, force: false });
    });
  }

  async realpath(path: string): Promise<string> {
    checkPath('path', path);
    return attempt('realpath', path, () => fs.promises.realpath(path));
  }

  async exists(path: string): Promise<boolean> {
    checkPath('path', path);
    try {
      await fs.promises.lstat(path);
      return true;
    } catch {
      return false;
    }
  }
}

type Callback<T> = (error: NodeJS.ErrnoException | null, value: T) => void;

/** Runs one callback-style node:fs call (cheaper than fs.promises' FileHandle) and wraps its error. */
function call<T>(operation: FileOperation, path: string, start: (cb: Callback<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    start((error, value) => (error ? reject(FileSystemError.from(error, operation, path)) : resolve(value)));
  });
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // Already failing for a better reason; the descriptor is released either way.
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await fs.promises.lstat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * One file descriptor used for both the sync (pread/pwrite via fs.readSync/writeSync) and the async
 * (callback fs.read/write) calls. Positional I/O only, so calls never share a file offset. `close()` waits
 * for the async calls in flight so a descriptor number is never closed under them (and then reused).
 */
class NodeFileHandle implements FileHandle {
  private fd: number;
  private isClosed = false;
  private readonly inflight = new InFlight();
  private closing: Promise<void> | undefined;

  constructor(
    fd: number,
    readonly path: string,
    readonly writable: boolean,
  ) {
    this.fd = fd;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  readSync(buffer: Uint8Array, position: number, offset?: number, length?: number): number {
    this.checkOpen('read');
    const start = offset ?? 0;
    const want = checkTransfer(buffer, position, offset, length);
    let done = 0;
    try {
      // pread may return fewer bytes than asked before EOF (signals, pipes, some file systems): loop.
      while (done < want) {
        const n = fs.readSync(this.fd, buffer, start + done, want - done, position + done);
        if (n === 0) break;
        done += n;
      }
    } catch (error) {
      throw FileSystemError.from(error, 'read', this.path);
    }
    return done;
  }

  writeSync(buffer: Uint8Array, position: number, offset?: number, length?: number): number {
    this.checkWritable();
    const start = offset ?? 0;
    const want = checkTransfer(buffer, position, offset, length);
    let done = 0;
    try {
      while (done < want) {
        const n = fs.writeSync(this.fd, buffer, start + done, want - done, position + done);
        if (n === 0) throw new FileSystemError('write', this.path, 'EIO', { detail: `the write made no progress after ${done} of ${want} bytes` });
        done += n;
      }
    } catch (error) {
      throw FileSystemError.from(error, 'write', this.path);
    }
    return done;
  }

  sizeSync(): number {
    this.checkOpen('size');
    try {
      return fs.fstatSync(this.fd).size;
    } catch (error) {
      throw FileSystemError.from(error, 'size', this.path);
    }
  }

  async read(buffer: Uint8Array, position: number, offset?: number, length?: number): Promise<number> {
    this.checkOpen('read');
    const start = offset ?? 0;
    const want = checkTransfer(buffer, position, offset, length);
    return this.inflight.track(async () => {
      let done = 0;
      while (done < want) {
        const n = await call('read', this.path, (cb: Callback<number>) => fs.read(this.fd, buffer, start + done, want - done, position + done, cb));
        if (n === 0) break;
        done += n;
      }
      return done;
    });
  }

  async write(buffer: Uint8Array, position: number, offset?: number, length?: number): Promise<number> {
    this.checkWritable();
    const start = offset ?? 0;
    const want = checkTransfer(buffer, position, offset, length);
    return this.inflight.track(async () => {
      let done = 0;
      while (done < want) {
        const n = await call('write', this.path, (cb: Callback<number>) => fs.write(this.fd, buffer, start + done, want - done, position + done, cb));
        if (n === 0) throw new FileSystemError('write', this.path, 'EIO', { detail: `the write made no progress after ${done} of ${want} bytes` });
        done += n;
      }
      return done;
    });
  }

  async size(): Promise<number> {
    this.checkOpen('size');
    return this.inflight.track(async () => (await call('size', this.path, (cb: Callback<fs.Stats>) => fs.fstat(this.fd, cb))).size);
  }

  async truncate(size: number): Promise<void> {
    this.checkWritable('truncate');
    checkIndex('size', size);
    return this.inflight.track(() => call('truncate', this.path, (cb: Callback<void>) => fs.ftruncate(this.fd, size, (e) => cb(e, undefined))));
  }

  async sync(): Promise<void> {
    this.checkOpen('sync');
    return this.inflight.track(() => call('sync', this.path, (cb: Callback<void>) => fs.fsync(this.fd, (e) => cb(e, undefined))));
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.isClosed = true;
    this.closing = (async () => {
      await this.inflight.idle();
      await call('close', this.path, (cb: Callback<void>) => fs.close(this.fd, (e) => cb(e, undefined)));
      this.fd = -1;
    })();
    return this.closing;
  }

  private checkOpen(operation: FileOperation): void {
    if (this.isClosed) throw new FileSystemError(operation, this.path, 'EBADF', { detail: 'the file handle is closed' });
  }

  private checkWritable(operation: FileOperation = 'write'): void {
    this.checkOpen(operation);
    if (!this.writable) throw new FileSystemError(operation, this.path, 'EBADF', { detail: 'the file handle was opened read-only' });
  }
}

/** Runs a node:fs promise call; any failure becomes a FileSystemError naming the operation and path. */
async function attempt<T>(operation: FileOperation, path: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw FileSystemError.from(error, operation, path);
  }
}
